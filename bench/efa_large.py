"""Benchmark: exploratory factor analysis of 100,000 respondents × 40 items.

Prints the time of ``analysis.psychometrics.efa`` (and of its parts) on simulated data with a
known 5-factor structure; not a timed test. Target: at most 2 s for minres + oblimin.
Usage: python bench/efa_large.py [--rows 100000] [--items 40] [--factors 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from analysis.psychometrics import efa
from analysis.psychometrics.factors import Method, Rotation

RUNS: list[tuple[Method, Rotation]] = [
    ("minres", "oblimin"),
    ("minres", "varimax"),
    ("ml", "promax"),
]


def simulate(rows: int, items: int, factors: int, seed: int = 1) -> pd.DataFrame:
    """Five-point answers driven by correlated factors, each item loading on one factor."""
    rng = np.random.default_rng(seed)
    phi = np.full((factors, factors), 0.3) + 0.7 * np.eye(factors)
    scores = rng.multivariate_normal(np.zeros(factors), phi, size=rows)
    loadings = np.zeros((items, factors))
    loadings[np.arange(items), np.arange(items) % factors] = rng.uniform(0.4, 0.8, items)
    latent = scores @ loadings.T
    noise = rng.standard_normal((rows, items)) * np.sqrt(1.0 - np.sum(loadings**2, axis=1))
    answers = np.clip(np.round(3 + 1.2 * (latent + noise)), 1, 5)
    return pd.DataFrame(answers, columns=[f"q{i + 1:02d}" for i in range(items)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--factors", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = simulate(args.rows, args.items, args.factors)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"# {args.rows:,} rows × {args.items} items, {args.factors} factors")
    for method, rotation in RUNS:
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            solution = efa(data, n_factors=args.factors, method=method, rotation=rotation)
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        solution.scores(data)
        scoring = time.perf_counter() - started
        print(
            f"efa {method}/{rotation}: best {min(times):.3f} s, worst {max(times):.3f} s"
            f" (converged={solution.converged}); scores {scoring:.3f} s"
        )
    # 5 % of answers missing: pairwise correlations go through pandas instead of numpy
    gappy = data.mask(np.random.default_rng(2).random(data.shape) < 0.05)
    started = time.perf_counter()
    efa(gappy, n_factors=args.factors)
    print(f"efa minres/oblimin, 5 % missing (pairwise): {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
