"""Scale scores per respondent: reverse keying, minimum answered share, item-metric score, POMP.

The score of a scale for a respondent who answered at least ``min_answered`` of its items is
the mean of the answered (reverse-keyed) items; a ``sum`` scale reports that mean times the
number of items (a prorated sum), so a skipped item never counts as zero. POMP (percent of
maximum possible) rescales each item to 0-100 by its response scale before averaging:
``POMP = 100 * (x - min) / (max - min)`` (Cohen, Cohen, Aiken & West, 1999).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from analysis.memo import memoized
from instruments.schema import Instrument, Scale


@dataclass(frozen=True)
class ScaleScores:
    """Scores of every respondent (rows, as in the answers) on every scale (columns)."""

    #: on the item metric (mean, or prorated sum); NaN below the minimum answered share
    score: pd.DataFrame
    #: percent of maximum possible, 0-100; NaN where ``score`` is
    pomp: pd.DataFrame
    #: share of the scale's items answered, 0-1
    answered: pd.DataFrame
    #: 1.0 / 0.0 whether the respondent meets the scale's prevalence rule; NaN if not scored
    #: or the scale has no rule
    prevalence: pd.DataFrame


def keyed_items(answers: pd.DataFrame, instrument: Instrument, scale: Scale) -> pd.DataFrame:
    """The scale's item columns as floats with reverse-keyed items turned around."""
    absent = [code for code in scale.items if code not in answers.columns]
    if absent:
        raise AnalysisError(f"нет столбцов вопросов шкалы {scale.code}: {', '.join(absent)}")
    items = instrument.items_by_code()
    out = {}
    for code in scale.items:
        column = pd.to_numeric(answers[code], errors="coerce").astype("float64")
        not_scored = instrument.missing_values(items[code])
        if not_scored:
            # "Не знаю" is an answer, but not a point on the scale.
            column = column.where(~column.isin(list(not_scored)))
        if items[code].reverse:
            low, high = instrument.item_range(items[code])
            column = low + high - column
        out[code] = column
    return pd.DataFrame(out, index=answers.index)


@memoized
def score_scales(
    answers: pd.DataFrame, instrument: Instrument, scales: Iterable[str] | None = None
) -> ScaleScores:
    """Score every scale of ``instrument`` for each row of ``answers``.

    Parameters
    ----------
    answers
        One row per respondent, one column per item code (numeric, NaN for no answer).
    instrument
        The instrument version the answers were given on.
    scales
        Only these scale codes (default: every scale of the instrument).
    """
    items = instrument.items_by_code()
    score, pomp, answered, prevalence = {}, {}, {}, {}
    wanted = None if scales is None else set(scales)
    for scale in instrument.scales:
        if wanted is not None and scale.code not in wanted:
            continue
        keyed = keyed_items(answers, instrument, scale)
        ranges = np.array([instrument.item_range(items[c]) for c in scale.items], dtype=float)
        share = keyed.notna().sum(axis=1) / len(scale.items)
        enough = share >= scale.min_answered - 1e-12
        mean = keyed.mean(axis=1, skipna=True).where(enough)
        item_pomp = (keyed - ranges[:, 0]) / (ranges[:, 1] - ranges[:, 0]) * 100.0
        score[scale.code] = mean * len(scale.items) if scale.method == "sum" else mean
        pomp[scale.code] = item_pomp.mean(axis=1, skipna=True).where(enough)
        answered[scale.code] = share
        if scale.prevalence is None:
            prevalence[scale.code] = pd.Series(np.nan, index=answers.index)
        else:
            rule = scale.prevalence
            meets = (keyed >= rule.at_least).any(axis=1) if rule.any_item else mean >= rule.at_least
            prevalence[scale.code] = meets.astype("float64").where(enough)
    frame = pd.DataFrame
    return ScaleScores(
        score=frame(score, index=answers.index),
        pomp=frame(pomp, index=answers.index),
        answered=frame(answered, index=answers.index),
        prevalence=frame(prevalence, index=answers.index),
    )
