"""Benchmark: how long a school's reference takes (issue 15, speed).

On a demo district loaded into a database (PostgreSQL by default, a fresh one is created and
dropped), prints:

- **model, nothing cached**: the reference model of one school in a fresh process whose disk
  cache is empty (the campaign's answers loaded and the district analysed: the first
  reference after the answers changed);
- **model, new process**: the same in a second fresh process, which finds the district's
  analysis on disk (``web.reference_cache``: each ``rootcause report``, a new web worker);
- **model, warm**: the model of each other school in the same process (the district's
  analysis kept in memory);
- **model, answers changed**: in that process, which has served references before, the model
  just after a new respondent's answers were saved (a copy of a complete response as a new
  submission): the campaign's answers, its analysis and the school's part computed again,
  as a web worker does after each new answer; the figure the first "nothing cached" one
  includes besides is the process's own start (the database connection, compiled
  statements);
- **school page**: ``GET /staff/schools/<code>`` through the Flask test client as the
  administrator, for each school, after the first page of the campaign;
- **reference.html / .docx / .pdf** through the web for one school (warm);
- **CLI**: ``rootcause report --format html|docx|pdf`` end to end as a fresh process
  (start-up, the model, the charts and the file): S001 with nothing kept on disk, S002 with
  the district's analysis on disk but not its charts, then S001 ``--runs`` times again
  (analysis, charts and templates on disk).

The disk cache of the whole benchmark is a temporary folder of its own
(``ROOTCAUSE_CACHE_DIR``), emptied before each format and the model's first figure.

Each figure is the median of its runs (with the range). The machine and its load average
are printed: on a shared machine a load above 1 on two cores means another job ran.

Usage: python bench/reference_speed.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
       [--sqlite] [--runs 3] [--seed 2026] [--formats html,docx,pdf]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RC = [sys.executable, "-c", "from web.cli import run; run()"]


def _median(values: list[float]) -> str:
    return (
        f"{statistics.median(values) * 1000:7.0f} ms "
        f"({min(values) * 1000:.0f}–{max(values) * 1000:.0f}, n={len(values)})"
    )


def _database(args: argparse.Namespace) -> tuple[str, tuple[Any, str] | None]:
    if args.sqlite:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        return f"sqlite:///{path}", None
    import sqlalchemy as sa

    name = f"rc_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return args.url.rsplit("/", 1)[0] + "/" + name, (admin, name)


def _drop(handle: tuple[Any, str] | None) -> None:
    if handle is None:
        return
    import sqlalchemy as sa

    admin, name = handle
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _inner(runs: int) -> None:
    """Model and web timings (run in a fresh interpreter, so that 'cold' is cold)."""
    from sqlalchemy import select

    from surveys import models as m
    from web import create_app
    from web.db import get_session
    from web.reporting import school_reference

    app = create_app()
    from web.app import prepare_for_serving

    prepare_for_serving()  # as `rootcause serve` and each gunicorn worker do
    with app.app_context():
        session = get_session()
        codes = list(session.scalars(select(m.School.code).order_by(m.School.code)))
        from web.disk_cache import cache_dir

        folder = cache_dir()
        empty = folder is None or not any(folder.glob("*.pickle"))
        started = time.perf_counter()
        school_reference(session, 1, codes[0])
        cold = time.perf_counter() - started
        warm = []
        for code in codes[1:]:
            started = time.perf_counter()
            school_reference(session, 1, code)
            warm.append(time.perf_counter() - started)
        admin = session.scalar(select(m.User).where(m.User.role == "admin"))
        assert admin is not None
        signed = {"user_id": admin.id, "session_version": admin.session_version}
    label = "model, nothing cached:" if empty else "model, new process (analysis on disk):"
    print(label.ljust(43), f"{cold * 1000:7.0f} ms")
    if not empty:
        return
    print("model, warm (each other school):".ljust(43), _median(warm))
    print(
        "model, answers changed (serving process):".ljust(43),
        _median(_after_new_answers(app, codes, runs)),
    )
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update(signed)
    pages = []
    for code in codes:
        started = time.perf_counter()
        response = client.get(f"/staff/schools/{code}")
        pages.append(time.perf_counter() - started)
        assert response.status_code == 200, (code, response.status_code)
    print("school page /staff/schools/<code>:".ljust(43), _median(pages))
    for kind in ("html", "docx", "pdf"):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(f"/staff/campaigns/1/schools/{codes[0]}/reference.{kind}")
            times.append(time.perf_counter() - started)
        print(f"web reference.{kind} (status {response.status_code}):".ljust(43), _median(times))


def _after_new_answers(app: Any, codes: list[str], runs: int) -> list[float]:
    """The model of a school just after a respondent's answers arrived, in a process that
    has served references before (its connections, compiled statements and libraries warm):
    each run adds a copy of a complete response as a new submission, so that the campaign's
    answers, its analysis and the school's part are all computed again."""
    from sqlalchemy import select

    from surveys import models as m
    from web.db import get_session
    from web.reporting import school_reference

    times = []
    with app.app_context():
        session = get_session()
        for run in range(runs):
            code = codes[run % len(codes)]
            template = session.scalars(
                select(m.Response).where(m.Response.status == "complete").limit(1)
            ).one()
            session.add(
                m.Response(
                    submission_id=str(uuid.uuid4()),
                    campaign_id=template.campaign_id,
                    school_id=template.school_id,
                    audience=template.audience,
                    class_name=template.class_name,
                    instrument_version_id=template.instrument_version_id,
                    answers=dict(template.answers),
                    status="complete",
                    submitted_on=template.submitted_on,
                    flags=[],
                )
            )
            session.commit()
            started = time.perf_counter()
            school_reference(session, 1, code)
            times.append(time.perf_counter() - started)
    return times


