"""The risk part of a school's reference: factors, probable causes, measures and a draft
roadmap, with the Russian sentences that state them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from analysis.benchmark import z_against
from analysis.causes import factor_associations, probable_causes, school_outcomes
from analysis.indicators import form_of, indicator_cutoffs, reportable_indicators
from analysis.risk import LEVEL_LABELS, Reference, factor_profiles
from analysis.risk import level as composite_level
from instruments.audiences import AUDIENCE_NAMES
from instruments.risk_factors import Indicator, RiskFactorCatalogue
from instruments.schema import Cutoffs, Instrument, text_in

STATISTIC_UNITS = {"mean": "балл", "pomp": "из 100", "prevalence": "%", "share": "%", "value": ""}
CAUSES_SHOWN = 3


def _ru(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",").replace("-", "−")


@dataclass(frozen=True)
class IndicatorRow:
    title: str
    audience: str
    value: str
    band: str | None
    risk_z: float | None
    n: int
    #: position against the instrument's cut-offs ("high", "low", "middle"; None: no cut-offs)
    cutoff: str | None = None
    #: that position in words, e.g. "выше порога 25 %, установленного методикой: высокий риск"
    cutoff_text: str | None = None


@dataclass(frozen=True)
class FactorRow:
    code: str
    title: str
    composite: float | None
    level: str | None
    level_label: str
    text: str
    indicators: list[IndicatorRow]
    #: titles of the indicators beyond their high-risk cut-offs
    cutoff_drivers: list[str] = field(default_factory=list)
    #: the level was raised to "повышенный" by those cut-offs (the composite alone is lower)
    raised_by_cutoff: bool = False


@dataclass(frozen=True)
class CauseRow:
    rank: int
    factor: str
    title: str
    text: str


@dataclass(frozen=True)
class RoadmapRow:
    number: int
    factor: str
    measure: str
    timing: str
    responsible: str
    form: str
    expected_result: str


@dataclass(frozen=True)
class RiskSection:
    factors: list[FactorRow]
    causes: list[CauseRow]
    roadmap: list[RoadmapRow]
    warnings: list[str] = field(default_factory=list)
    schools: int = 0


def fielded_indicators(
    catalogue: RiskFactorCatalogue, instruments: Iterable[Instrument]
) -> dict[str, list[Indicator]]:
    """Per factor of the catalogue, the indicators the given (fielded) instruments measure:
    the catalogue's own on those instruments and those the instruments declare themselves."""
    fielded = list(instruments)
    codes = {instrument.code for instrument in fielded}
    return {
        factor: [i for i in items if i.instrument in codes]
        for factor, items in catalogue.indicators_by_factor(fielded).items()
    }


def risk_note(catalogue: RiskFactorCatalogue, instruments: Iterable[Instrument]) -> str | None:
    """Why a reference has no risk part, or which of the campaign's instruments its risk part
    leaves out; None when every instrument feeds it.

    A questionnaire made in the designer usually declares no risk indicators: its scales are
    reported, but nothing places it among the risk factors, and a profile of factors that no
    answer measured would read as "нет данных" everywhere instead of saying why.
    """
    fielded = list(instruments)
    if not fielded:
        return "В кампании нет анкет: профиль рисков и вероятные причины не строятся."
    measured = {
        i.instrument for items in fielded_indicators(catalogue, fielded).values() for i in items
    }
    own = [instrument for instrument in fielded if instrument.code not in measured]
    if not own:
        return None
    names = ", ".join(f"«{text_in(instrument.title)}»" for instrument in own)
    if len(own) == len(fielded):
        return (
            "В кампании использованы только авторские методики без индикаторов факторов риска "
            f"({names}); профиль рисков и вероятные причины не строятся. Результаты по шкалам "
            "методик приведены ниже."
        )
    return (
        f"Методики без индикаторов факторов риска ({names}) в профиль рисков не входят; "
        "их результаты по шкалам приведены ниже."
    )


