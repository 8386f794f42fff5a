"""Probable causes: how risk factors go with low results across schools, and per school.

Across the campaign's schools, each factor's composite is set against the schools' results
(participant-weighted share of failing marks over the assessments given): Spearman's rank
correlation with a percentile bootstrap interval over schools, the slope of a simple
regression with its bootstrap interval, and — when there are enough schools — the relative
importance of the strongest factors (LMG: each factor's R² share averaged over all orders of
entry, Lindeman, Merenda & Gold 1980), which sums to the R² of their joint regression.
With few schools the intervals are wide and a warning says so: these are associations in
this district, not proof of cause.

Outcome indicators never compete (issue 14). An indicator with ``role: outcome`` in the
catalogue (``instruments/library/risk_factors.yaml``; all indicators of a factor share one role)
measures low results themselves: the factor «Обучающиеся с рисками учебной неуспешности» is
read from pupils with «2» for the term (``stu_failing_marks``), pupils recommended extra classes
(``adm_share_recommended_extra``) and teachers naming gaps in knowledge
(``tch_obstacle_gaps``). Set against the share of «2» it correlated at 0.79–0.88 (every other
factor at most 0.56) and took the largest weight: an outcome explaining itself. Such factors
are left out before anything here is computed (:func:`driver_factors`): they enter neither the
district association nor the ranking, and the reference shows them in the risk profile as a
description of the problem, labelled as such (:mod:`analysis.report.profile`). Every other
indicator is a ``driver``; the yaml's header gives the reasons indicator by indicator.

Per school, a factor qualifies as a probable cause only when the school is *credibly* in its
risk zone (``credible`` of :func:`analysis.risk.factor_profiles`): its interval, not its point
estimate, lies beyond the boundary of «повышенный» (0.5 SD worse than the reference), with

    e_i = a_i · √w_i · se_i / sd_ref,i,      se(c) = √( Σ_i Σ_k e_i e_k r_ik )

(``a_i`` the indicators' normalised weights, ``w_i`` the empirical-Bayes reliability of the
school's estimate, ``se_i`` its standard error, ``sd_ref,i`` the reference's SD, ``r_ik`` the
pooled within-school correlation of the two indicators among the same respondents, 0 between
audiences, 1 within an audience where it cannot be estimated); the one-sided 95 % lower bound
``c − 1.645 se(c)`` must be at or above 0.5 (:mod:`analysis.risk`), or an indicator's whole
95 % interval must lie beyond its published high-risk cut-off. The bound is one-sided because
the claim is ("the school is beyond the boundary"). A school with no such factor gets no
probable cause, and the reference says so. The qualifying factors are ranked by

    score = severity · weight(factor)

where severity is the composite (at least 0.5 for a factor raised by a cut-off) and the weight
comes from one function, :func:`association_weights`, which a multivariate district model can
replace. Today it is the univariate association: ``(1 + ρ)/2`` when the 95 % bootstrap
interval of Spearman's ρ lies above 0 (the factor goes with low results in this district),
``1/2`` otherwise. So a factor whose association is not shown is still named when the school
is credibly in its risk zone — with a dozen schools a weak correlation is no evidence that a
factor the roadmaps name is harmless — but it is named by its risk level alone, and the
reference says the association is not confirmed; in a district where no factor is associated
with results (or with no assessment data) the ranking is the order of the risk levels and no
cause is named by association. ρ and its interval stay displayed as a descriptive.

A factor that could not be measured at a school because its audiences' answers there are under
the minimum group size is listed as not assessed, with the audience, its number of answers and
the minimum (:func:`short_audiences`), never silently as missing among the causes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
from scipy import stats

from analysis.risk import CUTOFF_COMPOSITE, factor_profiles
from instruments.risk_factors import Indicator

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


def driver_factors(by_factor: Mapping[str, Sequence[Indicator]]) -> dict[str, list[str]]:
    """Per factor, the codes of its ``driver`` indicators: what may compete as a cause.
    Outcome indicators are dropped, and a factor left with none is not a candidate."""
    drivers = {
        factor: [i.code for i in items if i.role == "driver"] for factor, items in by_factor.items()
    }
    return {factor: codes for factor, codes in drivers.items() if codes}


def outcome_factors(by_factor: Mapping[str, Sequence[Indicator]]) -> dict[str, list[str]]:
    """Per factor whose indicators are all outcomes, their codes: a description of the
    problem, shown in the reference and never a cause."""
    return {
        factor: [i.code for i in items]
        for factor, items in by_factor.items()
        if items and all(i.role == "outcome" for i in items)
    }


def association_weights(associations: Associations | None) -> pd.Series:
    """The ranking's weight of each factor (index factor, in [1/2, 1]): ``(1 + ρ)/2`` where the
    bootstrap interval of ρ lies above 0, ``1/2`` elsewhere (and for every factor without
    assessment data). The one place the district's evidence enters the ranking: a
    multivariate model replaces this function by the factors' expected contributions."""
    if associations is None or not len(associations.table):
        return pd.Series(dtype=float, name="weight")
    table = associations.table
    shown = table["rho_low"].gt(0) & table["rho"].notna()
    return ((1 + table["rho"].where(shown, 0.0).clip(lower=0)) / 2).rename("weight")


