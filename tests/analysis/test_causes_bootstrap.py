"""The vectorised bootstrap of factor–outcome associations equals the plain loop."""

from __future__ import annotations

import numpy as np
from scipy import stats

from analysis.causes import _bootstrap_indices, _bootstrap_rho_slope


def _loop(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[list[float], list[float]]:
    rho, slope = [], []
    for row in idx:
        if np.ptp(x[row]) == 0 or np.ptp(y[row]) == 0:
            continue
        rho.append(float(stats.spearmanr(x[row], y[row]).statistic))
        slope.append(float(np.polyfit(x[row], y[row], 1)[0]))
    return rho, slope


def test_vectorised_intervals_match_spearmanr_and_polyfit_on_the_same_resamples() -> None:
    data = np.random.default_rng(3)
    # Twelve schools with ties in x (rounded composites), as in a small district.
    x = np.round(data.normal(size=12), 1)
    x[3] = x[4]
    y = 0.4 * x + data.normal(scale=0.5, size=12)
    got_rho, got_slope = _bootstrap_rho_slope(x, y, np.random.default_rng(7), 500)
    idx = _bootstrap_indices(12, np.random.default_rng(7), 500)
    rho, slope = _loop(x, y, idx)
    assert np.allclose(got_rho, np.percentile(rho, [2.5, 97.5]), atol=1e-12)
    assert np.allclose(got_slope, np.percentile(slope, [2.5, 97.5]), atol=1e-12)
    assert got_rho[0] < got_rho[1] and got_slope[0] < got_slope[1]


def test_constant_resamples_are_left_out() -> None:
    x = np.array([0.0, 0.0, 0.0, 1.0])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    idx = _bootstrap_indices(4, np.random.default_rng(0), 200)
    rho, _ = _loop(x, y, idx)
    got, _ = _bootstrap_rho_slope(x, y, np.random.default_rng(0), 200)
    assert len(rho) < 200  # some resamples had only zeros in x
    assert np.allclose(got, np.percentile(rho, [2.5, 97.5]), atol=1e-12)
