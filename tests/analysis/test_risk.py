"""Indicators per school (shrinkage, suppression, ICC) and risk profiles on the demo district:
the planted cause of each planted school is its highest risk factor."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.indicators import (
    cutoff_positions,
    icc1,
    proportion_interval,
    school_indicators,
)
from analysis.risk import LEVELS, band, factor_profiles, indicator_z, level
from instruments.library import builtin
from instruments.risk_factors import Indicator, builtin_risk_factors
from instruments.schema import Cutoffs, Instrument
from surveys.dataset import assessment_frame, form_data, school_status_frame
from surveys.db import make_engine, session_scope, upgrade
from surveys.demo import generate_demo

#: each audience's main form (the demo may give students the grades 2–4 form too)
FORMS = ("student_5_11", "parent", "teacher", "specialist", "administration")


@pytest.fixture(scope="module")
def district():  # type: ignore[no-untyped-def]
    """The demo district's answers (analysis needs no database: this is only the source)."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    with session_scope(engine) as session:
        demo = generate_demo(session, seed=2026, today=dt.date(2026, 11, 1))
        data = {}
        for code in FORMS:
            loaded = form_data(session, demo.campaign_id, code)
            data[code] = (loaded.instrument, loaded.answers)
        results = assessment_frame(session, sorted(demo.truth["risks"]))
        status = school_status_frame(session, sorted(demo.truth["risks"]))
    engine.dispose()
    return demo, data, results, status


def _catalogue():  # type: ignore[no-untyped-def]
    by_factor = builtin_risk_factors().indicators_by_factor([])
    indicators = [i for items in by_factor.values() for i in items]
    return indicators, {f: [i.code for i in items] for f, items in by_factor.items()}


def test_planted_causes_top_the_risk_profiles(district) -> None:  # type: ignore[no-untyped-def]
    demo, data, _, _ = district
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
    demo, data, _, _ = district
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


def test_icc_leaves_out_missing_values_and_groups() -> None:
    values = pd.Series([np.nan, 1, 2, 5.0, 3, 4, 5, 6, 7, 8, 9.0, 2.0])
    groups = pd.Series(["c", "a", "a", None, "a", "b", "b", "b", "c", "c", "c", np.nan])
    # The same as the nine answers of three groups, whatever the order the groups come in.
    assert icc1(values, groups) == icc1(values[1:11].drop(3), groups[1:11].drop(3))
    assert_allclose(icc1(values.to_numpy(), groups.to_numpy()), 26 / 29)


def test_bands_and_levels() -> None:
    assert [band(z) for z in (-2, -1, 0, 1, 2)] == [
        "значительно лучше",
        "лучше",
        "на уровне",
        "хуже",
        "значительно хуже",
    ]
    assert [level(z) for z in (1.2, 0.7, 0.0, -1.0)] == [c for _, c, _ in LEVELS]


def test_planted_causes_are_first_or_second_among_each_school_s_probable_causes(
    district,  # type: ignore[no-untyped-def]
) -> None:
    from analysis.causes import analyse_causes, school_outcomes
    from analysis.indicators import error_correlations

    demo, data, results, status = district
    by_factor = builtin_risk_factors().indicators_by_factor([])
    indicators = [i for items in by_factor.values() for i in items]
    outcomes = school_outcomes(results)
    analysis = analyse_causes(
        indicator_z(school_indicators(data, indicators)),
        by_factor,
        outcomes,
        listed_low=status["low_results"],
        error_correlation=error_correlations(data, indicators),
        n_boot=300,
        seed=1,
    )
    associations = analysis.associations
    assert associations is not None
    assert associations.table.loc["motivation", "rho"] > 0  # planted to lower results
    assert "students_at_risk" not in associations.table.index  # an outcome, never a cause
    assert any("Школ" in w or "мало" in w for w in associations.warnings) or len(outcomes) >= 10
    causes = analysis.causes
    demo_to_catalogue = {
        "wellbeing": "wellbeing",
        "burnout": "teacher_burnout",
        "parents": "parental_involvement",
        "motivation": "motivation",
        "discipline": "discipline",
    }
    for school, planted in demo.truth["planted"].items():
        top = causes[causes.school_code == school].head(2)["factor"].tolist()
        assert demo_to_catalogue[planted] in top, (school, planted, top)
    # Most clean schools are credibly in no risk zone and get no cause at all.
    clean = set(demo.truth["risks"]) - set(demo.truth["planted"])
    named = clean & set(causes["school_code"])
    assert not named, sorted(named)


