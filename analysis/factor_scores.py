"""Empirical factor scores per school, alongside the theory-driven scale scores.

For one instrument, an exploratory factor solution is fitted on the pooled respondents of all
schools (the scale items; minres, oblimin; the number of factors from parallel analysis,
capped at the number of scales). Each respondent's regression factor scores are then averaged
per school with n and a 95% t interval; schools below the minimum group are suppressed. Each
factor is named after the scale whose items load on it most, so a psychologist can see whether
the data reproduce the instrument's intended structure.

Respondents with a missing item get their item mean imputed for scoring when they answered at
least ``min_answered`` of the items (otherwise no score): simple, and documented as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import AnalysisError
from analysis.psychometrics import FactorSolution, efa, parallel_analysis
from analysis.scoring import keyed_items
from instruments.schema import Instrument, text_in


@dataclass(frozen=True)
class SchoolFactorScores:
    solution: FactorSolution
    #: factor code (F1…) -> the scale whose items load most on it, and its title
    labels: dict[str, str]
    #: one row per school × factor: n, mean, ci_low, ci_high, suppressed
    schools: pd.DataFrame


def _keyed(answers: pd.DataFrame, instrument: Instrument) -> tuple[pd.DataFrame, dict[str, str]]:
    """All scale items, reverse-keyed, and which scale each belongs to."""
    columns: dict[str, pd.Series] = {}
    owner: dict[str, str] = {}
    for scale in instrument.scales:
        keyed = keyed_items(answers, instrument, scale)
        for code in scale.items:
            if code not in columns:
                columns[code] = keyed[code]
                owner[code] = scale.code
    return pd.DataFrame(columns, index=answers.index), owner


def school_factor_scores(
    answers: pd.DataFrame,
    instrument: Instrument,
    *,
    min_group_size: int = 5,
    min_answered: float = 0.8,
    seed: int = 0,
    n_factors: int | None = None,
) -> SchoolFactorScores:
    """Fit the factor solution on all respondents in ``answers`` and score schools."""
    items, owner = _keyed(answers, instrument)
    if items.shape[1] < 3:
        raise AnalysisError("для факторного анализа нужно не меньше трёх вопросов шкал")
    complete = items.dropna()
    if len(complete) < 5 * items.shape[1]:
        raise AnalysisError(
            f"для факторного анализа мало полных анкет: {len(complete)} "
            f"на {items.shape[1]} вопросов"
        )
    if n_factors is None:
        suggested = parallel_analysis(complete, seed=seed, n_iter=20).n_factors
        n_factors = int(max(1, min(suggested, len(instrument.scales))))
    solution = efa(complete, n_factors=n_factors, method="minres", rotation="oblimin")
    labels = {}
    for factor in solution.loadings.columns:
        column = solution.loadings[factor]
        strength = column.abs().groupby(pd.Series(owner)).mean()
        scale_code = str(strength.idxmax())
        scale = next(s for s in instrument.scales if s.code == scale_code)
        labels[factor] = f"{text_in(scale.title)} ({scale_code})"
    enough = items.notna().mean(axis=1) >= min_answered
    filled = items[enough].fillna(items.mean())
    scores = solution.scores(filled)
    scores["school_code"] = answers.loc[scores.index, "school_code"]
    rows = []
    for factor in solution.loadings.columns:
        grouped = scores.groupby("school_code")[factor]
        table = grouped.agg(n="size", mean="mean", sd="std").reset_index()
        t = stats.t.ppf(0.975, np.maximum(table["n"] - 1, 1))
        half = np.where(table["n"] > 1, t * table["sd"] / np.sqrt(table["n"]), np.nan)
        table["ci_low"] = table["mean"] - half
        table["ci_high"] = table["mean"] + half
        table["factor"] = factor
        table["suppressed"] = table["n"] < min_group_size
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    out.loc[out["suppressed"], ["mean", "sd", "ci_low", "ci_high"]] = np.nan
    out = out[["school_code", "factor", "n", "mean", "ci_low", "ci_high", "suppressed"]]
    return SchoolFactorScores(solution=solution, labels=labels, schools=out)


def scale_reliability(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per scale: respondents, items, Cronbach's alpha (raw and standardised), mean inter-item
    r, McDonald's omega total (one factor) and the weakest corrected item-total r, on the
    reverse-keyed items (psych::alpha and psych::omega conventions, pairwise)."""
    from analysis.psychometrics import cronbach_alpha, omega

    rows = []
    for scale in instrument.scales:
        keyed = keyed_items(answers, instrument, scale)
        row: dict[str, object] = {
            "scale": scale.code,
            "title": text_in(scale.title),
            "items": len(scale.items),
            "n": int(keyed.dropna(how="all").shape[0]),
        }
        if len(scale.items) >= 2 and keyed.dropna().shape[0] >= 10:
            try:
                alpha = cronbach_alpha(keyed, items=list(scale.items))
                row.update(
                    alpha=alpha.raw_alpha,
                    std_alpha=alpha.std_alpha,
                    average_r=alpha.average_r,
                    weakest_item=str(alpha.items["r_drop"].idxmin()),
                    weakest_r_drop=float(alpha.items["r_drop"].min()),
                )
                if len(scale.items) >= 3:
                    row["omega_total"] = omega(keyed, items=list(scale.items)).omega_total
            except AnalysisError:
                pass
        rows.append(row)
    columns = [
        "scale",
        "title",
        "items",
        "n",
        "alpha",
        "std_alpha",
        "average_r",
        "omega_total",
        "weakest_item",
        "weakest_r_drop",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)
