"""The privacy gate on every output path: a group below the campaign's minimum shows no value
anywhere, and nothing published about the other groups or the whole district moves when its
answers do (so no difference of two published figures recovers it).

Inventory of the outputs computed from answers (paths relative to the repository):

| output                              | built by                                   | fig. | gate |
|-------------------------------------|--------------------------------------------|------|------|
| school page ``/staff/schools/<c>``: | web/staff/schools.py → web/reporting.py →  | 1    | A, C |
| scale tables                        | analysis/report/model.py audience_section  |      |      |
| school page: factor tables;         | web/staff/factor_table.py, factor_cache.py | 2    | B, C |
| ``…/schools/<c>/factors.csv|xlsx``  | → analysis/factor_scores.py                |      |      |
| reference ``…/reference.html``;     | web/reporting.py school_reference →        | 1, 3,| A, C |
| CLI ``rootcause report``            | analysis/report/model.py, profile.py,      | 6    |      |
|                                     | appendix.py (α, ω of each scale)           |      |      |
| reference ``….docx``, ``….pdf``;    | the HTML's text: analysis/report/docx.py;  | 1, 3 | A, C |
| CLI ``report --format docx|pdf``    | printed: web/chart_browser.py (charts too) |      |      |
| reference: a part per factor at     | analysis/report/factor_parts.py,           | 3, 9 | A, C,|
| risk — indicators, a scale's items, | factor_detail.py                           |      | E    |
| the split by level of education     |                                            |      |      |
| dynamics section of the reference   | analysis/report/dynamics_section.py        | 4    | A    |
| benchmark freezing (campaign page,  | surveys/benchmarks.py freeze_benchmark     | 5    | A    |
| CLI ``rootcause benchmark freeze``) |                                            |      |      |
| designer ``/designer/versions/<id>/ | web/designer.py psychometrics              | 6    | A    |
| psychometrics``                     |                                            |      |      |
| campaign page, schools list, CLI    | surveys/rates.py, web/staff/schools.py,    | 7    | none |
| ``campaigns``, ``links``,           | web/cli.py, cli_links.py, cli_benchmark.py |      |      |
| ``benchmark list``                  |                                            |      |      |
| respondent-level exports            | web/staff/exports.py, web/cli_export.py →  | 8    | D    |
| ``/staff/campaigns/<id>/exports/…``,| web/exporting.py → surveys/exports/,       |      |      |
| CLI ``export responses``            | analysis/scoring.py                        |      |      |

Figures: (1) per school and scale n, mean, 95 % CI, POMP, prevalence, cut-off position, and
the ICC of each scale (pooled over schools); (2) an EFA fitted on pooled respondents, factor
scores standardised on them, per school means, CI, rank and the campaign's lowest and highest
mean; (3) the risk profile: empirical-Bayes shrunken indicators (grand mean and τ² pooled), z
against the campaign's schools or a benchmark, composites, levels, cut-off positions,
associations with results and their bootstrap over schools, causes, roadmap; (4) both waves'
indicators, changes with intervals, the earlier wave's schools as the yardstick; (5) mean, SD
and number of schools per indicator, stored and then the yardstick of every campaign that
chooses it; (6) α, ω, weakest item and EFA loadings pooled over a campaign; (7) counts of
responses only (per school, audience and class link) and counts of schools; (8) each
respondent's answers and scale scores (no aggregate), with a codebook; (9) per school, item of a
scale and level of education (1–4, 5–9, 10–11, by the form's grade question) the share of
unfavourable answers or the indicator's value, n, and their means over the district's schools.

Gates: (A) ``analysis.privacy.reportable`` drops the respondents of every non-institutional
group below the minimum before anything is pooled: ``reportable_indicators`` (risk profile,
dynamics with the larger of the two waves' minimums, benchmark freezing), audience_section
(ICC), the reference's appendix (α and ω of each scale, over the schools with the minimum
scored on it: analysis/report/appendix.py form_reliability), the designer page (its
psychologists also see the per school pages, so a pooled figure there must not rest on a
hidden school either); (B) the factor solution is fitted on
reportable answers (factor_cache) and school_factor_scores leaves out any school with fewer
scored respondents than the minimum; (C) a school's cells come from its own respondents only
and are hidden below the minimum, showing only n; (E) finer groups of a school's form: an item
of a scale answered by fewer than the minimum at a school is not shown there and is left out of
the district's mean of that item; a school's split by level of education is shown, and enters
the district's level means, only when every group of it (each level, and the respondents whose
grade is unknown) is empty or at the minimum, since the school's total is published and one
small group would be the total less the others (complementary suppression;
analysis/report/factor_detail.py); (D) respondent-level rows go only to the
roles ``surveys.access.can_export_responses`` allows (never a deputy), every download audited,
and a school (class) below the minimum is written under the pooled code «другие школы» (no
class), never its own (``surveys.exports.respondents``; tests/surveys/test_exports.py). Counts
(7) are not answers: no gate.

Facts about the school are exempt as the administration's answers are: a number item marked
``fact`` (the support specialists' counts of pupils on their caseload, recommended sessions
and sessions held) is read from every school's answers by ``reportable_indicators``, without
an interval, and listed as the school's sums in the reference's part on support; every other
answer of the same respondents stays behind the gate
(``test_specialists_views_stay_hidden_and_only_their_facts_are_shown``).

The ``rootcause report`` CLI and the staff page share web/reporting.py, so they show the
same reference; there is no other CLI output computed from answers.

There is no per class breakdown of answers (a class link only counts its responses), and the
per grade breakdowns are the reference's coverage, which counts a form's responses per level of
education (1–4, 5–9, 10–11) by the grade question only for a group at or above the minimum
(analysis/report/coverage.py; a hidden group shows its n alone, without a rate), and the factor
parts' split by level under gate (E); no API and no export of aggregates besides
``factors.csv`` and ``factors.xlsx`` (the same rows), so no other complementary suppression is
needed; the campaign page's class rows
are covered by the invariance test below (they carry counts only). The respondent-level
exports (8) carry a hidden school's answers by design, under the pooled code: they are outside
the invariance test, which is about aggregates.

A group is a school's respondents to one form. When a campaign gives an audience several forms
(students of grades 2–4 and 5–11), every gate above applies per school × form
(``analysis.privacy.reportable_audiences`` per instrument code), and no figure pools answers of
different forms, so a grade band is no finer breakdown than its form: a school with enough
answers to the 5–11 form and three to the 2–4 form shows the latter's n only, and nothing else
moves with those three (tests/web/test_campaign_forms_analysis.py, the same invariance check on
the school page, reference, CLI report, factor files and psychometrics).

The invariance tests build two waves in which one school has 3 answers per audience (minimum
5), render every output, turn that school's answers to the opposite extreme, render again, and
require every output, the small school's own pages included, to be byte-identical once CSRF
tokens and the generation date are normalised: the hidden school may show its n, never a
value, and nothing else may depend on its answers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from analysis.factor_scores import school_factor_scores
from analysis.privacy import reportable, reportable_audiences
from analysis.report import ReferenceModel, build_school_reference, render_html
from analysis.report.docx import render_docx
from analysis.report.factor_detail import item_detail, level_table
from analysis.report.factor_indicators import format_value
from analysis.report.model import audience_section
from analysis.report.russian import ru_int
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import NUMERIC_TYPES, Instrument, Item, ItemType
from surveys import models as m
from surveys.benchmarks import freeze_benchmark
from surveys.instrument_store import instrument_of
from tests.conftest import _missing, csrf_token, without_charts
from tests.factories import PASSWORD, make_campaign, make_district, make_school, make_user
from web import reference_cache
from web.cli import main
from web.staff import factor_cache

SMALL_N = 3
GATED = ("student", "parent", "teacher")


# -- the rule itself ---------------------------------------------------------------------------


def _groups(sizes: dict[str, int]) -> pd.DataFrame:
    codes = [code for code, n in sizes.items() for _ in range(n)]
    frame = pd.DataFrame({"school_code": codes, "q": np.arange(len(codes), dtype=float)})
    frame.index.name = "response_id"
    return frame


def test_reportable_drops_groups_below_the_minimum_and_counts_them() -> None:
    answers = _groups({"A": 6, "B": 5, "C": 4, "D": 1})
    kept, suppressed = reportable(answers, audience="student", min_group_size=5)
    assert sorted(kept["school_code"].unique()) == ["A", "B"]  # exactly the minimum is shown
    assert suppressed == {"C": 4, "D": 1}
    assert kept.index.equals(answers.index[answers["school_code"].isin(["A", "B"])])
    # An institutional audience answers for the school: one form is the whole group.
    kept, suppressed = reportable(answers, audience="administration", min_group_size=5)
    assert kept.equals(answers) and suppressed == {}


def test_reportable_audiences_gate_each_audience_on_its_own(student: Instrument) -> None:
    data = {
        "student": (student, _groups({"A": 5, "B": 2})),
        "parent": (student, _groups({"B": 7})),
    }
    pooled, suppressed = reportable_audiences(data, min_group_size=5)
    assert list(pooled["student"][1]["school_code"].unique()) == ["A"]
    assert list(pooled["parent"][1]["school_code"].unique()) == ["B"]
    assert suppressed == {"student": {"B": 2}, "parent": {}}
    assert pooled["student"][0] is student


# -- pure analysis: a hidden school moves nothing ----------------------------------------------


@pytest.fixture(scope="module")
def student() -> Instrument:
    return builtin("student_5_11")


def _opposite(instrument: Instrument, item: Item, value: Any) -> Any:
    """The answer at the other extreme of the item's options (missing stays missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    if item.type in (ItemType.likert, ItemType.single_choice, ItemType.multiple_choice):
        options = [o.value for o in instrument.options_for(item) if not o.missing]
        if item.type is ItemType.multiple_choice:
            return [options[-1]] if value != [options[-1]] else [options[0]]
        if value not in options:
            return value  # a "не знаю" answer stays unscored
        if all(isinstance(o, int) for o in options):
            low, high = min(options), max(options)
            return low if float(value) > (low + high) / 2 else high
        return options[0] if value != options[0] else options[-1]
    if item.type is ItemType.number:
        low = item.min if item.min is not None else 0
        high = item.max if item.max is not None else 100
        return low if float(value) > (low + high) / 2 else high
    if item.type in (ItemType.text, ItemType.long_text):
        return "иначе"
    return value


