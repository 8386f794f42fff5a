"""Probable causes only where the evidence is (issue 14): outcome indicators never compete, a
factor qualifies only when the school's interval clears the risk zone and its results are low,
the district model separates a causal factor from one that merely travels with it, an
unassociated district names no cause by association, and a factor a small school's audience
cannot measure is reported as not assessed with the reason. No database."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.causes import (
    MIN_MODEL_SCHOOLS,
    analyse_causes,
    driver_factors,
    outcome_factors,
)
from analysis.risk import RISK_ZONE, ZONE_QUANTILE, factor_profiles
from instruments.library import builtin
from instruments.risk_factors import Indicator, builtin_risk_factors

OUTCOMES = {"adm_share_recommended_extra", "stu_failing_marks", "tch_obstacle_gaps"}


def _by_factor() -> dict[str, list[Indicator]]:
    return builtin_risk_factors().indicators_by_factor([])


def _table(
    levels: dict[str, dict[str, float]], *, se: float = 0.1, schools: int = 12, seed: int = 0
) -> pd.DataFrame:
    """An :func:`analysis.risk.indicator_z`-like table: every catalogue indicator for
    ``schools`` schools S00..; risk_z drawn around 0 (sd 0.3), or the level given per school
    and indicator code; each with standard error ``se``."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(schools):
        school = f"S{s:02d}"
        for indicator in (i for items in _by_factor().values() for i in items):
            z = levels.get(school, {}).get(indicator.code, float(rng.normal(0, 0.3)))
            rows.append(
                {
                    "school_code": school,
                    "indicator": indicator.code,
                    "audience": indicator.audience.value,
                    "direction": "risk",
                    "weight": indicator.weight,
                    "n": 30,
                    "suppressed": False,
                    "risk_z": z,
                    "risk_z_se": se,
                    "cutoff": None,
                }
            )
    return pd.DataFrame(rows)


def _factor_level(factor: str, value: float) -> dict[str, float]:
    return {i.code: value for i in _by_factor()[factor]}


def test_the_catalogue_marks_exactly_the_three_outcome_indicators() -> None:
    by_factor = _by_factor()
    marked = {i.code for items in by_factor.values() for i in items if i.role == "outcome"}
    assert marked == OUTCOMES
    assert outcome_factors(by_factor) == {
        "students_at_risk": [
            "adm_share_recommended_extra",
            "stu_failing_marks",
            "tch_obstacle_gaps",
        ]
    }
    drivers = driver_factors(by_factor)
    assert "students_at_risk" not in drivers
    assert not OUTCOMES & {c for codes in drivers.values() for c in codes}


def test_an_extreme_outcome_indicator_changes_neither_the_association_nor_the_causes() -> None:
    by_factor = _by_factor()
    levels = {"S03": _factor_level("motivation", 2.0)}
    base = _table(levels)
    schools = sorted(base["school_code"].unique())
    # S03 and S07 have the district's lowest results (the most «2»).
    shares = np.linspace(0.05, 0.5, len(schools))
    shares[[3, 7, 10, 11]] = shares[[10, 11, 3, 7]]
    results = pd.Series(shares, index=schools, name="share_failing")
    # The outcome indicator follows the results exactly: it would top any association.
    marks = base["indicator"] == "stu_failing_marks"
    base.loc[marks, "risk_z"] = base.loc[marks, "school_code"].map(
        ((results - results.mean()) / results.std()).to_dict()
    )
    extreme = base.copy()
    for code in OUTCOMES:
        extreme.loc[
            (extreme["school_code"] == "S07") & (extreme["indicator"] == code), "risk_z"
        ] = 25
    before = analyse_causes(base, by_factor, results, n_boot=200, seed=1)
    after = analyse_causes(extreme, by_factor, results, n_boot=200, seed=1)
    pd.testing.assert_frame_equal(before.causes, after.causes)
    assert before.associations is not None and after.associations is not None
    pd.testing.assert_frame_equal(before.associations.table, after.associations.table)
    assert "students_at_risk" not in set(after.causes["factor"])
    assert "students_at_risk" not in after.associations.table.index
    assert after.causes[after.causes.school_code == "S03"]["factor"].tolist() == ["motivation"]
    # The same data with the outcomes relabelled as drivers: the circular factor wins.
    relabelled = {
        factor: [i.model_copy(update={"role": "driver"}) for i in items]
        for factor, items in by_factor.items()
    }
    circular = analyse_causes(extreme, relabelled, results, n_boot=200, seed=1)
    assert circular.causes[circular.causes.school_code == "S07"]["factor"].iloc[0] == (
        "students_at_risk"
    )


