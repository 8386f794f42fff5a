"""Change between two waves of a campaign, per school and indicator, and whether it is beyond
noise.

For an indicator with school estimates ``y₁ ± se₁`` (earlier wave) and ``y₂ ± se₂`` (later
wave), the change ``d = y₂ − y₁`` has the interval ``d ± 1.96 √(se₁² + se₂²)`` (independent
samples of respondents; anonymous waves cannot be paired). A change is "beyond noise" when
that interval excludes 0; it is an improvement when it lowers the risk. A figure that is a
single answer in either wave (the administration's form), or facts about the school from its
records (the specialists' counts), has no sampling error and so no interval: its change is
shown, but it never decides a verdict (``единичный ответ``). A
factor's change is the weighted mean of its indicators' risk-aligned z changes, stated only
where at least one of its indicators changed beyond noise. The statement agrees with both the
indicators and the sign of that change: «риск вырос» when the indicators beyond noise all
worsened and the factor's change is above 0, «риск снизился» when they all improved and it is
below 0; indicators that moved one way while the factor as a whole did not are «отдельные
показатели ухудшились / улучшились», and both ways «разнонаправленные изменения».
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
#: the verdict of a figure that is one answer in either wave: no interval, no verdict
SINGLE_ANSWER = "единичный ответ: значимость не оценивается"


def indicator_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Join two :func:`analysis.indicators.school_indicators` tables (same indicators) and add
    change, its interval, ``beyond_noise`` and ``verdict`` (улучшение / ухудшение / без
    значимых изменений). Suppressed cells in either wave give no change."""
    keys = ["school_code", "indicator"]
    columns = [*keys, "direction", "weight", "n", "value", "se", "suppressed"]
    joined = before[columns].merge(
        after[columns], on=[*keys, "direction", "weight"], suffixes=("_before", "_after")
    )
    hidden = joined["suppressed_before"] | joined["suppressed_after"]
    change = joined["value_after"] - joined["value_before"]
    # An institutional figure (a single answer) has no sampling error: its se is 0.
    se = np.sqrt(joined["se_before"].fillna(0) ** 2 + joined["se_after"].fillna(0) ** 2)
    joined["change"] = change.where(~hidden)
    joined["change_low"] = (change - Z95 * se).where(~hidden)
    joined["change_high"] = (change + Z95 * se).where(~hidden)
    # A figure of the school (one answer, or facts from its records: analysis.indicators.is_fact)
    # carries no standard error: no interval, no verdict.
    single = (
        (joined["n_before"] <= 1)
        | (joined["n_after"] <= 1)
        | joined["se_before"].isna()
        | joined["se_after"].isna()
    )
    beyond = (joined["change_low"] > 0) | (joined["change_high"] < 0)
    joined["beyond_noise"] = beyond & ~hidden & ~single
    worse = np.where(joined["direction"] == "risk", change > 0, change < 0)
    joined["verdict"] = np.select(
        [hidden, single, ~joined["beyond_noise"], worse],
        [
            "не оценивается (мало ответов)",
            SINGLE_ANSWER,
            "без значимых изменений",
            "ухудшение",
        ],
        default="улучшение",
    )
    return joined


def _statement(flagged: bool, worse: bool, better: bool, delta: float) -> str:
    if not flagged:
        return "без значимых изменений"
    if worse and better:
        return "разнонаправленные изменения"
    if worse:
        return "риск вырос" if delta > 0 else "отдельные показатели ухудшились"
    return "риск снизился" if delta < 0 else "отдельные показатели улучшились"


def factor_changes(
    before_z: pd.DataFrame,
    after_z: pd.DataFrame,
    changes: pd.DataFrame,
    factors: dict[str, list[str]],
) -> pd.DataFrame:
    """Per school × factor: change of the composite (weighted mean of risk_z changes) and
    whether any of its indicators changed beyond noise. ``before_z``/``after_z`` are
    :func:`analysis.risk.indicator_z` tables; against one reference for both waves (a
    benchmark, or the earlier wave's schools) the composite change is the school's own
    change, against each wave's own schools it is relative to the district as it was then.
    The statement: без значимых изменений when no indicator changed beyond noise; риск вырос
    / риск снизился when all that did changed that way and so did the composite; отдельные
    показатели ухудшились / улучшились when they did but the composite did not follow; else
    разнонаправленные изменения (see the module's docstring)."""
    keys = ["school_code", "indicator"]
    z = before_z[[*keys, "risk_z", "weight"]].merge(
        after_z[[*keys, "risk_z"]], on=keys, suffixes=("_before", "_after")
    )
    z["delta"] = z["risk_z_after"] - z["risk_z_before"]
    indexed = changes.set_index(keys)
    beyond, verdict = indexed["beyond_noise"], indexed["verdict"]
    rows = []
    for (school, factor), codes in (
        ((s, f), c) for s in sorted(z["school_code"].unique()) for f, c in factors.items()
    ):
        part = z[(z["school_code"] == school) & z["indicator"].isin(codes)].dropna(subset=["delta"])
        if part.empty:
            continue
        weights = part["weight"].astype(float)
        delta = float((part["delta"] * weights).sum() / weights.sum())
        # Every indicator of the factor counts here, also one without z (a benchmark that
        # lacks it): its change is measured on its own scale.
        flagged = [code for code in codes if bool(beyond.get((school, code), False))]
        worse = any(verdict.get((school, code)) == "ухудшение" for code in flagged)
        better = any(verdict.get((school, code)) == "улучшение" for code in flagged)
        rows.append(
            {
                "school_code": school,
                "factor": factor,
                "composite_change": delta,
                "indicators_changed": flagged,
                "statement": _statement(bool(flagged), worse, better, delta),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["school_code", "factor", "composite_change", "indicators_changed", "statement"],
    )