def _flip(instrument: Instrument, answers: dict[str, Any]) -> dict[str, Any]:
    items = instrument.items_by_code()
    return {
        code: _opposite(instrument, items[code], value) if code in items else value
        for code, value in answers.items()
    }


def _flip_frame(instrument: Instrument, answers: pd.DataFrame, school: str) -> pd.DataFrame:
    out = answers.copy()
    items = instrument.items_by_code()
    rows = out["school_code"] == school
    for code, item in items.items():
        if code in out.columns:
            out.loc[rows, code] = out.loc[rows, code].map(
                lambda v, i=item: _opposite(instrument, i, v)
            )
    return out


def _simulated(
    instrument: Instrument, sizes: dict[str, tuple[int, float]], seed: int
) -> list[tuple[str, dict[str, Any]]]:
    """(school, answers) of simulated respondents: per school (respondents, shift of every
    scale's latent trait); a scale's items follow one latent trait per respondent, and one
    answer in 200 is skipped."""
    rng = np.random.default_rng(seed)
    owner = {code: scale.code for scale in instrument.scales for code in scale.items}
    out = []
    for school, (n, shift) in sizes.items():
        for _ in range(n):
            latent = {s.code: rng.normal(shift, 1.0) for s in instrument.scales}
            answers: dict[str, Any] = {}
            for item in instrument.items():
                options = [o.value for o in instrument.options_for(item) if not o.missing]
                if rng.random() < 0.005:
                    continue
                if item.code in owner:
                    low, high = instrument.item_range(item)
                    raw = (low + high) / 2 + latent[owner[item.code]] * (high - low) / 3
                    answers[item.code] = int(np.clip(round(raw + rng.normal(0, 0.5)), low, high))
                elif item.type in (ItemType.number, ItemType.grade):
                    low = int(item.min) if item.min is not None else 5
                    high = int(item.max) if item.max is not None else 11
                    answers[item.code] = int(rng.integers(low, high + 1))
                elif item.type is ItemType.multiple_choice:
                    answers[item.code] = [options[int(rng.integers(0, len(options)))]]
                elif options:
                    answers[item.code] = options[int(rng.integers(0, len(options)))]
            out.append((school, answers))
    return out


