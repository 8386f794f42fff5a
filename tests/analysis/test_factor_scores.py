"""Empirical factor scores per school: factors named after their scales, means oriented along
the scale, ranks and the campaign's range over the schools that are not suppressed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.errors import AnalysisError
from analysis.factor_scores import school_factor_scores
from analysis.scoring import score_scales
from instruments.io.yaml_io import load_yaml

ITEMS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]


def _definition(scales: str, items: list[str], reverse: frozenset[str] = frozenset()) -> str:
    lines = "\n".join(
        f"      - {{code: {code}, type: likert, response_scale: five, text: {code.upper()}"
        + (", reverse: true}" if code in reverse else "}")
        for code in items
    )
    return f"""
code: t
title: Тест
audience: student
response_scales:
  - code: five
    options:
      - {{value: 1, label: "1"}}
      - {{value: 2, label: "2"}}
      - {{value: 3, label: "3"}}
      - {{value: 4, label: "4"}}
      - {{value: 5, label: "5"}}
sections:
  - code: s
    title: Раздел
    items:
{lines}
scales:
{scales}
"""


TWO_SCALES = _definition(
    """  - {code: bully, title: Травля, items: [a1, a2, a3, a4], higher_is: risk}
  - {code: calm, title: Порядок, items: [b1, b2, b3, b4], higher_is: favourable}""",
    ITEMS,
    reverse=frozenset({"a3", "a4"}),
)


def _likert(latent: np.ndarray, loading: float, rng: np.random.Generator) -> np.ndarray:
    raw = loading * latent + rng.normal(0.0, 0.6, latent.shape)
    return np.clip(np.round(3 + raw * 1.2), 1, 5)


def _two_scale_answers(sizes: dict[str, int], seed: int = 5) -> tuple[pd.DataFrame, dict]:
    """Schools with known shifts of the two latent traits; a3 and a4 are worded the other way
    (answered low by the bullied), so they must be reverse-keyed to load with a1, a2."""
    rng = np.random.default_rng(seed)
    shifts = {"A": (0.8, -0.4), "B": (0.0, 0.6), "C": (-0.6, 0.0), "D": (0.3, 0.3)}
    frames = []
    for school, n in sizes.items():
        bully = rng.normal(shifts[school][0], 1.0, n)
        calm = rng.normal(shifts[school][1], 1.0, n)
        frame = pd.DataFrame(
            {
                "a1": _likert(bully, 1.0, rng),
                "a2": _likert(bully, 0.9, rng),
                "a3": _likert(bully, -1.0, rng),
                "a4": _likert(bully, -0.8, rng),
                "b1": _likert(calm, 1.0, rng),
                "b2": _likert(calm, 0.9, rng),
                "b3": _likert(calm, 0.8, rng),
                "b4": _likert(calm, 1.0, rng),
            }
        )
        frame.insert(0, "school_code", school)
        frames.append(frame)
    answers = pd.concat(frames, ignore_index=True)
    answers.index.name = "response_id"
    return answers, shifts


def test_factors_are_named_after_their_scales_and_schools_ranked() -> None:
    instrument = load_yaml(TWO_SCALES)
    answers, shifts = _two_scale_answers({"A": 120, "B": 150, "C": 100, "D": 4})
    result = school_factor_scores(answers, instrument, min_group_size=5, seed=0)
    assert sorted(result.scales.values()) == ["bully", "calm"]
    assert result.labels == {
        f: f"{'Травля' if s == 'bully' else 'Порядок'} ({s})" for f, s in result.scales.items()
    }
    assert result.n_scored == len(answers)
    table = result.schools
    columns = "school_code factor n mean ci_low ci_high suppressed rank ranked"
    assert list(table.columns) == columns.split()
    # D has 4 respondents: suppressed, no mean, no rank, and not part of the campaign's range.
    small = table[table.school_code == "D"]
    assert small["suppressed"].all() and small["n"].eq(4).all()
    assert small[["mean", "ci_low", "ci_high", "rank"]].isna().all().all()
    for factor, scale in result.scales.items():
        rows = table[(table.factor == factor) & ~table.suppressed].set_index("school_code")
        # The planted order of the schools comes back, highest mean ranked 1.
        column = 0 if scale == "bully" else 1
        planted = sorted("ABC", key=lambda s: -shifts[s][column])
        assert list(rows["mean"].sort_values(ascending=False).index) == planted
        assert list(rows.loc[planted, "rank"]) == [1.0, 2.0, 3.0]
        assert rows["ranked"].eq(3).all()
        assert (rows["ci_low"] < rows["mean"]).all() and (rows["mean"] < rows["ci_high"]).all()
        bounds = result.ranges.loc[factor]
        assert bounds["schools"] == 3
        assert_allclose([bounds["low"], bounds["high"]], [rows["mean"].min(), rows["mean"].max()])
    assert not result.reflected


def test_factor_means_point_along_the_scale_even_when_the_factor_is_reflected() -> None:
    # One factor; the two items of scale "x" load on it negatively and strongly, the six items
    # of scale "y" positively and weakly: the loadings sum positive, so the solution keeps that
    # sign, but the factor is named after "x" (the larger mean loading) and its scores must be
    # reflected so a school high on "x" is high on the factor too.
    items = ["x1", "x2", "y1", "y2", "y3", "y4", "y5", "y6"]
    definition = _definition(
        """  - {code: x, title: Икс, items: [x1, x2], higher_is: risk}
  - {code: y, title: Игрек, items: [y1, y2, y3, y4, y5, y6], higher_is: favourable}""",
        items,
    )
    instrument = load_yaml(definition)
    rng = np.random.default_rng(11)
    frames = []
    for school, shift in {"P": -0.7, "Q": 0.0, "R": 0.7}.items():
        latent = rng.normal(shift, 1.0, 150)
        frame = pd.DataFrame({f"x{i}": _likert(latent, -1.6, rng) for i in (1, 2)})
        for i in range(1, 7):
            frame[f"y{i}"] = _likert(latent, 0.45, rng)
        frame.insert(0, "school_code", school)
        frames.append(frame)
    answers = pd.concat(frames, ignore_index=True)
    result = school_factor_scores(answers, instrument, n_factors=1, seed=0)
    assert result.scales == {"F1": "x"}
    assert result.reflected == frozenset({"F1"})
    loadings = result.solution.loadings["F1"]
    assert loadings.sum() > 0 and loadings[["x1", "x2"]].sum() < 0  # the solution is unchanged
    means = result.schools.set_index("school_code")["mean"]
    x_means = score_scales(answers, instrument).score["x"].groupby(answers["school_code"]).mean()
    assert list(means.sort_values().index) == list(x_means.sort_values().index) == ["R", "Q", "P"]


def test_same_answers_same_solution() -> None:
    instrument = load_yaml(TWO_SCALES)
    answers, _ = _two_scale_answers({"A": 80, "B": 80, "C": 80})
    first = school_factor_scores(answers, instrument, seed=0)
    second = school_factor_scores(answers.sample(frac=1.0, random_state=3), instrument, seed=0)
    pd.testing.assert_frame_equal(
        first.schools.sort_values(["factor", "school_code"]).reset_index(drop=True),
        second.schools.sort_values(["factor", "school_code"]).reset_index(drop=True),
        atol=1e-8,
    )


def test_too_few_complete_answers_is_an_analysis_error_in_russian() -> None:
    instrument = load_yaml(TWO_SCALES)
    answers, _ = _two_scale_answers({"A": 20, "B": 15})
    with pytest.raises(AnalysisError, match="мало полных анкет: 35 на 8 вопросов"):
        school_factor_scores(answers, instrument)


def test_institutional_audience_is_not_suppressed() -> None:
    instrument = load_yaml(TWO_SCALES.replace("audience: student", "audience: administration"))
    answers, _ = _two_scale_answers({"A": 120, "B": 150, "C": 100, "D": 1})
    result = school_factor_scores(answers, instrument, min_group_size=5, seed=0)
    one = result.schools[result.schools.school_code == "D"]
    assert not one["suppressed"].any() and one["mean"].notna().all()
    assert one["ci_low"].isna().all()  # no interval from one answer
    assert result.ranges["schools"].eq(4).all()
