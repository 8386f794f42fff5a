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


@memoized
def school_scale_summary(
    scores: ScaleScores,
    school: pd.Series,
    instrument: Instrument,
    *,
    min_group_size: int = 5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Tidy table, one row per school x scale (scales in instrument order).

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
    score = scores.score[codes]
    scored = score.notna()
    # Every scale in one groupby (pandas' grouped statistics skip NaN value by value): a
    # respondent's POMP and prevalence count where the scale has their score.
    grouped = score.groupby(schools, sort=True)
    n, mean, sd = grouped.count(), grouped.mean(), grouped.std()
    pomp = scores.pomp[codes].where(scored).groupby(schools, sort=True).mean()
    prevalence = scores.prevalence[codes].where(scored).groupby(schools, sort=True).mean()
    index = n.index

    def column(table: pd.DataFrame) -> np.ndarray:
        """The table's scales one after another (scale by scale, schools in order)."""
        return table.to_numpy(dtype="float64").T.ravel()

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
