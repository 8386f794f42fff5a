"""Benchmark: time to generate demo districts of growing size (SQLite file and PostgreSQL).

Prints one line per run; not a timed test. Target: 12 schools in under 10 s.
Usage: python bench/demo_generation.py [--postgres URL] [--sizes 12,50]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from surveys.db import make_engine, session_scope, upgrade
from surveys.demo import generate_demo


def run(url: str, n_schools: int) -> tuple[float, int]:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    with session_scope(engine) as session:
        demo = generate_demo(session, n_schools=n_schools, seed=1, with_users=False)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, sum(demo.counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="12,50")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, responses = run(f"sqlite:///{Path(tmp) / 'bench.db'}", n)
        print(f"sqlite      schools={n:5d} responses={responses:7d} seconds={elapsed:6.2f}")
    admin = make_engine(args.postgres, isolation_level="AUTOCOMMIT")
    for n in sizes:
        name = f"rootcause_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            elapsed, responses = run(url, n)
            print(f"postgresql  schools={n:5d} responses={responses:7d} seconds={elapsed:6.2f}")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
