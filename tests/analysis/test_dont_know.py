"""«Не знаю» is stored but never scored: not in a scale's score, not in an item's share; the
demo's parents answer it where the form offers it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.indicators import respondent_values
from analysis.scoring import score_scales
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from surveys.demo_answers import DONT_KNOW_RATE, FACTORS, simulate_answers


def test_dont_know_leaves_the_share_and_the_scale() -> None:
    parent = builtin("parent")
    indicator = next(
        i
        for items in builtin_risk_factors().indicators_by_factor([]).values()
        for i in items
        if i.code == "par_lessons_cancelled"
    )
    assert indicator.item == "ts_4" and parent.missing_values(parent.items_by_code()["ts_4"])
    answers = pd.DataFrame(
        {
            "ts_1": [4, 9, 9, 3],
            "ts_2": [4, 9, 9, 3],
            "ts_3": [4, 9, 9, 3],
            "ts_4": [4, 9, 1, np.nan],
        }
    )
    share = respondent_values(indicator, parent, answers)
    assert share.tolist()[0] == 1.0 and share.tolist()[2] == 0.0
    assert np.isnan(share.iloc[1]) and np.isnan(share.iloc[3])  # «не знаю» is no answer
    assert share.mean() == 0.5  # one of the two who answered, not one of three
    scores = score_scales(answers, parent, ["teaching_satisfaction"])
    # ts_4 is reversed: 4 -> 1, 1 -> 4; 9 is left out, never turned into 1 + 4 - 9.
    assert scores.score["teaching_satisfaction"].tolist()[0] == 13 / 4
    assert np.isnan(scores.score["teaching_satisfaction"].iloc[1])  # nothing but «не знаю»
    assert np.isnan(scores.score["teaching_satisfaction"].iloc[2])  # 1 of 4 answered
    assert scores.answered["teaching_satisfaction"].tolist() == [1.0, 0.0, 0.25, 0.75]


def test_demo_parents_answer_dont_know_only_where_it_is_offered() -> None:
    parent = builtin("parent")
    rng = np.random.default_rng(7)
    typical = dict.fromkeys(FACTORS, 0.0)
    answers = pd.DataFrame(
        simulate_answers(parent, 4000, typical, rng, grades=rng.integers(5, 12, 4000))
    )
    items = parent.items_by_code()
    for code in answers.columns:
        if code not in items or items[code].type.value != "likert":
            continue
        share = float((answers[code] == 9).mean())
        if parent.missing_values(items[code]):
            assert abs(share - DONT_KNOW_RATE) < 0.02, (code, share)
        else:
            assert share == 0.0, code
    # Scored, the «не знаю» answers are left out: every score stays on the 1-4 metric.
    scores = score_scales(answers, parent).score
    assert scores.min().min() >= 1 and scores.max().max() <= 4
