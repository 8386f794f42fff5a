"""Risk profiles: indicators against a reference, in bands, and risk-factor composites.

Each school's shrunken indicator is compared with the reference (the campaign's schools, or a
frozen benchmark): ``z = (ŷ_j − mean_ref) / sd_ref``, turned so that positive always means
more risk (``risk_z = z`` for a risk indicator, ``−z`` for a favourable one). Bands at ±0.5 and
±1.5 SD name five positions. A factor's composite is the weighted mean of the risk-aligned z
of its available indicators (weights from the catalogue), and its level is

    high ≥ 1.0 > elevated ≥ 0.5 > moderate ≥ −0.5 > low

An indicator with absolute cut-offs in its instrument (a published norm) also reports where
the school stands against them.
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


@dataclass(frozen=True)
class Reference:
    """Mean and SD of each indicator over the reference schools."""

    stats: pd.DataFrame  # index indicator; columns mean, sd, schools

    @classmethod
    def from_indicators(cls, table: pd.DataFrame) -> Reference:
        usable = table[~table["suppressed"]]
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
    indicators it rests on, and the drivers (indicator codes, largest contribution first).

    Parameters
    ----------
    table
        The output of :func:`indicator_z`.
    factors
        factor code -> the indicator codes that feed it.
    """
    columns = ["school_code", "factor", "composite", "level", "indicators", "drivers"]
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
    grid = pd.MultiIndex.from_product(
        [sorted(table["school_code"].unique()), list(factors)], names=keys
    )
    out = summary.join(drivers.rename("drivers")).reindex(grid)
    out["indicators"] = out["indicators"].fillna(0).astype("int64")
    out.loc[out["indicators"] < min_indicators, "composite"] = np.nan
    out["drivers"] = [d if isinstance(d, list) else [] for d in out["drivers"]]
    out["level"] = [level(c) for c in out["composite"]]
    return out.reset_index()[columns]