def test_lmg_shares_sum_to_r_squared() -> None:
    from analysis.causes import _r2, lmg

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    outcome = frame["a"] * 0.8 + frame["b"] * 0.3 + rng.normal(0, 0.5, 40)
    shares = lmg(frame, outcome)
    assert_allclose(shares.sum(), _r2(frame.to_numpy(), outcome.to_numpy(), (0, 1, 2)))
    assert shares["a"] > shares["b"] > shares["c"] >= -1e-9


def test_empirical_factor_scores_recover_the_student_scales(district) -> None:  # type: ignore[no-untyped-def]
    from analysis.factor_scores import school_factor_scores

    demo, data, _, _ = district
    instrument, answers = data["student_5_11"]
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


def _student_answers(schools: dict[str, tuple[int, int, float]], seed: int = 5) -> pd.DataFrame:
    """Answers to the bullying, belonging and teacher support scales of student_5_11:
    school -> (respondents, how many of them are bullied a few times a month or more, shift
    of belonging and teacher support on the 1–4 item metric)."""
    rng = np.random.default_rng(seed)
    rows = []
    for school, (n, bullied, shift) in schools.items():
        for k in range(n):
            row: dict[str, object] = {"school_code": school}
            for code in ("bul_1", "bul_2", "bul_3", "bul_4", "bul_5"):
                row[code] = 1.0
            if k < bullied:  # the prevalence rule: any item "a few times a month" (3) or more
                row[f"bul_{rng.integers(1, 6)}"] = float(rng.integers(3, 5))
            for codes, reversed_code in (
                (("bel_1", "bel_2", "bel_3", "bel_4"), "bel_3"),
                (("tsup_1", "tsup_2", "tsup_3", "tsup_4"), "tsup_4"),
            ):
                for code in codes:
                    value = float(np.clip(round(3.0 + shift + rng.normal(0, 0.7)), 1, 4))
                    row[code] = 5.0 - value if code == reversed_code else value
            rows.append(row)
    frame = pd.DataFrame(rows)
    # The questionnaire's other items were not answered.
    others = [i.code for i in builtin("student_5_11").items() if i.code not in frame.columns]
    return frame.reindex(columns=[*frame.columns, *others])


def _student_v2() -> Instrument:
    """student_5_11 with the bullying cut-offs of its version 2 (below 5 % low, above 10 %
    high risk), which campaigns that fielded that version keep: the cases below are worked out
    for them. Version 3 moved them to 15 % and 25 % (see the library file)."""
    data = builtin("student_5_11").model_dump(mode="json", exclude_defaults=True)
    bullying = next(s for s in data["scales"] if s["code"] == "bullying")
    bullying["cutoffs"].update(low_below=5, high_above=10)
    return Instrument.model_validate({**data, "version": 2})


def _wellbeing() -> tuple[list[Indicator], dict[str, list[str]]]:
    """The catalogue's wellbeing indicators on the student_5_11 questionnaire."""
    indicators = [
        i
        for i in builtin_risk_factors().factor("wellbeing").indicators
        if i.instrument == "student_5_11"
    ]
    return indicators, {"wellbeing": [i.code for i in indicators]}


def test_wilson_interval_matches_binom_wilson() -> None:
    # binom::binom.confint(c(2, 0, 30), c(10, 20, 100), methods = "wilson")
    low, high = proportion_interval([0.2, 0.0, 0.3], [10, 20, 100])
    assert_allclose(low, [0.05668215, 0.0, 0.2189489], rtol=1e-5, atol=1e-7)
    assert_allclose(high, [0.5098375, 0.1611251, 0.3958485], rtol=1e-5)
    assert np.isnan(proportion_interval([0.5], [0])[0]).all()


def test_cutoff_positions_in_risk_terms_need_the_whole_interval_beyond() -> None:
    norm = Cutoffs(statistic="mean", low_below=2.0, high_above=3.0)
    values = [3.5, 3.5, 1.5, 2.5, 1.9, np.nan, 3.2]
    low = [3.2, 2.8, 1.2, 2.2, 1.5, np.nan, np.nan]  # no interval (a single answer): the value
    high = [3.8, 4.2, 1.8, 2.8, 2.3, np.nan, np.nan]
    risk = cutoff_positions(norm, "risk", values, low, high)
    assert list(risk) == ["high", "middle", "low", "middle", "middle", None, "high"]
    # On a favourable scale a high score is low risk, whatever the cut-offs are called.
    favourable = cutoff_positions(norm, "favourable", values, low, high)
    assert list(favourable) == ["low", "middle", "high", "middle", "middle", None, "low"]
    # Prevalence cut-offs are written in percent, the statistic is a share.
    shares = Cutoffs(statistic="prevalence", low_below=5, high_above=10)
    assert list(cutoff_positions(shares, "risk", [0.3, 0.02], [0.2, 0.01], [0.4, 0.04])) == [
        "high",
        "low",
    ]


