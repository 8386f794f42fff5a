"""School summaries: t intervals, counts, and suppression of small groups."""

from __future__ import annotations

import datetime as dt

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


def test_reference_states_the_published_cut_off_in_plain_russian() -> None:
    """A district where every school has about 30 % bullied students: the reference says the
    school is above the instrument's threshold and draws the anti-bullying measures."""
    from analysis.report.profile import build_risk_section
    from analysis.report.roadmap import build_roadmap
    from analysis.report.study import Specialists
    from instruments.risk_factors import builtin_risk_factors
    from tests.analysis.test_risk import _student_answers, _student_v2

    student = _student_v2()
    answers = _student_answers({f"S{i}": (120, 30 + 3 * i, 0.15 * (i - 3)) for i in range(7)})
    section = build_risk_section(
        "S0", {"student": (student, answers)}, builtin_risk_factors(), min_group_size=5
    )
    wellbeing = next(f for f in section.factors if f.code == "wellbeing")
    assert wellbeing.raised_by_cutoff and wellbeing.level == "elevated"
    assert wellbeing.level_label == "повышенный"
    title = "Доля учеников 5–11 классов, подвергавшихся травле несколько раз в месяц и чаще"
    assert wellbeing.cutoff_drivers == [title]
    assert (
        f"«{title}» — 25\u00a0%, выше порога 10\u00a0%, установленного методикой." in wellbeing.text
    )
    assert "по порогу методики" in wellbeing.text
    row = next(i for i in wellbeing.indicators if i.title == title)
    assert row.cutoff == "high"
    assert row.cutoff_text == "выше порога 10\u00a0%, установленного методикой: высокий риск"
    others = [i for i in wellbeing.indicators if i.title != title]
    assert others and all(i.cutoff is None and i.cutoff_text is None for i in others)
    # Shared by every school, the norm exceeded names no cause of this school's lower results,
    # but the factor is at «повышенный» and its measures are in the roadmap.
    assert "wellbeing" not in [c.factor for c in section.causes]
    roadmap = build_roadmap(
        section,
        builtin_risk_factors(),
        today=dt.date(2026, 12, 7),
        staff=Specialists(),
        staff_source="",
        campaign_title="Волна",
    )
    assert "Программа профилактики травли" in [r.measure for r in roadmap.rows]


def test_scale_rows_and_indicators_share_one_cut_off_rule() -> None:
    """A school of 6 students, 2 of them bullied (33 %): above 10 % on its face, but its
    interval reaches below the cut-off, in the scale table and in the risk profile alike."""
    from analysis.indicators import school_indicators
    from analysis.report import build_school_reference
    from analysis.report.profile import _cutoff_text
    from instruments.risk_factors import builtin_risk_factors
    from tests.analysis.test_risk import _student_answers, _student_v2

    student = _student_v2()
    answers = _student_answers({"tiny": (6, 2, 0.0), "large": (400, 60, 0.0), "calm": (200, 2, 0)})
    indicators = [
        i for i in builtin_risk_factors().factor("wellbeing").indicators if i.scale == "bullying"
    ]
    table = school_indicators({"student": (student, answers)}, indicators[:1], min_group_size=5)
    expected = table.set_index("school_code")["cutoff"].to_dict()
    assert expected == {"tiny": "middle", "large": "high", "calm": "low"}
    for school in expected:
        reference = build_school_reference(
            school_code=school,
            school_name=school,
            district_name="D",
            campaign_title="C",
            period="",
            min_group_size=5,
            audiences=[("student", student, answers)],
        )
        row = next(r for r in reference.sections[0].rows if r.code == "bullying")
        assert row.cutoff == expected[school], school
    tiny = table.set_index("school_code").loc["tiny"]
    bullying = next(s for s in student.scales if s.code == "bullying")
    assert bullying.cutoffs is not None
    assert _cutoff_text(tiny, bullying.cutoffs) == (
        "выше порога 10\u00a0%, но в пределах погрешности (6 ответов)"
    )


def test_summary_is_each_scale_grouped_on_its_own() -> None:
    """The scales' scores, POMP and prevalence are grouped together in one frame: each
    figure is still, to the bit, that of a groupby of its own column (NaN skipped value by
    value, respondents without a school or a score left out)."""
    student = builtin("student_5_11")
    answers = _answers(37, 23, seed=11)
    answers.loc[answers.index[::5], answers.columns[:9]] = np.nan
    answers.loc[answers.index[3::11], "school_code"] = None
    scores = score_scales(answers, student)
    table = school_scale_summary(scores, answers["school_code"], student, min_group_size=5)
    schools = answers["school_code"].to_numpy()
    for scale in student.scales:
        rows = table[table["scale"] == scale.code].set_index("school_code")
        score = scores.score[scale.code]
        grouped = score.groupby(schools, sort=True)
        scored = score.notna()
        expected = {
            "n": grouped.count(),
            "mean": grouped.mean(),
            "sd": grouped.std(),
            "pomp": scores.pomp[scale.code].where(scored).groupby(schools, sort=True).mean(),
            "prevalence": scores.prevalence[scale.code]
            .where(scored)
            .groupby(schools, sort=True)
            .mean(),
        }
        for name, values in expected.items():
            assert rows.index.tolist() == values.index.tolist()
            assert np.array_equal(
                rows[name].to_numpy(dtype=float), values.to_numpy(dtype=float), equal_nan=True
            ), (scale.code, name)