def _frame(instrument: Instrument, rows: list[tuple[str, dict[str, Any]]]) -> pd.DataFrame:
    """Answers as :func:`surveys.dataset.audience_data` gives them to the analysis."""
    codes = [item.code for item in instrument.items()]
    index = pd.RangeIndex(len(rows), name="response_id")
    answers = pd.DataFrame.from_records([r for _, r in rows], index=index, columns=codes)
    for item in instrument.items():
        numeric = item.type in NUMERIC_TYPES or (
            item.type is ItemType.single_choice
            and all(isinstance(o.value, int) for o in item.options or [])
        )
        column = answers[item.code]
        answers[item.code] = (
            pd.to_numeric(column).astype("float64")
            if numeric
            else column.astype("object").where(column.notna(), None)
        )
    answers.insert(0, "school_code", [school for school, _ in rows])
    return answers


@pytest.fixture(scope="module")
def district_answers(student: Instrument) -> pd.DataFrame:
    """Student answers of four schools and a fifth with 3 respondents."""
    sizes = {"A": (90, 0.0), "B": (70, 0.6), "C": (60, -0.4), "D": (80, 0.3), "E": (SMALL_N, 0.0)}
    return _frame(student, _simulated(student, sizes, seed=17))


def _reference_model(student: Instrument, answers: pd.DataFrame, school: str) -> ReferenceModel:
    return build_school_reference(
        school_code=school,
        school_name=f"Школа {school}",
        district_name="Район",
        campaign_title="Волна",
        period="2026",
        min_group_size=5,
        audiences=[("student", student, answers)],
        generated_on=dt.date(2026, 11, 1),
        catalogue=builtin_risk_factors(),
    )


def _reference_html(student: Instrument, answers: pd.DataFrame, school: str) -> str:
    return render_html(_reference_model(student, answers, school))


def _docx_body(model: ReferenceModel) -> str:
    """The DOCX's text, tables and layout (word/document.xml; the package's dates aside)."""
    with zipfile.ZipFile(io.BytesIO(render_docx(model))) as package:
        return package.read("word/document.xml").decode("utf-8")


