"""The risk part of a school's reference: factors and probable causes, with the Russian
sentences that state them (the draft roadmap drawn from them: :mod:`analysis.report.roadmap`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from analysis.benchmark import z_against
from analysis.causes import analyse_causes, school_outcomes, short_audiences
from analysis.indicators import (
    AudienceAnswers,
    error_correlations,
    form_keys,
    form_of,
    indicator_cutoffs,
    reportable_indicators,
)
from analysis.memo import remember
from analysis.privacy import reportable_audiences
from analysis.report.cause_evidence import cause_text
from analysis.report.factor_parts import FactorParts, build_factor_parts
from analysis.report.factor_position import pupils_weight, risk_position
from analysis.report.russian import NBSP, ru_count, ru_int, ru_join, ru_number, ru_percent
from analysis.risk import LEVEL_LABELS, Reference, composition_band, factor_profiles
from analysis.risk import level as composite_level
from instruments.audiences import AUDIENCE_NAMES, AUDIENCE_ORDER
from instruments.risk_factors import Indicator, RiskFactorCatalogue
from instruments.schema import Cutoffs, Instrument, text_in

#: a school's row of the indicator table: the row itself, or its values by column
Row: TypeAlias = "pd.Series | Mapping[str, Any]"

STATISTIC_UNITS = {"mean": "балл", "pomp": "из 100", "prevalence": "%", "share": "%", "value": ""}
CAUSES_SHOWN = 3


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
    #: the factor's indicators measure low results themselves: it describes the problem and
    #: is never a probable cause (``role: outcome`` in the catalogue)
    outcome: bool = False
    #: why the factor was not assessed, or assessed without an audience, at this school
    #: (an audience under the minimum group size); None when nothing fell short
    short_note: str | None = None
    #: the composite's standard error (SD units; None: no composite), for its interval
    composite_se: float | None = None
    #: the audiences under the minimum group behind :attr:`short_note`, with their numbers of
    #: answers ((audience, n), …): the profile names each group once, with every factor it
    #: holds back (:attr:`analysis.report.factor_parts.FactorParts.short_notes`)
    short_groups: tuple[tuple[str, int], ...] = ()
    #: the share (0–1) of the factor's weight on indicators describing who the pupils are
    #: (``describes: pupils``): above 0, no sentence calls the factor «хуже» or «лучше»
    #: (:mod:`analysis.report.factor_position`)
    pupils_weight: float = 0.0


@dataclass(frozen=True)
class CauseRow:
    rank: int
    factor: str
    title: str
    text: str
    #: the district model shows the factor going with more «2» (its interval above 0)
    associated: bool = False


@dataclass(frozen=True)
class RiskSection:
    factors: list[FactorRow]
    causes: list[CauseRow]
    warnings: list[str] = field(default_factory=list)
    schools: int = 0
    #: driver factors not assessed at the school, each with the reason, in Russian
    not_assessed: list[str] = field(default_factory=list)
    #: the school's share of «2» is above the average school's (None: no results for it)
    results_low: bool | None = None
    #: how the district's association with results was estimated, in Russian
    model_note: str | None = None
    #: a part per factor at «повышенный» or above, a line for each other factor
    #: (:mod:`analysis.report.factor_parts`)
    parts: FactorParts | None = None


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
            f"({names}); профиль рисков и вероятные причины не строятся. Результаты школы по "
            "шкалам методик приведены в приложении 1."
        )
    return (
        f"Методики без индикаторов факторов риска ({names}) в профиль рисков не входят; "
        "результаты школы по их шкалам приведены в приложении 1."
    )


def _answers(n: int) -> str:
    """ "1 ответ", "3 ответа", "7 ответов"."""
    return ru_count(n, "ответ", "ответа", "ответов")


def _short_text(short: list[tuple[str, int]], min_group_size: int) -> str:
    """E.g. "группа «педагоги» — 3 ответа при минимуме 5"."""
    return "; ".join(
        f"группа «{AUDIENCE_NAMES.get(audience, audience)}» — {_answers(n)} при минимуме "
        f"{min_group_size}"
        for audience, n in short
    )


def _audience_rank(audience: str) -> int:
    """Groups in the order the reference shows audiences (pupils first)."""
    return AUDIENCE_ORDER.index(audience) if audience in AUDIENCE_ORDER else len(AUDIENCE_ORDER)


def _not_assessed(factor: FactorRow, noted: set[tuple[str, int]], min_group_size: int) -> str:
    """A factor not assessed, with its reason. A group that also holds back factors assessed
    on other groups has its number of answers in the profile's note under the lists
    (``noted``; :func:`analysis.report.factor_parts.short_notes`): the item names it only."""
    groups = list(factor.short_groups)
    if not all(group in noted for group in groups):
        return f"«{factor.title}» — не оценён: {_short_text(groups, min_group_size)}."
    names = ru_join([f"«{AUDIENCE_NAMES.get(a, a)}»" for a, _ in groups])
    which = "группы" if len(groups) == 1 else "групп"
    return f"«{factor.title}» — не оценён: мало ответов {which} {names}."


def _value_text(row: Row, unit: str | None = None) -> str:
    """A school's figure as the reference writes it: shares in percent, a POMP "из 100", a
    percentage answered as a number with «%», a count as an integer, and a share read from a
    single answer (an institutional form's yes/no) as «да»/«нет»."""
    value = row["value"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if row["statistic"] in ("prevalence", "share"):
        n = row.get("n")
        if n is not None and not pd.isna(n) and int(n) == 1:
            return "да" if float(value) >= 0.5 else "нет"
        return ru_percent(value)
    if row["statistic"] == "pomp":
        return f"{ru_number(value, 0)} из 100"
    if unit == "percent":
        return ru_percent(float(value) / 100)
    if unit == "count":
        return ru_int(round(float(value)))
    return ru_number(value)


def _threshold_text(statistic: str, threshold: float) -> str:
    """A cut-off as written in the instrument (shares in percent), in Russian numbers."""
    whole = float(threshold).is_integer()
    number = ru_number(threshold, 0) if whole else ru_number(threshold).rstrip("0")
    if statistic in ("prevalence", "share"):
        return f"{number}{NBSP}%"
    return f"{number} из 100" if statistic == "pomp" else number


def _beyond_text(row: Row, cutoffs: Cutoffs) -> str | None:
    """Which cut-off the school's observed value lies beyond ("выше порога 10 %"), if any."""
    value = float(row["value"]) * (100.0 if cutoffs.statistic == "prevalence" else 1.0)
    if value > cutoffs.high_above:
        return f"выше порога {_threshold_text(cutoffs.statistic, cutoffs.high_above)}"
    if value < cutoffs.low_below:
        return f"ниже порога {_threshold_text(cutoffs.statistic, cutoffs.low_below)}"
    return None


def _cutoff_text(row: Row, cutoffs: Cutoffs | None) -> str | None:
    """The indicator's position against the instrument's cut-offs, in words (None: none)."""
    position = row["cutoff"]
    if cutoffs is None or not isinstance(position, str):
        return None
    beyond = _beyond_text(row, cutoffs)
    if position in ("high", "low"):
        risk = "высокий риск" if position == "high" else "низкий риск"
        return f"{beyond}, установленного методикой: {risk}"
    if beyond is not None:
        return f"{beyond}, но в пределах погрешности ({_answers(int(row['n']))})"
    low = _threshold_text(cutoffs.statistic, cutoffs.low_below)
    high = _threshold_text(cutoffs.statistic, cutoffs.high_above)
    return f"между порогами методики ({low} и {high})"


def _cutoff_sentence(title: str, row: Row, cutoffs: Cutoffs) -> str:
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
    """The factor in plain Russian (no SD: the position in words,
    :func:`analysis.report.factor_position.risk_position`); ``cutoffs`` are the sentences on
    its indicators beyond their high-risk cut-offs, ``raised`` whether those raised the level;
    ``against`` names the reference in the genitive ("школ кампании", "эталона «…»")."""
    if composite is None or level is None:
        return f"{title}: данных недостаточно для оценки (мало ответов или нет анкет)."
    beyond = " ".join(cutoffs or [])
    if raised and beyond:
        compared = LEVEL_LABELS[composite_level(composite) or "moderate"]
        return (
            f"{title}: уровень риска — {LEVEL_LABELS[level]}, по порогу методики. {beyond} "
            f"По сравнению со средним {against} уровень был бы «{compared}» "
            f"({risk_position(composite, composite_level(composite), against)}), но порог "
            "методики не зависит от того, как обстоят дела в других школах."
        )
    position = risk_position(composite, level, against)
    text = f"{title}: уровень риска — {LEVEL_LABELS[level]} ({position})."
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
    status: pd.DataFrame | None = None,
    reference: Reference | None = None,
    reference_name: str | None = None,
) -> RiskSection:
    """Everything the reference says about risk factors and causes for one school,
    computed against all schools whose answers are in ``data`` and reach ``min_group_size``
    (:func:`analysis.indicators.reportable_indicators`), or against ``reference`` (a frozen
    benchmark, called ``reference_name`` in the text) when given. ``status``: the official
    status of the schools (ШНОР, ШНСУ; :func:`surveys.dataset.school_status_frame`)."""
    against = "школ кампании" if reference is None else f"эталона «{reference_name or 'эталон'}»"
    by_factor = catalogue.indicators_by_factor(instrument for instrument, _ in data.values())
    indicators: list[Indicator] = [i for items in by_factor.values() for i in items]
    titles = {i.code: text_in(i.title) for i in indicators}
    units = {i.code: i.unit for i in indicators}
    weights = {i.code: float(i.weight) for i in indicators}
    # who the pupils are is not better or worse: «выше/ниже среднего»
    pupils = {i.code for i in indicators if i.describes == "pupils"}
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
    pooled, hidden = reportable_audiences(data, min_group_size=min_group_size)
    district = _district_table(table, school_code, indicators, data, hidden)
    remember(district)  # (the profiles and the causes are keyed by it, three times)
    # Shown: every factor, outcome factors labelled as a description of the problem.
    correlation = error_correlations(pooled, indicators)
    profiles = factor_profiles(district, factor_codes, error_correlation=correlation)
    # The schools the z-scores compare with (a hidden school is not among them).
    schools = int(table.loc[~table["suppressed"], "school_code"].nunique()) if len(table) else 0
    warnings: list[str] = []
    outcomes = school_outcomes(results) if results is not None and len(results) else None
    # Ranked: the driver factors only (analysis.causes), school size as the model's context.
    analysis = analyse_causes(
        district,
        by_factor,
        outcomes,
        context=model_context(results, status) if outcomes is not None else None,
        listed_low=_listed_low(status),
        error_correlation=correlation,
    )
    if analysis.associations is not None:
        warnings.extend(analysis.associations.warnings)
    else:
        warnings.append(
            "Результаты оценочных процедур не загружены: причины ранжированы только по "
            "уровню риска, без связи с результатами."
        )
    causes = analysis.causes
    short = short_audiences(table, by_factor, school_code)
    mine = profiles[profiles["school_code"] == school_code].set_index("factor")
    rows = table[table["school_code"] == school_code].set_index("indicator")
    # each of the school's rows taken out once, with the values ``rows.loc`` gives (numpy's
    # scalars for numbers; the columns' arrays read by position: ``.loc`` per row, ~2.5 ms)
    arrays = {column: rows[column].to_numpy() for column in rows.columns}
    row_of: dict[str, Row] = {
        code: {column: values[p] for column, values in arrays.items()}
        for p, code in enumerate(rows.index)
    }
    cutoff_texts = {code: _cutoff_text(row, limits.get(code)) for code, row in row_of.items()}
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
            _cutoff_sentence(titles[c], row_of[c], cut)
            for c in beyond
            if c in row_of and (cut := limits.get(c)) is not None
        ]
        shown = [
            IndicatorRow(
                title=titles[code],
                audience=AUDIENCE_NAMES.get(str(row_of[code]["audience"]), ""),
                value=_value_text(row_of[code], units.get(code))
                if not row_of[code]["suppressed"]
                else f"скрыто (меньше {min_group_size} ответов)",
                band=composition_band(float(row_of[code]["z"]))
                if code in pupils
                else row_of[code]["band"],
                risk_z=None if pd.isna(row_of[code]["risk_z"]) else float(row_of[code]["risk_z"]),
                n=int(row_of[code]["n"]),
                cutoff=row_of[code]["cutoff"],
                cutoff_text=cutoff_texts[code],
            )
            for code in factor_codes[factor.code]
            if code in row_of
        ]
        outcome = factor.role == "outcome"
        # the weights the composite rests on at the school (all the factor's, if none placed)
        placed = [
            c for c in factor_codes[factor.code] if c in row_of and pd.notna(row_of[c]["risk_z"])
        ] or factor_codes[factor.code]
        text = _factor_text(
            text_in(factor.title), composite, level, drivers, sentences, raised, against
        )
        note = None
        if factor.code in short:
            reason = _short_text(short[factor.code], min_group_size)
            if composite is None:
                note = f"не оценён: {reason}"
                text = f"{text_in(factor.title)}: не оценён — {reason}."
            else:
                note = f"оценён без показателей: {reason}"
                text += f" Оценён без показателей, где ответов мало: {reason}."
        vague = entry is not None and not bool(entry["credible"])
        if (
            vague
            and not outcome
            and level in ("high", "elevated")
            and entry is not None
            and not pd.isna(entry["composite_low"])
        ):
            text += (
                " С учётом погрешности оценки нельзя уверенно сказать, что школа в зоне риска "
                "по этому фактору, поэтому он не назван вероятной причиной."
            )
        if outcome:
            text += (
                " Это показатель самих результатов: он описывает проблему и не рассматривается "
                "как её причина."
            )
        factors.append(
            FactorRow(
                code=factor.code,
                title=text_in(factor.title),
                composite=composite,
                level=level,
                level_label=LEVEL_LABELS.get(level, "нет данных") if level else "нет данных",
                text=text,
                indicators=shown,
                cutoff_drivers=[titles.get(c, c) for c in beyond],
                raised_by_cutoff=raised,
                outcome=outcome,
                short_note=note,
                composite_se=None
                if composite is None or entry is None or pd.isna(entry["composite_se"])
                else float(entry["composite_se"]),
                pupils_weight=pupils_weight({c: weights[c] for c in placed}, pupils),
                short_groups=tuple(
                    sorted(short.get(factor.code, []), key=lambda g: _audience_rank(g[0]))
                ),
            )
        )
    # each group under the minimum that holds back an assessed factor is named, with its
    # number of answers, once in the note under the profile's lists
    noted = {g for f in factors if f.composite is not None for g in f.short_groups}
    not_assessed = [
        _not_assessed(f, noted, min_group_size)
        for f in factors
        if f.composite is None and f.short_groups
    ]
    parts = build_factor_parts(
        school_code,
        data,
        by_factor,
        table,
        factors,
        mine,
        min_group_size=min_group_size,
        cutoff_texts=cutoff_texts,
        reference=reference,
        reference_name=reference_name,
    )
    part_of = {part.code: part for part in parts.parts}
    model = analysis.model
    model_note = None
    if model is not None and not model.fitted:
        model_note = (
            "Связь факторов с результатами по району не оценивалась совместной моделью: "
            f"{model.reason}. Причины упорядочены по уровню риска школы."
        )
    cause_rows = []
    for _, cause in causes[causes["school_code"] == school_code].head(CAUSES_SHOWN).iterrows():
        cause_rows.append(
            CauseRow(
                int(cause["rank"]),
                cause["factor"],
                text_in(catalogue.factor(cause["factor"]).title),
                cause_text(
                    cause,
                    text_in(catalogue.factor(cause["factor"]).title),
                    part_of.get(cause["factor"]),
                    model=model,
                    associations=analysis.associations,
                    outcomes=outcomes,
                    reference_name=reference_name if reference is not None else None,
                ),
                associated=bool(cause["associated"]),
            )
        )
    low = analysis.results_low
    school_low = None if low is None or school_code not in low.index else bool(low[school_code])
    return RiskSection(
        factors,
        cause_rows,
        warnings,
        schools,
        not_assessed,
        results_low=school_low,
        model_note=model_note,
        parts=parts,
    )


