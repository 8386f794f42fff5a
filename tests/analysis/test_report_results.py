"""The reference's part on the school's own results, on hand-made frames: rows grouped by
assessment, subject and grade beside the district's participant-weighted figure, a result
the school alone has is not compared, the trend over one, two and three years, the plain
statement of how the school compares with the district (and its Russian over many counts),
the empty state, and the part's place in the rendered page."""

from __future__ import annotations

import datetime as dt
import re
from itertools import product

import pandas as pd
import pytest

from analysis.report import build_school_reference, render_html
from analysis.report.results_section import (
    ResultsSection,
    build_results_section,
    comparison_statement,
    plural,
    points_text,
    trend_statement,
)
from instruments.library import builtin
from surveys.dataset import ASSESSMENT_COLUMNS

COLUMNS = ASSESSMENT_COLUMNS  # the columns surveys.dataset reads results into
NAN = float("nan")


def _frame(*rows: tuple[object, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


# School A's results of 2026 against schools B and C of the same campaign.
DISTRICT_2026 = [
    # ВПР, Математика, 5: district share (2 + 6 + 2,5) / 100 = 10,5 %, mean 3,69
    ("A", 2026, "ВПР", "Математика", 5, 20, 3.5, 0.10),
    ("B", 2026, "ВПР", "Математика", 5, 30, 3.3, 0.20),
    ("C", 2026, "ВПР", "Математика", 5, 50, 4.0, 0.05),
    # ВПР, Математика, 6: B wrote the subject in lower case; district (3 + 1) / 20 = 20 %
    ("A", 2026, "ВПР", "Математика", 6, 10, NAN, 0.30),
    ("B", 2026, "ВПР", "математика ", 6, 10, NAN, 0.10),
    # ОГЭ, Русский язык, 9: the only school of the district with this result
    ("A", 2026, "ОГЭ", "Русский язык", 9, 25, 3.8, 0.04),
    # ЕГЭ, Математика, 11: A has a mean test score and no share of «2»
    ("A", 2026, "ЕГЭ", "Математика", 11, 12, 62.4, NAN),
    ("B", 2026, "ЕГЭ", "Математика", 11, 15, 55.0, 0.07),
    # a result A does not have, and A's term marks (not an external assessment)
    ("C", 2026, "ВПР", "Математика", 7, 40, 3.9, 0.02),
    ("A", 2026, "четверть", "Математика", 5, 20, 3.6, 0.15),
]


def test_rows_are_grouped_and_set_beside_the_district_figure() -> None:
    section = build_results_section(_frame(*DISTRICT_2026), "A")
    assert [t.year for t in section.years] == [2026]
    rows = section.years[0].rows
    assert [r.label for r in rows] == [
        "ВПР, Математика, 5 класс",
        "ВПР, Математика, 6 класс",
        "ОГЭ, Русский язык, 9 класс",
        "ЕГЭ, Математика, 11 класс",
    ]
    grade5, grade6, oge, ege = rows
    # participant-weighted over the campaign's schools, this school included
    assert grade5.district_share == pytest.approx(0.105)
    assert grade5.district_mean == pytest.approx((20 * 3.5 + 30 * 3.3 + 50 * 4.0) / 100)
    assert (grade5.participants, grade5.district_schools) == (20, 3)
    assert grade5.comparison == "below"
    cells = (grade5.share_cell, grade5.district_share_cell, grade5.comparison_cell)
    assert cells == ("10,0\u00a0%", "10,5\u00a0%", "ниже на 0,5\u00a0п.\u00a0п.")
    assert (grade5.mean_cell, grade5.district_mean_cell) == ("3,50", "3,69")
    # a subject written in another case is the same subject
    assert grade6.district_share == pytest.approx(0.20) and grade6.district_schools == 2
    assert grade6.comparison == "above"
    assert grade6.comparison_cell == "выше на 10,0\u00a0п.\u00a0п."
    assert grade6.mean_cell == "—"
    # the district's figure of a result only this school has is its own: not compared
    assert oge.only_school and oge.comparison is None
    assert oge.district_share_cell == "—" and oge.district_mean_cell == "—"
    assert oge.comparison_cell == "в районе только эта школа"
    # no share of «2» imported: nothing to compare; a test score keeps one decimal
    assert ege.share_failing is None and ege.comparison is None
    assert (ege.share_cell, ege.comparison_cell, ege.mean_cell) == ("—", "—", "62,4")
    assert ege.district_share_cell == "7,0\u00a0%"
    assert section.statement == (
        "В 2026 году доля неудовлетворительных отметок в школе ниже средней по району "
        "по 1 из 2 процедур, выше — по 1."
    )
    notes = " ".join(section.notes)
    assert "в 2026 году результаты загружены по 3 школам" in notes
    assert "С районом не сравнивается 1 процедура 2026 года" in notes
    assert "Четвертные и годовые отметки в этот раздел не входят (загружено строк: 1)" in notes


def test_the_district_is_the_schools_of_the_frame_given() -> None:
    alone = build_results_section(_frame(*[r for r in DISTRICT_2026 if r[0] == "A"]), "A")
    assert all(r.comparison is None for r in alone.years[0].rows)
    assert alone.statement is not None and "не с чем сравнить" in alone.statement
    assert "в 2026 году результаты загружены по 1 школе" in " ".join(alone.notes)


def _history(years: list[int]) -> pd.DataFrame:
    """A's and B's ВПР, Математика, 5 over ``years``: A's share falls by 5 points a year
    from 20 % (B's stays at 10 %); A's ОГЭ, Русский язык, 9 only in the last year."""
    rows = []
    for year in years:
        step = year - 2024
        rows.append(("A", year, "ВПР", "Математика", 5, 20, 3.5, 0.20 - 0.05 * step))
        rows.append(("B", year, "ВПР", "Математика", 5, 20, 3.5, 0.10))
    last = max(years)
    rows.append(("A", last, "ОГЭ", "Русский язык", 9, 30, 3.9, 0.05))
    rows.append(("B", last, "ОГЭ", "Русский язык", 9, 30, 3.9, 0.05))
    return _frame(*rows)


def test_no_trend_from_a_single_year() -> None:
    section = build_results_section(_history([2026]), "A")
    assert section.trend == [] and section.trend_years == [2026]
    assert section.trend_statement == (
        "Динамика по годам не показывается: доля «2» загружена только за 2026 год."
    )


def test_trend_over_two_years() -> None:
    section = build_results_section(_history([2025, 2026]), "A")
    assert [t.year for t in section.years] == [2026, 2025]  # the latest year first
    assert section.trend_years == [2025, 2026]
    # the ОГЭ has one year: it is not in the trend
    (row,) = section.trend
    assert row.label == "ВПР, Математика, 5 класс"
    assert row.shares == ["15,0\u00a0%", "10,0\u00a0%"]
    assert row.change == pytest.approx(-0.05)
    assert row.change_cell == "−5,0\u00a0п.\u00a0п."
    assert section.trend_statement == (
        "С 2025 по 2026 год доля «2» в школе снизилась по 1 из 1 процедуры."
    )


def test_trend_over_three_years_with_a_year_missing() -> None:
    frame = _history([2024, 2025, 2026])
    # A's ОГЭ in 2024 too, higher than in 2026; nothing in 2025
    frame = pd.concat(
        [frame, _frame(("A", 2024, "ОГЭ", "Русский язык", 9, 28, 3.7, 0.03))], ignore_index=True
    )
    section = build_results_section(frame, "A")
    assert [t.year for t in section.years] == [2026, 2025, 2024]
    assert section.trend_years == [2024, 2025, 2026]
    vpr, oge = section.trend
    assert vpr.shares == ["20,0\u00a0%", "15,0\u00a0%", "10,0\u00a0%"]
    assert vpr.change_cell == "−10,0\u00a0п.\u00a0п."
    assert oge.shares == ["3,0\u00a0%", "—", "5,0\u00a0%"]
    assert (oge.first_year, oge.last_year) == (2024, 2026)
    assert oge.change_cell == "+2,0\u00a0п.\u00a0п."
    assert section.trend_statement == (
        "С 2024 по 2026 год доля «2» в школе снизилась по 1 из 2 процедур, выросла — по 1."
    )
    # every year's rows are against that year's district: 2024's ВПР 20 % vs (20 + 10) / 2
    (vpr_2024, _) = section.years[2].rows
    assert vpr_2024.district_share == pytest.approx(0.15)
    assert vpr_2024.comparison == "above"


def test_results_not_low_are_said_to_be_not_low() -> None:
    rows = []
    for grade, (own, other) in zip(
        (5, 6, 7, 8), ((0.05, 0.10), (0.06, 0.12), (0.04, 0.08), (0.20, 0.10)), strict=True
    ):
        rows.append(("A", 2026, "ВПР", "Математика", grade, 20, 4.0, own))
        rows.append(("B", 2026, "ВПР", "Математика", grade, 20, 3.5, other))
    section = build_results_section(_frame(*rows), "A")
    assert section.statement == (
        "В 2026 году доля неудовлетворительных отметок в школе ниже средней по району по 3 из "
        "4 процедур, выше — по 1: результаты школы нельзя назвать низкими по сравнению с "
        "районом."
    )
    other = build_results_section(_frame(*rows), "B")
    assert other.statement == (
        "В 2026 году доля неудовлетворительных отметок в школе выше средней по району по 3 из "
        "4 процедур, ниже — по 1."
    )


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "процедура"),
        (2, "процедуры"),
        (3, "процедуры"),
        (5, "процедур"),
        (11, "процедур"),
        (12, "процедур"),
        (21, "процедура"),
        (22, "процедуры"),
        (111, "процедур"),
        (0, "процедур"),
    ],
)
def test_number_agreement(n: int, word: str) -> None:
    assert plural(n, "процедура", "процедуры", "процедур") == word


