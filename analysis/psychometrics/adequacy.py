"""Whether items suit factor analysis, and how many factors: KMO, Bartlett, parallel analysis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import chdtrc

from analysis.errors import AnalysisError
from analysis.psychometrics._common import correlation, item_frame, smc


@dataclass(frozen=True)
class KMO:
    """Kaiser-Meyer-Olkin measure of sampling adequacy."""

    #: overall MSA
    overall: float
    #: MSA of each item
    items: pd.Series


def kmo(data: pd.DataFrame, *, items: Sequence[str] | None = None) -> KMO:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, as ``psych::KMO``.

    Notes
    -----
    With ``r_ij`` the (pairwise) correlations and ``q_ij`` the partial correlations
    ``-(R⁻¹)_ij / sqrt((R⁻¹)_ii (R⁻¹)_jj)``, over ``i ≠ j``::

        MSA = Σ r² / (Σ r² + Σ q²),   MSA_i = Σ_j r_ij² / (Σ_j r_ij² + Σ_j q_ij²)

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. Psychometrika, 35, 401-415.
    """
    frame = item_frame(data, items)
    r = correlation(frame)
    try:
        inverse = np.linalg.inv(r)
    except np.linalg.LinAlgError as exc:
        raise AnalysisError("корреляционная матрица вырождена: KMO не определён") from exc
    scale = 1.0 / np.sqrt(np.diag(inverse))
    q = inverse * np.outer(scale, scale)
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(r, 0.0)
    r2, q2 = r**2, q**2
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return KMO(
        overall=float(r2.sum() / (r2.sum() + q2.sum())),
        items=pd.Series(per_item, index=frame.columns, name="msa"),
    )


@dataclass(frozen=True)
class Bartlett:
    """Bartlett's test that the item correlation matrix is an identity matrix."""

    chi_square: float
    df: int
    p_value: float
    n_obs: int


def bartlett(data: pd.DataFrame, *, items: Sequence[str] | None = None) -> Bartlett:
    """Bartlett's test of sphericity, as ``psych::cortest.bartlett(x, n = nrow(x))``.

    Notes
    -----
    ``χ² = -ln|R| · (n - 1 - (2p + 5) / 6)`` with ``df = p (p - 1) / 2``; ``R`` are the
    pairwise correlations of the ``p`` items and ``n`` the number of rows.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a χ² approximation in factor
    analysis. Biometrika, 38, 337-344.
    """
    frame = item_frame(data, items)
    n, p = frame.shape
    sign, logdet = np.linalg.slogdet(correlation(frame))
    if sign <= 0:
        raise AnalysisError("корреляционная матрица вырождена: критерий Бартлетта не определён")
    statistic = -logdet * (n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return Bartlett(
        chi_square=float(statistic), df=df, p_value=float(chdtrc(df, statistic)), n_obs=n
    )


@dataclass(frozen=True)
class ParallelAnalysis:
    """Horn's parallel analysis: factors whose eigenvalue beats random data's."""

    #: leading observed eigenvalues above the random quantile
    n_factors: int
    #: per factor number (1..p): ``observed``, ``random_mean``, ``random_quantile``
    eigenvalues: pd.DataFrame
    quantile: float
    n_iter: int


def _factor_eigenvalues(r: np.ndarray) -> np.ndarray:
    reduced = r.copy()
    np.fill_diagonal(reduced, smc(r))
    return np.linalg.eigvalsh(reduced)[::-1]


def parallel_analysis(
    data: pd.DataFrame,
    *,
    seed: int,
    n_iter: int = 100,
    items: Sequence[str] | None = None,
    quantile: float = 0.95,
) -> ParallelAnalysis:
    """Parallel analysis with principal-axis (factor) eigenvalues, as ``psych::fa.parallel``.

    Parameters
    ----------
    data
        One row per respondent; numeric item columns (NaN for no answer).
    seed
        Seed of the random normal data (results are reproducible for a seed).
    n_iter
        Random data sets drawn.
    items
        Item columns; all columns if omitted.
    quantile
        The observed eigenvalue must exceed this quantile of the random ones.

    Notes
    -----
    Method: factor eigenvalues — the eigenvalues of the (pairwise) correlation matrix with the
    squared multiple correlations on its diagonal — not principal components. Each random data
    set has the same rows and items, independent standard normal. The suggested number of
    factors is the count of leading observed eigenvalues greater than the ``quantile`` of the
    random eigenvalues of the same rank (quantile type 7, R's default).

    Observed eigenvalues match ``psych::fa.parallel(x, fa = "fa", SMC = TRUE)$fa.values``;
    the random ones are drawn differently from R's, so ``random_mean`` agrees only up to
    simulation error, and the suggested number (``$nfact``) agrees unless an eigenvalue lies
    within that error of its threshold.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    Psychometrika, 30, 179-185.
    """
    frame = item_frame(data, items, min_items=3)
    if not isinstance(n_iter, int) or n_iter < 1:
        raise AnalysisError(f"n_iter должно быть положительным целым: {n_iter}")
    if not 0.0 < quantile < 1.0:
        raise AnalysisError(f"quantile должен быть между 0 и 1: {quantile}")
    n, p = frame.shape
    observed = _factor_eigenvalues(correlation(frame))
    rng = np.random.default_rng(seed)
    random = np.empty((n_iter, p))
    for i in range(n_iter):
        sample = rng.standard_normal((n, p))
        random[i] = _factor_eigenvalues(np.asarray(np.corrcoef(sample, rowvar=False)))
    threshold = np.quantile(random, quantile, axis=0)
    above = observed > threshold
    n_factors = p if above.all() else int(np.argmin(above))
    table = pd.DataFrame(
        {"observed": observed, "random_mean": random.mean(axis=0), "random_quantile": threshold},
        index=pd.RangeIndex(1, p + 1, name="factor"),
    )
    return ParallelAnalysis(
        n_factors=n_factors, eigenvalues=table, quantile=quantile, n_iter=n_iter
    )
