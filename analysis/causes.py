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

Per school, a factor is a probable cause only when the evidence is there
(:func:`probable_causes`): the school is *credibly* in its risk zone — its interval, not its
point estimate, lies beyond the boundary of «повышенный» (the one-sided 80 % lower bound of the
composite at or above 0.5 SD, with the composite's standard error from the indicators'
empirical-Bayes posterior SDs and their within-school error correlations, :mod:`analysis.risk`);
the school's results are low (it is listed by the region as a school with low results, ШНОР,
or its share of «2» is above the average school's of the district); and
the district model does not show the factor going with better results. A published cut-off
exceeded raises a factor's level but does not make it a cause by itself (:mod:`analysis.risk`
says why). A school with nothing qualifying gets no probable cause, and the reference says so.

The association with results across the district is a multivariate model
(:func:`district_model`): a Bayesian ridge regression of the schools' logit share of «2» on all
driver factors at once, with school size as context, so that factors which merely travel with
a causal one (a disadvantaged intake lifts several together) do not take its weight, as each
factor's own Spearman ρ did (ρ stays displayed as a descriptive, :func:`factor_associations`).
Qualifying factors are ranked by their expected contribution to the school's results, the
coefficient's posterior mean (0 where negative) times the school's composite; ties by the
composite. With fewer than 20 schools with answers and results (or fewer than two per
predictor) no model is fitted: the ranking is the composite's and no cause is said to be
associated with results — a regression on a dozen schools would only pretend.

How this was chosen, and what it achieves, is measured on an independent simulated district
(``bench/causes_simulation.py``, figures in ``bench/RESULTS.md``), next to what a rule that
knows the simulation's truth achieves at the same share of clean schools named.

A factor that could not be measured at a school because its audiences' answers there are under
the minimum group size is listed as not assessed, with the audience, its number of answers and
the minimum (:func:`short_audiences`), never silently as missing among the causes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

from analysis.memo import memoized
from analysis.risk import factor_profiles
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
    # Spearman's rho is Pearson's r of the ranks (ties get their average rank), ranked by the
    # positions of the schools' values among their distinct values.
    x_distinct, x_codes = np.unique(x, return_inverse=True)
    y_distinct, y_codes = np.unique(y, return_inverse=True)
    rho = _row_pearson(
        _code_ranks(x_codes[idx], len(x_distinct)), _code_ranks(y_codes[idx], len(y_distinct))
    )
    xc = xs - xs.mean(axis=1, keepdims=True)
    sxx = (xc * xc).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(np.isfinite(rho), (xc * ys).sum(axis=1) / sxx, np.nan)
    return _percentile_interval(rho), _percentile_interval(slope)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Each row's ranks, ties given their average rank (as ``scipy.stats.rankdata`` and
    pandas' ``rank(method="average")``, without scipy's second of import or a pandas frame
    around 2,000 short rows)."""
    distinct, codes = np.unique(values, return_inverse=True)
    return _code_ranks(codes.reshape(values.shape), len(distinct))


def _code_ranks(codes: np.ndarray, size: int) -> np.ndarray:
    """The average ranks of each row of ``codes``, the positions (0 … ``size`` − 1) of the
    values among the distinct values sorted: a value with ``less`` values below it in its row
    and ``count`` equal to it ranks ``less + (count + 1) / 2``, a half-integer and exact in
    floating point (as the mean of the positions it ties over). Counting, unlike sorting each
    row, costs the same for every row; the bootstrap's resamples are rows of codes drawn from
    the schools' own (:func:`_bootstrap_rho_slope`)."""
    rows = codes.shape[0]
    offsets = codes + size * np.arange(rows)[:, None]
    counts = np.bincount(offsets.ravel(), minlength=rows * size).reshape(rows, size)
    # less + (count + 1) / 2 = (less + count) − (count − 1) / 2, per row and distinct value
    average = np.cumsum(counts, axis=1) - (counts - 1) / 2
    return average.ravel()[offsets]


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's r of the ranks (NaN if any value is missing or either is
    constant, as ``scipy.stats.spearmanr``)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.isnan(x).any() or np.isnan(y).any():
        return float("nan")
    return float(_row_pearson(_ranks(x[None, :]), _ranks(y[None, :]))[0])


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(x, y, 1)[0])


def _r2(x: np.ndarray, y: np.ndarray, columns: tuple[int, ...]) -> float:
    """R² of the least-squares regression of ``y`` on an intercept and ``x``'s ``columns``
    (in that order)."""
    if not columns:
        return 0.0
    design = np.column_stack([np.ones(len(x)), x[:, list(columns)]])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    total = y - y.mean()
    return float(1 - residual @ residual / (total @ total))


