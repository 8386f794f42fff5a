"""Benchmark: two versions of the code under load at the same time, for a fair comparison.

This machine is shared and its speed drifts by a third and more within an hour, so runs of
two versions one after the other compare the machine as much as the code. Here both versions
serve at once: each its own gunicorn (``-k gthread``, the same workers × threads) started from
its own checkout, and its own fresh database; one asyncio load generator (the respondent
sessions of ``load_respondents.py``) sends ``--concurrency`` respondents to each for
``--seconds``, ``--rounds`` times. Per round it prints each server's completed responses per
second and gunicorn's CPU time per completed response, then the ratio new ÷ old of the latter
per round: below 1 the new code costs less CPU per response.

Usage: python bench/load_paired.py --base-dir DIR [--new-dir DIR] [--rounds 4] [--seconds 12]
       [--concurrency 16] [--backend postgresql|sqlite] [--workers 2] [--threads 4]

``--base-dir`` is a checkout of the old code, e.g. ``git worktree add /tmp/base <commit>``;
``--new-dir`` defaults to this checkout. Both run with this virtual environment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_respondents as load

VERSIONS = ("base", "new")


async def _round(
    servers: dict[str, load.Server],
    targets: dict[str, load.Target],
    concurrency: int,
    seconds: float,
    seed: int,
) -> dict[str, int]:
    """``concurrency`` respondents on each server for ``seconds``: completed responses each."""
    completed = dict.fromkeys(VERSIONS, 0)
    deadline = time.perf_counter() + seconds

    def alive() -> bool:
        return time.perf_counter() < deadline

    async def respondent(name: str, index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        browser = load.Browser(servers[name].port, lambda _kind, _elapsed: None)
        try:
            while alive():
                if await load.complete_session(browser, targets[name].code, rng, alive):
                    completed[name] += 1
        finally:
            browser.close()

    await asyncio.gather(*(respondent(n, i) for n in VERSIONS for i in range(concurrency)))
    return completed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-dir", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--new-dir", type=Path, default=load.ROOT)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--concurrency", type=int, default=16, help="respondents per version")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    roots = {"base": args.base_dir.resolve(), "new": args.new_dir.resolve()}
    for name, root in roots.items():
        if not (root / "web" / "__init__.py").is_file():
            parser.error(f"--{name}-dir {root}: not a checkout of rootcause")
    print(
        f"# paired: base {roots['base']} and new {roots['new']} at the same time, "
        f"{args.backend}, gunicorn -k gthread -w {args.workers} --threads {args.threads}, "
        f"{args.concurrency} respondents each, {args.rounds} rounds of {args.seconds:g} s"
    )
    with contextlib.ExitStack() as stack:
        servers: dict[str, load.Server] = {}
        targets: dict[str, load.Target] = {}
        for name in VERSIONS:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rootcause_ab_")))
            target = stack.enter_context(load.fresh_database(args.backend, args.postgres, tmp))
            load.ROOT = roots[name]  # gunicorn imports the application from its working directory
            servers[name] = stack.enter_context(
                load.gunicorn(target, tmp, args.workers, args.threads)
            )
            targets[name] = target
            load.warm_up(servers[name], target, sessions=4 * args.workers)
        per_response: dict[str, list[float]] = {name: [] for name in VERSIONS}
        for round_ in range(args.rounds):
            before = {name: load._ticks(servers[name].pids()) for name in VERSIONS}
            completed = asyncio.run(
                _round(servers, targets, args.concurrency, args.seconds, seed=round_)
            )
            cells = []
            for name in VERSIONS:
                spent = load._spent(before[name], load._ticks(servers[name].pids()))
                per_response[name].append(spent / max(completed[name], 1) * 1000)
                cells.append(
                    f"{name} {completed[name] / args.seconds:6.1f} responses/s "
                    f"{per_response[name][-1]:5.2f} ms CPU per response"
                )
            print(f"round {round_ + 1}: " + "   ".join(cells), flush=True)
    for name in VERSIONS:
        print(f"{name}: median {statistics.median(per_response[name]):.2f} ms CPU per response")
    ratios = [n / b for n, b in zip(per_response["new"], per_response["base"], strict=True)]
    print("new ÷ base per round: " + ", ".join(f"{r:.3f}" for r in ratios))


if __name__ == "__main__":
    main()
