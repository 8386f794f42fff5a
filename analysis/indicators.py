"""School-level indicator statistics with empirical-Bayes shrinkage, and ICCs of scales.

For an indicator computed from individual answers (a scale's mean, POMP or prevalence, or the
share of respondents giving certain answers) each school gets its raw estimate ``y_j`` with n,
a 95% interval, and a shrunken estimate

    ŷ_j = ȳ + w_j (y_j − ȳ),   w_j = τ² / (τ² + σ²_w / n_j)

where σ²_w is the pooled within-school variance, τ² the between-school variance (one-way
ANOVA, method of moments, floored at 0) and ȳ the precision-weighted grand mean. ``w_j`` is
the reliability of school j's mean (Raudenbush & Bryk, 2002, ch. 3): small schools are pulled
towards the district, large ones keep their own value. A ``value`` indicator is the school's
single answer on an institutional form and is not shrunk (reliability 1).

Schools with fewer respondents than ``min_group_size`` are suppressed: no statistic of theirs
leaves this module, and they are left out of the district quantities.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from analysis.scoring import ScaleScores, score_scales
from instruments.risk_factors import Indicator
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument

INDICATOR_COLUMNS = [
    "school_code",
    "indicator",
    "audience",
    "statistic",
    "direction",
    "weight",
    "n",
    "value",
    "se",
    "ci_low",
    "ci_high",
    "reliability",
    "shrunken",
    "suppressed",
]

AudienceAnswers = Mapping[str, tuple[Instrument, pd.DataFrame]]


def respondent_values(
    indicator: Indicator,
    instrument: Instrument,
    answers: pd.DataFrame,
    scores: ScaleScores | None = None,
) -> pd.Series:
    """Each respondent's contribution to the indicator (NaN where not answered): a scale score
    (item metric or POMP), a 0/1 prevalence flag, a 0/1 "answer among values" flag, or the
    number answered. ``scores`` may hold the scale scores already computed."""
    if indicator.scale is not None:
        if scores is None or indicator.scale not in scores.score.columns:
            scores = score_scales(answers, instrument, [indicator.scale])
        table = {"mean": scores.score, "pomp": scores.pomp, "prevalence": scores.prevalence}
        return table[indicator.statistic][indicator.scale]
    column = answers[indicator.item]
    if indicator.statistic == "value":
        return pd.to_numeric(column, errors="coerce").astype("float64")
    wanted = {str(v) for v in indicator.values or []}

    def chosen(value: object) -> float:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return np.nan
        values = value if isinstance(value, list) else [value]
        # Numeric columns hold floats: 3.0 is the answer 3.
        texts = {str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in values}
        return 1.0 if texts & wanted else 0.0

    return column.map(chosen).astype("float64")


def _shrink(frame: pd.DataFrame) -> pd.DataFrame:
    """Add reliability and shrunken columns to one indicator's per-school rows (unsuppressed)."""
    ok = frame[~frame["suppressed"] & frame["n"].gt(0)]
    if len(ok) < 2 or frame["institutional"].any():
        frame["reliability"] = np.where(frame["suppressed"], np.nan, 1.0)
        frame["shrunken"] = frame["value"]
        return frame
    n = ok["n"].to_numpy(dtype=float)
    means = ok["value"].to_numpy(dtype=float)
    within = ok["var"].fillna(0).to_numpy(dtype=float)
    k, total = len(ok), n.sum()
    grand = float(np.sum(n * means) / total)
    ms_within = float(np.sum((n - 1) * within) / max(total - k, 1))
    ms_between = float(np.sum(n * (means - grand) ** 2) / (k - 1))
    n0 = (total - np.sum(n**2) / total) / (k - 1)
    tau2 = max((ms_between - ms_within) / n0, 0.0)
    reliability = np.where(
        frame["n"].gt(0), tau2 / (tau2 + ms_within / frame["n"].clip(lower=1)), np.nan
    )
    if tau2 == 0.0:
        reliability = np.where(frame["n"].gt(0), 0.0, np.nan)
    precision = 1.0 / (tau2 + ms_within / n) if (tau2 + ms_within) > 0 else np.ones_like(n)
    centre = float(np.sum(precision * means) / np.sum(precision))
    frame["reliability"] = np.where(frame["suppressed"], np.nan, reliability)
    frame["shrunken"] = np.where(
        frame["suppressed"], np.nan, centre + reliability * (frame["value"] - centre)
    )
    return frame


