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

The composite's uncertainty, the level «высокий» and the risk zone. Each indicator's z carries
the standard error of the school's empirical-Bayes estimate (:mod:`analysis.indicators`): the
posterior SD of a school's true value when τ² is known is ``√(w_j σ²_w / n_j)`` (Raudenbush &
Bryk, 2002, ch. 3), estimated by ``√w_j · se_j`` with ``se_j = s_j/√n_j`` the school's own
standard error, so

    se(risk_z) = √w_j · se_j / sd_ref

(0 for a single answer of an institutional form: the school's own figure, taken as it is). The
composite ``c = Σ a_i z_i`` (``a_i`` the indicators' normalised weights) combines indicators
read from the same respondents, whose errors correlate, and from different ones, whose errors
do not:

    se(c) = √( Σ_i Σ_k a_i a_k r_ik se(risk_z_i) se(risk_z_k) )

with ``r_ii = 1``, ``r_ik`` the pooled within-school correlation of the two indicators' values
among the same form's respondents (:func:`analysis.indicators.error_correlations`), 0 between
audiences, and — where no correlation is given — 1 within an audience (the largest error it
can give). Two statements rest on one-sided lower bounds ``c − q · se(c)``, one-sided because
each claim is ("the school is beyond the boundary"):

* the level «высокий» needs the one-sided 90 % bound (``q`` = 1.2816, :data:`HIGH_QUANTILE`) at
  or above 1.0; a point estimate of 1.0 or more whose bound falls short reads «повышенный»
  (``high_uncertain``). Without it a tenth of the factors of schools with nothing planted read
  «высокий» in the independent simulation (bench/causes_simulation.py), where the bound gives
  under 5 %;
* the school is *credibly in the risk zone* of a factor (``credible``) when the one-sided 80 %
  bound (``q`` = 0.8416, :data:`ZONE_QUANTILE`; ``composite_low``) is at or above
  :data:`RISK_ZONE`, the lower boundary of «повышенный» (0.5 SD worse than the reference). Only
  such factors can be probable causes (:func:`analysis.causes.probable_causes`); a point
  estimate above 0.5 with a bound below it is a level, not evidence. 80 % rather than 90 %:
  a probable cause is a hypothesis for the school to check, and on the simulation the 90 %
  bound named fewer planted causes at the same share of clean schools named.

A published cut-off raises the level (above) but never makes a factor credible by itself: a
cause of *this school's* low results is a way the school differs from the district, and a norm
exceeded by every school of a district (30 % bullied pupils everywhere) is a district-wide
problem, stated in the profile and the roadmap, which cannot explain why this school's results
are lower than the others'. (Naming it a cause made 94 % of the simulation's clean schools get
a cause.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.memo import memoized

BANDS = (
    (-np.inf, -1.5, "значительно лучше"),
    (-1.5, -0.5, "лучше"),
    (-0.5, 0.5, "на уровне"),
    (0.5, 1.5, "хуже"),
    (1.5, np.inf, "значительно хуже"),
)
#: the positions of :data:`BANDS`, in the same order, for an indicator describing who the
#: pupils are (``describes: pupils``): read from z itself, they judge no one (a share of pupils
#: with special needs above the district's is «выше среднего», never «хуже»)
COMPOSITION_BANDS = (
    "значительно ниже среднего",
    "ниже среднего",
    "на уровне среднего",
    "выше среднего",
    "значительно выше среднего",
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
#: the boundary of the risk zone ("elevated" and above) a factor's interval must clear
RISK_ZONE = CUTOFF_COMPOSITE
#: the lowest composite of "high"
HIGH_COMPOSITE = next(threshold for threshold, code, _ in LEVELS if code == "high")
#: one-sided 80 % normal quantile: the bound that must clear :data:`RISK_ZONE` (credible)
ZONE_QUANTILE = 0.8416212335729143
#: one-sided 90 % normal quantile: the bound that must clear :data:`HIGH_COMPOSITE` ("high")
HIGH_QUANTILE = 1.2815515655446004


@dataclass(frozen=True)
class Reference:
    """Mean and SD of each indicator over the reference schools."""

    stats: pd.DataFrame  # index indicator; columns mean, sd, schools

    @classmethod
    def from_indicators(cls, table: pd.DataFrame) -> Reference:
        # .loc and a bool mask: a plain ``table[mask]`` reads a mask of dtype object (an
        # empty column) as column labels.
        usable = table.loc[~table["suppressed"].astype(bool)]
        # (three plain grouped reductions: a named aggregation cost ~1.5 ms more)
        grouped = usable.groupby("indicator")["shrunken"]
        stats = pd.DataFrame(
            {"mean": grouped.mean(), "sd": grouped.std(), "schools": grouped.count()}
        )
        return cls(stats)


def band(risk_z: float) -> str | None:
    if risk_z is None or np.isnan(risk_z):
        return None
    for low, high, label in BANDS:
        if low <= risk_z < high:
            return label
    return BANDS[-1][2]


def _bands(risk_z: np.ndarray) -> np.ndarray:
    """:func:`band` of each value, on the array (a reference's table has ~700 rows)."""
    out = np.full(len(risk_z), BANDS[-1][2], dtype=object)
    for low, high, label in BANDS:
        out[(low <= risk_z) & (risk_z < high)] = label
    out[np.isnan(risk_z)] = None
    return out


def composition_band(z: float) -> str | None:
    """The position of an indicator that describes who the pupils are, from its z (not its
    risk-aligned z): the band of :func:`band` in the words of :data:`COMPOSITION_BANDS`."""
    position = band(z)
    if position is None:
        return None
    return COMPOSITION_BANDS[[label for *_, label in BANDS].index(position)]


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
    # (an empty table keeps the float column a map of no values gives)
    out["band"] = _bands(out["risk_z"].to_numpy(dtype="float64")) if len(out) else out["risk_z"]
    out["risk_z_se"] = _z_standard_error(out, joined["sd"])
    return out


def _composite_se(
    joined: pd.DataFrame, keys: list[str], correlation: pd.DataFrame | None
) -> pd.Series:
    """``√(Σ_i Σ_k e_i e_k r_ik)`` per school × factor, ``e_i = a_i se(risk_z_i)`` (see the
    module's docstring), from the pairs of each group's indicators."""
    # The pairs of each group's rows, as a merge of the rows with themselves on ``keys``
    # gives them within a group (the first row with every row in order, then the second …),
    # so that each group's products are summed in the same order; on arrays (the merge, the
    # stacked correlations and a dozen labelled columns cost ~4 ms a reference).
    group = joined.groupby(keys, sort=False).ngroup().to_numpy()
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group)
    starts = np.cumsum(sizes) - sizes
    repeats = sizes[group[order]]
    left = np.repeat(order, repeats)
    within = np.arange(len(left)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    right = order[np.repeat(starts[group[order]], repeats) + within]
    indicator = joined["indicator"].to_numpy()
    audience = joined["audience"].to_numpy()
    sign = joined["sign"].to_numpy(dtype="float64")
    error = joined["error"].to_numpy(dtype="float64")
    r = np.where(audience[left] == audience[right], 1.0, 0.0)
    if correlation is not None and len(left):
        # NaN (a pair of the same form with too few answers, or not in the table) keeps
        # the rule above.
        rows = correlation.index.get_indexer(indicator)[left]
        columns = correlation.columns.get_indexer(indicator)[right]
        found = (rows >= 0) & (columns >= 0)
        known = np.where(found, correlation.to_numpy(dtype="float64")[rows, columns], np.nan)
        signed = known * sign[left] * sign[right]
        r = np.where(np.isnan(signed), r, signed)
    r = np.where(indicator[left] != indicator[right], r, 1.0)
    pairs = pd.DataFrame(
        {
            keys[0]: joined[keys[0]].to_numpy()[left],
            keys[1]: joined[keys[1]].to_numpy()[left],
            "product": error[left] * error[right] * r,
        }
    )
    return np.sqrt(pairs.groupby(keys)["product"].sum().clip(lower=0))


def _z_standard_error(table: pd.DataFrame, sd_ref: pd.Series) -> pd.Series:
    """``√w_j · se_j / sd_ref`` per row (see the module's docstring); 0 where the school's
    value is a single answer or the reference does not vary, NaN where risk_z is NaN."""
    if "se" not in table:  # a table without errors: the point estimates are taken as they are
        return pd.Series(0.0, index=table.index).where(table["risk_z"].notna())
    se = pd.to_numeric(table["se"], errors="coerce")
    reliability = (
        pd.to_numeric(table["reliability"], errors="coerce").fillna(1.0)
        if "reliability" in table
        else pd.Series(1.0, index=table.index)
    )
    posterior = np.sqrt(np.clip(reliability, 0.0, 1.0)) * se.fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z_se = (posterior / sd_ref.where(sd_ref > 0)).fillna(0.0)
    return z_se.where(table["risk_z"].notna())


def _grouped_lists(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The ``indicator`` of each group of ``frame``'s ``keys`` (two columns) as a list, in
    the frame's order: ``frame.groupby(keys)["indicator"].agg(list)`` in one pass over the
    rows (the aggregation called ``list`` once per group through pandas, ~2 ms a table)."""
    lists: dict[tuple[Any, Any], list[Any]] = {}
    columns = (frame[keys[0]].to_numpy(), frame[keys[1]].to_numpy(), frame["indicator"].to_numpy())
    for first, second, indicator in zip(*columns, strict=True):
        lists.setdefault((first, second), []).append(indicator)
    index = pd.MultiIndex.from_tuples(list(lists), names=keys)
    return pd.Series(list(lists.values()), index=index, name="indicator", dtype=object)


@memoized
def factor_profiles(
    table: pd.DataFrame,
    factors: dict[str, list[str]],
    *,
    min_indicators: int = 1,
    error_correlation: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per school × factor: composite (weighted mean risk_z), its standard error and
    one-sided 80 % lower bound (``composite_se``, ``composite_low``), whether the school is
    credibly in the factor's risk zone (``credible``, see the module's docstring), level
    (``high_uncertain``: the point estimate reached «высокий», its bound did not), how many
    indicators it rests on, the drivers (indicator codes, largest contribution first), the
    indicators beyond their high-risk cut-offs (``cutoff_drivers``) and whether they raised
    the level (``raised_by_cutoff``; the drivers of a raised factor start with them).

    Parameters
    ----------
    table
        The output of :func:`indicator_z`; without a ``cutoff`` column no cut-offs apply.
    factors
        factor code -> the indicator codes that feed it.
    error_correlation
        indicator × indicator correlations of the errors
        (:func:`analysis.indicators.error_correlations`); None: 1 within an audience.
    """
    columns = [
        "school_code",
        "factor",
        "composite",
        "composite_se",
        "composite_low",
        "credible",
        "level",
        "high_uncertain",
        "indicators",
        "drivers",
        "cutoff_drivers",
        "raised_by_cutoff",
    ]
    mapping = pd.DataFrame(
        [(factor, code) for factor, codes in factors.items() for code in codes],
        columns=["factor", "indicator"],
    )
    usable = table.dropna(subset=["risk_z"])
    if "risk_z_se" not in usable:
        usable = usable.assign(risk_z_se=0.0)
    if "audience" not in usable:
        usable = usable.assign(audience="")
    # Errors of a favourable indicator turn round with its z: the sign aligns correlations.
    usable = usable.assign(
        sign=np.where(usable["direction"] == "favourable", -1.0, 1.0)
        if "direction" in usable
        else 1.0
    )
    usable = usable[
        ["school_code", "indicator", "audience", "sign", "risk_z", "risk_z_se", "weight"]
    ]
    joined = usable.merge(mapping, on="indicator")
    joined["weight"] = joined["weight"].astype(float)
    keys = ["school_code", "factor"]
    totals = joined.groupby(keys)["weight"].transform("sum")
    joined["contribution"] = joined["risk_z"] * joined["weight"] / totals
    joined["error"] = joined["risk_z_se"].astype(float) * joined["weight"] / totals
    grouped = joined.groupby(keys)
    summary = pd.DataFrame(
        {"composite": grouped["contribution"].sum(), "indicators": grouped.size()}
    )
    summary["composite_se"] = _composite_se(joined, keys, error_correlation)
    drivers = _grouped_lists(
        joined.sort_values([*keys, "contribution"], ascending=[True, True, False]), keys
    )
    # A cut-off does not depend on the reference: an indicator the reference cannot place
    # (no risk_z) still counts, heaviest first.
    beyond = table[table["cutoff"] == "high"] if "cutoff" in table.columns else table.iloc[:0]
    beyond = beyond[["school_code", "indicator", "weight"]].merge(mapping, on="indicator")
    cutoff_drivers = _grouped_lists(
        beyond.assign(weight=beyond["weight"].astype(float)).sort_values(
            [*keys, "weight"], ascending=[True, True, False], kind="stable"
        ),
        keys,
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
    out.loc[out["indicators"] < min_indicators, ["composite", "composite_se"]] = np.nan
    out["composite_low"] = out["composite"] - ZONE_QUANTILE * out["composite_se"]
    out["drivers"] = [d if isinstance(d, list) else [] for d in out["drivers"]]
    out["cutoff_drivers"] = [d if isinstance(d, list) else [] for d in out["cutoff_drivers"]]
    out["raised_by_cutoff"] = (
        out["composite"].lt(CUTOFF_COMPOSITE) & out["cutoff_drivers"].map(len).gt(0)
    ).astype(bool)
    out["level"] = [level(c) for c in out["composite"]]
    high_low = out["composite"] - HIGH_QUANTILE * out["composite_se"].fillna(0.0)
    out["high_uncertain"] = (out["level"].eq("high") & high_low.lt(HIGH_COMPOSITE)).astype(bool)
    out.loc[out["high_uncertain"], "level"] = "elevated"
    out.loc[out["raised_by_cutoff"], "level"] = CUTOFF_LEVEL
    out["credible"] = out["composite_low"].ge(RISK_ZONE).astype(bool)
    out["drivers"] = [
        [*cut, *(d for d in drivers if d not in cut)] if raised else drivers
        for drivers, cut, raised in zip(
            out["drivers"], out["cutoff_drivers"], out["raised_by_cutoff"], strict=True
        )
    ]
    return out.reset_index()[columns]
