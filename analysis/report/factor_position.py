"""A risk factor's position against the reference in words, for every sentence of the
reference that speaks of a factor as a whole (the summary, the profile's rows, the risk
profile chart's table).

Two rules hold everywhere. A factor is placed by its risk: «риск значительно выше среднего»
(level «высокий»), «риск выше среднего» (from the boundary of the risk zone), «на уровне
среднего», «риск ниже среднего»; the statistical distance stays in the appendix. And a factor
some of whose indicators describe who the pupils are (``describes: pupils`` in the catalogue:
the share with special needs, speaking another language at home) is never «хуже» or «лучше»
than the district: more such pupils is a fact about the intake, not a verdict on it
(:data:`analysis.risk.COMPOSITION_BANDS` for the single indicators).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from analysis.risk import HIGH_COMPOSITE, RISK_ZONE


def pupils_weight(weights: Mapping[str, float], pupils: Iterable[str]) -> float:
    """The share (0–1) of a factor's weight carried by its indicators that describe who the
    pupils are; ``weights`` are the weights of the indicators the factor rests on."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    about = set(pupils)
    return sum(w for code, w in weights.items() if code in about) / total


def risk_degree(composite: float | None, level: str | None) -> int | None:
    """2 for a factor at «высокий», 1 from the boundary of the risk zone, 0 around the
    average, −1 below it (None: not assessed). The degree follows the level, not the point
    estimate alone: a composite of 1.2 whose interval kept it at «повышенный» is 1, and a
    level raised by a cut-off keeps the degree of its composite."""
    if composite is None or composite != composite:
        return None
    if composite >= HIGH_COMPOSITE and level == "high":
        return 2
    if composite >= RISK_ZONE:
        return 1
    if composite > -RISK_ZONE:
        return 0
    return -1


def risk_position(composite: float | None, level: str | None, against: str) -> str | None:
    """«риск значительно выше среднего по району», «на уровне среднего по району», …;
    ``against`` follows «среднего» («по району», «школ кампании»). None: not assessed."""
    degree = risk_degree(composite, level)
    if degree is None:
        return None
    return {
        2: f"риск значительно выше среднего {against}",
        1: f"риск выше среднего {against}",
        0: f"на уровне среднего {against}",
        -1: f"риск ниже среднего {against}",
    }[degree]


def school_position(
    composite: float | None, level: str | None, against: str, *, pupils: float
) -> str | None:
    """How the summary says where the school stands: «показатели школы значительно хуже
    среднего по району»; for a factor whose indicators (``pupils``: their share of its
    weight, :func:`pupils_weight`) describe who the pupils are, by the risk, never «хуже»:
    «по совокупности показателей риск значительно выше среднего по району»."""
    degree = risk_degree(composite, level)
    if degree is None:
        return None
    if pupils > 0:
        position = risk_position(composite, level, against)
        return f"по совокупности показателей {position}"
    words = {2: "значительно хуже", 1: "хуже", 0: "на уровне", -1: "лучше"}[degree]
    return f"показатели школы {words} среднего {against}"