def school_indicators(
    data: AudienceAnswers,
    indicators: list[Indicator],
    *,
    min_group_size: int = 5,
) -> pd.DataFrame:
    """Tidy table, one row per school × indicator whose audience has answers in ``data``.

    Parameters
    ----------
    data
        audience -> (instrument, answers with a ``school_code`` column and item columns);
        an indicator is used only when its instrument is the one in ``data``.
    """
    frames = []
    used = [
        i
        for i in indicators
        if (entry := data.get(i.audience.value)) is not None and entry[0].code == i.instrument
    ]
    # Each audience's scales are scored once, for all the indicators that use them.
    scores: dict[str, ScaleScores] = {}
    for audience, (instrument, answers) in data.items():
        needed = {i.scale for i in used if i.audience.value == audience and i.scale}
        if needed:
            scores[audience] = score_scales(answers, instrument, needed)
    for indicator in used:
        instrument, answers = data[indicator.audience.value]
        values = respondent_values(
            indicator, instrument, answers, scores.get(indicator.audience.value)
        )
        grouped = (
            pd.DataFrame({"school_code": answers["school_code"], "v": values})
            .dropna(subset=["v"])
            .groupby("school_code")["v"]
        )
        table = grouped.agg(n="size", value="mean", var="var", sd="std").reset_index()
        institutional = indicator.audience in INSTITUTIONAL_AUDIENCES
        table["institutional"] = institutional
        table["suppressed"] = False if institutional else table["n"] < min_group_size
        with np.errstate(invalid="ignore", divide="ignore"):
            t = stats.t.ppf(0.975, np.maximum(table["n"] - 1, 1))
            half = np.where(table["n"] > 1, t * table["sd"] / np.sqrt(table["n"]), np.nan)
        table["se"] = np.where(table["n"] > 1, table["sd"] / np.sqrt(table["n"]), np.nan)
        table["ci_low"] = table["value"] - half
        table["ci_high"] = table["value"] + half
        table = _shrink(table)
        table["indicator"] = indicator.code
        table["audience"] = indicator.audience.value
        table["statistic"] = indicator.statistic
        table["direction"] = indicator.direction
        table["weight"] = indicator.weight
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[INDICATOR_COLUMNS]
    hidden = ["value", "se", "ci_low", "ci_high", "reliability", "shrunken"]
    out.loc[out["suppressed"], hidden] = np.nan
    out["n"] = out["n"].astype("int64")
    return out


def icc1(values: pd.Series, groups: pd.Series) -> float:
    """ICC(1) of ``values`` across ``groups`` from a one-way ANOVA:
    (MSB − MSW) / (MSB + (n0 − 1) MSW), with n0 the adjusted mean group size (as
    ``psych::ICC``'s ICC1 for unbalanced groups, Bliese 2000). NaN with fewer than 2 groups."""
    frame = pd.DataFrame({"v": values, "g": groups}).dropna()
    sizes = frame.groupby("g")["v"].size()
    if len(sizes) < 2:
        return float("nan")
    means = frame.groupby("g")["v"].mean()
    grand = frame["v"].mean()
    k, total = len(sizes), len(frame)
    if total <= k:  # one respondent per group (an institutional form): no within variance
        return float("nan")
    ms_between = float((sizes * (means - grand) ** 2).sum() / (k - 1))
    resid = frame["v"] - frame["g"].map(means)
    ms_within = float((resid**2).sum() / (total - k))
    n0 = (total - float((sizes**2).sum()) / total) / (k - 1)
    denominator = ms_between + (n0 - 1) * ms_within
    return float("nan") if denominator == 0 else (ms_between - ms_within) / denominator
