"""The draft roadmap (analysis/report/roadmap.py): dated from the reference's date, never in
the past and always with the year; the school's own specialists or the municipal service;
the organisational rows; at most 12 rows; only factors at «повышенный» or above, causes
first; the short plan when nothing is at risk. Synthetic risk parts, no demo figures."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from analysis.report.profile import CauseRow, FactorRow, RiskSection
from analysis.report.roadmap import (
    MAX_ROWS,
    SERVICE,
    Roadmap,
    build_roadmap,
    plan_calendar,
    schedule_text,
    staff_of,
)
from analysis.report.study import Specialists
from analysis.risk import LEVEL_LABELS
from instruments.library import builtin
from instruments.risk_factors import RiskFactorCatalogue, builtin_risk_factors

#: reference dates across the school year: autumn, before and after the New Year, spring,
#: the end of the year, the summer
DATES = [
    dt.date(2026, 9, 1),
    dt.date(2026, 9, 14),
    dt.date(2026, 11, 20),
    dt.date(2026, 12, 7),
    dt.date(2026, 12, 28),
    dt.date(2027, 2, 15),
    dt.date(2027, 4, 10),
    dt.date(2027, 5, 28),
    dt.date(2027, 6, 15),
    dt.date(2027, 7, 20),
    dt.date(2027, 8, 30),
]
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("январь", "января"),
            ("февраль", "февраля"),
            ("март", "марта"),
            ("апрель", "апреля"),
            ("май", "мая"),
            ("июнь", "июня"),
            ("июль", "июля"),
            ("август", "августа"),
            ("сентябрь", "сентября"),
            ("октябрь", "октября"),
            ("ноябрь", "ноября"),
            ("декабрь", "декабря"),
        ],
        start=1,
    )
    for name in names
}
ALL_STAFF = Specialists("staff", "staff", "staff")
NO_STAFF = Specialists("none", "none", "none")


@pytest.fixture(scope="module")
def catalogue() -> RiskFactorCatalogue:
    return builtin_risk_factors()


def _risk(
    catalogue: RiskFactorCatalogue,
    levels: dict[str, str],
    causes: tuple[str, ...] = (),
    composites: dict[str, float] | None = None,
) -> RiskSection:
    """A risk part with every catalogue factor at ``levels`` (default «умеренный»)."""
    default = {"high": 1.2, "elevated": 0.7, "moderate": 0.1, "low": -0.8}
    factors = []
    for factor in catalogue.factors:
        level = levels.get(factor.code, "moderate")
        composite = (composites or {}).get(factor.code, default[level])
        factors.append(
            FactorRow(
                code=factor.code,
                title=factor.title["ru"],
                composite=composite,
                level=level,
                level_label=LEVEL_LABELS[level],
                text="",
                indicators=[],
                outcome=factor.role == "outcome",
            )
        )
    cause_rows = [
        CauseRow(rank, code, catalogue.factor(code).title["ru"], "")
        for rank, code in enumerate(causes, start=1)
    ]
    return RiskSection(factors, cause_rows, [], schools=8, results_low=bool(causes) or None)


def _roadmap(
    catalogue: RiskFactorCatalogue,
    risk: RiskSection,
    *,
    today: dt.date = dt.date(2026, 12, 7),
    staff: Specialists = ALL_STAFF,
) -> Roadmap:
    return build_roadmap(
        risk,
        catalogue,
        today=today,
        staff=staff,
        staff_source="по карточке школы",
        campaign_title="Волна 1",
        audiences=["student", "parent", "teacher"],
    )


def _dates_in(text: str) -> list[tuple[dt.date, bool]]:
    """Every date («до 25 декабря 2026») and month («январь – май 2027», «октябрь и декабрь
    2026, март 2027») in ``text``: (the day, or the month's last day; whether it is a day).
    A month without its year takes the next year written after it."""
    found: list[tuple[dt.date, bool]] = []
    pending: list[tuple[int, int | None]] = []
    previous: int | None = None
    for token in re.findall(r"\d+|[а-яё]+", text.lower()):
        if token in MONTHS:
            pending.append((MONTHS[token], previous))
            previous = None
        elif token.isdigit() and len(token) == 4:
            for month, day in pending:
                year = int(token)
                if day is not None:
                    found.append((dt.date(year, month, day), True))
                else:
                    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
                    found.append((last, False))
            pending, previous = [], None
        else:
            previous = int(token) if token.isdigit() and len(token) <= 2 else None
    assert not pending, f"a month without its year: {text!r}"
    return found


def test_date_reader_reads_days_months_and_spans() -> None:
    assert _dates_in("до 25 декабря 2026") == [(dt.date(2026, 12, 25), True)]
    assert _dates_in("октябрь и декабрь 2026, март 2027") == [
        (dt.date(2026, 10, 31), False),
        (dt.date(2026, 12, 31), False),
        (dt.date(2027, 3, 31), False),
    ]
    with pytest.raises(AssertionError):
        _dates_in("январь – май")


@pytest.mark.parametrize("today", DATES, ids=str)
def test_every_date_is_ahead_and_carries_its_year(
    catalogue: RiskFactorCatalogue, today: dt.date
) -> None:
    every = {f.code: "high" for f in catalogue.factors}
    roadmap = _roadmap(catalogue, _risk(catalogue, every), today=today)
    timings = [row.timing for row in roadmap.rows]
    # every school measure of the catalogue, as any roadmap would date it
    calendar = plan_calendar(today)
    timings += [
        schedule_text(m.schedule, calendar)
        for f in catalogue.factors
        for m in f.measures
        if m.level == "school"
    ]
    for timing in timings:
        assert re.search(r"\b20\d\d\b", timing), timing
        dates = _dates_in(timing)
        assert dates, timing
        for day, exact in dates:
            # a month is not past while it lasts; a day is after the reference's date
            assert day > today if exact else day >= today, (today, timing)
    # the order, then the council, then the measures, the next wave and the report
    assert today < calendar.order_by < calendar.council_by
    council_month = (calendar.council_by.year, calendar.council_by.month)
    assert (calendar.start.year, calendar.start.month) > council_month
    assert calendar.start < calendar.rediagnosis <= calendar.end
    assert calendar.rediagnosis.month not in (6, 7, 8, 9)
    assert calendar.start.month not in (6, 7, 8)
    assert calendar.end.month == 5
    report = (calendar.report_by.year, calendar.report_by.month)
    assert report > (calendar.rediagnosis.year, calendar.rediagnosis.month)
    # the next wave gives the measures three school months, and comes within the year
    assert 3 <= _school_months_between(calendar.start, calendar.rediagnosis) <= 4
    assert (
        calendar.rediagnosis.year - today.year
    ) * 12 + calendar.rediagnosis.month - today.month <= 12
    assert calendar.order_by.weekday() < 5 and calendar.council_by.weekday() < 5
    assert calendar.council_by.month not in (7,) and not (
        calendar.council_by.month == 1 and calendar.council_by.day <= 8
    )


def _school_months_between(first, last) -> int:  # type: ignore[no-untyped-def]
    count, month = 0, first
    while month < last:
        if month.month not in (6, 7, 8):
            count += 1
        month = month.plus(1)
    return count


def test_december_reference_is_dated_within_the_school_year(
    catalogue: RiskFactorCatalogue,
) -> None:
    roadmap = _roadmap(
        catalogue, _risk(catalogue, {"wellbeing": "high"}), today=dt.date(2026, 12, 7)
    )
    rows = {row.measure: row.timing for row in roadmap.rows}
    order = next(t for m, t in rows.items() if m.startswith("Приказ"))
    council = next(t for m, t in rows.items() if "педагогическом совете" in m)
    assert order == "до 14 декабря 2026" and council == "до 25 декабря 2026"
    assert rows["Программа профилактики травли"] == (
        "разработка — январь 2027, реализация — февраль – май 2027"
    )
    assert roadmap.calendar.period == "январь – май 2027"
    rediagnosis = next(t for m, t in rows.items() if m.startswith("Повторная диагностика"))
    assert rediagnosis == "апрель 2027"
    assert rows["Контроль выполнения дорожной карты"] == "в конце каждой четверти: март и май 2027"


def test_a_spring_reference_plans_into_the_next_school_year(
    catalogue: RiskFactorCatalogue,
) -> None:
    roadmap = _roadmap(
        catalogue, _risk(catalogue, {"teacher_burnout": "high"}), today=dt.date(2027, 4, 10)
    )
    rows = {row.measure: row.timing for row in roadmap.rows}
    assert rows["Группы взаимной поддержки и разбор трудных случаев"] == (
        "сентябрь 2027 – май 2028, ежемесячно"
    )
    assert rows["Пересмотр нагрузки и сокращение отчётности"] == "май 2027"
    assert roadmap.calendar.rediagnosis.name == "ноябрь 2027"


def test_a_june_reference_meets_at_the_august_council(catalogue: RiskFactorCatalogue) -> None:
    calendar = plan_calendar(dt.date(2027, 6, 15))
    assert calendar.council_by == dt.date(2027, 8, 27)
    assert calendar.period == "сентябрь 2027 – май 2028"


def test_organisational_rows_are_in_every_roadmap(catalogue: RiskFactorCatalogue) -> None:
    for levels in ({}, {"motivation": "elevated"}, {f.code: "high" for f in catalogue.factors}):
        roadmap = _roadmap(catalogue, _risk(catalogue, levels))
        measures = [row.measure for row in roadmap.rows]
        for start in (
            "Приказ о создании рабочей группы",
            "Рассмотрение результатов диагностики",
            "Повторная диагностика",
            "Отчёт в управление образования",
        ):
            assert sum(m.startswith(start) for m in measures) == 1, (start, measures)
        assert roadmap.groups[0].title == "Организационные мероприятия"
        assert roadmap.groups[-1].title == "Контроль и оценка результатов"
        assert [row.number for row in roadmap.rows] == list(range(1, len(roadmap.rows) + 1))
        assert all(row.partner for row in roadmap.rows)


def test_only_factors_at_elevated_or_above_bring_measures(catalogue: RiskFactorCatalogue) -> None:
    risk = _risk(
        catalogue,
        {
            "motivation": "elevated",
            "discipline": "high",
            "equipment": "moderate",
            "staffing": "low",
        },
    )
    roadmap = _roadmap(catalogue, risk)
    assert {row.factor for row in roadmap.rows if row.factor} == {"motivation", "discipline"}
    assert roadmap.factors == ["discipline", "motivation"]  # by level: «высокий» first
    title = catalogue.factor("motivation").title["ru"]
    assert roadmap.groups[2].title == f"Фактор риска «{title}»: уровень «повышенный»"
    school_measures = {
        m.title["ru"]
        for code in ("motivation", "discipline")
        for m in catalogue.factor(code).measures
        if m.level == "school"
    }
    assert {row.measure for row in roadmap.rows if row.factor} <= school_measures
    assert len(roadmap.rows) <= MAX_ROWS


def test_causes_come_first_and_the_plan_keeps_to_twelve_rows(
    catalogue: RiskFactorCatalogue,
) -> None:
    every = {f.code: "elevated" for f in catalogue.factors}
    every["teacher_burnout"] = "high"
    risk = _risk(catalogue, every, causes=("parental_involvement",))
    roadmap = _roadmap(catalogue, risk)
    assert len(roadmap.rows) <= MAX_ROWS
    assert roadmap.factors[:2] == ["parental_involvement", "teacher_burnout"]
    assert "вероятная причина" in roadmap.groups[1].title
    # the factors the limit left out are named, and the plan says so
    assert roadmap.left_out and len(roadmap.factors) + len(roadmap.left_out) == len(every)
    assert all(f"«{title}»" in roadmap.intro for title in roadmap.left_out)
    one = _roadmap(catalogue, _risk(catalogue, {"wellbeing": "high"}))
    assert len([r for r in one.rows if r.factor]) == 4  # one factor: up to four measures
    assert "по 1 фактору риска" in one.intro


def test_the_school_psychologist_or_the_municipal_service(catalogue: RiskFactorCatalogue) -> None:
    risk = _risk(catalogue, {"wellbeing": "high", "sen_support": "elevated"})
    own = _roadmap(catalogue, risk, staff=ALL_STAFF)
    lacking = _roadmap(catalogue, risk, staff=NO_STAFF)
    by_measure = {row.measure: row for row in lacking.rows}
    support = "Психологическое сопровождение обучающихся"
    assert next(r for r in own.rows if r.measure == support).responsible == "педагог-психолог"
    row = by_measure[support]
    assert "педагог-психолог" not in row.responsible and SERVICE in row.responsible
    assert row.responsible.startswith("заместитель директора")  # someone at school leads it
    assert "в школе нет педагога-психолога" in row.partner
    council = by_measure["Психолого-педагогический консилиум и индивидуальные планы сопровождения"]
    assert council.responsible.count(SERVICE) == 1
    assert "в школе нет педагога-психолога и учителя-логопеда" in council.partner
    for row in own.rows:
        assert SERVICE not in row.responsible and "в школе нет" not in row.partner
    assert any("педагог-психолог" in row.responsible for row in own.rows)
    assert lacking.staff_note is not None and "педагог-психолог — нет" in lacking.staff_note
    assert "ППМС-центру" in lacking.staff_note
    part_time = _roadmap(catalogue, risk, staff=Specialists("contract", "staff", "staff"))
    row = next(r for r in part_time.rows if r.measure == support)
    assert row.responsible == "педагог-психолог (по совместительству или договору)"
    unknown = _roadmap(catalogue, risk, staff=Specialists())
    assert unknown.staff_note is None
    assert next(r for r in unknown.rows if r.measure == support).responsible == "педагог-психолог"


def test_specialists_from_the_administration_answer_else_the_card() -> None:
    admin = builtin("administration")
    answers = pd.DataFrame(
        {
            "school_code": ["A", "B"],
            "has_psychologist": [2.0, 1.0],
            "has_speech_therapist": [3.0, None],
            "has_social_pedagogue": [1.0, 3.0],
        }
    )
    data = {"administration": (admin, answers)}
    card = Specialists("none", "staff", "none")
    staff, source = staff_of("A", data, card)
    assert staff == Specialists("contract", "none", "staff")
    assert source == "по анкете администрации школы"
    staff, source = staff_of("B", data, card)
    assert staff == Specialists("staff", "staff", "none")  # no answer on the speech therapist
    assert source == "по анкете администрации школы и карточке школы"
    staff, source = staff_of("C", data, card)
    assert (staff, source) == (card, "по карточке школы")
    assert staff_of("C", {}, None)[0] == Specialists()


def test_nothing_at_risk_makes_a_short_plan(catalogue: RiskFactorCatalogue) -> None:
    roadmap = _roadmap(catalogue, _risk(catalogue, {"motivation": "moderate"}))
    assert not roadmap.factors and not any(row.factor for row in roadmap.rows)
    assert len(roadmap.rows) <= 6
    assert "Ни по одному фактору риска школа не находится" in roadmap.intro
    assert [g.title for g in roadmap.groups] == [
        "Организационные мероприятия",
        "Контроль и оценка результатов",
    ]
    assert any("остаются вне зоны риска" in row.expected_result for row in roadmap.rows)
    # no measure is delegated, so the note only says who the school has
    lacking = _roadmap(catalogue, _risk(catalogue, {}), staff=NO_STAFF)
    assert lacking.staff_note is not None and "педагог-психолог — нет" in lacking.staff_note
    assert "поручены" not in lacking.staff_note
    spring = _roadmap(catalogue, _risk(catalogue, {}), today=dt.date(2027, 4, 10))
    discussed = next(r for r in spring.rows if r.measure.startswith("Обсуждение"))
    assert discussed.timing == "май и сентябрь 2027"  # not a span over the summer


def test_the_catalogue_dates_every_school_measure_and_advises_every_factor(
    catalogue: RiskFactorCatalogue,
) -> None:
    for factor in catalogue.factors:
        for measure in factor.measures:
            if measure.level == "school":
                assert measure.schedule is not None, measure.code
        assert "administration" in factor.recommendations, factor.code
        assert len(factor.recommendations) >= 2, factor.code
        for text in factor.recommendations.values():
            # an infinitive clause joined into a sentence: lower case, no full stop of its own
            assert text[0].islower() and not text.endswith("."), (factor.code, text)
