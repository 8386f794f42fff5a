"""The issue's figures from one simulated district: the product's output against the truth,
and the two reference points computed from the truth alone."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .district import District
from .pipeline import SchoolOutput

TOP = 3


@dataclass
class Tally:
    """Counts summed over districts; ratios are taken at the end."""

    planted: int = 0  # planted (school, factor) pairs
    product_top3: int = 0
    composite_top3: int = 0  # the product's own factor composites ranked, no association
    true_level_top3: int = 0
    true_contribution_top3: int = 0
    chance: float = 0.0  # expected hits of a random top 3
    clean_schools: int = 0
    clean_with_cause: int = 0
    clean_cells: int = 0  # clean school × factor cells with a level
    clean_high: int = 0
    clean_elevated_or_high: int = 0
    clean_no_data: int = 0  # cells without a level (e.g. teachers under the minimum)

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _top(scores: dict[str, float]) -> list[str]:
    # stable: ties keep catalogue order, as a reader would list them
    return [k for k, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:TOP]]


def tally(district: District, outputs: dict[str, SchoolOutput]) -> Tally:
    t = Tally()
    factors = district.factors
    deviation = district.levels - district.levels.mean(axis=0)
    coefficients = np.array([district.coefficient(f) for f in factors])
    for position, school in enumerate(district.schools):
        out = outputs[school.code]
        planted = district.planted.get(school.code)
        if not planted:
            t.clean_schools += 1
            t.clean_with_cause += bool(out.causes)
            for level in out.levels.values():
                if level is None:
                    t.clean_no_data += 1
                    continue
                t.clean_cells += 1
                t.clean_high += level == "high"
                t.clean_elevated_or_high += level in ("high", "elevated")
            continue
        true_level = _top(dict(zip(factors, district.levels[position], strict=True)))
        contribution = _top(dict(zip(factors, coefficients * deviation[position], strict=True)))
        own = {k: v for k, v in out.composites.items() if v is not None}
        composite = _top({k: float(v) for k, v in own.items()})
        for factor in planted:
            t.planted += 1
            t.product_top3 += factor in out.causes[:TOP]
            t.composite_top3 += factor in composite
            t.true_level_top3 += factor in true_level
            t.true_contribution_top3 += factor in contribution
            t.chance += TOP / len(factors)
    return t


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"
