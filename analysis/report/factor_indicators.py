"""A risk factor's indicators at a school as the reference's factor part shows them: the
school's value with its 95 % interval (Wilson's for shares, the t interval for 0–100 scores),
the district's reference (the mean of the campaign's schools' own values, or the frozen
benchmark's mean) and the school's position in words, by the value's own direction: the
bands of :data:`analysis.risk.BANDS` (read when a position is written, so the words and the
appendix, which prints the same bands, cannot disagree) as «на уровне среднего» in the middle
band, «заметно выше/ниже среднего» one band away, «значительно» beyond."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis import risk as bands
from analysis.indicators import proportion_interval
from analysis.report.factor_detail import ru_share, ru_share_interval
from analysis.report.russian import ru_number, ru_percent, ru_range
from analysis.risk import Reference
from instruments.audiences import AUDIENCE_NAMES
from instruments.risk_factors import Indicator
from instruments.schema import INSTITUTIONAL_AUDIENCES


def band_step(z: float | None) -> int | None:
    """How many bands of :data:`analysis.risk.BANDS` ``z`` lies from the middle one (the band
    holding 0, «на уровне»): 0 there, +1 in the next band up («хуже» for a risk-aligned z),
    −2 two bands down; None for no value."""
    label = None if z is None else bands.band(z)
    if label is None:
        return None
    labels = [name for *_, name in bands.BANDS]
    middle = next(i for i, (low, high, _) in enumerate(bands.BANDS) if low <= 0 < high)
    return labels.index(label) - middle


def on_risk_side(risk_z: float | None) -> bool:
    """The indicator is at least one band from the district's level on the risk side (the
    band «хуже» of :data:`analysis.risk.BANDS` or beyond)."""
    step = band_step(risk_z)
    return step is not None and step >= 1


@dataclass(frozen=True)
class IndicatorLine:
    """An indicator of a factor at the school, as the part's table shows it."""

    code: str
    title: str
    #: who answered («обучающиеся»)
    audience: str
    n: int
    #: «63 %», «23 из 100», «да», «скрыто (меньше 5 ответов)»
    value: str
    #: the 95 % interval («52–72 %»), None for a single answer or a hidden value
    interval: str | None
    #: the district's reference («21 %»), None when there is none
    reference: str | None
    #: «значительно выше среднего», «на уровне среднего», «—»
    position: str
    #: the position against the instrument's cut-offs, in words (None: no cut-offs)
    cutoff_text: str | None = None
    hidden: bool = False
    #: how far the school is on the risk side (for ordering; None: not placed)
    risk: float | None = None
    beyond_cutoff: bool = False
    #: the school's single answer (the administration's form): no n to show
    institutional: bool = False
    #: a yes/no fact (one answer): the reference is the share of schools answering «да»
    single: bool = False

    def compared(self, against: str) -> str:
        """«23 из 100 при среднем по району 45 из 100»; «да (для сравнения: да — в 33 % школ)»."""
        if self.reference is None:
            return self.value
        if self.single:
            return f"{self.value} (для сравнения: {self.reference})"
        return f"{self.value} при среднем {against} {self.reference}"


def _number(value: float, digits: int = 0) -> str:
    return ru_number(value, digits)


def format_value(indicator: Indicator, value: float) -> str:
    """A school's (or a mean's) figure of ``indicator`` as the reference writes it."""
    if indicator.statistic in ("prevalence", "share"):
        return ru_share(value)
    if indicator.statistic == "pomp":
        return f"{_number(value)} из 100"
    if indicator.unit == "percent":
        return ru_percent(value / 100)
    if indicator.unit == "count":
        return _number(value, 0 if float(value).is_integer() else 1)
    return _number(value, 2)


def _single(indicator: Indicator, n: int) -> bool:
    """A share read from one institutional answer: a yes/no fact."""
    return indicator.statistic in ("prevalence", "share") and n == 1


def _interval(indicator: Indicator, row: Mapping[str, Any]) -> str | None:
    n = int(row["n"])
    if n <= 1:
        return None
    if indicator.statistic in ("prevalence", "share"):
        shares = proportion_interval(float(row["value"]), n)
        return ru_share_interval(float(shares[0]), float(shares[1]))
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if math.isnan(low) or math.isnan(high):
        return None
    if indicator.statistic == "pomp":
        return ru_range(max(low, 0.0), min(high, 100.0), 0)
    return ru_range(low, high, 2)


def position_text(z: float | None) -> str:
    """The school against the reference in words, by the value's own direction."""
    step = band_step(z)
    if step is None:
        return "не сравнивается"
    if step == 0:
        return "на уровне среднего"
    where = "выше" if step > 0 else "ниже"
    return f"{'значительно' if abs(step) >= 2 else 'заметно'} {where} среднего"


def reference_means(table: pd.DataFrame, reference: Reference | None) -> dict[str, float]:
    """Per indicator the reference the school is read against: the benchmark's mean, or the
    mean of the campaign's schools' own values (schools below the minimum are not in
    ``table``'s values)."""
    if reference is not None:
        return {str(k): float(v) for k, v in reference.stats["mean"].dropna().items()}
    shown = table.loc[~table["suppressed"].astype(bool)].dropna(subset=["value"])
    means = shown.groupby("indicator")["value"].agg(["mean", "count"])
    usable = means.loc[means["count"] >= 2, "mean"]
    return {str(k): float(v) for k, v in usable.items()}


def _reference_text(indicator: Indicator, mean: float | None, single: bool) -> str | None:
    if mean is None:
        return None
    if single:
        return f"да — в {ru_share(mean)} школ"
    return format_value(indicator, mean)


def indicator_lines(
    indicators: Sequence[Indicator],
    rows: Mapping[str, Mapping[str, Any]],
    references: Mapping[str, float],
    titles: Mapping[str, str],
    cutoff_texts: Mapping[str, str | None],
    *,
    min_group_size: int,
) -> list[IndicatorLine]:
    """The factor's indicators at the school (``rows``: its rows of the indicator table by
    indicator code, as records)."""
    out = []
    for indicator in indicators:
        row = rows.get(indicator.code)
        if row is None:
            continue
        n = int(row["n"])
        hidden = bool(row["suppressed"]) or bool(pd.isna(row["value"]))
        single = _single(indicator, n)
        mean = references.get(indicator.code)
        risk = None if pd.isna(row.get("risk_z")) else float(row["risk_z"])
        z = None if pd.isna(row.get("z")) else float(row["z"])
        if hidden:
            value = f"скрыто (меньше {min_group_size} ответов)" if n else "нет ответов"
        elif single:
            value = "да" if float(row["value"]) >= 0.5 else "нет"
        else:
            value = format_value(indicator, float(row["value"]))
        out.append(
            IndicatorLine(
                code=indicator.code,
                title=titles[indicator.code],
                audience=AUDIENCE_NAMES.get(indicator.audience.value, ""),
                n=n,
                value=value,
                interval=None if hidden or single else _interval(indicator, row),
                reference=_reference_text(indicator, mean, single),
                position="—" if hidden or single else position_text(z),
                cutoff_text=None if hidden else cutoff_texts.get(indicator.code),
                hidden=hidden,
                risk=None if hidden else risk,
                beyond_cutoff=not hidden and row.get("cutoff") == "high",
                institutional=indicator.audience in INSTITUTIONAL_AUDIENCES,
                single=single,
            )
        )
    return out
