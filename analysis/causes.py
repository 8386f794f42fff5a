"""Probable causes: how risk factors go with low results across schools, and per school.

Across the campaign's schools, each factor's composite is set against the schools' results
(participant-weighted share of failing marks over the assessments given): Spearman's rank
correlation with a percentile bootstrap interval over schools, the slope of a simple
regression with its bootstrap interval, and — when there are enough schools — the relative
importance of the strongest factors (LMG: each factor's R² share averaged over all orders of
entry, Lindeman, Merenda & Gold 1980), which sums to the R² of their joint regression.
With few schools the intervals are wide and a warning says so: these are associations in
this district, not proof of cause.

Per school, a factor is a probable cause as far as the school is in its risk zone and the
factor goes with low results in the district:

    score = max(composite, 0) · (1 + max(ρ, 0)) / 2

The association raises a factor's weight up to double but never removes it: with a district's
dozen schools a weak correlation is no evidence that a factor the roadmaps name is harmless
(with no assessment data the weight is 1/2 for all, and the ranking is the risk profile's).
A factor raised to "elevated" by an indicator beyond its published cut-off
(:func:`analysis.risk.factor_profiles`) counts with at least the composite of that level.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
from scipy import stats

from analysis.risk import CUTOFF_COMPOSITE

MIN_SCHOOLS = 10
MAX_LMG_FACTORS = 6


def school_outcomes(results: pd.DataFrame) -> pd.Series:
    """Participant-weighted share of failing marks per school (higher is worse).

    ``results`` has columns school_code, participants, share_failing (one row per assessment,
    subject and grade)."""
    usable = results.dropna(subset=["share_failing"])
    usable = usable[usable["participants"] > 0]
    weighted = usable["share_failing"] * usable["participants"]
    totals = usable.assign(w=weighted).groupby("school_code")[["w", "participants"]].sum()
    return (totals["w"] / totals["participants"]).rename("share_failing")


def _bootstrap_indices(n: int, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """``n_boot`` resamples of ``n`` schools with replacement (rows), drawn at once."""
    return rng.integers(0, n, (n_boot, n))


def _percentile_interval(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if not values.size:
        return float("nan"), float("nan")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def _row_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r of each row pair; NaN where either row is constant."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    sxx, syy = (xc * xc).sum(axis=1), (yc * yc).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((sxx > 0) & (syy > 0), (xc * yc).sum(axis=1) / np.sqrt(sxx * syy), np.nan)


def _bootstrap_rho_slope(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_boot: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Percentile bootstrap intervals of Spearman's rho and of the regression slope of y on x,
    over the same resamples of schools (vectorised: a district's references are built on
    request, and 2,000 resamples × 11 factors one by one took seconds). Resamples in which
    x or y is constant have no correlation and are left out, as before."""
    idx = _bootstrap_indices(len(x), rng, n_boot)
    xs, ys = x[idx], y[idx]
    # Spearman's rho is Pearson's r of the ranks (ties get their average rank).
    rho = _row_pearson(stats.rankdata(xs, axis=1), stats.rankdata(ys, axis=1))
    xc = xs - xs.mean(axis=1, keepdims=True)
    sxx = (xc * xc).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(np.isfinite(rho), (xc * ys).sum(axis=1) / sxx, np.nan)
    return _percentile_interval(rho), _percentile_interval(slope)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(stats.spearmanr(x, y).statistic)


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(x, y, 1)[0])


def _r2(frame: pd.DataFrame, outcome: pd.Series, columns: tuple[str, ...]) -> float:
    if not columns:
        return 0.0
    x = np.column_stack([np.ones(len(frame)), frame[list(columns)].to_numpy()])
    beta, *_ = np.linalg.lstsq(x, outcome.to_numpy(), rcond=None)
    residual = outcome.to_numpy() - x @ beta
    total = outcome.to_numpy() - outcome.mean()
    return float(1 - residual @ residual / (total @ total))


def lmg(frame: pd.DataFrame, outcome: pd.Series) -> pd.Series:
    """LMG relative importance of each column of ``frame`` for ``outcome``; sums to R²."""
    names = list(frame.columns)
    k = len(names)
    shares = dict.fromkeys(names, 0.0)
    cache: dict[tuple[str, ...], float] = {}

    def r2(subset: tuple[str, ...]) -> float:
        key = tuple(sorted(subset))
        if key not in cache:
            cache[key] = _r2(frame, outcome, key)
        return cache[key]

    for name in names:
        others = [n for n in names if n != name]
        for size in range(k):
            weight = factorial(size) * factorial(k - size - 1) / factorial(k)
            for subset in combinations(others, size):
                shares[name] += weight * (r2((*subset, name)) - r2(subset))
    return pd.Series(shares, name="lmg")


