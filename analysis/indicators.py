"""School-level indicator statistics with empirical-Bayes shrinkage, and ICCs of scales.

For an indicator computed from individual answers (a scale's mean, POMP or prevalence, or the
share of respondents giving certain answers) each school gets its raw estimate ``y_j`` with n,
a 95% interval, and a shrunken estimate

    ŷ_j = ȳ + w_j (y_j − ȳ),   w_j = τ² / (τ² + σ²_w / n_j)

where σ²_w is the pooled within-school variance, τ² the between-school variance (one-way
ANOVA, method of moments, floored at 0) and ȳ the precision-weighted grand mean. ``w_j`` is
the reliability of school j's mean (Raudenbush & Bryk, 2002, ch. 3): small schools are pulled
towards the district, large ones keep their own value. A ``value`` indicator is the school's
single answer on an institutional form and is not shrunk (reliability 1).

Schools with fewer respondents than ``min_group_size`` are suppressed: no statistic of theirs
leaves this module, and they are left out of the district quantities (on each indicator, the
schools with fewer answers to it than the minimum). :func:`reportable_indicators` applies the
privacy gate of :mod:`analysis.privacy` first, which the outputs use.

Absolute cut-offs. Where the indicator's scale carries cut-offs for the indicator's statistic
(``Scale.cutoffs``, e.g. bullying prevalence: below 15 % low, above 25 % high risk), each row
also says where the school stands against them (``cutoff``: "high", "low", "middle" in risk
terms, None when suppressed or without cut-offs). A norm of this kind is written for the
observed statistic of a school (the share of its students who are bullied), so it is applied
to the school's *observed* value, not the shrunken one: shrinkage pulls a school towards the
other schools of the campaign, and the point of an absolute norm is not to depend on them
(when every school has 40 % bullied students, all of them are above 25 %). An observed value
is noisy in a small school, so a school is placed beyond a cut-off only when its whole 95 %
interval is: "high" when the interval lies above the high-risk cut-off, "low" when it lies
below the low-risk one, "middle" otherwise (between the cut-offs, or too few answers to tell).
The interval is Wilson's score interval for shares (``prevalence``, ``share``; Wilson, 1927,
as ``binom::binom.wilson``), which unlike the t interval does not collapse to a point at 0 %
or 100 %, and the t interval for ``mean`` and ``pomp``; a single answer (an institutional
form) is taken as it is. A false "high" sends a school measures it does not need, a missed
one leaves a problem the relative profile may still show; requiring the interval keeps the
first rare (at most 2.5 % for a school exactly at the cut-off) at the price of flagging small
schools only when they are clearly beyond it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analysis.memo import memoized, remember
from analysis.privacy import reportable_audiences
from analysis.scoring import ScaleScores, score_scales, t_quantile
from instruments.risk_factors import Indicator
from instruments.schema import (
    INSTITUTIONAL_AUDIENCES,
    Cutoffs,
    Direction,
    IndicatorSpec,
    Instrument,
    Scale,
    Statistic,
)

INDICATOR_COLUMNS = [
    "school_code",
    "indicator",
    "audience",
    "statistic",
    "direction",
    "weight",
    "n",
    "value",
    "se",
    "ci_low",
    "ci_high",
    "reliability",
    "shrunken",
    "suppressed",
    "cutoff",
]
#: the columns' types, which an empty table must keep too: a campaign may field no instrument
#: the catalogue has indicators for (only the psychologist's own questionnaires), and a
#: ``suppressed`` column of dtype object turns ``table[~table["suppressed"]]`` into a
#: selection of no columns instead of no rows
INDICATOR_DTYPES = {
    **dict.fromkeys(INDICATOR_COLUMNS, "object"),
    **dict.fromkeys(
        ["weight", "value", "se", "ci_low", "ci_high", "reliability", "shrunken"], "float64"
    ),
    "n": "int64",
    "suppressed": "bool",
}
#: fewest respondents answering both indicators of a pair for their error correlation
#: (:func:`error_correlations`; fewer: the composite's error takes the pair as fully correlated)
MIN_PAIRS = 10
#: two-sided 95 % normal quantile, for Wilson's interval (``scipy.special.ndtri(0.975)``, R's
#: ``qnorm(0.975)``, written out: scipy.special is imported only where it is needed)
Z95 = 1.959963984540054

#: instrument code -> (instrument, answers): one entry per form a campaign fields
AudienceAnswers = Mapping[str, tuple[Instrument, pd.DataFrame]]


def empty_indicator_table() -> pd.DataFrame:
    """A :func:`school_indicators` table without rows, with its columns and their types."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in INDICATOR_DTYPES.items()})


