"""Benchmark: from PostgreSQL to every school's indicators, risk profile and levels.

Targets (issue 5): a district (50 schools, ~20,000 respondents) in ≤ 2 s; a region
(1,000 schools, ~400,000 respondents) in ≤ 30 s and ≤ 4 GB peak memory, on 2 cores.
Data come from the demo generator; the database is created and dropped by the script.
Prints one line per size and phase; not a timed test.

Usage: python bench/analysis_scale.py [--sizes 50,200,1000] [--keep]
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import uuid

from sqlalchemy import func, select, text

from analysis.indicators import reportable_indicators
from analysis.risk import factor_profiles, indicator_z
from instruments.risk_factors import builtin_risk_factors
from surveys import models as m
from surveys.benchmarks import campaign_answers
from surveys.db import make_engine, session_scope, upgrade
from surveys.demo import generate_demo


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def analyse(url: str) -> dict[str, float]:
    engine = make_engine(url)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with session_scope(engine) as session:
        campaign_id = session.scalar(select(func.max(m.Campaign.id)))
        # Every form the campaign fields, keyed by instrument code (as the references read).
        data = campaign_answers(session, campaign_id)
    timings["load"] = time.perf_counter() - started
    step = time.perf_counter()
    catalogue = builtin_risk_factors()
    by_factor = catalogue.indicators_by_factor(i for i, _ in data.values())
    indicators = [i for items in by_factor.values() for i in items]
    # The path the reports take: the privacy gate first (analysis.privacy), then indicators.
    table = indicator_z(reportable_indicators(data, indicators))
    timings["indicators"] = time.perf_counter() - step
    step = time.perf_counter()
    profiles = factor_profiles(table, {f: [i.code for i in v] for f, v in by_factor.items()})
    timings["profiles"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - started
    timings["schools"] = float(profiles["school_code"].nunique())
    timings["respondents"] = float(sum(len(a) for _, a in data.values()))
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--keep", action="store_true", help="Keep the databases.")
    args = parser.parse_args()
    print(f"# {platform.machine()}, Python {platform.python_version()}, PostgreSQL")
    admin = make_engine(args.server, isolation_level="AUTOCOMMIT")
    for size in (int(s) for s in args.sizes.split(",")):
        name = f"rootcause_scale_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        try:
            engine = make_engine(url)
            upgrade(engine)
            step = time.perf_counter()
            with session_scope(engine) as session:
                # ~400 respondents a school across audiences, as in the region
                generate_demo(session, n_schools=size, seed=7, with_users=False, response_rate=0.9)
            generated = time.perf_counter() - step
            engine.dispose()
            result = analyse(url)
            print(
                f"schools={int(result['schools']):5d} respondents={int(result['respondents']):7d} "
                f"generate={generated:6.1f}s load={result['load']:5.2f}s "
                f"indicators={result['indicators']:5.2f}s profiles={result['profiles']:5.2f}s "
                f"total={result['total']:5.2f}s peak_rss={peak_mb():7.0f}MB"
            )
        finally:
            if not args.keep:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