def test_a_school_at_the_district_mean_on_everything_gets_no_cause() -> None:
    everything = {i.code: 0.0 for items in _by_factor().values() for i in items}
    table = _table({"S05": everything}, se=0.2)
    outcomes = pd.Series(
        np.linspace(0.1, 0.4, 12), index=[f"S{s:02d}" for s in range(12)], name="share_failing"
    )
    analysis = analyse_causes(table, _by_factor(), outcomes, n_boot=200, seed=1)
    assert "S05" not in set(analysis.causes["school_code"])
    mine = analysis.profiles[analysis.profiles.school_code == "S05"]
    assert not mine["credible"].any() and (mine["composite"] == 0).all()


def test_a_point_estimate_in_the_risk_zone_with_a_wide_interval_is_no_cause() -> None:
    by_factor = _by_factor()
    table = _table({"S01": _factor_level("wellbeing", 0.9), "S02": _factor_level("wellbeing", 0.9)})
    # S01 measured precisely, S02 from few answers: the same level, different evidence.
    noisy = (table["school_code"] == "S02") & table["indicator"].isin(
        [i.code for i in by_factor["wellbeing"]]
    )
    table.loc[noisy, "risk_z_se"] = 0.8
    profiles = factor_profiles(table, driver_factors(by_factor)).set_index(
        ["school_code", "factor"]
    )
    precise, vague = profiles.loc[("S01", "wellbeing")], profiles.loc[("S02", "wellbeing")]
    assert precise["level"] == vague["level"] == "elevated"
    assert precise["composite_low"] >= RISK_ZONE > vague["composite_low"]
    causes = analyse_causes(table, by_factor).causes
    assert "wellbeing" in set(causes[causes.school_code == "S01"]["factor"])
    assert "wellbeing" not in set(causes[causes.school_code == "S02"]["factor"])


def test_errors_of_one_audience_add_up_and_of_different_audiences_do_not() -> None:
    table = pd.DataFrame(
        {
            "school_code": ["A"] * 3,
            "indicator": ["s1", "s2", "t1"],
            "audience": ["student", "student", "teacher"],
            "direction": ["risk", "favourable", "risk"],
            "weight": [1.0, 1.0, 2.0],
            "risk_z": [1.0, 1.0, 1.0],
            "risk_z_se": [0.4, 0.4, 0.2],
            "suppressed": [False] * 3,
        }
    )
    factors = {"f": ["s1", "s2", "t1"]}
    # a = (1/4, 1/4, 1/2): students 0.1 + 0.1 (r = 1), teachers 0.1 -> √(0.2² + 0.1²)
    conservative = factor_profiles(table, factors).iloc[0]
    assert np.isclose(conservative["composite_se"], np.sqrt(0.2**2 + 0.1**2))
    # With the estimated correlation of the raw values (−0.5 between a risk and a favourable
    # indicator: +0.5 once both are turned towards risk): √(0.1² + 0.1² + 2·0.5·0.01 + 0.1²).
    correlation = pd.DataFrame(
        [[1, -0.5, 0], [-0.5, 1, 0], [0, 0, 1]],
        index=["s1", "s2", "t1"],
        columns=["s1", "s2", "t1"],
    )
    estimated = factor_profiles(table, factors, error_correlation=correlation).iloc[0]
    assert np.isclose(estimated["composite_se"], np.sqrt(0.01 + 0.01 + 0.01 + 0.01))
    assert np.isclose(estimated["composite_low"], 1 - ZONE_QUANTILE * 0.2)