def respondent_values(
    indicator: Indicator,
    instrument: Instrument,
    answers: pd.DataFrame,
    scores: ScaleScores | None = None,
) -> pd.Series:
    """Each respondent's contribution to the indicator (NaN where not answered): a scale score
    (item metric or POMP), a 0/1 prevalence flag, a 0/1 "answer among values" flag, or the
    number answered. ``scores`` may hold the scale scores already computed."""
    if indicator.scale is not None:
        if scores is None or indicator.scale not in scores.score.columns:
            scores = score_scales(answers, instrument, [indicator.scale])
        table = {"mean": scores.score, "pomp": scores.pomp, "prevalence": scores.prevalence}
        return table[indicator.statistic][indicator.scale]
    column = answers[indicator.item]
    if indicator.statistic == "value":
        return pd.to_numeric(column, errors="coerce").astype("float64")
    wanted = {str(v) for v in indicator.values or []}
    # "Не знаю" is not an answer to the question: the respondent leaves the share's
    # denominator, as they leave a scale's mean.
    item = instrument.items_by_code().get(indicator.item or "")
    not_scored = {str(v) for v in instrument.missing_values(item)} if item else set()

    def chosen(value: object) -> float:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return np.nan
        values = value if isinstance(value, list) else [value]
        # Numeric columns hold floats: 3.0 is the answer 3.
        texts = {str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in values}
        if texts and texts <= not_scored:
            return np.nan
        return 1.0 if texts & wanted else 0.0

    if column.dtype == np.float64:
        # A numeric column holds a few distinct answers: each is read once.
        codes, distinct = pd.factorize(column.to_numpy())
        read = np.array([chosen(value) for value in distinct.tolist()] + [np.nan])
        return pd.Series(read[codes], index=column.index, name=column.name, dtype="float64")
    return column.map(chosen).astype("float64")


@memoized
def form_values(
    instrument: Instrument,
    answers: pd.DataFrame,
    indicators: list[Indicator],
    scores: ScaleScores | None = None,
) -> tuple[pd.Series, ...]:
    """:func:`respondent_values` of each of ``indicators`` (read from ``instrument``'s
    ``answers``), in their order: shared by :func:`school_indicators` and
    :func:`error_correlations`, which read the same indicators of the same answers (a choice
    item's answers are read one by one, ~5 ms for a district's)."""
    return tuple(respondent_values(i, instrument, answers, scores) for i in indicators)


def is_fact(indicator: IndicatorSpec, instrument: Instrument) -> bool:
    """Whether ``indicator`` reads facts about the school (:attr:`instruments.schema.Item.fact`,
    a count from the school's records) on a form of many respondents: a figure of the school,
    reported like an institutional form's answer — not gated by the minimum group size, not
    shrunk, without an interval (:mod:`analysis.privacy`)."""
    if indicator.statistic != "value" or indicator.item is None:
        return False
    item = instrument.items_by_code().get(indicator.item)
    return item is not None and item.fact is not None


