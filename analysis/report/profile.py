"""The risk part of a school's reference: factors, probable causes, measures and a draft
roadmap, with the Russian sentences that state them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from analysis.causes import factor_associations, probable_causes, school_outcomes
from analysis.indicators import school_indicators
from analysis.risk import LEVEL_LABELS, factor_profiles, indicator_z
from instruments.risk_factors import Indicator, RiskFactorCatalogue
from instruments.schema import Instrument, text_in

AUDIENCE_SHORT = {
    "student": "обучающиеся",
    "parent": "родители",
    "teacher": "педагоги",
    "specialist": "специалисты",
    "administration": "администрация",
}
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


@dataclass(frozen=True)
class FactorRow:
    code: str
    title: str
    composite: float | None
    level: str | None
    level_label: str
    text: str
    indicators: list[IndicatorRow]


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


def _value_text(row: pd.Series) -> str:
    value = row["value"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if row["statistic"] in ("prevalence", "share"):
        return f"{_ru(value * 100, 0)} %"
    if row["statistic"] == "pomp":
        return f"{_ru(value, 0)} из 100"
    return _ru(value)


def _factor_text(title: str, composite: float | None, level: str | None, drivers: list[str]) -> str:
    if composite is None or level is None:
        return f"{title}: данных недостаточно для оценки (мало ответов или нет анкет)."
    where = "выше" if composite > 0 else "ниже"
    text = (
        f"{title}: уровень риска — {LEVEL_LABELS[level]} "
        f"({_ru(abs(composite))} SD {where} среднего по школам кампании)."
    )
    if drivers and composite > 0:
        text += " Больше всего на оценку повлияли: " + "; ".join(drivers[:3]) + "."
    return text


def build_risk_section(
    school_code: str,
    data: dict[str, tuple[Instrument, pd.DataFrame]],
    catalogue: RiskFactorCatalogue,
    *,
    min_group_size: int,
    results: pd.DataFrame | None = None,
) -> RiskSection:
    """Everything the reference says about risk factors, causes and measures for one school,
    computed against all schools whose answers are in ``data``."""
    by_factor = catalogue.indicators_by_factor(instrument for instrument, _ in data.values())
    indicators: list[Indicator] = [i for items in by_factor.values() for i in items]
    titles = {i.code: text_in(i.title) for i in indicators}
    table = indicator_z(school_indicators(data, indicators, min_group_size=min_group_size))
    factor_codes = {f: [i.code for i in items] for f, items in by_factor.items()}
    profiles = factor_profiles(table, factor_codes)
    schools = int(table["school_code"].nunique()) if len(table) else 0
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
        shown = [
            IndicatorRow(
                title=titles[code],
                audience=AUDIENCE_SHORT.get(str(rows.loc[code, "audience"]), ""),
                value=_value_text(rows.loc[code])
                if not rows.loc[code, "suppressed"]
                else f"скрыто (меньше {min_group_size} ответов)",
                band=rows.loc[code, "band"],
                risk_z=None
                if pd.isna(rows.loc[code, "risk_z"])
                else float(rows.loc[code, "risk_z"]),
                n=int(rows.loc[code, "n"]),
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
                text=_factor_text(text_in(factor.title), composite, level, drivers),
                indicators=shown,
            )
        )
    cause_rows = []
    for _, cause in causes[causes["school_code"] == school_code].head(CAUSES_SHOWN).iterrows():
        title = text_in(catalogue.factor(cause["factor"]).title)
        text = (
            f"«{title}»: школа в зоне риска (уровень — {LEVEL_LABELS[cause['level']]}, "
            f"{_ru(cause['composite'])} SD)."
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
