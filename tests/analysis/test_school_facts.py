"""Facts about the school on a form of many respondents (items marked ``fact``: the support
specialists' counts): read from every school whatever its number of answers, as the school's
figure without an interval; summed in the reference's part on support; a change between waves
never decides a verdict. Everything else on the same form stays behind the minimum group."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.dynamics import SINGLE_ANSWER, indicator_changes
from analysis.indicators import is_fact, reportable_indicators, school_indicators
from analysis.report.coverage import build_coverage
from analysis.report.support import build_support_section
from instruments.errors import InstrumentError
from instruments.io.yaml_io import to_data
from instruments.library import builtin, builtin_instruments
from instruments.risk_factors import Indicator, builtin_risk_factors, parse_risk_factors
from instruments.schema import parse_instrument

FORM = builtin("specialist")
CATALOGUE = builtin_risk_factors()
BY_CODE = {i.code: i for items in CATALOGUE.indicators_by_factor([]).values() for i in items}
PMPK = BY_CODE["spc_pmpk_full"]
CASELOAD = BY_CODE["spc_caseload"]
COOPERATION = BY_CODE["spc_cooperation_teachers"]


def _answers(rows: list[tuple[str, dict[str, Any]]]) -> pd.DataFrame:
    codes = [item.code for item in FORM.items()]
    frame = pd.DataFrame.from_records([r for _, r in rows], columns=codes)
    frame.insert(0, "school_code", [school for school, _ in rows])
    return frame


def _specialist(caseload: int, total: int, full: int | None, agree: int = 3) -> dict[str, Any]:
    answer: dict[str, Any] = {"caseload": caseload, "pmpk_total": total, "kind_sen": 2}
    if full is not None:
        answer["pmpk_full"] = full
    answer |= {f"ct_{k}": agree for k in range(1, 6)}
    return answer


def test_the_catalogue_reads_two_facts_and_gates_the_rest() -> None:
    assert is_fact(PMPK, FORM) and is_fact(CASELOAD, FORM)
    assert not is_fact(COOPERATION, FORM)
    assert (PMPK.denominator, PMPK.unit, PMPK.direction) == ("pmpk_total", "percent", "favourable")
    specialist = [i for i in BY_CODE.values() if i.instrument == "specialist"]
    assert {i.audience.value for i in specialist} == {"specialist"}
    # every view of the form enters some factor, and only the two facts are read as figures
    assert {i.code for i in specialist if is_fact(i, FORM)} == {"spc_pmpk_full", "spc_caseload"}
    assert {i.scale for i in specialist if i.scale} == {s.code for s in FORM.scales}


def test_a_percentage_of_facts_is_a_ratio_of_the_school_s_sums() -> None:
    rows = [
        ("A", _specialist(30, 10, 6)),
        ("A", _specialist(20, 0, None)),  # no sessions recommended: the item was not asked
        ("A", _specialist(25, 4, 9)),  # more in full than recommended: counts as all of them
        ("B", _specialist(40, 5, None)),  # recommended, but the item skipped: left out
        ("B", _specialist(50, 8, 2)),
    ]
    table = school_indicators(
        {"specialist": (FORM, _answers(rows))}, [PMPK, CASELOAD, COOPERATION], min_group_size=5
    ).set_index(["school_code", "indicator"])
    a, b = table.loc[("A", "spc_pmpk_full")], table.loc[("B", "spc_pmpk_full")]
    assert a["value"] == pytest.approx(100 * (6 + 0 + 4) / (10 + 0 + 4))
    assert (a["n"], b["n"]) == (3, 1)
    assert b["value"] == pytest.approx(100 * 2 / 8)
    for code in ("spc_pmpk_full", "spc_caseload"):
        row = table.loc[("A", code)]
        assert not row["suppressed"] and np.isnan(row["se"]) and np.isnan(row["ci_low"])
        assert row["reliability"] == 1.0 and row["shrunken"] == row["value"]
    assert table.loc[("A", "spc_caseload"), "value"] == pytest.approx(25.0)
    assert table.loc[("A", "spc_cooperation_teachers"), "suppressed"]  # 3 views: hidden


def test_facts_of_a_small_school_are_read_and_its_views_are_not() -> None:
    rows = [
        (s, _specialist(30 + i, 10, 8 - i % 3, agree=1 + i % 4)) for s in "AB" for i in range(6)
    ]
    rows += [("C", _specialist(90, 10, 1, agree=4)), ("C", _specialist(80, 6, 0, agree=4))]
    data = {"specialist": (FORM, _answers(rows))}
    table = reportable_indicators(data, [PMPK, COOPERATION], min_group_size=5, school_code="C")
    mine = table[table["school_code"] == "C"].set_index("indicator")
    assert mine.loc["spc_pmpk_full", "value"] == pytest.approx(100 * 1 / 16)
    assert mine.loc["spc_cooperation_teachers", "suppressed"]
    assert np.isnan(mine.loc["spc_cooperation_teachers", "value"])
    # the small school's views enter no district figure: the others' shrunken values stay
    flipped = [(s, a | ({f"ct_{k}": 1 for k in range(1, 6)} if s == "C" else {})) for s, a in rows]
    again = reportable_indicators(
        {"specialist": (FORM, _answers(flipped))}, [PMPK, COOPERATION], min_group_size=5
    )
    before = reportable_indicators(data, [PMPK, COOPERATION], min_group_size=5)
    pd.testing.assert_frame_equal(before, again)


def test_a_change_of_facts_has_no_interval_and_no_verdict() -> None:
    def wave(caseloads: list[int]) -> pd.DataFrame:
        rows = [("A", _specialist(c, 10, 5)) for c in caseloads]
        rows += [("B", _specialist(30, 10, 5)), ("B", _specialist(32, 10, 5))]
        return school_indicators({"specialist": (FORM, _answers(rows))}, [CASELOAD])

    changes = indicator_changes(wave([20, 22, 24]), wave([60, 62, 64])).set_index("school_code")
    row = changes.loc["A"]
    assert row["change"] == pytest.approx(40.0)
    assert row["verdict"] == SINGLE_ANSWER and not row["beyond_noise"]


def test_the_reference_lists_the_school_s_sums_and_the_share_recommended() -> None:
    rows = [
        ("A", _specialist(30, 10, 6)),
        ("A", _specialist(25, 4, 4)),
        ("B", _specialist(99, 9, 9)),
    ]
    section = build_support_section(
        [(FORM, _answers(rows), "Специалисты")], "A", min_group_size=5, catalogue=CATALOGUE
    )
    assert section is not None
    (form,) = section.forms
    values = {row.label: row for row in form.rows}
    assert values["Обучающихся на сопровождении у специалистов"].value == "55"
    assert values["из них с ОВЗ"].value == "4"
    full = values["из них получают занятия в полном объёме"]
    assert (full.value, full.share) == ("10", "71\u00a0% от 14")
    assert full.part and not values["Обучающихся на сопровождении у специалистов"].part
    # one answer gives the whole and not the part: the share is the profile's, over the others
    rows.append(("A", _specialist(20, 6, None)))
    again = build_support_section(
        [(FORM, _answers(rows), "Специалисты")], "A", min_group_size=5, catalogue=CATALOGUE
    )
    assert again is not None
    full = {row.label: row for row in again.forms[0].rows}[full.label]
    assert full.share == "71\u00a0% от 14"
    assert "рассчитана по ответам, где указаны оба числа (14 из 20)" in again.forms[0].note
    rows.pop()
    assert values["Нуждаются в помощи специалиста, но не получают её"].value == "—"
    assert form.n_responses == 2
    assert "Ответили: 2 человека" in form.note and "при 5 ответах и больше" in form.note
    empty = build_support_section([(FORM, _answers(rows), "Специалисты")], "Z", min_group_size=5)
    assert empty is not None and empty.forms[0].n_responses == 0
    assert "сведений нет" in empty.forms[0].note

    # what the school card says about who could answer
    def note(school: str, expected: int | None) -> str:
        section = build_support_section(
            [(FORM, _answers(rows), "Специалисты")],
            school,
            min_group_size=5,
            expected={"specialist": expected},
        )
        assert section is not None
        return section.forms[0].note

    assert note("A", 3).startswith("Ответили: 2 человека (по карточке школы специалистов — 3).")
    assert note("Z", None).startswith("По карточке школы специалистов сопровождения в штате нет")
    assert note("Z", 2).startswith("Анкету не заполнил ни один из специалистов школы (по карточке")
    others = [(builtin("teacher"), _answers(rows).iloc[:0], "Педагоги")]
    assert build_support_section(others, "A", min_group_size=5) is None


def test_a_fact_is_a_number_question_and_a_value_needs_one() -> None:
    data = to_data(FORM)
    broken = copy.deepcopy(data)
    position = broken["sections"][0]["items"][0]
    position["fact"] = {"ru": "Должность"}
    with pytest.raises(InstrumentError, match="только у числового вопроса"):
        parse_instrument(broken)

    catalogue = to_data_catalogue()
    sen = next(f for f in catalogue["factors"] if f["code"] == "sen_support")
    pmpk = next(i for i in sen["indicators"] if i["code"] == "spc_pmpk_full")
    instruments = builtin_instruments()
    # a number a respondent gives that is not marked as a fact is not a figure of the school
    unmarked = copy.deepcopy(data)
    for item in unmarked["sections"][1]["items"]:
        item.pop("fact", None)
    without = [parse_instrument(unmarked) if i.code == "specialist" else i for i in instruments]
    sen["indicators"] = [pmpk]
    problems = parse_risk_factors(catalogue).check_against(without)
    staffing = next(i for i, f in enumerate(catalogue["factors"]) if f["code"] == "staffing")
    caseload = next(
        i
        for i, indicator in enumerate(catalogue["factors"][staffing]["indicators"])
        if indicator["code"] == "spc_caseload"
    )
    assert [p.path for p in problems] == [
        f"factors[{staffing}].indicators[{caseload}].statistic",
        "factors[3].indicators[0].statistic",
        "factors[3].indicators[0].denominator",
    ]
    assert all("fact" in p.message for p in problems)
    assert parse_risk_factors(catalogue).check_against(instruments) == []
    # the denominator is a fact too
    sen["indicators"] = [pmpk | {"denominator": "caseload_nope"}]
    problems = parse_risk_factors(catalogue).check_against(instruments)
    assert [p.path for p in problems] == ["factors[3].indicators[0].denominator"]
    sen["indicators"] = [pmpk | {"denominator": "kind_sen", "unit": None}]
    with pytest.raises(InstrumentError, match="unit: percent"):
        parse_risk_factors(catalogue)
    with pytest.raises(ValueError, match=r"знаменатель \(denominator\) допустим только у числа"):
        Indicator.model_validate(
            {**pmpk, "audience": "specialist", "statistic": "share", "values": [1], "unit": None}
        )


def to_data_catalogue() -> dict[str, Any]:
    return CATALOGUE.model_dump(mode="json", exclude_defaults=True)


def test_the_coverage_warning_of_a_small_group_says_its_facts_are_shown() -> None:
    rows = [("A", _specialist(30, 10, 6)), ("A", _specialist(25, 4, 4))]
    answers = _answers(rows)
    coverage = build_coverage(
        school_code="A",
        forms=[("specialist", FORM, answers, "Специалисты")],
        facts=None,
        min_group_size=5,
        today=dt.date(2026, 11, 1),
    )
    (warning,) = [w for w in coverage.warnings if w.startswith("Специалисты")]
    assert "2 анкеты — меньше 5" in warning
    assert "оценки и мнения в справке не показываются" in warning
    assert "«Сведения о сопровождении обучающихся»" in warning
    nobody = build_coverage(
        school_code="B",
        forms=[("specialist", FORM, answers, "Специалисты")],
        facts=None,
        min_group_size=5,
        today=dt.date(2026, 11, 1),
    )
    assert any("результаты этой группы в справке не показываются" in w for w in nobody.warnings)
