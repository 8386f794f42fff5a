"""Scale scores per respondent: reverse keying, minimum answered share, item-metric score, POMP.

The score of a scale for a respondent who answered at least ``min_answered`` of its items is
the mean of the answered (reverse-keyed) items; a ``sum`` scale reports that mean times the
number of items (a prorated sum), so a skipped item never counts as zero. POMP (percent of
maximum possible) rescales each item to 0-100 by its response scale before averaging:
``POMP = 100 * (x - min) / (max - min)`` (Cohen, Cohen, Aiken & West, 1999).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

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
    return scale_scores(answers, instrument, scales)


def scale_scores(
    answers: pd.DataFrame, instrument: Instrument, scales: Iterable[str] | None = None
) -> ScaleScores:
    """:func:`score_scales` outside :mod:`analysis.memo`'s store: for a few rows of one school,
    which the store would key by their content at about the cost of scoring them."""
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
    return ScaleScores(
        score=_frame(score, answers.index),
        pomp=_frame(pomp, answers.index),
        answered=_frame(answered, answers.index),
        prevalence=_frame(prevalence, answers.index),
    )


def _frame(columns: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """The frame of ``columns`` (floats of equal length), built on one array of them, one row
    per column: the block pandas would consolidate them into, without its column by column
    construction."""
    if not columns:
        return pd.DataFrame(columns, index=index)
    return pd.DataFrame(np.array(list(columns.values())).T, index=index, columns=list(columns))


def t_quantile(df: object, p: float) -> np.ndarray:
    """Student's t quantile (R's ``qt(p, df)``; ``scipy.special.stdtrit``), for the intervals
    of means, whose degrees of freedom are whole numbers (n - 1).

    Computed here rather than by scipy.special, whose import costs a quarter of a second of
    every reference's start-up: for a whole number of degrees of freedom ν the distribution
    function has a closed form (Abramowitz & Stegun 26.7.3-4), and Newton's method on it
    converges in a few steps; the result agrees with scipy's to a few units in the last
    place (a test compares them over ν = 1…5000). A fractional ν (no caller has one) and NaN
    go to scipy and NaN respectively.
    """
    values = np.asarray(df, dtype=float)
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_quantile: p must lie in (0, 1), got {p}")
    whole = np.isfinite(values) & (values >= 1) & (values == np.floor(values))
    if (np.isfinite(values) & ~whole).any():
        from scipy import special

        return np.asarray(special.stdtrit(values, p))
    out = np.full(values.shape, np.nan)
    for nu in np.unique(values[whole]):
        out[values == nu] = _t_quantile_whole(int(nu), p)
    return out if out.ndim else out[()]


@lru_cache(maxsize=4096)
def _t_quantile_whole(nu: int, p: float) -> float:
    """The t quantile for ν whole degrees of freedom, by symmetry from the upper half (kept:
    a reference asks for the same few, the numbers of answers of its groups, many times)."""
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -_t_quantile_whole(nu, 1.0 - p)
    target = 2.0 * p - 1.0  # P(|T| <= t)
    # (Cornish-Fisher's first terms from the normal quantile: a start close enough for
    # Newton's method in log t, where the tail is nearly a power law)
    z = NormalDist().inv_cdf(p)
    t = z + (z**3 + z) / (4 * nu) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu**2)
    log_density = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
    last = math.inf
    for _ in range(60):
        inside, density = _t_central(t, nu, log_density)
        tail = 1.0 - inside
        if tail <= 0.0:  # (beyond double precision: come back down)
            t /= 2.0
            continue
        # Newton's step on log(1 - A(t)) = log(1 - target) as a function of log t
        step = math.log(tail / (1.0 - target)) * tail / (2.0 * density * t)
        if abs(step) >= last and abs(step) < 1e-12:
            break  # (rounding noise: the previous step landed)
        t *= math.exp(max(min(step, 1.0), -1.0))
        last = abs(step)
        if last < 1e-16:
            break
    return t


def _t_central(t: float, nu: int, log_density: float) -> tuple[float, float]:
    """``A(t) = P(|T| <= t)`` for ``t > 0`` and ν whole degrees of freedom, and the density at
    t. Abramowitz & Stegun 26.7.3-4: with θ = atan(t / √ν), A is a finite series in cos²θ.
    Its terms are summed from logarithms, ``log cos²θ = -log1p(t²/ν)``: a power of cos²θ
    itself would multiply its rounding error by the power (up to ν/2)."""
    ratio = t * t / nu
    log_cos2 = -math.log1p(ratio)
    sin = t / math.sqrt(nu + t * t)
    density = math.exp(log_density + (nu + 1) / 2 * log_cos2)
    if nu == 1:
        return 2.0 / math.pi * math.atan(t), density
    k, coefficients = _series_terms(nu)
    series = 1.0 + float(np.sum(np.exp(coefficients + k * log_cos2)))
    if nu % 2 == 0:
        return sin * series, density
    theta = math.atan(t / math.sqrt(nu))
    return 2.0 / math.pi * (theta + sin / math.sqrt(1.0 + ratio) * series), density


@lru_cache(maxsize=256)  # (two arrays of ν/2 floats each: bounded for a long-lived worker)
def _series_terms(nu: int) -> tuple[np.ndarray, np.ndarray]:
    """The powers k = 1, 2, … of cos²θ in :func:`_t_central`'s series for ν, and the
    logarithms of their coefficients: the same at every Newton step, so computed once per ν.

    For an even ν, sinθ (1 + 1/2 cos²θ + 1·3/(2·4) cos⁴θ + …, ν/2 terms); for an odd ν,
    (2/π) (θ + sinθ cosθ (1 + 2/3 cos²θ + 2·4/(3·5) cos⁴θ + …, (ν - 1)/2 terms))."""
    k = np.arange(1, (nu - 1) // 2 if nu % 2 else nu // 2, dtype=float)
    if nu % 2 == 0:
        coefficients = np.cumsum(np.log((2 * k - 1) / (2 * k)))
    else:
        coefficients = np.cumsum(np.log(2 * k / (2 * k + 1)))
    k.flags.writeable = coefficients.flags.writeable = False  # (shared by every call)
    return k, coefficients