def test_comparison_statement_over_many_counts() -> None:
    for below, above, level in product(range(0, 23), range(0, 6), range(0, 3)):
        total = below + above + level
        text = comparison_statement(2026, below, above, level)
        assert not re.search(r"\bпо 0\b|None|nan|\(\(|  ", text), text
        assert text.endswith("."), text
        assert ("нельзя назвать низкими" in text) == (below > total / 2), text
        if total:
            genitive = "процедуры" if total % 10 == 1 and total % 100 != 11 else "процедур"
            assert f"из {total} {genitive}" in text, text
            for count in (below, above, level):
                if count:
                    assert f"по {count}" in text, text


def test_trend_statement_over_many_counts() -> None:
    for fell, rose, same in product(range(0, 23), range(0, 4), range(0, 3)):
        if fell + rose + same == 0:
            continue
        text = trend_statement(2024, 2026, fell, rose, same)
        assert text.startswith("С 2024 по 2026 год доля «2» в школе "), text
        assert not re.search(r"\bпо 0\b|None|nan", text), text


def test_points_carry_the_russian_minus() -> None:
    assert points_text(-0.021) == "−2,1\u00a0п.\u00a0п."
    assert points_text(0.0301) == "+3,0\u00a0п.\u00a0п."
    assert points_text(0.0004) == "0,0\u00a0п.\u00a0п."