def test_reference_of_every_school_ignores_the_hidden_schools_answers(
    student: Instrument, district_answers: pd.DataFrame
) -> None:
    flipped = _flip_frame(student, district_answers, "E")
    assert not flipped.equals(district_answers)
    for school in "ABCDE":
        models = [
            _reference_model(student, answers, school) for answers in (district_answers, flipped)
        ]
        before, after = (render_html(model) for model in models)
        assert before == after, (school, _first_difference(before, after))
        # the DOCX renders the same page (the PDF prints it)
        assert _docx_body(models[0]) == _docx_body(models[1]), school
    own = _reference_html(student, district_answers, "E")
    assert "не показывается: ответов меньше 5" in own
    profile = own[_heading(own, "Профиль рисков") :]
    assert "не оценён: группа «обучающиеся» — 3 ответа при минимуме 5" in profile
    assert 'class="factor-indicators"' not in profile  # no factor of its answers has a part
    # The factor parts' scale items and level splits are among what stayed the same.
    shown = {s: _reference_html(student, district_answers, s) for s in "CD"}
    assert all('class="factor-items"' in html for html in shown.values())
    assert any('class="factor-levels"' in html for html in shown.values())


def test_scale_section_hides_the_school_and_keeps_its_n(
    student: Instrument, district_answers: pd.DataFrame
) -> None:
    section = audience_section("student", student, district_answers, "E", min_group_size=5)
    assert section.n_responses == SMALL_N
    assert all(r.suppressed and r.mean is None and r.pomp is None for r in section.rows)
    assert {r.n for r in section.rows} <= {0, 1, 2, 3} and max(r.n for r in section.rows) == 3
    flipped = _flip_frame(student, district_answers, "E")
    again = audience_section("student", student, flipped, "E", min_group_size=5)
    assert again == section
    other = audience_section("student", student, district_answers, "A", min_group_size=5)
    assert other == audience_section("student", student, flipped, "A", min_group_size=5)


def test_a_scale_with_too_few_scores_in_a_school_is_pooled_without_it(
    student: Instrument, district_answers: pd.DataFrame
) -> None:
    # School C has 60 responses, but only 4 answered the bullying items: its bullying figures
    # are hidden, and those 4 answers (all at one extreme, then all at the other) move no
    # other school's reference (ICC, shrinkage, z).
    items = next(s for s in student.scales if s.code == "bullying").items
    answers = district_answers.copy()
    c_rows = answers.index[answers["school_code"] == "C"]
    answers.loc[c_rows[4:], list(items)] = np.nan
    changed = answers.copy()
    by_code = student.items_by_code()
    for code in items:
        low, high = student.item_range(by_code[code])
        answers.loc[c_rows[:4], code] = float(low)
        changed.loc[c_rows[:4], code] = float(high)
    assert not changed.equals(answers)
    for school in "AC":
        before = _reference_html(student, answers, school)
        assert before == _reference_html(student, changed, school), school
    section = audience_section("student", student, answers, "C", min_group_size=5)
    bullying = next(r for r in section.rows if r.code == "bullying")
    assert bullying.suppressed and bullying.n == 4 and bullying.mean is None
    assert not next(r for r in section.rows if r.code == "belonging").suppressed


def _student_rows(student: Instrument, answers: pd.DataFrame) -> list[Any]:
    """The split-by-level input of every catalogue indicator on the students' form."""
    indicators = builtin_risk_factors().indicators_by_factor([student])
    return [
        (indicator, indicator.code, student, answers)
        for items in indicators.values()
        for indicator in items
        if indicator.instrument == student.code
    ]


def test_a_small_level_group_hides_its_schools_split_and_moves_no_level_figure(
    student: Instrument, district_answers: pd.DataFrame
) -> None:
    # Every respondent's grade known; school D has three pupils in grades 10–11.
    answers = district_answers[district_answers["school_code"] != "E"].copy()
    answers["grade"] = answers["grade"].fillna(6.0)
    d_rows = answers.index[answers["school_code"] == "D"]
    answers.loc[d_rows, "grade"] = 7.0
    answers.loc[d_rows[:3], "grade"] = 10.0
    flipped = answers.copy()
    flipped.loc[d_rows[:3]] = _flip_frame(student, answers.loc[d_rows[:3]], "D")
    assert not flipped.equals(answers)

    def split(frame: pd.DataFrame, school: str) -> Any:
        return level_table(
            _student_rows(student, frame), school, min_group_size=5, formatter=format_value
        )

    for school in "ABC":
        table = split(answers, school)
        assert table is not None and table.rows and table.levels == ["5–9 классы", "10–11 классы"]
        assert split(flipped, school) == table, school
    own = split(answers, "D")
    assert own is not None and not own.rows
    assert own.notes and all("10–11 классы — 3 ответа при минимуме 5" in n for n in own.notes)


def test_an_item_answered_by_too_few_in_a_school_is_hidden_and_pooled_without_it(
    student: Instrument, district_answers: pd.DataFrame
) -> None:
    scale = next(s for s in student.scales if s.code == "bullying")
    answers = district_answers[district_answers["school_code"] != "E"].copy()
    c_rows = answers.index[answers["school_code"] == "C"]
    answers.loc[c_rows[4:], "bul_3"] = np.nan
    changed = answers.copy()
    answers.loc[c_rows[:4], "bul_3"] = 1.0
    changed.loc[c_rows[:4], "bul_3"] = 4.0

    def detail(frame: pd.DataFrame, school: str) -> Any:
        return item_detail("Травля", student, scale, frame, school, min_group_size=5)

    own = detail(answers, "C")
    assert own is not None and len(own.rows) == len(scale.items) - 1
    assert any("меньше 5" in note for note in own.notes)
    assert detail(changed, "C") == own
    for school in "ABD":
        assert detail(answers, school) == detail(changed, school), school


