"""Risk profiles: indicators against a reference, in bands, and risk-factor composites.

Each school's shrunken indicator is compared with the reference (the campaign's schools, or a
frozen benchmark): ``z = (ŷ_j − mean_ref) / sd_ref``, turned so that positive always means
more risk (``risk_z = z`` for a risk indicator, ``−z`` for a favourable one). Bands at ±0.5 and
±1.5 SD name five positions. A factor's composite is the weighted mean of the risk-aligned z
of its available indicators (weights from the catalogue), and its level is

    high ≥ 1.0 > elevated ≥ 0.5 > moderate ≥ −0.5 > low

An indicator with absolute cut-offs in its instrument (a published norm) also reports where
the school stands against them (the ``cutoff`` column of
:func:`analysis.indicators.school_indicators`: "high" only when the school's whole 95 %
interval is beyond the high-risk cut-off). Relative positions alone miss a problem every
school shares: when all schools of a district have 30 % bullied students, each sits at z ≈ 0.
So a factor whose composite is below "elevated" but with at least one indicator "high"
against its cut-off is raised to "elevated": the norm says the risk is there whatever the
other schools do, and the composite still says how the school compares with them. A raised
factor names the indicators beyond their cut-offs first among its drivers; every factor lists
them in ``cutoff_drivers``. The cut-offs only ever raise a level: a school below the low-risk
cut-off keeps its relative level, because being under a norm on one indicator does not cancel
being worse than the other schools on the rest, and a factor with no composite (no indicator
placed against the reference) gets no level from a cut-off alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BANDS = (
    (-np.inf, -1.5, "значительно лучше"),
    (-1.5, -0.5, "лучше"),
    (-0.5, 0.5, "на уровне"),
    (0.5, 1.5, "хуже"),
    (1.5, np.inf, "значительно хуже"),
)
LEVELS = (
    (1.0, "high", "высокий"),
    (0.5, "elevated", "повышенный"),
    (-0.5, "moderate", "умеренный"),
    (-np.inf, "low", "низкий"),
)
LEVEL_LABELS = {code: label for _, code, label in LEVELS}
#: the level an indicator beyond its high-risk cut-off raises its factor to, at least
CUTOFF_LEVEL = "elevated"
#: the lowest composite of :data:`CUTOFF_LEVEL` (the severity a raised factor counts with)
CUTOFF_COMPOSITE = next(threshold for threshold, code, _ in LEVELS if code == CUTOFF_LEVEL)


@dataclass(frozen=True)
class Reference:
    """Mean and SD of each indicator over the reference schools."""

    stats: pd.DataFrame  # index indicator; columns mean, sd, schools

    @classmethod
    def from_indicators(cls, table: pd.DataFrame) -> Reference:
        # .loc and a bool mask: a plain ``table[mask]`` reads a mask of dtype object (an
        # empty column) as column labels.
        usable = table.loc[~table["suppressed"].astype(bool)]
        stats = usable.groupby("indicator")["shrunken"].agg(mean="mean", sd="std", schools="count")
        return cls(stats)


def band(risk_z: float) -> str | None:
    if risk_z is None or np.isnan(risk_z):
        return None
    for low, high, label in BANDS:
        if low <= risk_z < high:
            return label
    return BANDS[-1][2]


def level(composite: float) -> str | None:
    if composite is None or np.isnan(composite):
        return None
    for threshold, code, _ in LEVELS:
        if composite >= threshold:
            return code
    return "low"


def indicator_z(table: pd.DataFrame, reference: Reference | None = None) -> pd.DataFrame:
    """Add ``z``, ``risk_z`` and ``band`` to a :func:`analysis.indicators.school_indicators`
    table (suppressed rows get NaN); the reference defaults to the table's own schools."""
    reference = reference or Reference.from_indicators(table)
    out = table.copy()
    joined = out.join(reference.stats, on="indicator")
    sd = joined["sd"].where(joined["sd"] > 0)
    # Schools that do not differ at all (every estimate shrunk to the district's) sit at 0.
    z = (
        ((joined["shrunken"] - joined["mean"]) / sd)
        .where(joined["sd"] > 0, 0.0)
        .where(joined["shrunken"].notna())
    )
    out["z"] = z.where(~out["suppressed"])
    out["risk_z"] = np.where(out["direction"] == "risk", out["z"], -out["z"])
    out["band"] = out["risk_z"].map(band)
    return out


