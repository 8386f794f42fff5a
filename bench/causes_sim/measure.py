"""The issue's figures from one simulated district: the product's output against the truth,
and the two reference points computed from the truth alone."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from .district import District
from .pipeline import SchoolOutput

TOP = 3
#: thresholds (SD of the true deviation) swept by the truth-knowing rule
ORACLE_GRID = tuple(round(0.1 * k, 1) for k in range(0, 31))


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
    #: expected hits of naming at random as many factors as the product named at the school
    chance_named: float = 0.0
    named: int = 0  # probable causes named (top 3), all schools
    named_truly_elevated: int = 0  # ... whose true deviation from the district is ≥ 0.5 SD
    #: the truth-knowing rule per threshold of ORACLE_GRID: planted hits, clean schools named
    oracle_top3: list[int] = field(default_factory=lambda: [0] * len(ORACLE_GRID))
    oracle_clean_named: list[int] = field(default_factory=lambda: [0] * len(ORACLE_GRID))

    def add(self, other: Tally) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, list):
                setattr(self, f.name, [a + b for a, b in zip(mine, theirs, strict=True)])
            else:
                setattr(self, f.name, mine + theirs)

    def oracle_at_product_rate(self) -> tuple[float, float, float] | None:
        """The truth-knowing rule at the threshold whose share of clean schools named is
        closest to the product's: (threshold, planted hit share, clean named share)."""
        if not self.planted or not self.clean_schools:
            return None
        target = self.clean_with_cause / self.clean_schools
        best = min(
            range(len(ORACLE_GRID)),
            key=lambda i: abs(self.oracle_clean_named[i] / self.clean_schools - target),
        )
        return (
            ORACLE_GRID[best],
            self.oracle_top3[best] / self.planted,
            self.oracle_clean_named[best] / self.clean_schools,
        )


def _top(scores: dict[str, float]) -> list[str]:
    # stable: ties keep catalogue order, as a reader would list them
    return [k for k, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:TOP]]


def _oracle(
    district: District,
    deviation: np.ndarray,
    coefficients: np.ndarray,
    position: int,
    *,
    gate: bool = True,
) -> list[list[str]]:
    """The truth-knowing rule's causes at each threshold of ORACLE_GRID: the factors with a
    causal effect whose true deviation exceeds the threshold, ranked by true contribution, at
    a school whose true logit of failing is above the district's mean (``gate``) or at every
    school."""
    if gate and district.outcome_logit[position] <= district.outcome_logit.mean():
        return [[] for _ in ORACLE_GRID]
    row = deviation[position]
    order = np.argsort(-(coefficients * row), kind="stable")
    named = []
    for threshold in ORACLE_GRID:
        chosen = [j for j in order if coefficients[j] > 0 and row[j] > threshold]
        named.append([district.factors[j] for j in chosen[:TOP]])
    return named


def tally(district: District, outputs: dict[str, SchoolOutput]) -> Tally:
    t = Tally()
    factors = district.factors
    deviation = district.levels - district.levels.mean(axis=0)
    coefficients = np.array([district.coefficient(f) for f in factors])
    for position, school in enumerate(district.schools):
        out = outputs[school.code]
        planted = district.planted.get(school.code)
        oracle = _oracle(district, deviation, coefficients, position)
        for factor in out.causes[:TOP]:
            t.named += 1
            t.named_truly_elevated += int(deviation[position, factors.index(factor)] >= 0.5)
        if not planted:
            for i, named in enumerate(oracle):
                t.oracle_clean_named[i] += bool(named)
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
            t.chance_named += min(len(out.causes), TOP) / len(factors)
            for i, named in enumerate(oracle):
                t.oracle_top3[i] += factor in named
    return t


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


def frontier_counts(district: District, *, gate: bool) -> tuple[list[int], list[int], int, int]:
    """The truth-knowing rule alone, no pipeline: per threshold of ORACLE_GRID the planted
    causes in its top 3 and the clean schools it names, with the numbers of planted causes
    and of clean schools."""
    deviation = district.levels - district.levels.mean(axis=0)
    coefficients = np.array([district.coefficient(f) for f in district.factors])
    hits, named = [0] * len(ORACLE_GRID), [0] * len(ORACLE_GRID)
    planted_total = clean = 0
    for position, school in enumerate(district.schools):
        causes = _oracle(district, deviation, coefficients, position, gate=gate)
        planted = district.planted.get(school.code)
        if planted:
            planted_total += len(planted)
            for i, chosen in enumerate(causes):
                hits[i] += sum(factor in chosen for factor in planted)
        else:
            clean += 1
            for i, chosen in enumerate(causes):
                named[i] += bool(chosen)
    return hits, named, planted_total, clean