def fact_sums(answers: pd.DataFrame, item: str, denominator: str) -> pd.DataFrame:
    """Per school (the index): ``n``, the respondents who gave both figures, and the sums
    ``a`` of ``item`` and ``b`` of ``denominator`` over them. A respondent whose denominator
    is 0 was not asked the item (its condition) and adds 0 to both; one who gave the
    denominator but not the item is left out; an item above its denominator counts as the
    denominator (all of them)."""
    below = pd.to_numeric(answers[denominator], errors="coerce").to_numpy(dtype="float64")
    above = pd.to_numeric(answers[item], errors="coerce").to_numpy(dtype="float64")
    above = np.where(below != 0, above, 0.0)
    # as ``clip(upper=below)``: a missing denominator bounds nothing
    above = np.where((above <= np.nan_to_num(below, nan=np.inf)) | np.isnan(above), above, below)
    ok = ~np.isnan(below) & ~np.isnan(above)
    # (on arrays, one plain grouped sum: the frame and the named aggregation took ~4 ms for
    # a district's few dozen answers)
    schools = answers["school_code"][ok]
    grouped = pd.DataFrame({"a": above[ok], "b": below[ok]}, index=schools.index).groupby(schools)
    sums = grouped.sum()
    sums.insert(0, "n", grouped.size())
    return sums


def _fact_ratio(indicator: IndicatorSpec, answers: pd.DataFrame) -> pd.DataFrame:
    """Per school: the respondents who gave both figures (n) and 100 · Σ item / Σ
    denominator over them (:func:`fact_sums`)."""
    sums = fact_sums(answers, indicator.item or "", indicator.denominator or "")
    sums = sums[sums["b"] > 0]
    table = pd.DataFrame(
        {"n": sums["n"], "value": 100.0 * sums["a"] / sums["b"], "var": np.nan, "sd": np.nan}
    )
    return table.reset_index()


def indicator_cutoffs(indicator: IndicatorSpec, instrument: Instrument) -> Cutoffs | None:
    """The published cut-offs that apply to ``indicator``: its scale's, when they are written
    for the indicator's statistic (a cut-off on the prevalence says nothing about the mean)."""
    if indicator.scale is None:
        return None
    scale = next((s for s in instrument.scales if s.code == indicator.scale), None)
    if scale is None or scale.cutoffs is None or scale.cutoffs.statistic != indicator.statistic:
        return None
    return scale.cutoffs