def test_a_district_where_no_factor_goes_with_results_names_no_cause_by_association() -> None:
    """Results that have nothing to do with the factors: the model finds no association, no
    cause is said to be associated, and the ranking is the order of the composites."""
    by_factor = _by_factor()
    levels = {
        "S04": {**_factor_level("discipline", 1.4), **_factor_level("wellbeing", 2.2)},
    }
    table = _table(levels, schools=30)
    schools = sorted(table["school_code"].unique())
    rng = np.random.default_rng(11)
    unrelated = pd.Series(rng.uniform(0.1, 0.3, len(schools)), index=schools)
    unrelated["S04"] = 0.35  # low results, for reasons the survey did not measure
    analysis = analyse_causes(table, by_factor, unrelated.rename("share_failing"), n_boot=200)
    assert analysis.model is not None and analysis.model.fitted
    assert not analysis.model.table["associated"].any()
    assert not analysis.causes["associated"].any()
    mine = analysis.causes[analysis.causes.school_code == "S04"]
    assert mine["factor"].tolist() == ["wellbeing", "discipline"]
    # Without results at all the same two factors, by their composites.
    alone = analyse_causes(table, by_factor).causes
    assert alone[alone.school_code == "S04"]["factor"].tolist() == ["wellbeing", "discipline"]


def test_a_school_whose_results_are_not_low_gets_no_cause_of_low_results() -> None:
    by_factor = _by_factor()
    table = _table({"S02": _factor_level("wellbeing", 2.0), "S09": _factor_level("wellbeing", 2.0)})
    schools = sorted(table["school_code"].unique())
    results = pd.Series(0.2, index=schools, name="share_failing")
    results["S02"], results["S09"] = 0.05, 0.4
    analysis = analyse_causes(table, by_factor, results, n_boot=200)
    named = analysis.causes.groupby("school_code")["factor"].agg(list)
    assert named.get("S09") == ["wellbeing"]
    assert "S02" not in named.index
    assert bool(analysis.results_low["S09"]) and not bool(analysis.results_low["S02"])
    # both are credibly in the risk zone: the profile still says so
    credible = analysis.profiles.set_index(["school_code", "factor"])["credible"]
    assert credible[("S02", "wellbeing")] and credible[("S09", "wellbeing")]


def _district(seed: int, schools: int = 40) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """A district where discipline drives results and motivation only travels with it
    (r ≈ 0.8 across schools); every other factor is noise."""
    rng = np.random.default_rng(seed)
    codes = [f"S{s:02d}" for s in range(schools)]
    discipline = rng.normal(0, 1, schools)
    motivation = 0.8 * discipline + 0.6 * rng.normal(0, 1, schools)
    levels = {
        code: {**_factor_level("discipline", d), **_factor_level("motivation", m)}
        for code, d, m in zip(codes, discipline, motivation, strict=True)
    }
    logit = np.log(0.15 / 0.85) + 0.5 * discipline + rng.normal(0, 0.15, schools)
    results = pd.Series(1 / (1 + np.exp(-logit)), index=codes, name="share_failing")
    return _table(levels, schools=schools, seed=seed), results, codes


def test_the_district_model_separates_a_cause_from_a_factor_that_travels_with_it() -> None:
    table, results, _ = _district(3)
    analysis = analyse_causes(table, _by_factor(), results, n_boot=300)
    assert analysis.associations is not None and analysis.model is not None
    rho = analysis.associations.table["rho"]
    # one factor at a time, both look associated ...
    assert rho["discipline"] > 0.8 and rho["motivation"] > 0.6
    # ... all at once, only the one that drives the results is
    model = analysis.model.table
    assert bool(model.loc["discipline", "associated"])
    assert not bool(model.loc["motivation", "associated"])
    assert model.loc["discipline", "beta"] > 3 * abs(model.loc["motivation", "beta"])