def lmg(frame: pd.DataFrame, outcome: pd.Series) -> pd.Series:
    """LMG relative importance of each column of ``frame`` for ``outcome``; sums to R²."""
    names = list(frame.columns)
    k = len(names)
    # (arrays: the 2^k regressions on labelled frames spent most of their time indexing)
    x, y = frame.to_numpy(dtype=float), outcome.to_numpy(dtype=float)
    column = {name: position for position, name in enumerate(names)}
    shares = dict.fromkeys(names, 0.0)
    cache: dict[tuple[str, ...], float] = {}

    def r2(subset: tuple[str, ...]) -> float:
        key = tuple(sorted(subset))
        if key not in cache:
            cache[key] = _r2(x, y, tuple(column[name] for name in key))
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
    outcome = wide[outcomes.name].to_numpy(float)
    for factor in [c for c in wide.columns if c != outcomes.name]:
        composite = wide[factor].to_numpy(float)
        pair = ~np.isnan(composite) & ~np.isnan(outcome)
        x, y = composite[pair], outcome[pair]
        if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            rows[factor] = {"n_schools": len(x)}
            continue
        (rho_low, rho_high), (slope_low, slope_high) = _bootstrap_rho_slope(x, y, rng, n_boot)
        rows[factor] = {
            "n_schools": len(x),
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
        warnings.append(
            "Школ слишком мало, чтобы оценить, какую часть различий в результатах между школами "
            "объясняет каждый фактор."
        )
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


#: fewest schools with both answers and results for the district model (and at least
#: :data:`MODEL_SCHOOLS_PER_PREDICTOR` per predictor); below it the model is not fitted
MIN_MODEL_SCHOOLS = 20
MODEL_SCHOOLS_PER_PREDICTOR = 2
#: two-sided 95 % normal quantile, for the model's coefficient intervals
Z95 = 1.959963984540054
#: the logit is taken of shares clipped to [this, 1 − this] (a school with no «2» at all)
SHARE_FLOOR = 0.005


@dataclass(frozen=True)
class DistrictModel:
    """The multivariate association of the driver factors with results across the district.

    ``table`` (index factor): ``beta`` (change of the logit of the share of «2» per unit of
    the composite, the other factors and the context held fixed), ``beta_se``, ``beta_low``,
    ``beta_high`` (95 %), ``associated`` (the interval lies above 0) and ``against`` (below
    0). ``schools``: how many schools it rests on; ``fitted`` False with ``reason`` when there
    were too few and nothing else is filled in."""

    table: pd.DataFrame
    schools: int
    fitted: bool
    reason: str | None = None
    context: tuple[str, ...] = ()


def _logit(share: pd.Series) -> pd.Series:
    clipped = share.clip(SHARE_FLOOR, 1 - SHARE_FLOOR)
    return np.log(clipped / (1 - clipped))


def district_model(
    profiles: pd.DataFrame, outcomes: pd.Series, context: pd.DataFrame | None = None
) -> DistrictModel:
    """Bayesian ridge regression of the schools' logit share of «2» on the driver factors'
    composites, with ``context`` (index school_code, numeric columns: e.g. the log of the
    number of participants, the ШНСУ flag) as further predictors.

        logit(p_s) = α + Σ_k β_k c_sk + Σ_j γ_j x_sj + ε_s,   β, γ ~ N(0, λ⁻¹),  ε ~ N(0, σ²)

    with λ and σ² chosen by maximising the marginal likelihood (MacKay 1992; Tipping 2001;
    scikit-learn's ``BayesianRidge``). The prior shrinks every coefficient towards 0 by the
    same amount, which is what separates factors that travel together: a factor that only
    correlates with a causal one gets little of its weight once both are in the model, where
    a factor's own Spearman ρ gives both the same. The coefficients' intervals are the
    posterior's (mean ± 1.96 SD), conditional on λ and σ².

    The composites are the empirical-Bayes estimates of :mod:`analysis.risk`: shrinking each
    school's figure by its reliability is the regression-calibration correction for their
    measurement error (Carroll et al., *Measurement Error in Nonlinear Models*, 2006, ch. 4),
    so small schools' noisy composites do not flatten the slopes. A school without a composite
    for a factor (its audience under the minimum) enters with 0, the district's reference
    value, i.e. the estimate that carries no information. Fewer than
    :data:`MIN_MODEL_SCHOOLS` schools, or fewer than
    :data:`MODEL_SCHOOLS_PER_PREDICTOR` per predictor: no model (``fitted`` False); the
    causes are then ranked by the risk level alone and nothing is said of an association."""
    wide = profiles.pivot(index="school_code", columns="factor", values="composite")
    factors = [str(f) for f in wide.columns]
    columns = ["beta", "beta_se", "beta_low", "beta_high", "associated", "against"]
    empty = pd.DataFrame(index=pd.Index(factors, name="factor"), columns=columns)
    y = _logit(outcomes.dropna())
    x = wide.loc[wide.index.intersection(y.index)]
    x = x.loc[:, x.notna().any()]  # a factor no school with results has: not a predictor
    extra: list[str] = []
    if context is not None and len(context.columns):
        ctx = context.reindex(x.index)
        ctx = ctx.loc[:, ctx.notna().all() & (ctx.nunique() > 1)]
        extra = [str(c) for c in ctx.columns]
        x = x.join(ctx)
    n, k = len(x), x.shape[1]
    if n < max(MIN_MODEL_SCHOOLS, MODEL_SCHOOLS_PER_PREDICTOR * k) or k == 0:
        need = max(MIN_MODEL_SCHOOLS, MODEL_SCHOOLS_PER_PREDICTOR * k)
        return DistrictModel(
            empty, n, False, f"школ с ответами и результатами {n}, а нужно не меньше {need}"
        )
    from sklearn.linear_model import BayesianRidge  # heavy: only when a model is fitted

    design = x.fillna(0.0).to_numpy(float)
    model = BayesianRidge(fit_intercept=True).fit(design, y.loc[x.index].to_numpy(float))
    se = np.sqrt(np.diag(model.sigma_))
    table = pd.DataFrame({"beta": model.coef_, "beta_se": se}, index=x.columns)
    table = table.loc[[c for c in x.columns if c not in extra]].reindex(factors)
    table.index.name = "factor"
    table["beta_low"] = table["beta"] - Z95 * table["beta_se"]
    table["beta_high"] = table["beta"] + Z95 * table["beta_se"]
    table["associated"] = table["beta_low"].gt(0)
    table["against"] = table["beta_high"].lt(0)
    return DistrictModel(table, n, True, context=tuple(extra))


def results_low(outcomes: pd.Series | None, listed_low: pd.Series | None = None) -> pd.Series:
    """Per school (index school_code): True when its results are low — it is on the region's
    list of schools with low results (``listed_low``, ШНОР: the region has judged its
    results over several years, which one year's assessments here do not overrule) or its
    share of «2» is above the average of the district's schools (each counted once); False
    for a school with results that is neither. Schools with neither results nor a listing
    are absent (nothing is known)."""
    usable = outcomes.dropna() if outcomes is not None else pd.Series(dtype=float)
    low = usable.gt(usable.mean()) if len(usable) else pd.Series(dtype=bool)
    if listed_low is not None:
        listed = listed_low[listed_low.astype(bool)]
        low = low.reindex(low.index.union(listed.index), fill_value=False)
        low[listed.index] = True
    return low.astype(bool).rename("results_low")


def probable_causes(
    profiles: pd.DataFrame,
    associations: Associations | None = None,
    model: DistrictModel | None = None,
    outcomes: pd.Series | None = None,
    listed_low: pd.Series | None = None,
) -> pd.DataFrame:
    """Per school, its probable causes in rank order, with the evidence.

    A factor qualifies at a school when all three hold:

    1. the school is credibly in the factor's risk zone (``credible`` of
       :func:`analysis.risk.factor_profiles`: the one-sided 80 % lower bound of the composite
       at or above 0.5 SD);
    2. the school's results are low (:func:`results_low`: listed by the region as ШНОР, or
       its share of «2» above the average school's). A cause of low results is not named for
       a school whose results are not low; its factors in the risk zone stay in the profile
       and the roadmap. A school with neither results nor a listing is not held to this;
    3. the district model does not show the factor going with *better* results (its
       coefficient's 95 % interval below 0, ``against``).

    Ranked by the expected contribution to the school's results, ``max(β_k, 0) · c_sk`` (the
    posterior mean of the model's coefficient times the school's composite), ties — and every
    factor when no model is fitted — by the composite. ``associated`` marks the factors whose
    coefficient is credibly above 0 (its 95 % interval); the reference words the others as
    named by the school's risk level. Without a fitted model no factor is associated. ρ and
    its interval (:func:`factor_associations`) stay as a descriptive. ``profiles`` must hold driver
    factors only (:func:`driver_factors`); a school with nothing qualifying has no rows."""
    frame = profiles.dropna(subset=["composite"]).copy()
    if "credible" in frame.columns:
        frame = frame[frame["credible"].astype(bool)]
    columns = ["rho", "rho_low", "rho_high"]
    if associations is not None and len(associations.table):
        frame = frame.join(associations.table[columns], on="factor")
    else:
        frame[columns] = np.nan
    low = results_low(outcomes, listed_low)
    if len(low):
        known = frame["school_code"].isin(low.index)
        not_low = known & ~frame["school_code"].map(low).fillna(False).astype(bool)
        frame = frame[~not_low]
    if model is not None and model.fitted:
        frame = frame.join(model.table[["beta", "beta_low", "beta_high", "against"]], on="factor")
        frame = frame[~frame["against"].fillna(False).astype(bool)]
        frame["associated"] = frame["beta_low"].gt(0)
    else:
        frame[["beta", "beta_low", "beta_high"]] = np.nan
        frame["associated"] = False
    # Expected contribution: the posterior mean of the coefficient (0 where it is below 0:
    # the model does not expect the factor to add «2») times the school's composite.
    frame["contribution"] = frame["beta"].clip(lower=0) * frame["composite"]
    frame["score"] = frame["contribution"].fillna(0.0)
    frame = frame.sort_values(
        ["school_code", "score", "composite"], ascending=[True, False, False], kind="stable"
    )
    frame["rank"] = frame.groupby("school_code").cumcount() + 1
    if "composite_low" not in frame.columns:
        frame["composite_low"] = np.nan
    return frame[
        [
            "school_code",
            "rank",
            "factor",
            "score",
            "contribution",
            "composite",
            "composite_low",
            "level",
            "rho",
            "rho_low",
            "rho_high",
            "beta",
            "beta_low",
            "beta_high",
            "associated",
            "drivers",
        ]
    ].reset_index(drop=True)


@dataclass(frozen=True)
class CauseAnalysis:
    """What the reference's causes part rests on: the driver factors' profiles, their
    univariate association with results and the district model (None without assessment
    data), whether each school's results are low, and the probable causes."""

    profiles: pd.DataFrame
    associations: Associations | None
    causes: pd.DataFrame
    model: DistrictModel | None = None
    results_low: pd.Series | None = None


@memoized
def analyse_causes(
    table: pd.DataFrame,
    by_factor: Mapping[str, Sequence[Indicator]],
    outcomes: pd.Series | None = None,
    *,
    context: pd.DataFrame | None = None,
    listed_low: pd.Series | None = None,
    error_correlation: pd.DataFrame | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> CauseAnalysis:
    """Probable causes from an :func:`analysis.risk.indicator_z` table: only the driver
    indicators are read (:func:`driver_factors`), so no outcome reaches the association, the
    model or the ranking; ``outcomes`` is :func:`school_outcomes` (None or empty: no
    association); ``context`` as for :func:`district_model`; ``listed_low`` (index
    school_code, bool) the schools the region lists as having low results (ШНОР, see
    :func:`results_low`); ``error_correlation`` as for :func:`analysis.risk.factor_profiles`."""
    every = {factor: [i.code for i in items] for factor, items in by_factor.items()}
    drivers = driver_factors(by_factor)
    if drivers and all(every[factor] == codes for factor, codes in drivers.items()):
        # A factor's rows rest on its own indicators only, so the drivers' are those of the
        # profile of every factor, which the reference computes anyway (and the store keeps).
        profiles = factor_profiles(table, every, error_correlation=error_correlation)
        profiles = profiles[profiles["factor"].isin(list(drivers))].reset_index(drop=True)
    else:  # (a factor mixing driver and outcome indicators: the catalogue has none)
        profiles = factor_profiles(table, drivers, error_correlation=error_correlation)
    associations = model = None
    if outcomes is not None and len(outcomes):
        associations = factor_associations(profiles, outcomes, n_boot=n_boot, seed=seed)
        model = district_model(profiles, outcomes, context)
    causes = probable_causes(profiles, associations, model, outcomes, listed_low)
    return CauseAnalysis(profiles, associations, causes, model, results_low(outcomes, listed_low))


def short_audiences(
    table: pd.DataFrame, by_factor: Mapping[str, Sequence[Indicator]], school_code: str
) -> dict[str, list[tuple[str, int]]]:
    """Per driver factor, the audiences whose answers at ``school_code`` are under the minimum
    group size for some of the factor's indicators, with their numbers of answers: factor ->
    [(audience, n)]. A factor listed here with no composite was not assessed at the school
    for that reason; one with a composite rests on its other audiences."""
    mine = table[(table["school_code"] == school_code) & table["suppressed"].astype(bool)]
    # (the school's few rows in Python: a selection and a groupby per factor cost ~4 ms)
    rows = list(zip(mine["indicator"], mine["audience"], mine["n"], strict=True))
    out: dict[str, list[tuple[str, int]]] = {}
    for factor, codes in driver_factors(by_factor).items():
        wanted = set(codes)
        most: dict[Any, Any] = {}
        for indicator, audience, n in rows:
            if indicator in wanted:
                most[audience] = max(most[audience], n) if audience in most else n
        if most:  # the audiences in order, the largest number of answers of each
            out[factor] = [(str(audience), int(most[audience])) for audience in sorted(most)]
    return out
