"""Indicators per school (shrinkage, suppression, ICC) and risk profiles on the demo district:
the planted cause of each planted school is its highest risk factor."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.indicators import icc1, school_indicators
from analysis.risk import LEVELS, band, factor_profiles, indicator_z, level
from instruments.library import builtin
from instruments.risk_factors import Indicator, builtin_risk_factors
from surveys.dataset import assessment_frame, audience_data
from surveys.db import make_engine, session_scope, upgrade
from surveys.demo import generate_demo

AUDIENCES = ("student", "parent", "teacher", "administration")


@pytest.fixture(scope="module")
def district():  # type: ignore[no-untyped-def]
    """The demo district's answers (analysis needs no database: this is only the source)."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    with session_scope(engine) as session:
        demo = generate_demo(session, seed=2026, today=dt.date(2026, 11, 1))
        data = {}
        for audience in AUDIENCES:
            loaded = audience_data(session, demo.campaign_id, audience)
            data[audience] = (loaded.instrument, loaded.answers)
        results = assessment_frame(session, sorted(demo.truth["risks"]))
    engine.dispose()
    return demo, data, results


def _catalogue():  # type: ignore[no-untyped-def]
    by_factor = builtin_risk_factors().indicators_by_factor([])
    indicators = [i for items in by_factor.values() for i in items]
    return indicators, {f: [i.code for i in items] for f, items in by_factor.items()}


def test_planted_causes_top_the_risk_profiles(district) -> None:  # type: ignore[no-untyped-def]
    demo, data, _ = district
    indicators, factors = _catalogue()
    table = indicator_z(school_indicators(data, indicators))
    profiles = factor_profiles(table, factors)
    demo_to_catalogue = {
        "wellbeing": "wellbeing",
        "burnout": "teacher_burnout",
        "parents": "parental_involvement",
        "motivation": "motivation",
        "discipline": "discipline",
    }
    for school, planted in demo.truth["planted"].items():
        factor = demo_to_catalogue[planted]
        mine = profiles[profiles.school_code == school].set_index("factor")["composite"]
        assert mine.idxmax() == factor, (school, mine.sort_values().tail(3))
        assert level(mine[factor]) == "high"
        per_factor = profiles[profiles.factor == factor].set_index("school_code")["composite"]
        assert per_factor.idxmax() == school


def test_unplanted_schools_rarely_show_high_risk(district) -> None:  # type: ignore[no-untyped-def]
    demo, data, _ = district
    indicators, factors = _catalogue()
    profiles = factor_profiles(indicator_z(school_indicators(data, indicators)), factors)
    clean = profiles[~profiles.school_code.isin(demo.truth["planted"])]
    share_high = float((clean.level == "high").mean())
    # Composites are z-scores over 12 schools: about 1 in 6 lies above +1 SD by construction.
    assert share_high <= 0.2, share_high


def test_small_schools_are_shrunk_and_suppressed() -> None:
    student = builtin("student_5_11")
    rng = np.random.default_rng(0)
    rows = []
    for school, n, shift in (
        ("big", 400, 0.0),
        ("mid", 60, 0.3),
        ("tiny", 6, 1.0),
        ("few", 3, 0.0),
    ):
        for _ in range(n):
            rows.append(
                {
                    "school_code": school,
                    "bul_1": float(np.clip(round(1.5 + shift + rng.normal(0, 0.8)), 1, 4)),
                }
            )
    answers = pd.DataFrame(rows)
    for code in ("bul_2", "bul_3", "bul_4", "bul_5"):
        answers[code] = answers["bul_1"]
    indicator = Indicator(
        code="bull",
        title={"ru": "Травля"},
        audience="student",
        instrument="student_5_11",
        scale="bullying",
        statistic="mean",
        direction="risk",
    )
    table = school_indicators({"student": (student, answers)}, [indicator], min_group_size=5)
    rows_by = table.set_index("school_code")
    assert rows_by.loc["few", "suppressed"] and np.isnan(rows_by.loc["few", "value"])
    tiny = rows_by.loc["tiny"]
    assert 0 < tiny["reliability"] < rows_by.loc["big", "reliability"] <= 1
    # Shrunk towards the district: between its own mean and the district's.
    assert rows_by.loc["big", "value"] < tiny["shrunken"] < tiny["value"]