def test_indicator_rows_carry_the_position_on_the_observed_value() -> None:
    student = _student_v2()
    answers = _student_answers(
        {
            "large": (400, 60, 0.0),  # 15 %, Wilson [11.9 %; 18.7 %]: beyond 10 %
            "tiny": (6, 2, 0.0),  # 33 %, but [9.7 %; 70 %]: too few answers to tell
            "mid": (50, 6, 0.0),  # 12 %: above 10 %, within the noise
            "calm": (200, 2, 0.0),  # 1 %, [0.3 %; 3.6 %]: below 5 %
            "between": (300, 22, 0.0),  # 7.3 %: between the cut-offs
            "few": (3, 3, 0.0),  # suppressed
        }
    )
    indicators, _ = _wellbeing()
    table = school_indicators({"student": (student, answers)}, indicators, min_group_size=5)
    bullying = table[table.indicator == "stu_bullying"].set_index("school_code")
    assert bullying["cutoff"].to_dict() == {
        "large": "high",
        "tiny": "middle",
        "mid": "middle",
        "calm": "low",
        "between": "middle",
        "few": None,
    }
    assert bullying.loc["tiny", "value"] > 0.10  # the point alone would have said "high"
    # Only indicators whose scale has cut-offs for their statistic get a position.
    assert table.loc[table.indicator != "stu_bullying", "cutoff"].isna().all()
    assert table["cutoff"].dtype == object
    assert [c for c in table["cutoff"] if c is not None and not isinstance(c, str)] == []


def test_a_district_above_the_cut_off_everywhere_is_flagged() -> None:
    """Every school has about 30 % bullied students: relative z cannot see it, the norm does."""
    student = _student_v2()
    schools = {f"S{i}": (120, 30 + 3 * i, 0.15 * (i - 3)) for i in range(7)}
    answers = _student_answers(schools)
    indicators, factors = _wellbeing()
    table = indicator_z(school_indicators({"student": (student, answers)}, indicators))
    assert (table.loc[table.indicator == "stu_bullying", "cutoff"] == "high").all()
    profiles = factor_profiles(table, factors).set_index("school_code")
    assert profiles["level"].isin(["elevated", "high"]).all()
    relative = profiles["composite"].map(level)
    raised = profiles[relative.isin(["moderate", "low"])]
    assert len(raised) >= 3  # z-scores are centred: most schools were not flagged before
    assert raised["raised_by_cutoff"].all() and (raised["level"] == "elevated").all()
    assert all(d[0] == "stu_bullying" for d in raised["drivers"])
    assert all(c == ["stu_bullying"] for c in profiles["cutoff_drivers"])
    not_raised = profiles[~relative.isin(["moderate", "low"])]
    assert not not_raised["raised_by_cutoff"].any()
    assert (not_raised["level"] == not_raised["composite"].map(level)).all()
    # Columns stay as they were, with the new ones after them.
    assert list(factor_profiles(table, factors).columns) == [
        "school_code",
        "factor",
        "composite",
        "composite_se",
        "composite_low",
        "credible",
        "level",
        "high_uncertain",
        "indicators",
        "drivers",
        "cutoff_drivers",
        "raised_by_cutoff",
    ]
    # A norm exceeded by every school is a district-wide problem, not a cause of one school's
    # lower results: only a school credibly worse than the others has wellbeing as a cause.
    from analysis.causes import probable_causes

    profiles = factor_profiles(table, factors)
    causes = probable_causes(profiles)
    credible = set(profiles.loc[profiles["credible"], "school_code"])
    assert set(causes.loc[causes.factor == "wellbeing", "school_code"]) == credible
    assert credible <= set(not_raised.index) and len(credible) < len(schools)