def _in_process(env: dict[str, str], runs: int) -> None:
    subprocess.run(
        [sys.executable, __file__, "--inner", "--runs", str(runs)], env=env, check=True, cwd=ROOT
    )


def _empty(folder: Path) -> None:
    """Nothing kept: no analysis, no chart image, no compiled template."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--formats", default="html,docx,pdf")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        _inner(args.runs)
        return
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    url, handle = _database(args)
    cache = Path(tempfile.mkdtemp(prefix="rc-bench-cache-"))
    env = {**os.environ, "ROOTCAUSE_DATABASE_URL": url, "ROOTCAUSE_CACHE_DIR": str(cache)}
    try:
        subprocess.run([*RC, "init"], env=env, check=True, cwd=ROOT, capture_output=True)
        subprocess.run(
            [*RC, "demo", "--seed", str(args.seed)],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        print(f"database: {url.split('://')[0]}, demo seed {args.seed}")
        _empty(cache)
        _in_process(env, args.runs)  # nothing cached: computes, then writes the analysis
        _in_process(env, args.runs)  # a new process: reads it (prints the first figure only)
        out = Path(tempfile.mkdtemp())
        for kind in args.formats.split(","):
            _empty(cache)
            # S001 with nothing kept, then S002 (the analysis on disk, its charts not), then
            # S001 again and again (everything on disk: the same command repeated)
            schools = ["S001", "S002"] + ["S001"] * args.runs
            times = []
            for school in schools:
                t = time.perf_counter()
                command = ["report", "--campaign", "1", "--school", school, "--format", kind]
                done = subprocess.run(
                    [*RC, *command, "-o", str(out / f"r.{kind}")],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                times.append(time.perf_counter() - t)
                if done.returncode != 0:
                    print(
                        f"CLI report --format {kind}: exit {done.returncode}: "
                        f"{done.stderr.strip()[:200]}"
                    )
                    break
            else:
                print(f"CLI report --format {kind}:")
                first, other = (f"{t * 1000:7.0f} ms" for t in times[:2])
                print("  nothing cached (S001):".ljust(43), first)
                print("  analysis on disk, charts not (S002):".ljust(43), other)
                print("  the same command again (S001):".ljust(43), _median(times[2:]))
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        _drop(handle)
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
