"""Benchmark: the demo district's probable causes over many seeds (issues 14 and 15).

For each seed a demo district is generated into an in-memory SQLite database and every
school's probable causes are read as the references read them (the same inputs as
web.reporting.school_reference: all forms' answers, the imported results, the schools' ШНОР
and ШНСУ status). Printed: each planted school's cause among its top 3 and top 2, the clean
(unplanted) schools with any probable cause named, and per seed the schools that miss.
Targets: every planted school keeps its cause in its top 3; clean schools named ≤ 10 %.

Usage: python bench/demo_causes.py [--seeds 20] [--first-seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.causes import analyse_causes, school_outcomes
from analysis.indicators import error_correlations, reportable_indicators
from analysis.report.profile import model_context
from analysis.risk import indicator_z
from instruments.risk_factors import builtin_risk_factors
from surveys.benchmarks import campaign_answers
from surveys.dataset import assessment_frame, school_status_frame
from surveys.db import make_engine, session_scope, upgrade
from surveys.demo import generate_demo

#: the demo's planted risks and the catalogue's factors they show up in
DEMO_TO_CATALOGUE = {
    "wellbeing": "wellbeing",
    "burnout": "teacher_burnout",
    "parents": "parental_involvement",
    "motivation": "motivation",
    "discipline": "discipline",
}


def causes_of(seed: int) -> tuple[dict[str, list[str]], dict[str, str], list[str]]:
    """(school -> its probable causes in order, school -> planted factor, all schools)."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    with session_scope(engine) as session:
        demo = generate_demo(session, seed=seed, today=dt.date(2026, 11, 1), with_users=False)
        answers = campaign_answers(session, demo.campaign_id)
        codes = sorted(demo.truth["risks"])
        results = assessment_frame(session, codes)
        status = school_status_frame(session, codes)
    engine.dispose()
    data = {code: (instrument, frame) for code, (instrument, frame) in answers.items()}
    catalogue = builtin_risk_factors()
    by_factor = catalogue.indicators_by_factor(instrument for instrument, _ in data.values())
    indicators = [i for items in by_factor.values() for i in items]
    from analysis.privacy import reportable_audiences

    pooled, _ = reportable_audiences(data, min_group_size=5)
    analysis = analyse_causes(
        indicator_z(reportable_indicators(data, indicators, min_group_size=5)),
        by_factor,
        school_outcomes(results),
        context=model_context(results, status),
        listed_low=status["low_results"],
        error_correlation=error_correlations(pooled, indicators),
    )
    ordered = analysis.causes.sort_values(["school_code", "rank"])
    named = ordered.groupby("school_code")["factor"].agg(list).to_dict()
    planted = {s: DEMO_TO_CATALOGUE[f] for s, f in demo.truth["planted"].items()}
    return named, planted, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"# {platform.python_version()}, {platform.platform()}, nproc {os.cpu_count()}, "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    started = time.perf_counter()
    planted_total = top3 = top2 = clean_total = clean_named = 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        named, planted, codes = causes_of(seed)
        misses = []
        for code in codes:
            got = named.get(code, [])
            if code in planted:
                planted_total += 1
                top3 += planted[code] in got[:3]
                top2 += planted[code] in got[:2]
                if planted[code] not in got[:2]:
                    misses.append(f"{code} planted {planted[code]}, named {got or 'nothing'}")
            else:
                clean_total += 1
                clean_named += bool(got)
                if got:
                    misses.append(f"{code} clean, named {got}")
        print(f"# seed {seed}: " + ("; ".join(misses) or "as planted"), flush=True)
    print(
        f"planted cause in the top 3: {top3} of {planted_total} "
        f"({100 * top3 / planted_total:.0f} %); in the top 2: {top2} "
        f"({100 * top2 / planted_total:.0f} %)"
    )
    print(
        f"clean schools with any probable cause: {clean_named} of {clean_total} "
        f"({100 * clean_named / clean_total:.1f} %)"
    )
    print(f"# {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
