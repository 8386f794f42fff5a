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
    rows = []
    usable = table.dropna(subset=["risk_z"])
    by_school = {
        code: frame.set_index("indicator") for code, frame in usable.groupby("school_code")
    }
    for school in sorted(table["school_code"].unique()):
        mine = by_school.get(school)
        for factor, codes in factors.items():
            present = [] if mine is None else [c for c in codes if c in mine.index]
            if mine is None or len(present) < min_indicators:
                rows.append(
                    {
                        "school_code": school,
                        "factor": factor,
                        "composite": np.nan,
                        "level": None,
                        "indicators": len(present),
                        "drivers": [],
                    }
                )
                continue
            part = mine.loc[present]
            weights = part["weight"].astype(float)
            contributions = part["risk_z"] * weights / weights.sum()
            composite = float(contributions.sum())
            drivers = list(contributions.sort_values(ascending=False).index)
            rows.append(
                {
                    "school_code": school,
                    "factor": factor,
                    "composite": composite,
                    "level": level(composite),
                    "indicators": len(present),
                    "drivers": drivers,
                }
            )
    return pd.DataFrame(
        rows, columns=["school_code", "factor", "composite", "level", "indicators", "drivers"]
    )
