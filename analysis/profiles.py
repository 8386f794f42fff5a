"""School profiles: per school and scale, n, mean with a 95% interval, POMP and prevalence.

Every aggregate resting on fewer respondents than the campaign's minimum group size is
suppressed (its statistics are NaN and ``suppressed`` is True) before it leaves this module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.memo import memoized
from analysis.scoring import ScaleScores, t_quantile
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument

SUMMARY_COLUMNS = [
    "school_code",
    "scale",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "pomp",
    "prevalence",
    "suppressed",
]
#: the columns' types, kept by the table of an instrument without scales too (an empty column
#: of dtype object makes ``table[~table["suppressed"]]`` select columns instead of rows)
SUMMARY_DTYPES = {
    "school_code": "object",
    "scale": "object",
    "n": "int64",
    **dict.fromkeys(["mean", "sd", "ci_low", "ci_high", "pomp", "prevalence"], "float64"),
    "suppressed": "bool",
}


def scale_summary(
    scores: ScaleScores,
    school: pd.Series,
    instrument: Instrument,
    *,
    min_group_size: int = 5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Tidy table, one row per school x scale (scales in instrument order).
    :func:`school_scale_summary` is the same kept in :mod:`analysis.memo`'s store; this one
    is for a caller that keeps what it computes from it.

    ``n`` counts respondents with a score on that scale. The interval is the t interval
    ``mean ± t(1-α/2, n-1) · sd / √n``; ``prevalence`` is the share meeting the scale's
    prevalence rule (NaN where the scale has none). Instruments of an institutional audience
    (the administration answers for the school) are not subject to ``min_group_size``.
    """
    if instrument.audience in INSTITUTIONAL_AUDIENCES:
        min_group_size = 1
    if not instrument.scales:
        return pd.DataFrame({c: pd.Series(dtype=SUMMARY_DTYPES[c]) for c in SUMMARY_COLUMNS})
    codes = [scale.code for scale in instrument.scales]
    schools = school.reindex(scores.score.index).to_numpy()
    score = _values(scores.score, codes)
    scored = ~np.isnan(score)
    # Every scale's score, POMP and prevalence in one frame, grouped once (pandas' grouped
    # statistics skip NaN value by value and treat each column on its own, so a column's
    # figures are those of a groupby of it alone): a respondent's POMP and prevalence count
    # where the scale has their score. Grouped by the index rather than by an array of keys,
    # which pandas first tries to look up as a column (and words a KeyError for it).
    masked = [
        np.where(scored, _values(table, codes), np.nan)
        for table in (scores.pomp, scores.prevalence)
    ]
    grouped = pd.DataFrame(np.hstack([score, *masked]), index=pd.Index(schools)).groupby(
        level=0, sort=True
    )
    k = len(codes)
    n = grouped.count().iloc[:, :k]
    averages = grouped.mean().to_numpy(dtype="float64")
    sd = grouped.std().to_numpy(dtype="float64")[:, :k]
    mean, pomp, prevalence = averages[:, :k], averages[:, k : 2 * k], averages[:, 2 * k :]
    index = n.index

    def column(table: np.ndarray) -> np.ndarray:
        """The table's scales one after another (scale by scale, schools in order)."""
        return table.T.ravel()

    count = n.to_numpy(dtype=float).T.ravel()
    means, sds = column(mean), column(sd)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_quantile(np.maximum(count - 1, 1), 0.5 + confidence / 2)
        half = np.where(count > 1, t * sds / np.sqrt(count), np.nan)
    suppressed = count < min_group_size
    figures = {
        "mean": means,
        "sd": sds,
        "ci_low": means - half,
        "ci_high": means + half,
        "pomp": column(pomp),
        "prevalence": column(prevalence),
    }
    return pd.DataFrame(
        {
            "school_code": np.tile(index.to_numpy(), len(codes)),
            "scale": np.repeat(np.array(codes, dtype=object), len(index)),
            "n": count.astype("int64"),
            **{name: np.where(suppressed, np.nan, values) for name, values in figures.items()},
            "suppressed": suppressed,
        }
    )


#: :func:`scale_summary` kept in :mod:`analysis.memo`'s store
school_scale_summary = memoized(scale_summary)


def _values(table: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """The ``codes`` columns of ``table`` as floats (selected only when it has others too:
    the scores of every scale are already in order)."""
    if table.columns.tolist() == codes:
        return table.to_numpy(dtype="float64")
    return table[codes].to_numpy(dtype="float64")
