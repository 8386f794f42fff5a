"""The reference's summary, first after the front matter and one page long: the risk profile
as a chart, a few plain sentences on each factor that is truly at risk, what the results say
and whether probable causes were named, and an all-clear for the rest where it holds.

The words are for a reader who has not read the appendix: no SD, z or intervals; the chart's
interval is "погрешность". A factor whose indicators describe who the pupils are is placed by
its risk («риск значительно выше среднего по району»), never «хуже»
(:mod:`analysis.report.factor_position`). A factor is *at risk* when its level is
«повышенный» or «высокий» and it is not a description of the results themselves
(``outcome``, see :class:`analysis.report.profile.FactorRow`). The all-clear «По остальным
факторам показатели школы на уровне района или лучше» is said only of factors that were
assessed: a factor without a level is named as not assessed instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analysis.report.charts import Chart, dative, factor_interval, risk_profile_chart
from analysis.report.factor_position import school_position
from analysis.report.profile import FactorRow, RiskSection
from analysis.report.russian import ru_join
from analysis.risk import RISK_ZONE

if TYPE_CHECKING:
    import pandas as pd

    from analysis.benchmark import Benchmark

#: the levels of the risk zone
AT_RISK = ("high", "elevated")
#: indicators named per factor at most
DRIVERS_NAMED = 2


@dataclass(frozen=True)
class Finding:
    """A factor at risk, in two or three sentences."""

    code: str
    title: str
    level: str
    level_label: str
    text: str


@dataclass(frozen=True)
class SummarySection:
    chart: Chart
    #: how to read the chart
    reading: str
    #: the factors at risk, the highest first
    findings: list[Finding] = field(default_factory=list)
    #: what the school's results say, and whether probable causes were named
    results: str = ""
    causes: str = ""
    #: the rest of the factors: at the reference's level or better (None: not said)
    all_clear: str | None = None
    #: the factors not assessed, named (None: every factor was)
    not_assessed: str | None = None


def _quoted(titles: list[str]) -> str:
    return ru_join([f"«{t}»" for t in titles])


def _at_risk(factor: FactorRow) -> bool:
    return factor.level in AT_RISK and factor.composite is not None and not factor.outcome


def _credible(factor: FactorRow) -> bool:
    """The whole interval drawn on the chart lies in the risk zone."""
    low, _ = factor_interval(factor)
    return low is not None and low >= RISK_ZONE


def _finding(factor: FactorRow, risk: RiskSection, named: set[str], against: str) -> Finding:
    """Two or three short sentences: how far, which indicators, whether a probable cause."""
    position = school_position(
        factor.composite, factor.level, f"по {against}", pupils=factor.pupils_weight
    )
    sentences = []
    beyond = [i for i in factor.indicators if i.cutoff == "high" and i.cutoff_text]
    if factor.raised_by_cutoff and beyond:
        sentences.append(
            f"«{factor.title}» — уровень риска {factor.level_label}: "
            + "; ".join(f"«{i.title}» — {i.value}, {i.cutoff_text}" for i in beyond)
            + "."
        )
    else:
        sentences.append(f"«{factor.title}» — уровень риска {factor.level_label}: {position}.")
        drivers = sorted(
            (i for i in factor.indicators if i.risk_z is not None and i.risk_z >= RISK_ZONE),
            key=lambda i: -(i.risk_z or 0.0),
        )[:DRIVERS_NAMED]
        if drivers:
            sentences.append(
                ("Сильнее всего отличается " if len(drivers) == 1 else "Сильнее всего отличаются ")
                + ru_join([f"«{i.title}» ({i.value})" for i in drivers])
                + "."
            )
    sentences.append(_cause_status(factor, risk, named))
    return Finding(
        factor.code, factor.title, factor.level or "", factor.level_label, " ".join(sentences)
    )


def _cause_status(factor: FactorRow, risk: RiskSection, named: set[str]) -> str:
    """Whether the factor is among the probable causes, and if not, the reason in words."""
    if factor.code in named:
        return "Назван вероятной причиной низких результатов."
    if factor.raised_by_cutoff:
        return (
            "Порог методики превышен независимо от других школ: фактор требует внимания, но "
            "причиной более низких, чем у других школ, результатов не назван."
        )
    if risk.results_low is False:
        return "Результаты школы не низкие: причиной не назван, но требует внимания."
    if not _credible(factor):
        return (
            "Оценка неточна (мало ответов или разброс мнений): причиной не назван, стоит "
            "перепроверить в следующую волну."
        )
    return "Среди вероятных причин не назван."


def _results_text(risk: RiskSection, listed: bool | None) -> str:
    if risk.results_low is None:
        outcome = [f for f in risk.factors if f.outcome and f.level in AT_RISK]
        text = (
            "Результаты оценочных процедур школы не загружены, поэтому нельзя сказать, низкие "
            "ли они."
        )
        # without the assessments, the indicators of the results themselves are what is known
        if outcome:
            titles = _quoted([f.title for f in outcome])
            text += f" Показатели самих результатов на уровне «повышенный» и выше: {titles}."
        return text
    if risk.results_low and listed:
        return "Школа включена в перечень школ с низкими образовательными результатами."
    if risk.results_low:
        return "Доля неудовлетворительных отметок в школе выше, чем в средней школе района."
    return (
        "Доля неудовлетворительных отметок в школе не выше, чем в средней школе района: "
        "низкими результаты школы назвать нельзя."
    )


def _causes_text(risk: RiskSection, findings: list[Finding]) -> str:
    titles = [c.title for c in risk.causes]
    if len(titles) == 1:
        return f"Вероятной причиной низких результатов назван фактор «{titles[0]}»."
    if titles:
        return f"Вероятными причинами низких результатов названы факторы {_quoted(titles)}."
    if risk.results_low is False:
        return "Вероятные причины низких результатов поэтому не называются."
    if not findings:
        return (
            "Вероятные причины низких результатов не названы: ни по одному фактору школа не "
            "находится в зоне риска."
        )
    return (
        "Вероятные причины низких результатов не названы: с учётом погрешности ни по одному "
        "фактору школа не находится в зоне риска уверенно."
    )


def build_summary_section(
    risk: RiskSection, *, reference: str = "района", listed_low: bool | None = None
) -> SummarySection:
    """The summary of a school's risk part. ``reference`` is what the school is compared with,
    in the genitive ("района", or "эталона «…»" for a frozen benchmark); ``listed_low`` whether
    the region lists the school as one with low results (ШНОР; None: not known)."""
    chart = risk_profile_chart(risk.factors, reference=reference)
    against = dative(reference)
    drivers = [f for f in risk.factors if not f.outcome]
    named = {c.factor for c in risk.causes}
    at_risk = sorted(
        (f for f in drivers if _at_risk(f)),
        key=lambda f: (f.level != "high", -(f.composite or 0.0)),
    )
    findings = [_finding(f, risk, named, against) for f in at_risk]
    missing = [f for f in drivers if f.level is None or f.composite is None]
    rest = [f for f in drivers if f not in at_risk and f not in missing]
    all_clear = None
    level_of = f"на уровне {reference.split(' ', 1)[0]} или лучше"
    if rest and findings:
        all_clear = (
            f"По остальным факторам показатели школы {level_of}."
            if not missing
            else f"По остальным оценённым факторам показатели школы {level_of}."
        )
    elif rest:
        all_clear = (
            f"Ни по одному фактору школа не находится в зоне риска: по всем факторам показатели "
            f"школы {level_of}."
            if not missing
            else f"Ни по одному из оценённых факторов школа не находится в зоне риска: по ним "
            f"показатели школы {level_of}."
        )
    not_assessed = None
    if missing:
        reasons = [
            f"«{f.title}» ({f.short_note.removeprefix('не оценён: ')})"
            if f.short_note
            else f"«{f.title}» (нет данных для оценки)"
            for f in missing
        ]
        not_assessed = (
            ("Не оценён фактор " if len(missing) == 1 else "Не оценены факторы ")
            + "; ".join(reasons)
            + ": о них эта справка выводов не делает."
        )
    reading = (
        f"Линия «0» — средний уровень по {against}; правее — выше риск; закрашены уровни "
        "«повышенный» и «высокий»; черта — погрешность оценки."
    )
    return SummarySection(
        chart=chart,
        reading=reading,
        findings=findings,
        results=_results_text(risk, listed_low),
        causes=_causes_text(risk, findings),
        all_clear=all_clear,
        not_assessed=not_assessed,
    )


def summary_of(
    risk: RiskSection | None,
    *,
    school_code: str,
    benchmark: Benchmark | None = None,
    status: pd.DataFrame | None = None,
) -> SummarySection | None:
    """The summary of a reference with a risk part (None without one): compared with the
    district's schools, or with ``benchmark``; ``status`` the schools' official status
    (:func:`surveys.dataset.school_status_frame`), for whether the region lists the school
    as one with low results."""
    if risk is None:
        return None
    reference = "района" if benchmark is None else f"эталона «{benchmark.title}»"
    listed = None
    if status is not None and "low_results" in status.columns and school_code in status.index:
        listed = bool(status.loc[school_code, "low_results"])
    return build_summary_section(risk, reference=reference, listed_low=listed)
