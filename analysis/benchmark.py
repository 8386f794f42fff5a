"""A frozen benchmark as the reference of z-scores: its statistics to and from plain data, and
z against it, with no position for an indicator the benchmark does not hold.

A benchmark is a :class:`analysis.risk.Reference` computed once over a past wave's schools and
stored, so that a later wave is placed against a fixed yardstick instead of against the schools
fielded with it. Its statistics are stored as ``{indicator code: {"mean", "sd", "schools"}}``.
An indicator absent from the benchmark, or held by fewer than two of its schools (no SD),
cannot be placed: its z, risk-aligned z and band stay empty rather than being read as
"на уровне".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.memo import memoized
from analysis.risk import Reference, indicator_z

STAT_COLUMNS = ["mean", "sd", "schools"]


@dataclass(frozen=True)
class Benchmark:
    """A stored reference as a report names it: its title, when it was frozen, from how many
    schools."""

    title: str
    frozen_on: dt.date
    reference: Reference
    schools: int


def _plain(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def reference_stats(reference: Reference) -> dict[str, dict[str, float | int | None]]:
    """The reference as JSON-ready data (NaN as ``None``), indicator codes sorted."""
    stats = reference.stats
    return {
        str(code): {
            "mean": _plain(stats.at[code, "mean"]),
            "sd": _plain(stats.at[code, "sd"]),
            "schools": int(stats.at[code, "schools"]),
        }
        for code in sorted(stats.index)
    }


def reference_from_stats(stats: Mapping[str, Mapping[str, Any]]) -> Reference:
    """The inverse of :func:`reference_stats`; indicators that cannot serve as a reference
    (no mean or no SD) are left out, so :func:`z_against` gives them no position."""
    rows = {
        code: {
            "mean": float(entry["mean"]),
            "sd": float(entry["sd"]),
            "schools": int(entry.get("schools") or 0),
        }
        # Sorted: a JSONB column does not keep the order the codes were written in.
        for code, entry in sorted(stats.items())
        if entry.get("mean") is not None and entry.get("sd") is not None
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=STAT_COLUMNS)
    frame.index.name = "indicator"
    return Reference(frame.astype({"mean": "float64", "sd": "float64", "schools": "int64"}))


def missing_indicators(codes: list[str], reference: Reference) -> list[str]:
    """Those of ``codes`` the reference cannot place (absent or without an SD), in order."""
    stats = reference.stats
    usable = set(stats.index[stats["sd"].notna() & stats["mean"].notna()])
    return [code for code in codes if code not in usable]


@memoized
def z_against(table: pd.DataFrame, reference: Reference | None = None) -> pd.DataFrame:
    """:func:`analysis.risk.indicator_z` of a :func:`analysis.indicators.school_indicators`
    table against ``reference`` (the table's own schools when ``None``); rows of indicators
    the reference cannot place get NaN ``z``/``risk_z`` and no band."""
    out = indicator_z(table, reference)
    if reference is None or out.empty:
        return out
    unplaced = out["indicator"].isin(missing_indicators(list(out["indicator"].unique()), reference))
    out.loc[unplaced, ["z", "risk_z"]] = float("nan")
    out["band"] = out["band"].where(~unplaced, None)
    return out