def _value_text(row: pd.Series) -> str:
    value = row["value"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if row["statistic"] in ("prevalence", "share"):
        return f"{_ru(value * 100, 0)} %"
    if row["statistic"] == "pomp":
        return f"{_ru(value, 0)} из 100"
    return _ru(value)


def _threshold_text(statistic: str, threshold: float) -> str:
    """A cut-off as written in the instrument (shares in percent), in Russian numbers."""
    number = _ru(threshold, 0) if float(threshold).is_integer() else _ru(threshold).rstrip("0")
    if statistic in ("prevalence", "share"):
        return f"{number} %"
    return f"{number} из 100" if statistic == "pomp" else number


def _beyond_text(row: pd.Series, cutoffs: Cutoffs) -> str | None:
    """Which cut-off the school's observed value lies beyond ("выше порога 10 %"), if any."""
    value = float(row["value"]) * (100.0 if cutoffs.statistic == "prevalence" else 1.0)
    if value > cutoffs.high_above:
        return f"выше порога {_threshold_text(cutoffs.statistic, cutoffs.high_above)}"
    if value < cutoffs.low_below:
        return f"ниже порога {_threshold_text(cutoffs.statistic, cutoffs.low_below)}"
    return None


def _cutoff_text(row: pd.Series, cutoffs: Cutoffs | None) -> str | None:
    """The indicator's position against the instrument's cut-offs, in words (None: none)."""
    position = row["cutoff"]
    if cutoffs is None or not isinstance(position, str):
        return None
    beyond = _beyond_text(row, cutoffs)
    if position in ("high", "low"):
        risk = "высокий риск" if position == "high" else "низкий риск"
        return f"{beyond}, установленного методикой: {risk}"
    if beyond is not None:
        return f"{beyond}, но в пределах погрешности (n = {int(row['n'])})"
    low = _threshold_text(cutoffs.statistic, cutoffs.low_below)
    high = _threshold_text(cutoffs.statistic, cutoffs.high_above)
    return f"между порогами методики ({low} и {high})"


def _cutoff_sentence(title: str, row: pd.Series, cutoffs: Cutoffs) -> str:
    """E.g. "«Доля …» — 27 %, выше порога 10 %, установленного методикой." """
    return (
        f"«{title}» — {_value_text(row)}, {_beyond_text(row, cutoffs)}, установленного методикой."
    )


def _factor_text(
    title: str,
    composite: float | None,
    level: str | None,
    drivers: list[str],
    cutoffs: list[str] | None = None,
    raised: bool = False,
    against: str = "школ кампании",
) -> str:
    """The factor in plain Russian; ``cutoffs`` are the sentences on its indicators beyond
    their high-risk cut-offs, ``raised`` whether those raised the level; ``against`` names
    the reference in the genitive ("школ кампании", "эталона «…»")."""
    if composite is None or level is None:
        return f"{title}: данных недостаточно для оценки (мало ответов или нет анкет)."
    where = "выше" if composite > 0 else "ниже"
    distance = f"{_ru(abs(composite))} SD {where}"
    beyond = " ".join(cutoffs or [])
    if raised and beyond:
        compared = LEVEL_LABELS[composite_level(composite) or "moderate"]
        return (
            f"{title}: уровень риска — {LEVEL_LABELS[level]}, по порогу методики. {beyond} "
            f"По сравнению со средним {against} уровень был бы «{compared}» ({distance} "
            "среднего), но порог методики не зависит от того, как обстоят дела в других школах."
        )
    text = f"{title}: уровень риска — {LEVEL_LABELS[level]} ({distance} среднего {against})."
    if drivers and composite > 0:
        text += " Больше всего на оценку повлияли: " + "; ".join(drivers[:3]) + "."
    return f"{text} {beyond}" if beyond else text


def build_risk_section(
    school_code: str,
    data: dict[str, tuple[Instrument, pd.DataFrame]],
    catalogue: RiskFactorCatalogue,
    *,
    min_group_size: int,
    results: pd.DataFrame | None = None,
    reference: Reference | None = None,
    reference_name: str | None = None,
) -> RiskSection:
    """Everything the reference says about risk factors, causes and measures for one school,
    computed against all schools whose answers are in ``data`` and reach ``min_group_size``
    (:func:`analysis.indicators.reportable_indicators`), or against ``reference`` (a frozen
    benchmark, called ``reference_name`` in the text) when given."""
    against = "школ кампании" if reference is None else f"эталона «{reference_name or 'эталон'}»"
    by_factor = catalogue.indicators_by_factor(instrument for instrument, _ in data.values())
    indicators: list[Indicator] = [i for items in by_factor.values() for i in items]
    titles = {i.code: text_in(i.title) for i in indicators}
    # The privacy gate: the schools below the minimum take no part in the shrinkage, the
    # reference or the associations; this school, if it is one of them, shows only its n.
    table = z_against(
        reportable_indicators(
            data, indicators, min_group_size=min_group_size, school_code=school_code
        ),
        reference,
    )
    factor_codes = {f: [i.code for i in items] for f, items in by_factor.items()}
    limits = {
        i.code: indicator_cutoffs(i, form[0])
        for i in indicators
        if (form := form_of(data, i)) is not None
    }
    profiles = factor_profiles(table, factor_codes)
    # The schools the z-scores compare with (a hidden school is not among them).
    schools = int(table.loc[~table["suppressed"], "school_code"].nunique()) if len(table) else 0
    warnings: list[str] = []
    associations = None
    if results is not None and len(results):
        associations = factor_associations(profiles, school_outcomes(results))
        warnings.extend(associations.warnings)
    else:
        warnings.append(
            "Результаты оценочных процедур не загружены: причины ранжированы только по "
            "профилю рисков, без связи с результатами."
        )
    causes = probable_causes(profiles, associations)
    mine = profiles[profiles["school_code"] == school_code].set_index("factor")
    rows = table[table["school_code"] == school_code].set_index("indicator")
    factors = []
    for factor in catalogue.factors:
        entry = mine.loc[factor.code] if factor.code in mine.index else None
        composite = (
            None if entry is None or pd.isna(entry["composite"]) else float(entry["composite"])
        )
        level = None if entry is None else entry["level"]
        drivers = [] if entry is None else [titles.get(c, c) for c in entry["drivers"]]
        beyond = [] if entry is None else list(entry["cutoff_drivers"])
        raised = entry is not None and bool(entry["raised_by_cutoff"])
        sentences = [
            _cutoff_sentence(titles[c], rows.loc[c], cut)
            for c in beyond
            if c in rows.index and (cut := limits.get(c)) is not None
        ]
        shown = [
            IndicatorRow(
                title=titles[code],
                audience=AUDIENCE_NAMES.get(str(rows.loc[code, "audience"]), ""),
                value=_value_text(rows.loc[code])
                if not rows.loc[code, "suppressed"]
                else f"скрыто (меньше {min_group_size} ответов)",
                band=rows.loc[code, "band"],
                risk_z=None
                if pd.isna(rows.loc[code, "risk_z"])
                else float(rows.loc[code, "risk_z"]),
                n=int(rows.loc[code, "n"]),
                cutoff=rows.loc[code, "cutoff"],
                cutoff_text=_cutoff_text(rows.loc[code], limits.get(code)),
            )
            for code in factor_codes[factor.code]
            if code in rows.index
        ]
        factors.append(
            FactorRow(
                code=factor.code,
                title=text_in(factor.title),
                composite=composite,
                level=level,
                level_label=LEVEL_LABELS.get(level, "нет данных") if level else "нет данных",
                text=_factor_text(
                    text_in(factor.title), composite, level, drivers, sentences, raised, against
                ),
                indicators=shown,
                cutoff_drivers=[titles.get(c, c) for c in beyond],
                raised_by_cutoff=raised,
            )
        )
    cause_rows = []
    for _, cause in causes[causes["school_code"] == school_code].head(CAUSES_SHOWN).iterrows():
        title = text_in(catalogue.factor(cause["factor"]).title)
        basis = ""
        if bool(mine.loc[cause["factor"], "raised_by_cutoff"]):
            named = (f"«{titles.get(c, c)}»" for c in mine.loc[cause["factor"], "cutoff_drivers"])
            basis = "по порогу методики: " + "; ".join(named) + "; "
        text = (
            f"«{title}»: школа в зоне риска (уровень — {LEVEL_LABELS[cause['level']]}, "
            f"{basis}{_ru(cause['composite'])} SD)."
        )
        if not pd.isna(cause["rho"]):
            interval = (
                f"ρ = {_ru(cause['rho'])} [{_ru(cause['rho_low'])}; {_ru(cause['rho_high'])}]"
            )
            if cause["rho_low"] > 0:
                text += (
                    " В районе этот фактор связан с долей неудовлетворительных отметок: "
                    f"{interval}."
                )
            else:
                text += (
                    " Связь этого фактора с долей неудовлетворительных отметок по школам района "
                    f"не подтверждена ({interval}); он назван по профилю рисков школы."
                )
        text += " Это связь, выявленная по данным, а не доказательство причины."
        cause_rows.append(CauseRow(int(cause["rank"]), cause["factor"], title, text))
    roadmap: list[RoadmapRow] = []
    for cause in cause_rows:
        for measure in catalogue.factor(cause.factor).measures:
            if measure.level != "school":
                continue
            roadmap.append(
                RoadmapRow(
                    number=len(roadmap) + 1,
                    factor=cause.title,
                    measure=text_in(measure.title),
                    timing=measure.timing,
                    responsible=measure.responsible,
                    form=measure.form,
                    expected_result=measure.expected_result,
                )
            )
    return RiskSection(factors, cause_rows, roadmap, warnings, schools)
