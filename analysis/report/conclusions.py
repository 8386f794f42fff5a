"""The conclusions of a school's reference («Выводы и рекомендации») in the register of a
справка: what the diagnosis found (the school's results, the factors at risk in plain words,
the probable causes, the coverage), then what is recommended to whom — the administration,
the methodical association, the psychologist (or the municipal service where the school has
none), the class teachers — drawn from the factors at risk (``recommendations`` of the
risk-factor catalogue)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.causes import results_low, school_outcomes
from analysis.report.coverage import Coverage
from analysis.report.profile import RiskSection
from analysis.report.roadmap import (
    SPECIALIST_NAMES,
    Roadmap,
    at_risk_factors,
    deadline,
)
from analysis.report.russian import ru_count, ru_join, ru_percent, ru_plural
from analysis.report.study import SPECIALISTS
from instruments.risk_factors import RiskFactorCatalogue

#: the roles recommendations address, in the order a справка lists them
ROLES = ("administration", "methodical_association", "psychologist", "class_teachers")
ROLE_NAMES = {
    "administration": "Администрации школы",
    "methodical_association": "Школьному методическому объединению (руководителям ШМО)",
    "psychologist": "Педагогу-психологу",
    "class_teachers": "Классным руководителям",
}
PSYCHOLOGIST_BY_CONTRACT = "Педагогу-психологу (по совместительству или договору)"
PSYCHOLOGIST_MISSING = (
    "Муниципальной психолого-педагогической службе (ППМС-центру) по договору о сетевом "
    "взаимодействии — в школе нет педагога-психолога"
)
#: the municipal service after «с» (the instrumental)
SERVICE_INSTRUMENTAL = "ППМС-центром"
CAUSES_PART = "«Вероятные причины низких результатов»"
COVERAGE_PART = "«Выборка и охват»"


@dataclass(frozen=True)
class Recommendation:
    #: whom it addresses, in the dative («Администрации школы»)
    role: str
    #: what to do: infinitive clauses joined by «;», ending with a full stop
    text: str


@dataclass(frozen=True)
class Conclusions:
    #: paragraphs; the first begins «В ходе диагностики установлено, что …»
    findings: list[str]
    recommendations: list[Recommendation]
    #: the factors at «повышенный» or above the text names (codes, in priority order)
    factors: list[str] = field(default_factory=list)


def plain_name(name: str) -> str:
    """A factor's name inside a sentence: «Низкая учебная мотивация» → «низкая учебная
    мотивация» (an abbreviation at the start keeps its capitals)."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def _results_clause(
    school_code: str, results: pd.DataFrame | None, status: pd.DataFrame | None
) -> str | None:
    """The school's results against the district's schools, and its official listing."""
    listed = (
        status is not None
        and "low_results" in status.columns
        and school_code in status.index
        and bool(status.loc[school_code, "low_results"])
    )
    above: bool | None = None
    if results is not None and len(results):
        low = results_low(school_outcomes(results))
        if school_code in low.index:
            above = bool(low[school_code])
    share = "доля неудовлетворительных отметок в школе"
    listing = "школа включена в перечень школ с низкими образовательными результатами"
    if above is True:
        return f"{share} выше средней по школам района" + (f", {listing}" if listed else "")
    if above is False:
        if listed:
            return f"{share} не выше средней по школам района, хотя {listing}"
        return f"{share} не выше средней по школам района: её результаты нельзя назвать низкими"
    if listed:
        return f"{listing} (результаты оценочных процедур в систему не загружены)"
    return None


def _factors_clause(risk: RiskSection, catalogue: RiskFactorCatalogue, at_risk: list[str]) -> str:
    assessed = sum(1 for f in risk.factors if f.level is not None)
    of = (
        f"из {assessed} {ru_plural(assessed, 'оценённого', 'оценённых', 'оценённых')} "
        f"{ru_plural(assessed, 'фактора', 'факторов', 'факторов')} риска"
    )
    if not at_risk:
        return f"ни по одному {of} школа не находится на уровне «повышенный» или выше"
    rows = {f.code: f for f in risk.factors}
    items = [
        f"{plain_name(catalogue.factor(code).roadmap_name)} (фактор «{rows[code].title}», "
        f"уровень «{rows[code].level_label}»)"
        for code in at_risk
    ]
    return (
        f"по {len(at_risk)} {of} школа находится на уровне «повышенный» или выше: {ru_join(items)}"
    )


def _causes_sentence(risk: RiskSection) -> str | None:
    named = [f"«{cause.title}»" for cause in risk.causes]
    if len(named) == 1:
        return (
            f"В качестве вероятной причины низких результатов выделен фактор {named[0]} "
            f"(см. раздел {CAUSES_PART})."
        )
    if named:
        return (
            f"В качестве вероятных причин низких результатов выделены факторы {ru_join(named)} "
            f"(см. раздел {CAUSES_PART})."
        )
    if risk.results_low:
        return (
            "Вероятные причины низких результатов по данным диагностики не выделены "
            f"(см. раздел {CAUSES_PART})."
        )
    return None