def test_a_school_below_the_low_cut_off_keeps_its_relative_level() -> None:
    student = _student_v2()
    answers = _student_answers(
        {
            "calm_but_cold": (200, 2, -0.9),  # 1 % bullied, weak belonging and support
            "A": (60, 1, 0.2),  # as few bullied, but too few answers to place them below 5 %
            "B": (60, 2, 0.3),
            "C": (60, 1, 0.1),
            "D": (60, 2, 0.25),
        }
    )
    indicators, factors = _wellbeing()
    table = indicator_z(school_indicators({"student": (student, answers)}, indicators))
    rows = table[table.indicator == "stu_bullying"].set_index("school_code")["cutoff"]
    assert rows["calm_but_cold"] == "low"
    assert set(rows.drop("calm_but_cold")) == {"middle"}
    profiles = factor_profiles(table, factors).set_index("school_code")
    calm = profiles.loc["calm_but_cold"]
    assert calm["level"] == level(calm["composite"]) == "high"  # not lowered by the norm
    assert calm["cutoff_drivers"] == [] and not calm["raised_by_cutoff"]
    assert (profiles["level"] == profiles["composite"].map(level)).all()
    # A table from before the cut-offs (no such column) still profiles, with none applied.
    legacy = factor_profiles(table.drop(columns="cutoff"), factors).set_index("school_code")
    assert (legacy["level"] == profiles["level"]).all()
    assert not legacy["raised_by_cutoff"].any()


def test_demo_cut_offs_flag_the_planted_bullying_school_and_few_others(district) -> None:  # type: ignore[no-untyped-def]
    """The demo's bullying shares straddle the instrument's cut-offs as a real district's do
    (about one student in five, PISA's rate for the same rule): the planted school is beyond
    the high-risk cut-off, most others are between the cut-offs, and a cut-off never makes a
    factor more than elevated."""
    demo, data, _, _ = district
    indicators, factors = _catalogue()
    table = indicator_z(school_indicators(data, indicators))
    profiles = factor_profiles(table, factors)
    bullying = table[table.indicator == "stu_bullying"].set_index("school_code")
    planted = next(s for s, f in demo.truth["planted"].items() if f == "wellbeing")
    assert bullying.loc[planted, "cutoff"] == "high" and bullying.loc[planted, "value"] > 0.4
    others = bullying.drop(index=planted)
    assert 0.15 < others["value"].median() < 0.28
    # Two unplanted schools drew a wellbeing risk two school SDs above the district's.
    assert (others["cutoff"] == "high").sum() <= 2
    beyond = sorted(bullying.index[bullying["cutoff"] == "high"])
    wellbeing = profiles[profiles.factor == "wellbeing"].set_index("school_code")
    assert wellbeing.loc[beyond, "level"].isin(["elevated", "high"]).all()
    raised = profiles[profiles.raised_by_cutoff]
    assert (raised.level == "elevated").all() and (raised.composite < 0.5).all()
    # "high" still comes from the composite alone: a norm never makes a factor high.
    # ... and only where the interval agrees: a point of 1.0 or more whose one-sided 90 %
    # bound falls short reads «повышенный».
    high = profiles.level == "high"
    assert (profiles.composite[high] >= 1.0).all()
    assert (high | profiles.high_uncertain).eq(profiles.composite >= 1.0).all()


def test_a_clean_school_s_reference_names_no_cause_and_says_why(district) -> None:  # type: ignore[no-untyped-def]
    """Results not low: the causes part says so, names no cause, and says that the factors
    at «повышенный» or above went into the roadmap as risks exactly when they did."""
    from analysis.report import build_school_reference
    from analysis.report.html import render_html

    demo, data, results, status = district
    clean = sorted(set(demo.truth["risks"]) - set(demo.truth["planted"]))
    into_roadmap = "включены в проект дорожной карты как риски, требующие внимания"
    seen = set()
    for school in clean:
        model = build_school_reference(
            school_code=school,
            school_name=f"Школа {school}",
            district_name="Район",
            campaign_title="Волна",
            period="2026",
            min_group_size=5,
            audiences=[(code, instrument, answers) for code, (instrument, answers) in data.items()],
            generated_on=dt.date(2026, 11, 20),
            catalogue=builtin_risk_factors(),
            results=results,
            status=status,
        )
        assert model.risk is not None and model.roadmap is not None
        if model.risk.results_low is not False:
            continue
        assert model.risk.causes == []
        html = render_html(model)
        causes = html[html.index("Вероятные причины низких результатов</h2>") :]
        causes = causes[: causes.index("<h2")]
        assert "поэтому вероятные причины низких результатов не называются" in causes
        assert (into_roadmap in causes) is bool(model.roadmap.factors), school
        seen.add(bool(model.roadmap.factors))
    assert seen, "no clean school with results that are not low"