def probable_causes(
    profiles: pd.DataFrame, associations: Associations | None = None
) -> pd.DataFrame:
    """Per school, the factors it is credibly in the risk zone of, ranked by
    ``severity · weight`` (:func:`association_weights`), with the evidence: composite and its
    lower bound, level, ρ and its interval, ``associated`` (ρ's interval above 0).

    ``profiles`` must hold driver factors only (:func:`driver_factors`); a school with no
    credible factor has no rows."""
    frame = profiles.dropna(subset=["composite"]).copy()
    if "credible" in frame.columns:
        frame = frame[frame["credible"].astype(bool)]
    columns = ["rho", "rho_low", "rho_high"]
    if associations is not None and len(associations.table):
        frame = frame.join(associations.table[columns], on="factor")
    else:
        frame[columns] = np.nan
    weights = association_weights(associations)
    frame["weight"] = frame["factor"].map(weights).fillna(0.5).astype(float)
    frame["associated"] = frame["rho_low"].gt(0)
    severity = frame["composite"].clip(lower=0)
    if "raised_by_cutoff" in frame.columns:
        raised = frame["raised_by_cutoff"].astype(bool)
        severity = severity.where(~raised, severity.clip(lower=CUTOFF_COMPOSITE))
    frame["score"] = severity * frame["weight"]
    frame = frame[frame["score"] > 0]
    frame = frame.sort_values(["school_code", "score"], ascending=[True, False], kind="stable")
    frame["rank"] = frame.groupby("school_code").cumcount() + 1
    if "composite_low" not in frame.columns:
        frame["composite_low"] = np.nan
    return frame[
        [
            "school_code",
            "rank",
            "factor",
            "score",
            "composite",
            "composite_low",
            "level",
            "rho",
            "rho_low",
            "rho_high",
            "associated",
            "drivers",
        ]
    ].reset_index(drop=True)


@dataclass(frozen=True)
class CauseAnalysis:
    """What the reference's causes part rests on: the driver factors' profiles, their
    association with results (None without assessment data) and the probable causes."""

    profiles: pd.DataFrame
    associations: Associations | None
    causes: pd.DataFrame


def analyse_causes(
    table: pd.DataFrame,
    by_factor: Mapping[str, Sequence[Indicator]],
    outcomes: pd.Series | None = None,
    *,
    error_correlation: pd.DataFrame | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> CauseAnalysis:
    """Probable causes from an :func:`analysis.risk.indicator_z` table: only the driver
    indicators are read (:func:`driver_factors`), so no outcome reaches the association or
    the ranking; ``outcomes`` is :func:`school_outcomes` (None or empty: no association);
    ``error_correlation`` as for :func:`analysis.risk.factor_profiles`."""
    profiles = factor_profiles(
        table, driver_factors(by_factor), error_correlation=error_correlation
    )
    associations = None
    if outcomes is not None and len(outcomes):
        associations = factor_associations(profiles, outcomes, n_boot=n_boot, seed=seed)
    return CauseAnalysis(profiles, associations, probable_causes(profiles, associations))


def short_audiences(
    table: pd.DataFrame, by_factor: Mapping[str, Sequence[Indicator]], school_code: str
) -> dict[str, list[tuple[str, int]]]:
    """Per driver factor, the audiences whose answers at ``school_code`` are under the minimum
    group size for some of the factor's indicators, with their numbers of answers: factor ->
    [(audience, n)]. A factor listed here with no composite was not assessed at the school
    for that reason; one with a composite rests on its other audiences."""
    mine = table[(table["school_code"] == school_code) & table["suppressed"].astype(bool)]
    out: dict[str, list[tuple[str, int]]] = {}
    for factor, codes in driver_factors(by_factor).items():
        hidden = mine[mine["indicator"].isin(codes)]
        if len(hidden):
            counts = hidden.groupby("audience")["n"].max()
            out[factor] = [(str(audience), int(n)) for audience, n in counts.items()]
    return out