def _rest_sentence(risk: RiskSection, at_risk: list[str]) -> str | None:
    assessed = [f for f in risk.factors if f.level is not None]
    rest = len(assessed) - len(at_risk)
    sentences = []
    if at_risk and rest:
        sentences.append("По остальным факторам показатели школы на уровне района или лучше.")
    missing = len(risk.factors) - len(assessed)
    if missing:
        verb = ru_plural(missing, "Не оценён", "Не оценены", "Не оценены")
        sentences.append(
            f"{verb} {ru_count(missing, 'фактор', 'фактора', 'факторов')}: недостаточно ответов "
            "или соответствующие анкеты не проводились."
        )
    return " ".join(sentences) or None


def _coverage_sentence(coverage: Coverage | None) -> tuple[str | None, bool]:
    """What the coverage means for the conclusions, and whether some rate was low."""
    if coverage is None:
        return None, False
    low = []
    for form in coverage.forms.values():
        group = form.name or plain_name(form.total.label)
        for row in (form.total, *form.levels):
            if row.low and row.rate is not None:
                label = (
                    group if row is form.total else f"{group}, {row.label.removeprefix('в т. ч. ')}"
                )
                low.append(f"{label} — {ru_percent(row.rate)}")
    sentences = []
    if low:
        groups = ru_plural(len(low), "этой группе", "этим группам", "этим группам")
        sentences.append(
            f"Охват анкетированием ниже установленного порога: {'; '.join(low)}. Выводы по "
            f"{groups} носят предварительный характер (см. раздел {COVERAGE_PART})."
        )
    if coverage.collecting:
        sentences.append("Сбор ответов ещё продолжается, поэтому выводы предварительные.")
    return " ".join(sentences) or None, bool(low)


def _psychologist_role(roadmap: Roadmap) -> str:
    presence = roadmap.staff.psychologist
    if presence == "none":
        return PSYCHOLOGIST_MISSING
    if presence == "contract":
        return PSYCHOLOGIST_BY_CONTRACT
    return ROLE_NAMES["psychologist"]


def build_conclusions(
    *,
    school_code: str,
    risk: RiskSection,
    catalogue: RiskFactorCatalogue,
    roadmap: Roadmap,
    coverage: Coverage | None = None,
    results: pd.DataFrame | None = None,
    status: pd.DataFrame | None = None,
) -> Conclusions:
    """The conclusions of one school's reference. ``results`` and ``status`` are the
    campaign's schools' assessment results and official status (as for
    :func:`analysis.report.profile.build_risk_section`), ``coverage`` the front matter's."""
    at_risk = at_risk_factors(risk)
    found = _factors_clause(risk, catalogue, at_risk)
    outcome = _results_clause(school_code, results, status)
    first = (
        f"В ходе диагностики установлено, что {outcome}; {found}."
        if outcome
        else (f"В ходе диагностики установлено, что {found}.")
    )
    coverage_text, coverage_low = _coverage_sentence(coverage)
    findings = [
        " ".join(s for s in (first, _causes_sentence(risk), _rest_sentence(risk, at_risk)) if s)
    ]
    if coverage_text:
        findings.append(coverage_text)
    clauses: dict[str, list[str]] = {role: [] for role in ROLES}
    calendar = roadmap.calendar
    if at_risk:
        clauses["administration"].append(
            "рассмотреть результаты диагностики и проект дорожной карты на педагогическом "
            f"совете ({deadline(calendar.council_by)}) и утвердить дорожную карту приказом"
        )
    else:
        clauses["administration"].append(
            "рассмотреть результаты диагностики на педагогическом совете "
            f"({deadline(calendar.council_by)})"
        )
    for code in at_risk:
        for role, text in catalogue.factor(code).recommendations.items():
            if text not in clauses[role]:
                clauses[role].append(text)
    lacking = [r for r in SPECIALISTS if getattr(roadmap.staff, r) == "none"]
    if at_risk and lacking:
        names = ru_join([SPECIALIST_NAMES[r][1] for r in lacking])
        clauses["administration"].append(
            "заключить договор о сетевом взаимодействии с "
            f"{SERVICE_INSTRUMENTAL}: в школе нет {names}"
        )
    if coverage_low:
        clauses["administration"].append(
            "в следующей волне добиться охвата анкетированием не ниже установленных порогов"
        )
    if at_risk:
        clauses["administration"].append(
            f"провести повторную диагностику ({calendar.rediagnosis.name}) и направить отчёт "
            f"в управление образования ({deadline(calendar.report_by)})"
        )
    else:
        clauses["administration"].append(
            "сохранить мониторинг: провести повторную диагностику "
            f"({calendar.rediagnosis.name}) и сравнить её результаты с нынешними"
        )
        clauses["methodical_association"].append(
            "обсудить результаты диагностики на заседаниях ШМО и учесть их в плане методической "
            "работы"
        )
        clauses["class_teachers"].append(
            "ознакомить родителей с результатами диагностики на родительских собраниях"
        )
    headings = dict(ROLE_NAMES, psychologist=_psychologist_role(roadmap))
    recommendations = [
        Recommendation(headings[role], "; ".join(clauses[role]) + ".")
        for role in ROLES
        if clauses[role]
    ]
    return Conclusions(findings, recommendations, at_risk)