def test_causes_are_ranked_by_the_expected_contribution_to_the_school_s_results() -> None:
    """A school in the risk zone of both: the factor the model associates with results comes
    first even when the other one's composite is higher."""
    table, results, codes = _district(4)
    school = codes[0]
    both = (table["school_code"] == school) & table["indicator"].isin(
        [i.code for i in _by_factor()["discipline"]]
    )
    table.loc[both, "risk_z"] = 1.2
    wellbeing = (table["school_code"] == school) & table["indicator"].isin(
        [i.code for i in _by_factor()["wellbeing"]]
    )
    table.loc[wellbeing, "risk_z"] = 2.0
    results[school] = results.max()
    analysis = analyse_causes(table, _by_factor(), results, n_boot=200)
    mine = analysis.causes[analysis.causes.school_code == school]
    assert mine["factor"].tolist()[:2] == ["discipline", "wellbeing"]
    assert bool(mine.iloc[0]["associated"])
    assert mine.iloc[0]["composite"] < mine.iloc[1]["composite"]


def test_with_few_schools_no_model_is_fitted_and_the_reference_says_why() -> None:
    table, results, _ = _district(5, schools=MIN_MODEL_SCHOOLS - 1)
    analysis = analyse_causes(table, _by_factor(), results, n_boot=200)
    assert analysis.model is not None and not analysis.model.fitted
    assert analysis.model.reason is not None and "нужно не меньше 20" in analysis.model.reason
    assert not analysis.causes["associated"].any()


def _teacher_answers(sizes: dict[str, int], seed: int = 5) -> pd.DataFrame:
    """Random answers to the teachers' form, ``sizes`` teachers per school: an option of each
    item that has options (one, in a list, for a multiple choice), nothing elsewhere."""
    teacher = builtin("teacher")
    rng = np.random.default_rng(seed)
    rows = []
    for school, n in sizes.items():
        for _ in range(n):
            row: dict[str, object] = {"school_code": school}
            for item in teacher.items():
                values = [o.value for o in teacher.options_for(item)]
                if not values:
                    row[item.code] = None
                    continue
                chosen = values[int(rng.integers(0, min(len(values), 4)))]
                row[item.code] = [chosen] if item.type.value == "multiple_choice" else chosen
            rows.append(row)
    return pd.DataFrame(rows)


def test_a_small_school_s_teacher_factors_are_reported_as_not_assessed_with_the_reason() -> None:
    from analysis.report.profile import build_risk_section

    teacher = builtin("teacher")
    sizes = {f"S{s}": 14 for s in range(6)} | {"small": 3}
    section = build_risk_section(
        "small",
        {"teacher": (teacher, _teacher_answers(sizes))},
        builtin_risk_factors(),
        min_group_size=5,
    )
    burnout = next(f for f in section.factors if f.code == "teacher_burnout")
    assert burnout.composite is None
    assert burnout.short_note == "не оценён: группа «педагоги» — 3 ответа при минимуме 5"
    assert "не оценён" in burnout.text and "3 ответа при минимуме 5" in burnout.text
    expected = (
        "«Профессиональное выгорание педагогов» — не оценён: группа «педагоги» — 3 ответа "
        "при минимуме 5."
    )
    assert expected in section.not_assessed
    assert "teacher_burnout" not in [c.factor for c in section.causes]
    # A school with enough teachers has no such note.
    other = build_risk_section(
        "S0",
        {"teacher": (teacher, _teacher_answers(sizes))},
        builtin_risk_factors(),
        min_group_size=5,
    )
    assert not other.not_assessed
    assert all(f.short_note is None for f in other.factors)


def test_the_outcome_factor_is_shown_as_a_description_of_the_problem() -> None:
    from analysis.report.profile import build_risk_section

    teacher = builtin("teacher")
    answers = _teacher_answers({f"S{s}": 14 for s in range(6)})
    answers["main_obstacles"] = [[1, 2] if i % 2 else [3] for i in range(len(answers))]
    section = build_risk_section(
        "S0", {"teacher": (teacher, answers)}, builtin_risk_factors(), min_group_size=5
    )
    shown = next(f for f in section.factors if f.code == "students_at_risk")
    assert shown.outcome and shown.level is not None
    assert "не рассматривается как её причина" in shown.text
    assert "students_at_risk" not in [c.factor for c in section.causes]
    assert not any(f.outcome for f in section.factors if f.code != "students_at_risk")