def test_specialists_views_stay_hidden_and_only_their_facts_are_shown() -> None:
    """A school's one or two support specialists are far below the minimum: their views move
    nothing published (as any small group's), while the items marked ``fact`` (counts from
    the school's records) are the school's figures, shown as the administration's answers
    are — in its own reference as sums, and in the risk profile."""
    form = builtin("specialist")
    facts = [item.code for item in form.items() if item.fact is not None]
    assert {"caseload", "pmpk_total", "pmpk_full"} <= set(facts)
    sizes = {"A": (6, 0.0), "B": (7, 0.6), "C": (6, -0.4), "D": (8, 0.3), "E": (2, 0.0)}
    answers = _frame(form, _simulated(form, sizes, seed=23))
    views = answers.copy()
    rows = views["school_code"] == "E"
    for item in form.items():
        if item.fact is None and item.code in views.columns:
            views.loc[rows, item.code] = views.loc[rows, item.code].map(
                lambda v, i=item: _opposite(form, i, v)
            )
    assert not views.equals(answers)

    def model(frame: pd.DataFrame, school: str) -> ReferenceModel:
        return build_school_reference(
            school_code=school,
            school_name=f"Школа {school}",
            district_name="Район",
            campaign_title="Волна",
            period="2026",
            min_group_size=5,
            audiences=[("specialist", form, frame)],
            generated_on=dt.date(2026, 11, 1),
            catalogue=builtin_risk_factors(),
        )

    for school in "ABCDE":
        before, after = model(answers, school), model(views, school)
        assert render_html(before) == render_html(after), school
    own = model(answers, "E")
    html = render_html(own)
    # the views: hidden, n only
    section = next(s for s in own.sections if s.instrument_code == "specialist")
    assert all(r.suppressed and r.mean is None for r in section.rows)
    assert own.risk is not None
    fact_titles = ("Доля детей с рекомендациями ПМПК", "Обучающихся на сопровождении")
    rows_of = [i for f in own.risk.factors for i in f.indicators if i.audience == "специалисты"]
    hidden = [i for i in rows_of if not i.title.startswith(fact_titles)]
    assert len(hidden) >= 5 and all(i.value.startswith("скрыто") and i.n == 2 for i in hidden)
    assert "Сотрудничество учителей со специалистами" in html
    # the facts: the school's sums, whatever the number of answers
    assert own.support is not None
    shown = {row.label: row.value for row in own.support.forms[0].rows}
    mine = answers[rows]
    total = int(pd.to_numeric(mine["caseload"]).sum())
    assert shown["Обучающихся на сопровождении у специалистов"] == ru_int(total)
    pmpk = next(
        i
        for f in own.risk.factors
        for i in f.indicators
        if i.title.startswith("Доля детей с рекомендациями ПМПК")
    )
    assert pmpk.value.endswith("%") and "скрыто" not in pmpk.value
    # …and they are the figures that move when the facts do (by design, as the
    # administration's answers would)
    changed = answers.copy()
    changed.loc[rows, "caseload"] = changed.loc[rows, "caseload"] + 10
    again = model(changed, "E")
    assert again.support is not None and again.support != own.support


def test_factor_scores_ignore_a_school_below_the_minimum_of_scored_respondents(
    student: Instrument, district_answers: pd.DataFrame
) -> None:
    # Even if a caller passes every respondent: the small school is left out of the fit and
    # the standardisation, and its row says how many it had.
    before = school_factor_scores(district_answers, student, min_group_size=5, seed=0)
    after = school_factor_scores(
        _flip_frame(student, district_answers, "E"), student, min_group_size=5, seed=0
    )
    pd.testing.assert_frame_equal(before.schools, after.schools)
    pd.testing.assert_frame_equal(before.solution.loadings, after.solution.loadings)
    small = before.schools[before.schools["school_code"] == "E"]
    assert small["suppressed"].all() and small["mean"].isna().all()
    assert small["n"].le(SMALL_N).all() and small["n"].gt(0).any()
    # A school with enough responses but too few scored on the items counts as small too.
    blank = district_answers.copy()
    rows = blank.index[blank["school_code"] == "C"][4:]
    scale_items = sorted({i for s in student.scales for i in s.items})
    blank.loc[rows, scale_items] = np.nan
    gated = school_factor_scores(blank, student, min_group_size=5, seed=0)
    c_rows = gated.schools[gated.schools["school_code"] == "C"]
    assert c_rows["suppressed"].all() and c_rows["n"].eq(4).all()
    changed = blank.copy()
    changed.loc[blank.index[blank["school_code"] == "C"][:4], scale_items] = 1.0
    again = school_factor_scores(changed, student, min_group_size=5, seed=0)
    pd.testing.assert_frame_equal(gated.schools, again.schools)


