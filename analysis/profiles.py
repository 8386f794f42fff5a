"""School profiles: per school and scale, n, mean with a 95% interval, POMP and prevalence.

Every aggregate resting on fewer respondents than the campaign's minimum group size is
suppressed (its statistics are NaN and ``suppressed`` is True) before it leaves this module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from analysis.memo import memoized
from analysis.scoring import ScaleScores
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
    rows = []
    schools = school.reindex(scores.score.index)
    for scale in instrument.scales:
        frame = pd.DataFrame(
            {
                "school_code": schools,
                "score": scores.score[scale.code],
                "pomp": scores.pomp[scale.code],
                "prevalence": scores.prevalence[scale.code],
            }
        ).dropna(subset=["score"])
        grouped = frame.groupby("school_code", sort=True)
        agg = grouped.agg(
            n=("score", "size"),
            mean=("score", "mean"),
            sd=("score", "std"),
            pomp=("pomp", "mean"),
            prevalence=("prevalence", "mean"),
        )
        for code in sorted(set(schools.dropna()) - set(agg.index)):
            agg.loc[code] = [0, np.nan, np.nan, np.nan, np.nan]
        agg = agg.sort_index()
        n = agg["n"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = special.stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2)
            half = np.where(n > 1, t * agg["sd"].to_numpy() / np.sqrt(n), np.nan)
        agg["ci_low"] = agg["mean"] - half
        agg["ci_high"] = agg["mean"] + half
        agg["scale"] = scale.code
        agg["suppressed"] = agg["n"] < min_group_size
        rows.append(agg.reset_index(names="school_code"))
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=SUMMARY_DTYPES[c]) for c in SUMMARY_COLUMNS})
    out = pd.concat(rows, ignore_index=True)[SUMMARY_COLUMNS]
    out["n"] = out["n"].astype("int64")
    hidden = ["mean", "sd", "ci_low", "ci_high", "pomp", "prevalence"]
    out.loc[out["suppressed"], hidden] = np.nan
    return out