def proportion_interval(share: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score 95 % interval of a share observed among ``n`` respondents:
    ``(p + z²/2n ± z √(p(1 − p)/n + z²/4n²)) / (1 + z²/n)``, as ``binom::binom.wilson``.
    NaN where the share is NaN or n is 0."""
    p = np.asarray(share, dtype=float)
    size = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        z2n = Z95**2 / size
        centre = (p + z2n / 2) / (1 + z2n)
        half = Z95 * np.sqrt(p * (1 - p) / size + z2n / (4 * size)) / (1 + z2n)
    bad = np.isnan(p) | ~(size > 0)
    return np.where(bad, np.nan, centre - half), np.where(bad, np.nan, centre + half)


def cutoff_interval(
    statistic: Statistic, value: ArrayLike, n: ArrayLike, ci_low: ArrayLike, ci_high: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % interval a school's value is held against the cut-offs with: Wilson's for
    shares, the given t interval (``ci_low``, ``ci_high``) for means; where n is 1 (the single
    answer of an institutional form) the value itself."""
    v = np.asarray(value, dtype=float)
    size = np.asarray(n, dtype=float)
    if statistic in ("prevalence", "share"):
        low, high = proportion_interval(v, size)
    else:
        low, high = np.asarray(ci_low, dtype=float), np.asarray(ci_high, dtype=float)
    single = size == 1
    return np.where(single, v, low), np.where(single, v, high)


def cutoff_positions(
    cutoffs: Cutoffs, direction: Direction, value: ArrayLike, low: ArrayLike, high: ArrayLike
) -> np.ndarray:
    """Where each school stands against ``cutoffs``, in risk terms: "high" when its whole
    interval [``low``, ``high``] is on the high-risk side of a cut-off, "low" when it is on
    the low-risk side, "middle" otherwise, None where the value is NaN.

    Values are on the statistic's own metric (a share 0–1 for ``prevalence``, whose cut-offs
    are written in percent). The cut-offs are thresholds on the statistic: above
    ``high_above`` is high risk for a risk statistic and low risk for a favourable one (and
    below ``low_below`` the other way round). An interval bound that is NaN falls back on the
    value.
    """
    factor = 100.0 if cutoffs.statistic == "prevalence" else 1.0
    v = np.atleast_1d(np.asarray(value, dtype=float)) * factor
    lo = np.broadcast_to(np.asarray(low, dtype=float) * factor, v.shape)
    hi = np.broadcast_to(np.asarray(high, dtype=float) * factor, v.shape)
    lo, hi = np.where(np.isnan(lo), v, lo), np.where(np.isnan(hi), v, hi)
    above, below = lo > cutoffs.high_above, hi < cutoffs.low_below
    high_risk, low_risk = (above, below) if direction == "risk" else (below, above)
    out = np.full(v.shape, "middle", dtype=object)
    out[low_risk] = "low"
    out[high_risk] = "high"
    out[np.isnan(v)] = None
    return out


def scale_cutoff_position(
    scale: Scale, row: pd.Series, item_range: tuple[float, float]
) -> str | None:
    """Where one school stands against ``scale``'s cut-offs, from a row of
    :func:`analysis.profiles.school_scale_summary` (n, mean, ci_low, ci_high, pomp,
    prevalence); None without cut-offs or a value. The POMP interval is the mean's, mapped
    onto 0–100 with the item range (exact when the scale's items share one response range)."""
    if scale.cutoffs is None:
        return None
    statistic = scale.cutoffs.statistic
    mean, ci_low, ci_high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
    if statistic == "pomp":
        items = len(scale.items) if scale.method == "sum" else 1
        slope = 100.0 / ((item_range[1] - item_range[0]) * items)
        pomp = float(row["pomp"])
        ci_low, ci_high = pomp - slope * (mean - ci_low), pomp + slope * (ci_high - mean)
    value = float(row[statistic])
    low, high = cutoff_interval(statistic, value, float(row["n"]), ci_low, ci_high)
    position = cutoff_positions(scale.cutoffs, scale.higher_is, value, low, high)[0]
    return None if position is None else str(position)


def _shrink(
    n: np.ndarray, value: np.ndarray, var: np.ndarray, suppressed: np.ndarray, institutional: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Reliability and shrunken value of one indicator's per-school rows (NaN where
    suppressed): the schools not suppressed with answers are pooled."""
    ok = ~suppressed & (n > 0)
    if np.count_nonzero(ok) < 2 or institutional:
        return np.where(suppressed, np.nan, 1.0), value.copy()
    sizes = n[ok].astype(float)
    means = value[ok]
    within = np.where(np.isnan(var[ok]), 0.0, var[ok])
    k, total = len(sizes), sizes.sum()
    grand = float(np.sum(sizes * means) / total)
    ms_within = float(np.sum((sizes - 1) * within) / max(total - k, 1))
    ms_between = float(np.sum(sizes * (means - grand) ** 2) / (k - 1))
    n0 = (total - np.sum(sizes**2) / total) / (k - 1)
    tau2 = max((ms_between - ms_within) / n0, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        reliability = np.where(n > 0, tau2 / (tau2 + ms_within / np.maximum(n, 1)), np.nan)
    if tau2 == 0.0:
        reliability = np.where(n > 0, 0.0, np.nan)
    precision = 1.0 / (tau2 + ms_within / sizes) if (tau2 + ms_within) > 0 else np.ones_like(sizes)
    centre = float(np.sum(precision * means) / np.sum(precision))
    shrunken = np.where(suppressed, np.nan, centre + reliability * (value - centre))
    return np.where(suppressed, np.nan, reliability), shrunken


def _school_stats(schools: pd.Series, values: list[pd.Series]) -> list[dict[str, np.ndarray]]:
    """Per series of ``values`` (respondents' values, rows as ``schools``): the schools with a
    value (sorted), their n and the mean, variance and SD of their values. One groupby of all
    the series together: pandas' grouped mean and variance skip NaN as they go, so each
    column's figures are those of its own non-missing values, in the same order."""
    if not values:
        return []
    # (one block of floats: a frame of a column per series spent longer being built and
    # read column by column than grouped)
    wide = pd.DataFrame(
        np.column_stack([series.to_numpy(dtype="float64") for series in values]),
        index=schools.index,
    )
    grouped = wide.groupby(schools.to_numpy(), sort=True)
    count = grouped.count()
    mean = grouped.mean().to_numpy(dtype="float64")
    var = grouped.var().to_numpy(dtype="float64")
    # pandas' grouped SD is the square root of the same grouped variance (group_var)
    sd = np.sqrt(var)
    codes = count.index.to_numpy()
    counts = count.to_numpy(dtype="int64")
    out = []
    for position in range(len(values)):
        n = counts[:, position]
        has = n > 0
        out.append(
            {
                "school_code": codes[has],
                "n": n[has],
                "value": mean[has, position],
                "var": var[has, position],
                "sd": sd[has, position],
            }
        )
    return out


def form_keys(data: AudienceAnswers) -> dict[str, str]:
    """Instrument code -> the key of its entry in ``data``. Entries are keyed by the
    instrument's code (a campaign may give one audience several forms); looking them up by
    the instrument they hold also serves callers that key one form per audience otherwise."""
    return {instrument.code: key for key, (instrument, _) in data.items()}


def form_of(data: AudienceAnswers, indicator: Indicator) -> tuple[Instrument, pd.DataFrame] | None:
    """The entry of ``data`` answering ``indicator``'s instrument, or None."""
    key = form_keys(data).get(indicator.instrument)
    return None if key is None else data[key]


@memoized
def school_indicators(
    data: AudienceAnswers,
    indicators: list[Indicator],
    *,
    min_group_size: int = 5,
) -> pd.DataFrame:
    """Tidy table, one row per school × indicator whose instrument has answers in ``data``.

    Parameters
    ----------
    data
        instrument code -> (instrument, answers with a ``school_code`` column and item
        columns), one entry per form; an indicator is read from the entry of its instrument
        (``indicator.instrument``), so the grades 2–4 and 5–11 forms of students feed their
        own indicators side by side. Suppression is per school and form.
    """
    keys = form_keys(data)
    used = [i for i in indicators if i.instrument in keys]
    if not used:
        return empty_indicator_table()
    # Each form's scales are scored once, for all the indicators that use them, and its
    # indicators' per-school figures are taken in one pass (:func:`_school_stats`).
    stats: dict[int, dict[str, np.ndarray]] = {}
    for key, (instrument, answers) in data.items():
        mine = [p for p, i in enumerate(used) if keys[i.instrument] == key]
        needed = {scale for p in mine if (scale := used[p].scale)}
        scores = score_scales(answers, instrument, needed) if needed else None
        read = []
        for p in mine:
            indicator = used[p]
            if is_fact(indicator, instrument) and indicator.denominator is not None:
                ratio = _fact_ratio(indicator, answers)
                stats[p] = {c: ratio[c].to_numpy() for c in ("school_code", "n", "value", "var")}
            else:
                read.append(p)
        values = list(form_values(instrument, answers, [used[p] for p in read], scores))
        stats.update(zip(read, _school_stats(answers["school_code"], values), strict=True))
    # The t quantiles of every indicator at once: one per distinct number of answers.
    df = [np.maximum(stats[p]["n"] - 1, 1) for p in range(len(used))]
    quantiles = np.split(t_quantile(np.concatenate(df), 0.975), np.cumsum([len(d) for d in df]))
    columns: dict[str, list[np.ndarray]] = {c: [] for c in INDICATOR_COLUMNS}
    for p, indicator in enumerate(used):
        instrument = data[keys[indicator.instrument]][0]
        fact = is_fact(indicator, instrument)
        row = stats[p]
        n, value = row["n"], row["value"]
        # A figure of the school (an institutional form's answer, or facts from its records)
        # is taken as it is: no minimum group, no shrinkage, no sampling error.
        institutional = indicator.audience in INSTITUTIONAL_AUDIENCES or fact
        sd = np.full(len(n), np.nan) if fact else row["sd"]
        suppressed = np.zeros(len(n), dtype=bool) if institutional else n < min_group_size
        with np.errstate(invalid="ignore", divide="ignore"):
            half = np.where(n > 1, quantiles[p] * sd / np.sqrt(n), np.nan)
            se = np.where(n > 1, sd / np.sqrt(n), np.nan)
        ci_low, ci_high = value - half, value + half
        reliability, shrunken = _shrink(n, value, row["var"], suppressed, institutional)
        cutoffs = indicator_cutoffs(indicator, instrument)
        if cutoffs is None:
            cutoff = np.full(len(n), None, dtype=object)
        else:
            low, high = cutoff_interval(indicator.statistic, value, n, ci_low, ci_high)
            cutoff = cutoff_positions(cutoffs, indicator.direction, value, low, high)
        size = len(n)
        for name, column in (
            ("school_code", row["school_code"]),
            ("indicator", np.full(size, indicator.code, dtype=object)),
            ("audience", np.full(size, indicator.audience.value, dtype=object)),
            ("statistic", np.full(size, indicator.statistic, dtype=object)),
            ("direction", np.full(size, indicator.direction, dtype=object)),
            ("weight", np.full(size, indicator.weight)),
            ("n", n),
            ("value", value),
            ("se", se),
            ("ci_low", ci_low),
            ("ci_high", ci_high),
            ("reliability", reliability),
            ("shrunken", shrunken),
            ("suppressed", suppressed),
            ("cutoff", cutoff),
        ):
            columns[name].append(column)
    out = {c: np.concatenate(parts) for c, parts in columns.items()}
    hidden = out["suppressed"]
    for c in ("value", "se", "ci_low", "ci_high", "reliability", "shrunken"):
        out[c] = np.where(hidden, np.nan, out[c])
    # None (not NaN) for "no position", whatever pandas infers for a column of strings.
    positions = zip(out["cutoff"], hidden, strict=True)
    out["cutoff"] = np.array(
        [c if isinstance(c, str) and not s else None for c, s in positions], dtype=object
    )
    return pd.DataFrame({c: out[c] for c in INDICATOR_COLUMNS})


def reportable_indicators(
    data: AudienceAnswers,
    indicators: list[Indicator],
    *,
    min_group_size: int = 5,
    school_code: str | None = None,
) -> pd.DataFrame:
    """:func:`school_indicators` computed only from the respondents of schools at or above
    ``min_group_size`` in each form (:func:`analysis.privacy.reportable_audiences`), so
    that no district quantity rests on a suppressed school. ``school_code``, when it is
    below the minimum in a form, gets its own rows of that form from its own answers:
    suppressed, with its n.
    """
    # Facts about the school (its records, not anyone's view) are read from every school's
    # answers, as an institutional form's are; everything else only from reportable groups.
    facts = [i for i in indicators if (form := form_of(data, i)) and is_fact(i, form[0])]
    views = [i for i in indicators if not any(i is f for f in facts)]
    pooled, hidden = reportable_audiences(data, min_group_size=min_group_size)
    tables = [school_indicators(pooled, views, min_group_size=min_group_size)]
    own = {
        key: (instrument, answers[answers["school_code"] == school_code])
        for key, (instrument, answers) in data.items()
        if school_code in hidden[key]
    }
    if own:
        for _, answers in own.values():
            remember(answers)  # (keyed here and by the scoring of its scales)
        tables.append(school_indicators(own, views, min_group_size=min_group_size))
    if facts:
        tables.append(school_indicators(data, facts, min_group_size=min_group_size))
    found = [t for t in tables if len(t)]
    if len(found) <= 1:
        return found[0] if found else tables[0]
    return pd.concat(found, ignore_index=True)


@memoized
def error_correlations(data: AudienceAnswers, indicators: list[Indicator]) -> pd.DataFrame:
    """Pooled within-school correlation of respondents' values between indicators read from the
    same form (indicator × indicator): 0 between forms, which have different respondents, NaN
    where a pair of the same form has fewer than :data:`MIN_PAIRS` respondents answering
    both.

    Two indicators answered by the same respondents have correlated sampling errors: the
    school means' errors correlate as the respondent-level values do within schools. Each
    value is centred on its school's mean and the pairwise Pearson correlation of the
    centred values is taken over the district. A form answered once per school (an
    institutional form) has no sampling error and no entry."""
    keys = form_keys(data)
    codes = [i.code for i in indicators]
    # (filled by position: a labelled block assignment per form cost ~2 ms)
    positions: dict[str, list[int]] = {}
    for p, code in enumerate(codes):
        positions.setdefault(code, []).append(p)
    out = np.zeros((len(codes), len(codes)))
    for key, (instrument, answers) in data.items():
        if instrument.audience in INSTITUTIONAL_AUDIENCES or not len(answers):
            continue
        mine = [
            i for i in indicators if keys.get(i.instrument) == key and not is_fact(i, instrument)
        ]
        if len(mine) < 2:
            continue
        needed = {i.scale for i in mine if i.scale}
        scores = score_scales(answers, instrument, needed) if needed else None
        read = form_values(instrument, answers, mine, scores)
        values = pd.DataFrame({i.code: series for i, series in zip(mine, read, strict=True)})
        centred = values - values.groupby(answers["school_code"].to_numpy()).transform("mean")
        block = centred.corr(min_periods=MIN_PAIRS)
        # every row and column of the code (an indicator listed under two factors)
        pairs = [(k, p) for k, code in enumerate(block.index) for p in positions[code]]
        source, at = [k for k, _ in pairs], [p for _, p in pairs]
        out[np.ix_(at, at)] = block.to_numpy(dtype="float64")[np.ix_(source, source)]
    return pd.DataFrame(out, index=codes, columns=codes)


def icc1(values: ArrayLike, groups: ArrayLike) -> float:
    """ICC(1) of ``values`` across ``groups`` from a one-way ANOVA:
    (MSB − MSW) / (MSB + (n0 − 1) MSW), with n0 the adjusted mean group size (as
    ``psych::ICC``'s ICC1 for unbalanced groups, Bliese 2000). NaN with fewer than 2 groups."""
    v = np.asarray(values, dtype=float)
    answered = ~np.isnan(v)
    # a missing group gets the code -1 and leaves the other groups' codes as they are
    codes, uniques = pd.factorize(np.asarray(groups)[answered])
    grouped = codes >= 0
    codes, v = codes[grouped], v[answered][grouped]
    k, total = len(uniques), len(v)
    if k < 2:
        return float("nan")
    if total <= k:  # one respondent per group (an institutional form): no within variance
        return float("nan")
    sizes = np.bincount(codes, minlength=k).astype(float)
    means = np.bincount(codes, weights=v, minlength=k) / sizes
    grand = float(v.mean())
    ms_between = float((sizes * (means - grand) ** 2).sum() / (k - 1))
    ms_within = float(((v - means[codes]) ** 2).sum() / (total - k))
    n0 = (total - float((sizes**2).sum()) / total) / (k - 1)
    denominator = ms_between + (n0 - 1) * ms_within
    return float("nan") if denominator == 0 else (ms_between - ms_within) / denominator
