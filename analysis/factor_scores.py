"""Empirical factor scores per school, alongside the theory-driven scale scores.

For one instrument, an exploratory factor solution is fitted on the pooled respondents of all
schools (the scale items; minres, oblimin; the number of factors from parallel analysis,
capped at the number of scales). Each respondent's regression factor scores are then averaged
per school with n and a 95% t interval; schools below the minimum group are suppressed. Each
factor is named after the scale whose items load on it most, so a psychologist can see whether
the data reproduce the instrument's intended structure. The per school means are oriented
along that scale (a factor whose loadings on the scale's items sum negative is reflected), so
a higher factor score means more of what the scale measures, as a higher scale score does.

Respondents with a missing item get their item mean imputed for scoring when they answered at
least ``min_answered`` of the items (otherwise no score): simple, and documented as such.
Regression factor scores are standardised on the pooled respondents the solution was fitted
to: their mean over the campaign is 0, so a school's mean says how far, in roughly standard
deviations of respondents, it lies from the campaign as a whole.

Privacy gate (:mod:`analysis.privacy`): a school with fewer scored respondents than the
minimum group is left out of the fit and of the standardisation, not only hidden in the table.
Otherwise the published means and n of the other schools, standardised to mean 0 over all
respondents, would give its mean by subtraction. Its row keeps its n, with no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from analysis.privacy import reportable
from analysis.psychometrics import FactorSolution, efa, parallel_analysis
from analysis.scoring import keyed_items, t_quantile
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument, text_in


@dataclass(frozen=True)
class SchoolFactorScores:
    solution: FactorSolution
    #: factor code (F1…) -> the scale whose items load most on it, and its title
    labels: dict[str, str]
    #: one row per school × factor: n, mean, ci_low, ci_high, suppressed, and rank (1 = the
    #: highest mean) among the ``ranked`` schools that are not suppressed; means and intervals
    #: are oriented along the factor's scale (see ``reflected``)
    schools: pd.DataFrame
    #: factor code -> code of the scale it is named after
    scales: dict[str, str] = field(default_factory=dict)
    #: factors whose scores were reflected (multiplied by -1) to point along their scale
    reflected: frozenset[str] = frozenset()
    #: per factor (index): ``schools`` not suppressed, and the ``low`` and ``high`` of their means
    ranges: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: respondents with enough items answered to be scored (those of suppressed schools
    #: included, although they are left out of the solution and get no score)
    n_scored: int = 0


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
    """Fit the factor solution on the respondents in ``answers`` and score schools; schools
    with fewer scored respondents than ``min_group_size`` are left out of both.

    Parameters
    ----------
    answers
        One row per respondent of every school (``school_code`` and the item columns).
    instrument
        The instrument answered; its scales give the items and the factor names.
    min_group_size
        Schools with fewer scored respondents are suppressed (mean and interval NaN) and take
        no part in the solution. As for scale scores, an institutional audience (the
        administration answers for the school) is not subject to it.
    min_answered
        Share of the items a respondent must have answered to be scored.
    seed
        Seed of parallel analysis: the same answers always give the same solution.
    n_factors
        Number of factors; by default parallel analysis, capped at the number of scales.

    Raises
    ------
    AnalysisError
        Fewer than three scale items, or fewer complete answers than five per item.
    """
    if instrument.audience in INSTITUTIONAL_AUDIENCES:
        min_group_size = 1
    items, owner = _keyed(answers, instrument)
    if items.shape[1] < 3:
        raise AnalysisError("для факторного анализа нужно не меньше трёх вопросов шкал")
    enough = items.notna().mean(axis=1) >= min_answered
    scored = reportable(
        answers.loc[enough, ["school_code"]],
        audience=instrument.audience,
        min_group_size=min_group_size,
    )
    items = items.loc[scored.answers.index]
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
    owners = pd.Series(owner)
    labels: dict[str, str] = {}
    scales: dict[str, str] = {}
    reflected: set[str] = set()
    for factor in solution.loadings.columns:
        column = solution.loadings[factor]
        strength = column.abs().groupby(owners).mean()
        scale_code = str(strength.idxmax())
        scale = next(s for s in instrument.scales if s.code == scale_code)
        labels[factor] = f"{text_in(scale.title)} ({scale_code})"
        scales[factor] = scale_code
        if column[owners[owners == scale_code].index].sum() < 0:
            reflected.add(factor)
    scores = solution.scores(items.fillna(items.mean()))
    for factor in reflected:
        scores[factor] = -scores[factor]
    scores["school_code"] = answers.loc[scores.index, "school_code"]
    # The suppressed schools keep a row with their n (and no value) in every factor.
    hidden = pd.Series(scored.suppressed, dtype="int64")
    rows = []
    for factor in solution.loadings.columns:
        table = scores.groupby("school_code")[factor].agg(n="size", mean="mean", sd="std")
        if len(hidden):
            table = table.reindex(table.index.union(hidden.index))
            table.loc[hidden.index, "n"] = hidden
        table.index.name = "school_code"
        table = table.reset_index()
        table["n"] = table["n"].astype("int64")
        t = t_quantile(np.maximum(table["n"] - 1, 1), 0.975)
        half = np.where(table["n"] > 1, t * table["sd"] / np.sqrt(table["n"]), np.nan)
        table["ci_low"] = table["mean"] - half
        table["ci_high"] = table["mean"] + half
        table["factor"] = factor
        table["suppressed"] = table["n"] < min_group_size
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    out.loc[out["suppressed"], ["mean", "sd", "ci_low", "ci_high"]] = np.nan
    shown = out[~out["suppressed"]]
    out["rank"] = shown.groupby("factor")["mean"].rank(ascending=False, method="min")
    ranges = shown.groupby("factor")["mean"].agg(schools="size", low="min", high="max")
    ranges = ranges.reindex(solution.loadings.columns)
    ranges["schools"] = ranges["schools"].fillna(0).astype(int)
    out["ranked"] = out["factor"].map(ranges["schools"])
    columns = ["school_code", "factor", "n", "mean", "ci_low", "ci_high", "suppressed"]
    out = out[[*columns, "rank", "ranked"]]
    return SchoolFactorScores(
        solution=solution,
        labels=labels,
        schools=out,
        scales=scales,
        reflected=frozenset(reflected),
        ranges=ranges,
        n_scored=int(enough.sum()),
    )


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
