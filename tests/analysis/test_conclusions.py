"""«Выводы и рекомендации» (analysis/report/conclusions.py): the factors at risk and only they,
in plain words; the results, the causes and the coverage; recommendations addressed to the
roles, to the municipal service where the school has no psychologist; the all-clear; number
agreement. Synthetic inputs; the last test builds a whole reference from synthetic answers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from html import unescape

import pandas as pd
import pytest

from analysis.report.conclusions import Conclusions, build_conclusions, plain_name
from analysis.report.coverage import Coverage, CoverageRow, FormCoverage
from analysis.report.roadmap import build_roadmap
from analysis.report.study import Specialists
from instruments.risk_factors import RiskFactorCatalogue, builtin_risk_factors
from tests.analysis.test_roadmap import ALL_STAFF, NO_STAFF, _risk

ROLES = ("Администрации школы", "Школьному методическому объединению", "Классным руководителям")


@pytest.fixture(scope="module")
def catalogue() -> RiskFactorCatalogue:
    return builtin_risk_factors()


def _conclusions(
    catalogue: RiskFactorCatalogue,
    levels: dict[str, str],
    *,
    causes: tuple[str, ...] = (),
    staff: Specialists = ALL_STAFF,
    coverage: Coverage | None = None,
    results: pd.DataFrame | None = None,
    status: pd.DataFrame | None = None,
) -> Conclusions:
    risk = _risk(catalogue, levels, causes)
    roadmap = build_roadmap(
        risk,
        catalogue,
        today=dt.date(2026, 12, 7),
        staff=staff,
        staff_source="по карточке школы",
        campaign_title="Волна 1",
    )
    return build_conclusions(
        school_code="A",
        risk=risk,
        catalogue=catalogue,
        roadmap=roadmap,
        coverage=coverage,
        results=results,
        status=status,
    )


def _text(conclusions: Conclusions) -> str:
    return " ".join(
        [*conclusions.findings, *(f"{r.role}: {r.text}" for r in conclusions.recommendations)]
    )


@pytest.mark.parametrize(
    "levels",
    [
        {"wellbeing": "high"},
        {"motivation": "elevated", "discipline": "high", "teacher_burnout": "moderate"},
        {"sen_support": "elevated", "language_barriers": "elevated", "equipment": "high"},
    ],
)
def test_findings_name_exactly_the_factors_at_risk(
    catalogue: RiskFactorCatalogue, levels: dict[str, str]
) -> None:
    conclusions = _conclusions(catalogue, levels)
    at_risk = {code for code, level in levels.items() if level in ("high", "elevated")}
    findings = " ".join(conclusions.findings)
    assert findings.startswith("В ходе диагностики установлено, что ")
    for factor in catalogue.factors:
        named = plain_name(factor.roadmap_name) in findings
        assert named == (factor.code in at_risk), factor.code
        assert (f"«{factor.title['ru']}»" in findings) == (factor.code in at_risk), factor.code
    assert set(conclusions.factors) == at_risk
    assert f"по {len(at_risk)} из 11 оценённых факторов риска" in findings
    assert "По остальным факторам показатели школы на уровне района или лучше." in findings
    # every factor's recommendation for every role is there, once
    text = _text(conclusions)
    for code in at_risk:
        for clause in catalogue.factor(code).recommendations.values():
            assert text.count(clause) == 1, clause
    for role in ROLES:
        assert any(r.role.startswith(role) for r in conclusions.recommendations), role
    assert all(r.text.endswith(".") and r.text[0].islower() for r in conclusions.recommendations)


def test_the_psychologist_or_the_municipal_service(catalogue: RiskFactorCatalogue) -> None:
    own = _conclusions(catalogue, {"wellbeing": "high"}, staff=ALL_STAFF)
    assert [r.role for r in own.recommendations][2] == "Педагогу-психологу"
    lacking = _conclusions(catalogue, {"wellbeing": "high"}, staff=NO_STAFF)
    roles = [r.role for r in lacking.recommendations]
    assert "Педагогу-психологу" not in roles
    assert any(r.startswith("Муниципальной психолого-педагогической службе") for r in roles)
    admin = lacking.recommendations[0].text
    assert "заключить договор о сетевом взаимодействии с ППМС-центром" in admin
    assert "в школе нет педагога-психолога, учителя-логопеда и социального педагога" in admin
    part_time = _conclusions(catalogue, {"wellbeing": "high"}, staff=Specialists("contract"))
    assert "Педагогу-психологу (по совместительству или договору)" in [
        r.role for r in part_time.recommendations
    ]


def test_results_causes_and_dates(catalogue: RiskFactorCatalogue) -> None:
    results = pd.DataFrame(
        {
            "school_code": ["A", "B", "C"],
            "participants": [50, 60, 70],
            "share_failing": [0.30, 0.10, 0.12],
        }
    )
    status = pd.DataFrame({"low_results": [True, False, False]}, index=["A", "B", "C"])
    low = _conclusions(
        catalogue,
        {"wellbeing": "high", "motivation": "elevated"},
        causes=("wellbeing",),
        results=results,
        status=status,
    )
    findings = low.findings[0]
    assert "доля неудовлетворительных отметок в школе выше средней по школам района" in findings
    assert "школа включена в перечень школ с низкими образовательными результатами" in findings
    assert "В качестве вероятной причины низких результатов выделен фактор «" in findings
    admin = low.recommendations[0].text
    assert "(до 25 декабря 2026)" in admin and "(апрель 2027)" in admin
    fine = results.assign(share_failing=[0.05, 0.10, 0.12])
    clean = _conclusions(catalogue, {"motivation": "elevated"}, results=fine)
    assert (
        "не выше средней по школам района: её результаты нельзя назвать низкими"
        in (clean.findings[0])
    )
    assert "вероятн" not in clean.findings[0]
    two = _conclusions(
        catalogue, {"wellbeing": "high", "discipline": "high"}, causes=("wellbeing", "discipline")
    )
    assert "выделены факторы «" in two.findings[0]


def test_nothing_at_risk_says_so_and_keeps_the_monitoring(catalogue: RiskFactorCatalogue) -> None:
    conclusions = _conclusions(catalogue, {"motivation": "moderate", "equipment": "low"})
    findings = " ".join(conclusions.findings)
    assert (
        "ни по одному из 11 оценённых факторов риска школа не находится на уровне «повышенный»"
        in findings
    )
    assert not conclusions.factors
    text = _text(conclusions)
    assert "сохранить мониторинг: провести повторную диагностику (апрель 2027)" in text
    for factor in catalogue.factors:
        for clause in factor.recommendations.values():
            assert clause not in text
    assert [r.role for r in conclusions.recommendations] == [
        "Администрации школы",
        "Школьному методическому объединению (руководителям ШМО)",
        "Классным руководителям",
    ]


def test_low_coverage_makes_the_conclusions_preliminary(catalogue: RiskFactorCatalogue) -> None:
    parents = FormCoverage(
        key="parent",
        audience="parent",
        version=1,
        total=CoverageRow("Родители", 40, 200, 0.2, low=True),
    )
    teachers = FormCoverage(
        key="teacher", audience="teacher", version=1, total=CoverageRow("Педагоги", 30, 35, 0.86)
    )
    coverage = Coverage(
        forms={"parent": parents, "teacher": teachers},
        warnings=[],
        quality="",
        total="70 анкет",
        known=True,
    )
    conclusions = _conclusions(catalogue, {"wellbeing": "high"}, coverage=coverage)
    assert conclusions.findings[1] == (
        "Охват анкетированием ниже установленного порога: родители — 20\u00a0%. Выводы по этой "
        "группе носят предварительный характер (см. раздел «Выборка и охват»)."
    )
    assert "((" not in conclusions.findings[1] and "))" not in conclusions.findings[1]
    assert "добиться охвата анкетированием" in conclusions.recommendations[0].text
    fine = _conclusions(catalogue, {"wellbeing": "high"}, coverage=Coverage({}, [], "", "", True))
    assert len(fine.findings) == 1


@pytest.mark.parametrize(
    ("missing", "words"),
    [(1, "Не оценён 1 фактор"), (2, "Не оценены 2 фактора"), (5, "Не оценены 5 факторов")],
)
def test_factors_not_assessed_agree_with_their_number(
    catalogue: RiskFactorCatalogue, missing: int, words: str
) -> None:
    risk = _risk(catalogue, {"wellbeing": "elevated"})
    unassessed = [f for f in risk.factors if f.code != "wellbeing"][:missing]
    factors = [
        replace(f, level=None, composite=None) if f in unassessed else f for f in risk.factors
    ]
    risk = replace(risk, factors=factors)
    roadmap = build_roadmap(
        risk,
        catalogue,
        today=dt.date(2026, 12, 7),
        staff=ALL_STAFF,
        staff_source="",
        campaign_title="В",
    )
    text = build_conclusions(
        school_code="A", risk=risk, catalogue=catalogue, roadmap=roadmap
    ).findings[0]
    assessed = 11 - missing
    adjective = "оценённого" if assessed % 10 == 1 and assessed != 11 else "оценённых"
    assert f"по 1 из {assessed} {adjective} " in text
    assert words in text


def test_reference_has_conclusions_before_the_roadmap() -> None:
    """A whole reference from synthetic answers: the part's place, the roadmap's columns and
    its dates after the reference's date."""
    from analysis.report import build_school_reference, render_html
    from tests.analysis.test_risk import _student_answers, _student_v2

    student = _student_v2()
    answers = _student_answers({f"S{i}": (60, 3 + 4 * i, 0.15 * (3 - i)) for i in range(6)})
    reference = build_school_reference(
        school_code="S5",
        school_name="Школа",
        district_name="Район",
        campaign_title="Волна",
        period="",
        min_group_size=5,
        audiences=[("student", student, answers)],
        catalogue=builtin_risk_factors(),
        generated_on=dt.date(2027, 3, 3),
    )
    assert reference.conclusions is not None and reference.roadmap is not None
    assert "wellbeing" in reference.roadmap.factors
    page = render_html(reference)
    conclusions = page.index(">Выводы и рекомендации</h2>")
    roadmap = page.index(">Рекомендуемые меры: проект дорожной карты</h2>")
    assert page.index(">Вероятные причины низких результатов</h2>") < conclusions < roadmap
    header = re.findall(r"<th>(.*?)</th>", page[roadmap:])[:7]
    assert header == [
        "№",
        "Мероприятие",
        "Сроки",
        "Ответственные",
        "Форма",
        "Ожидаемый результат",
        "Внешняя помощь / партнёр",
    ]
    table = unescape(re.sub(r"<[^>]+>", " ", page[roadmap:]))
    assert "2026" not in table and "март 2027" not in table  # nothing before April 2027
    assert "апрель 2027" in table