def _first_difference(before: str, after: str) -> str:
    for number, (a, b) in enumerate(zip(before.splitlines(), after.splitlines(), strict=False)):
        if a != b:
            return f"line {number + 1}:\n- {a[:400]}\n+ {b[:400]}"
    return f"lengths {len(before)} and {len(after)}"


# -- every output path, on both back ends ------------------------------------------------------


@dataclass
class Scenario:
    campaign_id: int
    previous_id: int
    schools: list[str]
    small: str
    versions: dict[str, int]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    factor_cache.clear()
    reference_cache.clear()
    yield
    factor_cache.clear()
    reference_cache.clear()


FORMS = {
    "student": ("student_5_11", 50),
    "parent": ("parent", 32),
    "teacher": ("teacher", 15),
    "administration": ("administration", 1),
}


def _responses(
    db: Session, campaign: m.Campaign, schools: list[m.School], seed: int, *, keep: float = 1.0
) -> None:
    """Simulated complete responses of every audience: FORMS' number per school (one school
    shifted up, one down), SMALL_N in the last school (one administration form); ``keep``
    drops a share of the big schools' respondents."""
    versions = {
        f.audience: db.get(m.InstrumentVersion, f.instrument_version_id)
        for f in db.scalars(select(m.Fielding).where(m.Fielding.campaign_id == campaign.id))
    }
    ids = {s.code: s.id for s in schools}
    rows = []
    for number, (audience, (_, n)) in enumerate(FORMS.items()):
        version = versions[audience]
        assert version is not None
        sizes = {
            s.code: (max(1, round(n * keep)), (-0.5, 0.0, 0.5, 0.2)[i % 4])
            for i, s in enumerate(schools[:-1])
        }
        sizes[schools[-1].code] = (1 if audience == "administration" else SMALL_N, 0.0)
        for school, answers in _simulated(instrument_of(version), sizes, seed + number):
            rows.append(
                {
                    "submission_id": str(uuid.uuid4()),
                    "campaign_id": campaign.id,
                    "school_id": ids[school],
                    "audience": audience,
                    "instrument_version_id": version.id,
                    "answers": answers,
                    "submitted_on": campaign.opens_on,
                }
            )
    db.execute(insert(m.Response), rows)


def _scenario(db: Session) -> Scenario:
    district = make_district(db, name="Район проверки")
    schools = [make_school(db, district, code=f"P{i}", name=f"Школа {i}") for i in range(1, 6)]
    today = dt.date.today()
    campaign = make_campaign(
        db, schools, audiences={a: code for a, (code, _) in FORMS.items()}, title="Эта волна"
    )
    earlier = make_campaign(
        db,
        schools,
        audiences={a: code for a, (code, _) in FORMS.items()},
        title="Прошлая волна",
        opens_on=today - dt.timedelta(days=400),
        closes_on=today - dt.timedelta(days=300),
        status=m.CampaignStatus.closed.value,
    )
    _responses(db, campaign, schools, seed=1)
    _responses(db, earlier, schools, seed=2, keep=0.8)
    campaign.previous_campaign_id = earlier.id
    # Class links count their answers: two in the small school, two in a big one.
    for school in (schools[-1], schools[0]):
        for response in db.scalars(
            select(m.Response)
            .where(
                m.Response.campaign_id == campaign.id,
                m.Response.school_id == school.id,
                m.Response.audience == "student",
            )
            .order_by(m.Response.id)
            .limit(2)
        ):
            response.class_name = "7А"
    db.execute(
        insert(m.AssessmentResult),
        [
            {
                "school_id": school.id,
                "year": today.year,
                "assessment": "ВПР",
                "subject": "Математика",
                "grade": 7,
                "participants": 40,
                "mean_score": 3.5 - 0.2 * i,
                "share_failing": 0.05 + 0.06 * i,
            }
            for i, school in enumerate(schools)
        ],
    )
    versions = {
        f.audience: f.instrument_version_id
        for f in db.scalars(select(m.Fielding).where(m.Fielding.campaign_id == campaign.id))
    }
    make_user(db, "admin", login="boss")
    make_user(db, "psychologist", login="psy", district_name=district.name)
    db.commit()
    return Scenario(campaign.id, earlier.id, [s.code for s in schools], schools[-1].code, versions)


def _flip_small_school(db: Session, scenario: Scenario) -> int:
    """Every answer of the small school's gated audiences, in both waves, to the other
    extreme. Complete answers are never edited in production, so the factor cache (keyed by
    the set of responses) is emptied by the caller."""
    small_id = db.scalar(select(m.School.id).where(m.School.code == scenario.small))
    changed = 0
    for response in db.scalars(
        select(m.Response).where(
            m.Response.school_id == small_id,
            m.Response.audience.in_(GATED),
            m.Response.campaign_id.in_([scenario.campaign_id, scenario.previous_id]),
        )
    ):
        version = db.get(m.InstrumentVersion, response.instrument_version_id)
        assert version is not None
        flipped = _flip(instrument_of(version), dict(response.answers))
        changed += flipped != response.answers
        response.answers = flipped
    db.commit()
    return changed


