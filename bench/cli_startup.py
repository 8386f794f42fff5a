"""Benchmark: how long the ``rootcause`` command takes to start (issue 15).

Runs ``rootcause --help`` (or the arguments given) ``--runs`` times as a fresh process and
prints each wall time, their median and the median CPU time (user + system) of the process,
which another job on the machine slows down less than the wall time. Then it imports
``web.cli`` once under ``python -X importtime`` and prints the ``--top`` imports by cumulative
time (indented as Python nests them) and which heavy libraries that import loaded. The machine
and its load average are printed too: this machine is shared, and a load above 1 on its two
cores means another job was running and the times are slower than the code alone.

Usage: python bench/cli_startup.py [--runs 5] [--top 20] [--args="--help"] [--checkout DIR]

``--checkout`` times the code of another checkout (e.g. ``git archive <commit> | tar -x -C
DIR``) with this virtual environment: ``rootcause`` is then run as ``python -c`` with the
console script's two lines, from that directory.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: what the ``rootcause`` console script runs
CONSOLE_SCRIPT = "from web.cli import run; run()"
#: libraries a command that only prints help should never import (alembic and pydantic are
#: not large, but each took a tenth of a second or more of the start-up; Flask with Werkzeug
#: and Jinja, and SQLAlchemy with the models, were 0.1 and 0.3 s)
HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "sklearn",
    "factor_analyzer",
    "plotly",
    "openpyxl",
    "pyreadstat",
    "docx",
    "playwright",
    "alembic",
    "pydantic",
    "flask",
    "flask_wtf",
    "werkzeug",
    "jinja2",
    "sqlalchemy",
)


def _machine() -> str:
    memory = "?"
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.0f} GiB"
    system = platform.platform()
    os_release = Path("/etc/os-release")
    if os_release.exists():
        fields = dict(
            line.split("=", 1) for line in os_release.read_text().splitlines() if "=" in line
        )
        system = fields.get("PRETTY_NAME", system).strip('"')
    return f"{os.cpu_count()} cores, {memory}, {system}, Python {platform.python_version()}"


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(command: list[str], runs: int, cwd: Path) -> tuple[list[float], list[float]]:
    """Wall and CPU times of each of ``runs`` fresh runs of ``command``; a failed run
    raises."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu = _cpu_of_children()
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu_of_children() - cpu)
    return walls, cpus


def import_times(module: str, cwd: Path) -> list[tuple[int, int, str]]:
    """``(cumulative µs, self µs, indented name)`` of every import ``module`` makes, in
    ``-X importtime`` order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        if own.strip().isdigit():
            rows.append((int(cumulative), int(own), name))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh runs to time (default 5)")
    parser.add_argument("--top", type=int, default=20, help="imports to list (default 20)")
    parser.add_argument("--args", default="--help", help="arguments of rootcause (--help)")
    parser.add_argument(
        "--checkout", type=Path, help="time this checkout's code instead of the installed one"
    )
    options = parser.parse_args()

    args = shlex.split(options.args)
    if options.checkout is None:
        cwd = ROOT
        command = [str(Path(sys.executable).with_name("rootcause")), *args]
    else:
        cwd = options.checkout.resolve()
        command = [sys.executable, "-c", CONSOLE_SCRIPT, *args]
    print(f"machine: {_machine()}")
    print(f"code: {cwd}")
    print(f"load average before (1, 5, 15 min): {_load()}")
    walls, cpus = time_command(command, options.runs, cwd)
    print(f"rootcause {options.args}: " + ", ".join(f"{t:.2f}" for t in walls))
    print(
        f"median of {options.runs}: {statistics.median(walls):.2f} s wall, "
        f"{statistics.median(cpus):.2f} s CPU"
    )
    print(f"load average after: {_load()}")

    rows = import_times("web.cli", cwd)
    total = max(cumulative for cumulative, _, name in rows if name.strip() == "web.cli")
    print(f"\nimport web.cli: {total / 1e6:.2f} s; top {options.top} by cumulative time")
    print(f"{'cumulative ms':>14} {'self ms':>8}  module")
    for cumulative, own, name in sorted(rows, reverse=True)[: options.top]:
        print(f"{cumulative / 1000:14.1f} {own / 1000:8.1f}  {name}")
    loaded = sorted({name.strip() for _, _, name in rows} & set(HEAVY))
    print(f"heavy libraries loaded: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    main()
