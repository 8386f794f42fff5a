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


def _keyed_values(answers: pd.DataFrame, instrument: Instrument, scale: Scale) -> np.ndarray:
    """:func:`keyed_items` as an array, one row per item (C order, as pandas keeps a frame of
    float columns: a frame made of it holds the same values in the same layout)."""
    absent = [code for code in scale.items if code not in answers.columns]
    if absent:
        raise AnalysisError(f"нет столбцов вопросов шкалы {scale.code}: {', '.join(absent)}")
    items = instrument.items_by_code()
    out = np.empty((len(scale.items), len(answers)), dtype="float64")
    for row, code in enumerate(scale.items):
        column = answers[code]
        not_scored = instrument.missing_values(items[code])
        if column.dtype == np.float64:
            values = column.to_numpy(dtype="float64", copy=True)
            # A float equals only the numeric answers among them ("не знаю" may be a text).
            numbers = [float(v) for v in not_scored if isinstance(v, int)]
            if numbers:
                # "Не знаю" is an answer, but not a point on the scale.
                values[np.isin(values, numbers)] = np.nan
        else:
            series = pd.to_numeric(column, errors="coerce").astype("float64")
            if not_scored:
                series = series.where(~series.isin(list(not_scored)))
            values = series.to_numpy(dtype="float64")
        if items[code].reverse:
            low, high = instrument.item_range(items[code])
            values = low + high - values
        out[row] = values
    return out


def keyed_items(answers: pd.DataFrame, instrument: Instrument, scale: Scale) -> pd.DataFrame:
    """The scale's item columns as floats with reverse-keyed items turned around."""
    values = _keyed_values(answers, instrument, scale)
    return pd.DataFrame(dict(zip(scale.items, values, strict=True)), index=answers.index)


def _row_means(values: np.ndarray) -> np.ndarray:
    """The mean of each column of ``values`` (items × respondents, C order) over its
    non-missing entries, NaN where there is none.

    Summed exactly as pandas' ``DataFrame.mean(axis=1)`` sums a frame of these columns (the
    scores were computed so before, and must not move by a bit): over the transposed view,
    or, when anything is missing, over a copy of it in C order with the gaps set to 0 (numpy
    sums a contiguous row pairwise, a strided one in sequence)."""
    rows = values.T
    missing = np.isnan(rows)
    if missing.any():
        rows = rows.copy()
        np.putmask(rows, missing, 0)
    count = (rows.shape[1] - missing.sum(axis=1)).astype("float64")
    with np.errstate(all="ignore"):
        means = rows.sum(axis=1, dtype="float64") / count
    means[count == 0] = np.nan
    return means


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
        keyed = _keyed_values(answers, instrument, scale)
        ranges = np.array([instrument.item_range(items[c]) for c in scale.items], dtype=float)
        share = np.count_nonzero(~np.isnan(keyed), axis=0) / len(scale.items)
        enough = share >= scale.min_answered - 1e-12
        mean = np.where(enough, _row_means(keyed), np.nan)
        low, high = ranges[:, :1], ranges[:, 1:]
        item_pomp = (keyed - low) / (high - low) * 100.0
        score[scale.code] = mean * len(scale.items) if scale.method == "sum" else mean
        pomp[scale.code] = np.where(enough, _row_means(item_pomp), np.nan)
        answered[scale.code] = share
        if scale.prevalence is None:
            prevalence[scale.code] = np.full(len(answers), np.nan)
        else:
            rule = scale.prevalence
            meets = (keyed >= rule.at_least).any(axis=0) if rule.any_item else mean >= rule.at_least
            prevalence[scale.code] = np.where(enough, meets.astype("float64"), np.nan)
    frame = pd.DataFrame
    return ScaleScores(
        score=frame(score, index=answers.index),
        pomp=frame(pomp, index=answers.index),
        answered=frame(answered, index=answers.index),
        prevalence=frame(prevalence, index=answers.index),
    )


def t_quantile(df: object, p: float) -> np.ndarray:
    """Student's t quantile (``scipy.special.stdtrit``; R's ``qt``), for the intervals of
    means. scipy.special is imported on first use: it costs a third of a second of start-up,
    and a reference whose analysis comes from the disk cache never needs it."""
    from scipy import special

    return np.asarray(special.stdtrit(df, p))