def _district_table(
    table: pd.DataFrame,
    school_code: str,
    indicators: list[Indicator],
    data: AudienceAnswers,
    hidden: Mapping[str, Mapping[str, int]],
) -> pd.DataFrame:
    """``table`` without the school's own rows of the forms where it is under the minimum
    group (suppressed rows, read from its own answers: :func:`reportable_indicators`), which
    the profiles and causes never read (no z), so that those of a school under the minimum
    in some form are the district's, the same as every other school's and computed once per
    campaign (in a district most schools have fewer specialists than the minimum). ``table``
    itself when the school has no such rows, or when it has no others: every school of the
    table has rows in the profiles."""
    forms = {key for key, below in hidden.items() if school_code in below}
    if not forms:
        return table
    keys = form_keys(data)
    held = [i.code for i in indicators if keys.get(i.instrument) in forms]
    own = (
        table["school_code"].eq(school_code)
        & table["suppressed"].astype(bool)
        & table["indicator"].isin(held)
    )
    if not own.any() or not table.loc[~own, "school_code"].eq(school_code).any():
        return table
    return table.loc[~own].reset_index(drop=True)


def model_context(results: pd.DataFrame, schools: pd.DataFrame | None) -> pd.DataFrame:
    """The district model's context per school: the log of its assessments' participants (a
    school's size as the results see it) and, when known, whether it works in adverse social
    conditions (ШНСУ, 1/0)."""
    usable = results[results["participants"] > 0]
    total = usable.groupby("school_code")["participants"].sum().astype(float)
    context = pd.DataFrame({"log_participants": np.log(total)})
    if schools is not None and "adverse_conditions" in schools.columns:
        context["adverse_conditions"] = schools["adverse_conditions"].astype(float)
    return context


def _listed_low(schools: pd.DataFrame | None) -> pd.Series | None:
    if schools is None or "low_results" not in schools.columns:
        return None
    return schools["low_results"].astype(bool)