EMPTY_FRAMES = {
    "nothing imported": _frame(),
    "only other schools": _frame(("B", 2026, "ВПР", "Математика", 5, 20, 3.5, 0.1)),
}


@pytest.mark.parametrize("frame", EMPTY_FRAMES.values(), ids=EMPTY_FRAMES.keys())
def test_nothing_imported_says_so_and_how_to_import(frame: pd.DataFrame) -> None:
    section = build_results_section(frame, "A")
    assert section.years == [] and section.statement is None and section.trend == []
    assert section.empty_text is not None
    assert "не загружены" in section.empty_text
    assert "rootcause import results" in section.empty_text
    assert "«Результаты ВПР/ОГЭ»" in section.empty_text
    html = _part(_reference(frame))
    assert section.empty_text in html
    assert "<table" not in html


STUDENT = builtin("student_5_11")


def _reference(history: pd.DataFrame | None) -> str:
    answers = pd.DataFrame({"school_code": ["A"] * 6 + ["B"] * 6})
    for item in STUDENT.items():
        answers[item.code] = 2.0
    model = build_school_reference(
        school_code="A",
        school_name="Школа",
        district_name="Район",
        campaign_title="Осень",
        period="",
        min_group_size=5,
        audiences=[("student_5_11", STUDENT, answers)],
        generated_on=dt.date(2026, 11, 1),
        assessment_history=history,
    )
    assert (model.results is None) == (history is None)
    if model.results is not None:
        assert isinstance(model.results, ResultsSection)
    return render_html(model)


def _part(html: str) -> str:
    start = html.index("<h2>Результаты оценочных процедур</h2>")
    return html[start : html.index("<h2", start + 1)]


def test_the_part_shows_each_year_and_the_trend() -> None:
    html = _reference(_history([2024, 2025, 2026]))
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    sample = next(i for i, h in enumerate(headings) if h.startswith("Выборка"))
    assert headings.index("Результаты оценочных процедур") > sample
    part = _part(html)
    assert re.findall(r"<h3>(.*?)</h3>", part) == [
        "2026 год",
        "2025 год",
        "2024 год",
        "Динамика доли «2» по годам",
    ]
    assert part.count("<table") == 4
    assert "<th>Доля «2» по району</th>" in part
    assert "<td>ВПР, Математика, 5 класс</td>" in part
    assert "−10,0\u00a0п.\u00a0п." in part


def test_without_the_results_loaded_the_part_is_left_out() -> None:
    assert "Результаты оценочных процедур" not in _reference(None)