def factor_profiles(
    table: pd.DataFrame, factors: dict[str, list[str]], *, min_indicators: int = 1
) -> pd.DataFrame:
    """One row per school × factor: composite (weighted mean risk_z), level, how many
    indicators it rests on, the drivers (indicator codes, largest contribution first), the
    indicators beyond their high-risk cut-offs (``cutoff_drivers``) and whether they raised
    the level (``raised_by_cutoff``; the drivers of a raised factor start with them).

    Parameters
    ----------
    table
        The output of :func:`indicator_z`; without a ``cutoff`` column no cut-offs apply.
    factors
        factor code -> the indicator codes that feed it.
    """
    columns = [
        "school_code",
        "factor",
        "composite",
        "level",
        "indicators",
        "drivers",
        "cutoff_drivers",
        "raised_by_cutoff",
    ]
    mapping = pd.DataFrame(
        [(factor, code) for factor, codes in factors.items() for code in codes],
        columns=["factor", "indicator"],
    )
    usable = table.dropna(subset=["risk_z"])[["school_code", "indicator", "risk_z", "weight"]]
    joined = usable.merge(mapping, on="indicator")
    joined["weight"] = joined["weight"].astype(float)
    keys = ["school_code", "factor"]
    totals = joined.groupby(keys)["weight"].transform("sum")
    joined["contribution"] = joined["risk_z"] * joined["weight"] / totals
    summary = joined.groupby(keys).agg(
        composite=("contribution", "sum"), indicators=("indicator", "size")
    )
    drivers = (
        joined.sort_values([*keys, "contribution"], ascending=[True, True, False])
        .groupby(keys)["indicator"]
        .agg(list)
    )
    # A cut-off does not depend on the reference: an indicator the reference cannot place
    # (no risk_z) still counts, heaviest first.
    beyond = table[table["cutoff"] == "high"] if "cutoff" in table.columns else table.iloc[:0]
    beyond = beyond[["school_code", "indicator", "weight"]].merge(mapping, on="indicator")
    cutoff_drivers = (
        beyond.assign(weight=beyond["weight"].astype(float))
        .sort_values([*keys, "weight"], ascending=[True, True, False], kind="stable")
        .groupby(keys)["indicator"]
        .agg(list)
    )
    grid = pd.MultiIndex.from_product(
        [sorted(table["school_code"].unique()), list(factors)], names=keys
    )
    out = (
        summary.join(drivers.rename("drivers"))
        .join(cutoff_drivers.rename("cutoff_drivers"))
        .reindex(grid)
    )
    out["indicators"] = out["indicators"].fillna(0).astype("int64")
    out.loc[out["indicators"] < min_indicators, "composite"] = np.nan
    out["drivers"] = [d if isinstance(d, list) else [] for d in out["drivers"]]
    out["cutoff_drivers"] = [d if isinstance(d, list) else [] for d in out["cutoff_drivers"]]
    out["raised_by_cutoff"] = (
        out["composite"].lt(CUTOFF_COMPOSITE) & out["cutoff_drivers"].map(len).gt(0)
    ).astype(bool)
    out["level"] = [level(c) for c in out["composite"]]
    out.loc[out["raised_by_cutoff"], "level"] = CUTOFF_LEVEL
    out["drivers"] = [
        [*cut, *(d for d in drivers if d not in cut)] if raised else drivers
        for drivers, cut, raised in zip(
            out["drivers"], out["cutoff_drivers"], out["raised_by_cutoff"], strict=True
        )
    ]
    return out.reset_index()[columns]
