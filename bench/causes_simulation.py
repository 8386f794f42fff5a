"""Benchmark: do the references' probable causes find causes planted in an independent
simulated district? (issue 14)

A latent-variable district (bench/causes_sim: correlated school factors, respondents around
their school, ordinal answers generated from the instruments' own definitions, a third of the
schools with one or two causes planted, shares of «2» driven by five factors) goes through
the product's public import paths into a fresh SQLite database, and each school's reference is
read as a user sees it. Printed per intensity, over the seeds: the planted cause among the
school's top 3 probable causes, next to chance and two rankings computed from the truth (the
school's true factor levels; the true causal contribution, coefficient × deviation), and how
clean (unplanted) schools read: any probable cause named, factor levels «высокий» /
«повышенный» or higher.

Usage: python bench/causes_simulation.py [--seeds 8] [--intensities 0.5,1.0,1.5,2.0]
       [--schools N] [--first-seed 1] [--summarise OUTPUT_OF_AN_EARLIER_RUN]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.causes_sim.district import simulate_district
from bench.causes_sim.measure import ORACLE_GRID, Tally, frontier_counts, percent, tally
from bench.causes_sim.pipeline import run_pipeline
from instruments.risk_factors import builtin_risk_factors

RUN_LINE = re.compile(r"# intensity (?P<intensity>[\d.]+) seed \d+, [\d.]+ s: (?P<tally>\{.*\})$")


def run_one(seed: int, intensity: float, n_schools: int | None) -> Tally:
    factors = [f.code for f in builtin_risk_factors().factors]
    district = simulate_district(seed, intensity, factors, n_schools)
    return tally(district, run_pipeline(district))


def table(label: str, t: Tally) -> list[str]:
    oracle = t.oracle_at_product_rate()
    at_rate = (
        f"the truth-knowing rule at the same share of clean schools named "
        f"({percent(oracle[2], 1)} named, threshold {oracle[0]:g} SD) {percent(oracle[1], 1)}"
        if oracle
        else "—"
    )
    return [
        f"### {label}",
        "",
        "| measure | rootcause | reference points |",
        "|---|---|---|",
        f"| planted cause among the school's top 3 probable causes ({t.planted} planted) "
        f"| {percent(t.product_top3, t.planted)} "
        f"| chance {percent(t.chance, t.planted)} (naming as many at random as the product "
        f"named: {percent(t.chance_named, t.planted)}); "
        f"true factor levels {percent(t.true_level_top3, t.planted)}; "
        f"true causal contribution {percent(t.true_contribution_top3, t.planted)}; "
        f"{at_rate} |",
        f"| planted cause among the top 3 of the product's own factor composites "
        f"(no qualification, no association) | {percent(t.composite_top3, t.planted)} | — |",
        f"| clean schools with at least one probable cause listed "
        f"| {percent(t.clean_with_cause, t.clean_schools)} "
        f"({t.clean_with_cause} of {t.clean_schools}) | — |",
        f"| probable causes named (top 3, all schools) whose true deviation from the district "
        f"is 0.5 SD or more | {percent(t.named_truly_elevated, t.named)} (of {t.named}) | — |",
        f"| clean school × factor cells rated «высокий» / «повышенный» or higher "
        f"| {percent(t.clean_high, t.clean_cells)} / "
        f"{percent(t.clean_elevated_or_high, t.clean_cells)} "
        f"(of {t.clean_cells} cells with a level; {t.clean_no_data} without) | — |",
        "",
        *frontier(t),
    ]


def frontier(t: Tally) -> list[str]:
    """What the truth-knowing rule achieves at a few thresholds: the trade-off between
    finding planted causes and naming clean schools that no rule can beat."""
    if not t.planted or not t.clean_schools:
        return []
    shown = [i for i, threshold in enumerate(ORACLE_GRID) if threshold * 2 == int(threshold * 2)]
    return [
        "Truth-knowing rule (causal factors whose true deviation exceeds the threshold, at "
        "schools whose true share of «2» is above the district's mean): threshold → planted "
        "cause in the top 3 / clean schools named: "
        + "; ".join(
            f"{ORACLE_GRID[i]:g} SD → {percent(t.oracle_top3[i], t.planted)} / "
            f"{percent(t.oracle_clean_named[i], t.clean_schools)}"
            for i in shown
        ),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--intensities", default="0.5,1.0,1.5,2.0")
    parser.add_argument("--schools", type=int, default=None, help="default: 36–54 per seed")
    parser.add_argument("--summarise", help="print the tables from an earlier run's output")
    parser.add_argument(
        "--frontier-only",
        action="store_true",
        help="only the truth-knowing rule, with and without the results gate (no pipeline)",
    )
    args = parser.parse_args()
    if args.frontier_only:
        print_frontiers(args)
        return
    intensities = [float(x) for x in args.intensities.split(",")]
    load = os.getloadavg()
    print(
        f"# {platform.python_version()}, {platform.platform()}, nproc {os.cpu_count()}, "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    totals: dict[float, Tally] = {i: Tally() for i in intensities}
    seeds = dict.fromkeys(intensities, 0)
    started = time.perf_counter()
    if args.summarise:
        # tables from the per-run lines of an earlier (possibly interrupted) run's output
        for line in Path(args.summarise).read_text(encoding="utf-8").splitlines():
            match = RUN_LINE.match(line)
            if match and float(match["intensity"]) in totals:
                totals[float(match["intensity"])].add(Tally(**json.loads(match["tally"])))
                seeds[float(match["intensity"])] += 1
    else:
        # seeds outermost, so that an interrupted run still has every intensity
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for intensity in intensities:
                begun = time.perf_counter()
                one = run_one(seed, intensity, args.schools)
                totals[intensity].add(one)
                seeds[intensity] += 1
                print(
                    f"# intensity {intensity} seed {seed}, {time.perf_counter() - begun:.1f} s: "
                    f"{json.dumps(asdict(one))}",
                    flush=True,
                )
    lines: list[str] = []
    for intensity, t in totals.items():
        lines += table(f"plants of {intensity:g} SD, {seeds[intensity]} seeds", t)
    for low, high in ((0.5, 1.0), (1.5, 2.0)):
        group = [i for i in intensities if low <= i <= high]
        if len(group) > 1:
            pooled = Tally()
            for i in group:
                pooled.add(totals[i])
            count = min(seeds[i] for i in group)
            lines += table(f"plants of {low:g}–{high:g} SD pooled, {count} seeds each", pooled)
    print("\n".join(lines))
    print(f"# {time.perf_counter() - started:.0f} s in all")


def print_frontiers(args: argparse.Namespace) -> None:
    """The trade-off any rule faces on these districts, from the truth alone: the
    truth-knowing rule at each threshold, with the results gate (only schools whose true
    share of «2» is above the district's mean) and without it, pooled over the intensities."""
    factors = [f.code for f in builtin_risk_factors().factors]
    intensities = [float(x) for x in args.intensities.split(",")]
    for gate in (True, False):
        hits, named = [0] * len(ORACLE_GRID), [0] * len(ORACLE_GRID)
        planted = clean = 0
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for intensity in intensities:
                district = simulate_district(seed, intensity, factors, args.schools)
                h, n, p, c = frontier_counts(district, gate=gate)
                hits = [a + b for a, b in zip(hits, h, strict=True)]
                named = [a + b for a, b in zip(named, n, strict=True)]
                planted, clean = planted + p, clean + c
        label = "with the results gate" if gate else "without a results gate"
        print(
            f"### truth-knowing rule {label}, plants of {args.intensities} SD, {args.seeds} seeds"
        )
        print("")
        print("| threshold (true deviation) | planted cause in the top 3 | clean schools named |")
        print("|---|---|---|")
        for i, threshold in enumerate(ORACLE_GRID):
            if threshold * 2 == int(threshold * 2):
                print(
                    f"| {threshold:g} SD | {percent(hits[i], planted)} "
                    f"| {percent(named[i], clean)} |"
                )
        print("")


if __name__ == "__main__":
    main()