@dataclass(frozen=True)
class Associations:
    table: (
        pd.DataFrame
    )  # index factor: n_schools, rho, rho_low, rho_high, slope, slope_low, slope_high, lmg
    r2: float | None
    warnings: list[str]


def factor_associations(
    profiles: pd.DataFrame, outcomes: pd.Series, *, n_boot: int = 2000, seed: int = 0
) -> Associations:
    """Association of each factor's composite with low results across schools.

    Parameters
    ----------
    profiles
        :func:`analysis.risk.factor_profiles` output (school_code, factor, composite).
    outcomes
        Per school (index school_code) the share of failing marks, from :func:`school_outcomes`.
    """
    rng = np.random.default_rng(seed)
    wide = profiles.pivot(index="school_code", columns="factor", values="composite")
    wide = wide.join(outcomes, how="inner")
    rows: dict[str, dict[str, float]] = {}
    for factor in [c for c in wide.columns if c != outcomes.name]:
        pair = wide[[factor, outcomes.name]].dropna()
        x, y = pair[factor].to_numpy(float), pair[outcomes.name].to_numpy(float)
        if len(pair) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            rows[factor] = {"n_schools": len(pair)}
            continue
        (rho_low, rho_high), (slope_low, slope_high) = _bootstrap_rho_slope(x, y, rng, n_boot)
        rows[factor] = {
            "n_schools": len(pair),
            "rho": _spearman(x, y),
            "rho_low": rho_low,
            "rho_high": rho_high,
            "slope": _slope(x, y),
            "slope_low": slope_low,
            "slope_high": slope_high,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    for column in ("rho", "rho_low", "rho_high", "slope", "slope_low", "slope_high"):
        if column not in table:
            table[column] = np.nan
    table["lmg"] = np.nan
    table.index.name = "factor"
    warnings = []
    n_schools = int(table["n_schools"].max()) if len(table) else 0
    if n_schools < MIN_SCHOOLS:
        warnings.append(
            f"Школ с результатами оценочных процедур всего {n_schools}: связи ненадёжны, "
            "интервалы широкие; выводы — только как гипотезы для проверки."
        )
    r2 = None
    strongest = table["rho"].abs().dropna().sort_values(ascending=False).index
    chosen = list(strongest[: min(MAX_LMG_FACTORS, max(n_schools - 3, 0))])
    complete = wide[[*chosen, outcomes.name]].dropna()
    if chosen and len(complete) >= len(chosen) + 3:
        shares = lmg(complete[chosen], complete[outcomes.name])
        table.loc[shares.index, "lmg"] = shares
        r2 = float(shares.sum())
    elif strongest.size:
        warnings.append("Слишком мало школ, чтобы разложить объяснённую дисперсию по факторам.")
    return Associations(table=table, r2=r2, warnings=warnings)


def probable_causes(
    profiles: pd.DataFrame, associations: Associations | None = None
) -> pd.DataFrame:
    """Per school, factors ranked by ``max(composite, 0) · (1 + max(ρ, 0)) / 2``; only factors
    with a positive score are listed, with the evidence (composite, level, ρ and its
    interval)."""
    frame = profiles.dropna(subset=["composite"]).copy()
    if associations is not None and len(associations.table):
        frame = frame.join(associations.table[["rho", "rho_low", "rho_high"]], on="factor")
        strength = (1 + frame["rho"].clip(lower=0).fillna(0)) / 2
    else:
        frame["rho"] = frame["rho_low"] = frame["rho_high"] = np.nan
        strength = pd.Series(0.5, index=frame.index)
    severity = frame["composite"].clip(lower=0)
    if "raised_by_cutoff" in frame.columns:
        raised = frame["raised_by_cutoff"].astype(bool)
        severity = severity.where(~raised, severity.clip(lower=CUTOFF_COMPOSITE))
    frame["score"] = severity * strength
    frame = frame[frame["score"] > 0]
    frame = frame.sort_values(["school_code", "score"], ascending=[True, False])
    frame["rank"] = frame.groupby("school_code").cumcount() + 1
    return frame[
        [
            "school_code",
            "rank",
            "factor",
            "score",
            "composite",
            "level",
            "rho",
            "rho_low",
            "rho_high",
            "drivers",
        ]
    ].reset_index(drop=True)