def test_icc_matches_the_anova_definition() -> None:
    values = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9.0])
    groups = pd.Series(list("aaabbbccc"))
    # MSB = 3 * ((2-5)^2 + 0 + 3^2) / 2 = 27; MSW = 1; n0 = 3 -> (27-1)/(27+2) = 26/29
    assert_allclose(icc1(values, groups), 26 / 29)


def test_bands_and_levels() -> None:
    assert [band(z) for z in (-2, -1, 0, 1, 2)] == [
        "значительно лучше",
        "лучше",
        "на уровне",
        "хуже",
        "значительно хуже",
    ]
    assert [level(z) for z in (1.2, 0.7, 0.0, -1.0)] == [c for _, c, _ in LEVELS]


def test_planted_causes_are_among_each_school_s_top_three_probable_causes(
    district,  # type: ignore[no-untyped-def]
) -> None:
    from analysis.causes import factor_associations, probable_causes, school_outcomes

    demo, data, results = district
    indicators, factors = _catalogue()
    profiles = factor_profiles(indicator_z(school_indicators(data, indicators)), factors)
    outcomes = school_outcomes(results)
    associations = factor_associations(profiles, outcomes, n_boot=300, seed=1)
    assert associations.table.loc["motivation", "rho"] > 0  # planted to lower results
    assert any("Школ" in w or "мало" in w for w in associations.warnings) or len(outcomes) >= 10
    causes = probable_causes(profiles, associations)
    demo_to_catalogue = {
        "wellbeing": "wellbeing",
        "burnout": "teacher_burnout",
        "parents": "parental_involvement",
        "motivation": "motivation",
        "discipline": "discipline",
    }
    for school, planted in demo.truth["planted"].items():
        top = causes[causes.school_code == school].head(3)["factor"].tolist()
        assert demo_to_catalogue[planted] in top, (school, planted, top)


def test_lmg_shares_sum_to_r_squared() -> None:
    from analysis.causes import _r2, lmg

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    outcome = frame["a"] * 0.8 + frame["b"] * 0.3 + rng.normal(0, 0.5, 40)
    shares = lmg(frame, outcome)
    assert_allclose(shares.sum(), _r2(frame, outcome, ("a", "b", "c")))
    assert shares["a"] > shares["b"] > shares["c"] >= -1e-9


def test_empirical_factor_scores_recover_the_student_scales(district) -> None:  # type: ignore[no-untyped-def]
    from analysis.factor_scores import school_factor_scores

    demo, data, _ = district
    instrument, answers = data["student"]
    result = school_factor_scores(answers, instrument, seed=1)
    labels = set(result.labels.values())
    # The data were generated from the scales: the main ones come back as factors.
    assert any("bullying" in label for label in labels)
    assert any("classroom_disorder" in label for label in labels)
    bullying = next(f for f, label in result.labels.items() if "bullying" in label)
    table = result.schools[result.schools.factor == bullying].set_index("school_code")
    planted = next(s for s, f in demo.truth["planted"].items() if f == "wellbeing")
    loading_sign = np.sign(result.solution.loadings[bullying].sum())
    assert (table["mean"] * loading_sign).idxmax() == planted
    assert not table["suppressed"].any() or table.loc[table["suppressed"], "mean"].isna().all()


def test_icc_is_undefined_with_one_answer_per_school() -> None:
    assert np.isnan(icc1(pd.Series([1.0, 2.0, 3.0]), pd.Series(["a", "b", "c"])))