def _normalise(text: str) -> str:
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1…", text)
    return re.sub(r"Дата формирования: \d\d\.\d\d\.\d{4}", "Дата формирования: …", text)


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return _normalise(response.get_data(as_text=True))


def _get_workbook(client: FlaskClient, url: str) -> str:
    """The cell values of a downloaded workbook (its bytes carry the time it was made)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    sheets = load_workbook(io.BytesIO(response.data)).worksheets
    return repr([[[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in sheets])


def _signed_in(app: Flask, login: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    signed = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    return client


def _render_all(
    app: Flask, scenario: Scenario, tmp_path: Path, *, references_only: bool = False
) -> dict[str, str]:
    """Every output computed from answers, as the staff and the CLI get it (or only the
    references). Each page path is rendered for the small school and one or two others (a
    reference takes a second or two; every school's page shows the same district figures),
    the factor CSV for every school."""
    factor_cache.clear()
    reference_cache.clear()
    campaign = scenario.campaign_id
    small, first, third = scenario.small, scenario.schools[0], scenario.schools[2]
    out: dict[str, str] = {}
    admin = _signed_in(app, "boss")
    for code in (small, first) if references_only else (small, first, third):
        out[f"reference {code}"] = _get(
            admin, f"/staff/campaigns/{campaign}/schools/{code}/reference.html"
        )
    if references_only:
        return out
    out["schools"] = _get(admin, "/staff/")
    out["campaign"] = _get(admin, f"/staff/campaigns/{campaign}/")
    for code in (small, first):
        out[f"page {code}"] = _get(admin, f"/staff/schools/{code}")
    for code in scenario.schools:
        out[f"csv {code}"] = _get(admin, f"/staff/campaigns/{campaign}/schools/{code}/factors.csv")
        out[f"xlsx {code}"] = _get_workbook(
            admin, f"/staff/campaigns/{campaign}/schools/{code}/factors.xlsx"
        )
    psychologist = _signed_in(app, "psy")
    for audience, version in scenario.versions.items():
        for wave in (scenario.campaign_id, scenario.previous_id):
            url = f"/designer/versions/{version}/psychometrics?campaign={wave}"
            out[f"psychometrics {audience} {wave}"] = _get(psychologist, url)
    runner = CliRunner()
    for code in (small, third):
        path = tmp_path / f"{code}.html"
        result = runner.invoke(
            main, ["report", "--campaign", str(campaign), "--school", code, "-o", str(path)]
        )
        assert result.exit_code == 0, result.output
        out[f"cli report {code}"] = _normalise(path.read_text(encoding="utf-8"))
    return out


def _frozen_stats(db: Session, scenario: Scenario) -> list[dict[str, Any]]:
    """What a benchmark frozen now from each wave would store (nothing is kept)."""
    stats = []
    for wave in (scenario.campaign_id, scenario.previous_id):
        stats.append(dict(freeze_benchmark(db, wave, f"Эталон {wave}").stats))
    db.rollback()
    return stats


def _assert_same(before: dict[str, str], after: dict[str, str]) -> None:
    assert before.keys() == after.keys()
    moved = [name for name in before if before[name] != after[name]]
    details = "\n".join(f"{n}: {_first_difference(before[n], after[n])}" for n in moved[:5])
    assert not moved, f"outputs that moved with the hidden school's answers: {moved}\n{details}"


GATED_LABELS = ("Обучающиеся", "Родители (законные представители)", "Педагоги")


def _heading(html: str, title: str) -> int:
    """Where the part ``title`` starts: its <h2>, whatever class it carries (print CSS)."""
    found = re.search(rf"<h2[^>]*>{re.escape(title)}</h2>", html)
    assert found, title
    return found.start()


def _assert_hidden(out: dict[str, str], scenario: Scenario) -> None:
    """The small school's own outputs show its n and no value computed from its answers."""
    small = scenario.small
    page = out[f"page {small}"]
    current = page[: page.index("Прошлая волна")]
    for label in GATED_LABELS:
        start = current.index(f'<h3>{label} <span class="muted">— ответов: {SMALL_N}</span>')
        scales = current[start : current.index("</table>", start)]
        factors_start = current.index("<h4>", start)
        end = current.find("<h3>", factors_start)
        factors = current[factors_start : end if end > 0 else None]
        for table in (scales, factors):
            rows = [r for r in table.split("<tr>")[2:] if "<td" in r]
            for row in rows:
                assert "скрыто" in row, (label, row)
                assert not re.search(r"\d,\d\d \[", row), (label, row)  # a mean, an interval
            assert rows or "Факторный анализ не выполнен" in table, (label, table)
    reference = out[f"reference {small}"]
    assert without_charts(reference) == without_charts(out[f"cli report {small}"])
    start = _heading(reference, "Выборка и охват")
    sample = reference[start : reference.index("</table>", start)]
    assert sample.count(f'<td class="n">{SMALL_N}</td>') == 3  # students, parents, teachers
    # each gated group: its n only, no rate and no split by level (which its answers give)
    assert sample.count('<td class="muted">меньше 5 ответов</td>') == 3
    assert 'class="sub"' not in sample
    assert sample.count("\u00a0%") == 1  # the administration's single form
    for label in GATED_LABELS:
        # the form's scales in the appendix: their reliability (the campaign's), then the
        # school's results, which are hidden
        found = re.search(rf"<h4>{re.escape(label)}(?::[^<]*)?</h4>", reference)
        assert found, label
        start = reference.index("Результаты школы", found.end())
        table = reference[start : reference.index("</table>", start)]
        rows = [r for r in table.split("<tr>")[2:] if "<td" in r]
        assert rows and all("не показывается: ответов меньше 5" in r for r in rows), label
        assert not re.search(r"из \d</span>", table)  # no "2,31 из 4"
    profile = reference[_heading(reference, "Профиль рисков") :]
    profile = profile[: profile.index("<h2", 1)]
    for audience in ("обучающиеся", "родители", "педагоги"):
        # its factors are not assessed, or assessed without it: its n and the minimum
        assert f"группа «{audience}» — 3 ответа при минимуме 5" in profile, audience
        # a part of a factor it shares with the administration shows its n and no value
        shown = re.findall(
            rf"\({audience}, ответов: (\d+)\)</span></td><td class=\"num\">([^<]*)", profile
        )
        assert all(int(n) <= SMALL_N and v.startswith("скрыто") for n, v in shown), shown
    # no scale's items and no split by level of a form it has three answers to
    assert 'class="factor-items"' not in profile and 'class="factor-levels"' not in profile
    columns = None
    for line in out[f"csv {small}"].splitlines():
        cells = line.lstrip("\ufeff").split(";")
        if columns is None:
            columns = {name: i for i, name in enumerate(cells)}
            continue
        if cells[0] in GATED_LABELS and len(cells) == len(columns) and cells[columns["n"]]:
            assert int(cells[columns["n"]]) <= SMALL_N
            assert cells[columns["Факторный балл школы"]] == ""
            assert cells[columns["Шкальный балл 0–100"]] == ""
    # The campaign page counts a class link's answers and shows nothing computed from them.
    assert out["campaign"].count("<td>7А</td>") == 2


def test_no_output_moves_with_a_hidden_schools_answers(
    app: Flask, db: Session, cli_env: str, tmp_path: Path
) -> None:
    scenario = _scenario(db)
    before = _render_all(app, scenario, tmp_path)
    _assert_hidden(before, scenario)
    frozen_before = _frozen_stats(db, scenario)
    assert _flip_small_school(db, scenario) == 2 * 3 * SMALL_N
    after = _render_all(app, scenario, tmp_path)
    _assert_same(before, after)
    assert _frozen_stats(db, scenario) == frozen_before

    # With a frozen benchmark as the reference of z-scores, the references still do not move.
    campaign = db.get(m.Campaign, scenario.campaign_id)
    assert campaign is not None
    campaign.benchmark_id = freeze_benchmark(db, scenario.previous_id, "Прошлый год").id
    db.commit()
    with_benchmark = _render_all(app, scenario, tmp_path, references_only=True)
    assert "в сравнении с эталоном «Прошлый год»" in with_benchmark[f"reference {scenario.small}"]
    _flip_small_school(db, scenario)
    _assert_same(with_benchmark, _render_all(app, scenario, tmp_path, references_only=True))


def test_the_printed_pdf_does_not_move_with_a_hidden_schools_answers(
    app: Flask, db: Session, tmp_path: Path
) -> None:
    """The reference's PDF (the HTML printed by Chromium, its charts drawn as images) of a
    school shown next to the small one says the same before and after the small school's
    answers flip: its text, and its pages' pictures."""
    from web.pdf import chromium_path

    if chromium_path() is None:
        _missing("Chromium not found (install the Debian package chromium)")
    pdftotext, pdftoppm = shutil.which("pdftotext"), shutil.which("pdftoppm")
    if pdftotext is None or pdftoppm is None:
        _missing("pdftotext/pdftoppm not found (install the Debian package poppler-utils)")
    assert pdftotext is not None and pdftoppm is not None
    scenario = _scenario(db)
    admin = _signed_in(app, "boss")
    url = f"/staff/campaigns/{scenario.campaign_id}/schools/{scenario.schools[0]}/reference.pdf"

    def printed(name: str) -> tuple[str, list[bytes]]:
        reference_cache.clear()
        response = admin.get(url)
        assert response.status_code == 200, response.text[:300]
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(response.data)
        text = subprocess.run(
            [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        subprocess.run([pdftoppm, "-r", "40", "-png", str(path), str(tmp_path / name)], check=True)
        pages = [p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.png"))]
        return _normalise(text), pages

    before = printed("before")
    assert "Профиль рисков" in before[0] and len(before[1]) > 3
    assert _flip_small_school(db, scenario) == 2 * 3 * SMALL_N
    after = printed("after")
    assert after[0] == before[0]
    assert after[1] == before[1]
