"""School summaries: t intervals, counts, and suppression of small groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose
from scipy import stats

from analysis.profiles import school_scale_summary
from analysis.scoring import score_scales
from instruments.library import builtin


def _answers(n_a: int, n_b: int, seed: int = 3) -> pd.DataFrame:
    student = builtin("student_5_11")
    rng = np.random.default_rng(seed)
    codes = [i.code for i in student.items() if i.type.value == "likert"]
    frame = pd.DataFrame(rng.integers(1, 5, (n_a + n_b, len(codes))).astype(float), columns=codes)
    frame["school_code"] = ["A"] * n_a + ["B"] * n_b
    return frame


def test_mean_interval_and_n_match_scipy() -> None:
    student = builtin("student_5_11")
    answers = _answers(30, 8)
    scores = score_scales(answers, student)
    table = school_scale_summary(scores, answers["school_code"], student, min_group_size=5)
    row = table[(table.school_code == "A") & (table.scale == "bullying")].iloc[0]
    values = scores.score.loc[answers.school_code == "A", "bullying"]
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert row.n == 30
    assert_allclose([row["mean"], row.ci_low, row.ci_high], [values.mean(), low, high])
    prevalence = scores.prevalence.loc[answers.school_code == "A", "bullying"].mean()
    assert_allclose(row.prevalence, prevalence)


def test_groups_below_minimum_are_suppressed() -> None:
    student = builtin("student_5_11")
    answers = _answers(30, 4)
    scores = score_scales(answers, student)
    table = school_scale_summary(scores, answers["school_code"], student, min_group_size=5)
    small = table[table.school_code == "B"]
    assert small.suppressed.all()
    assert small[["mean", "sd", "ci_low", "ci_high", "pomp", "prevalence"]].isna().all().all()
    assert not table[table.school_code == "A"].suppressed.any()
    assert list(table.columns[:3]) == ["school_code", "scale", "n"]


def test_reference_shows_the_single_administration_answer_but_hides_small_groups() -> None:
    from analysis.report import build_school_reference

    student, admin = builtin("student_5_11"), builtin("administration")
    students = _answers(3, 30)  # school A has only 3 students
    equipment = [i for s in admin.scales if s.code == "equipment" for i in s.items]
    admin_answers = pd.DataFrame({code: [3.0, 2.0] for code in equipment})
    admin_answers["school_code"] = ["A", "B"]
    reference = build_school_reference(
        school_code="A",
        school_name="A",
        district_name="D",
        campaign_title="C",
        period="",
        min_group_size=5,
        audiences=[("student", student, students), ("administration", admin, admin_answers)],
    )
    student_rows, admin_rows = reference.sections[0].rows, reference.sections[1].rows
    assert all(r.suppressed and r.mean is None for r in student_rows)
    equipment_row = next(r for r in admin_rows if r.code == "equipment")
    assert not equipment_row.suppressed and equipment_row.mean == 3.0 and equipment_row.n == 1
