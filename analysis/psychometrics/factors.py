"""Exploratory factor analysis as ``psych::fa``: minres or ML extraction, rotation, factor scores.

Extraction is our own (the objective and gradient of ``psych::fa``); rotations use
``factor_analyzer.Rotator``. We do not call ``factor_analyzer.FactorAnalyzer`` at all, because
factor_analyzer 0.5.1:

1. calls ``sklearn.utils.check_array(force_all_finite=...)`` in ``fit`` and ``transform``, a
   keyword removed in scikit-learn 1.8 (and deprecated, with a FutureWarning, since 1.6);
   ``Rotator`` is plain numpy and does not touch that code path;
2. sorts the loadings by variance but leaves ``phi_`` in the pre-sort order, so the factor
   correlations do not belong to the factors they are printed with;
3. reports ``sum(loadings**2)`` per item as the communality, which for an oblique rotation is
   not the communality: that is ``diag(Λ Φ Λᵀ)``.

Here the factor correlations are recovered from the rotation itself (``Λ = A M`` for the
unrotated loadings ``A``, so ``Φ = (MᵀM)⁻¹``), then factors are re-signed and re-ordered with
their correlations, and communalities are ``diag(Λ Φ Λᵀ)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from analysis.psychometrics._common import correlation, item_frame, labelled, smc

Method = Literal["minres", "ml"]
Rotation = Literal["oblimin", "varimax", "promax"]

#: lower and upper bound of a uniqueness during extraction, as psych::fa (upper = max(SMC, 1))
_PSI_BOUNDS = (0.005, 1.0)
_ROTATORS: dict[str, dict[str, object]] = {
    # GPArotation::oblimin(L): gam = 0, normalize = FALSE, eps = 1e-5, maxit = 1000
    "oblimin": {"method": "oblimin", "normalize": False, "gamma": 0, "tol": 1e-5},
    # stats::varimax(L): normalize = TRUE, eps = 1e-5
    "varimax": {"method": "varimax", "normalize": True, "tol": 1e-5},
    # psych::kaiser(L, rotate = "Promax"): Kaiser-normalised varimax, then power 4
    "promax": {"method": "promax", "normalize": True, "power": 4, "tol": 1e-5},
}


@dataclass(frozen=True)
class FactorSolution:
    """An exploratory factor solution; factors ``F1..Fk`` by decreasing variance explained."""

    method: str
    rotation: str | None
    #: pattern loadings, items × factors; each factor's loadings sum to a positive number
    loadings: pd.DataFrame
    #: factor correlations in the order and signs of ``loadings``; None if orthogonal
    phi: pd.DataFrame | None
    #: structure loadings Λ Φ (item-factor correlations); equals ``loadings`` if orthogonal
    structure: pd.DataFrame
    #: diag(Λ Φ Λᵀ), the variance of each item the common factors explain
    communalities: pd.Series
    #: 1 - communality
    uniquenesses: pd.Series
    #: rows "SS loadings", "Proportion Var", "Cumulative Var", "Proportion Explained",
    #: "Cumulative Proportion" as psych's ``Vaccounted``
    variance: pd.DataFrame
    #: the item correlations the solution was fitted to
    correlation: pd.DataFrame
    #: item means and standard deviations (n - 1) of the fitted data, for scoring
    item_means: pd.Series
    item_sds: pd.Series
    n_obs: int
    #: whether the optimiser of the uniquenesses reported convergence
    converged: bool

    def scores(self, data: pd.DataFrame) -> pd.DataFrame:
        """Regression (Thurstone) factor scores ``Z R⁻¹ S``.

        ``Z`` are the items standardised with the means and standard deviations of the data
        the solution was fitted to, ``R`` their correlation matrix and ``S = Λ Φ`` the
        structure matrix. A respondent with any item missing gets NaN. On the fitted data this
        equals ``psych::factor.scores(x, f, Phi, method = "Thurstone")``.
        """
        frame = item_frame(data, list(self.loadings.index), min_items=1)
        z = (frame - self.item_means) / self.item_sds
        weights = np.linalg.solve(self.correlation.to_numpy(), self.structure.to_numpy())
        values = z.to_numpy() @ weights
        return pd.DataFrame(values, index=data.index, columns=self.loadings.columns)


def efa(
    data: pd.DataFrame,
    *,
    n_factors: int,
    items: Sequence[str] | None = None,
    method: Method = "minres",
    rotation: Rotation | None = "oblimin",
) -> FactorSolution:
    """Exploratory factor analysis of item correlations, as ``psych::fa``.

    Parameters
    ----------
    data
        One row per respondent; numeric item columns (NaN for no answer).
    n_factors
        Number of factors, 1 ≤ k < number of items.
    items
        Item columns to analyse; all columns if omitted.
    method
        ``"minres"`` (unweighted least squares) or ``"ml"`` (maximum likelihood).
    rotation
        ``"oblimin"`` (quartimin, GPArotation), ``"varimax"``, ``"promax"`` (Kaiser-normalised,
        power 4, as psych) or ``None``.

    Returns
    -------
    FactorSolution

    Notes
    -----
    Correlations are pairwise (each pair over the respondents who answered both), as
    ``psych::fa`` with ``use = "pairwise"``. With ``Ψ`` the uniquenesses and ``R`` the
    correlations, minres minimises the sum of the squared eigenvalues of ``R - Ψ`` beyond the
    first ``k`` (equivalently the off-diagonal residuals), ML minimises
    ``-Σ_{m>k}(log e_m - e_m) - k + p`` with ``e`` the eigenvalues of ``Ψ^-½ R Ψ^-½``; both start
    from ``1 - SMC`` and keep ``0.005 ≤ ψ ≤ 1``. The rotated loadings are signed so that each
    column sums positive and ordered by ``diag(Φ ΛᵀΛ)`` (the sum of squares for an orthogonal
    solution); ``phi`` follows the same signs and order. Matches ``psych::fa(x, nfactors,
    fm, rotate)``: loadings, ``Phi``, ``communality``, ``uniquenesses`` and ``Vaccounted``.

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31, 351-368. Revelle, W. (2022). psych: Procedures for Psychological,
    Psychometric, and Personality Research, version 2.2.9.
    """
    frame = item_frame(data, items, min_items=2)
    _check_n_factors(n_factors, frame.shape[1])
    if method not in ("minres", "ml"):
        raise AnalysisError(f"неизвестный метод извлечения факторов: {method}")
    if rotation is not None and rotation not in _ROTATORS:
        raise AnalysisError(f"неизвестное вращение: {rotation}")
    if frame.dropna(how="all").shape[0] < 3:
        raise AnalysisError("слишком мало анкет для факторного анализа")
    r = correlation(frame)
    unrotated, converged = extract(r, n_factors, method)
    loadings, phi = rotate(unrotated, rotation)
    loadings, phi = sign_and_order(loadings, phi)
    return _solution(frame, r, loadings, phi, method, rotation, converged)


def _check_n_factors(n_factors: int, n_items: int) -> None:
    if not isinstance(n_factors, int | np.integer) or not 1 <= n_factors < n_items:
        raise AnalysisError(f"число факторов должно быть от 1 до {n_items - 1}: {n_factors}")


def _minres_objective(psi: np.ndarray, r: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    # ULS concentrated on Ψ: with the best rank-k fit of R - Ψ, the residual is the
    # discarded eigenvalues (and any negative kept ones, which the loadings clip to 0).
    values, vectors = np.linalg.eigh(r - np.diag(psi))
    residual = values.copy()
    kept = slice(len(values) - k, None)
    residual[kept] = np.minimum(values[kept], 0.0)
    error = float(np.sum(residual**2))
    gradient = -2.0 * (vectors**2) @ residual
    return error, gradient


def _ml_objective(psi: np.ndarray, r: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    scale = 1.0 / np.sqrt(psi)
    values, vectors = np.linalg.eigh(r * np.outer(scale, scale))
    values, vectors = values[::-1], vectors[:, ::-1]
    rest = values[k:]
    error = -float(np.sum(np.log(rest) - rest) - k + r.shape[0])
    loadings = np.sqrt(psi)[:, None] * vectors[:, :k] * np.sqrt(np.maximum(values[:k] - 1, 0))
    gradient = (np.sum(loadings**2, axis=1) + psi - np.diag(r)) / psi**2
    return error, gradient


def _loadings(r: np.ndarray, psi: np.ndarray, k: int, method: Method) -> np.ndarray:
    if method == "ml":
        scale = 1.0 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(r * np.outer(scale, scale))
        values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
        return np.sqrt(psi)[:, None] * vectors * np.sqrt(np.maximum(values - 1.0, 0.0))
    values, vectors = np.linalg.eigh(r - np.diag(psi))
    values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
    return vectors * np.sqrt(np.maximum(values, 0.0))


def extract(r: np.ndarray, n_factors: int, method: Method) -> tuple[np.ndarray, bool]:
    """Unrotated loadings of a correlation matrix and whether the optimiser converged.

    Columns are signed to sum positive, as ``psych::fa`` does before rotating.
    """
    start = np.clip(1.0 - smc(r), *_PSI_BOUNDS)
    if n_factors == 1 and method == "minres":
        single = _one_factor_minres(r, start)
        if single is not None:
            return single * (-1.0 if single.sum() < 0 else 1.0), True
    objective = _ml_objective if method == "ml" else _minres_objective
    # Imported here: scipy.optimize and factor_analyzer (which imports scikit-learn) cost
    # about a second, and a reference whose appendix comes from the cache never needs them.
    from scipy.optimize import minimize

    result = minimize(
        objective,
        start,
        args=(r, n_factors),
        jac=True,
        method="L-BFGS-B",
        bounds=[_PSI_BOUNDS] * r.shape[0],
        options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-10},
    )
    loadings = _loadings(r, result.x, n_factors, method)
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    return loadings * signs, bool(result.success)


def _one_factor_minres(r: np.ndarray, psi: np.ndarray) -> np.ndarray | None:
    """The one-factor minres loadings by Newton's method on the loadings themselves, or None
    where that is not the answer of :func:`extract`'s bounded search (a uniqueness at its
    bound of 0.005, no convergence), which is then used instead.

    Minres minimises the squared off-diagonal residuals ``Σ_{i<j} (r_ij - λ_i λ_j)²``; at its
    minimum the uniquenesses are ``1 - λ²`` and λ is the leading eigenvector of ``R - Ψ``
    (Harman & Jones, 1966), the point the search over Ψ converges to. With one factor the
    gradient and Hessian in λ are short and Newton converges in a few steps, without
    scipy.optimize, whose import costs every reference a tenth of a second: the reliability
    ω of each scale in the reference's appendix is a one-factor minres solution.
    """
    size = r.shape[0]
    diagonal = np.arange(size)
    target = r.copy()
    target[diagonal, diagonal] = 0.0

    def residuals(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """λλᵀ and R - λλᵀ off the diagonal, and half their sum of squares (the loss)."""
        fitted = lam[:, None] * lam[None, :]
        fitted[diagonal, diagonal] = 0.0
        error = target - fitted
        return fitted, error, float(np.einsum("ij,ij->", error, error)) / 2.0

    lam = _loadings(r, psi, 1, "minres")[:, 0]
    fitted, error, current = residuals(lam)
    converged = False
    for _ in range(60):  # (quadratic convergence takes under ten steps where it converges)
        gradient = -2.0 * error @ lam
        if np.max(np.abs(gradient)) < 1e-12:
            converged = True
            break
        squares = lam**2
        hessian = 2.0 * (fitted - error)
        hessian[diagonal, diagonal] = 2.0 * (squares.sum() - squares)
        # Levenberg-Marquardt: the Hessian shifted until positive definite, so that each
        # step goes down even far from the minimum
        shift = 0.0
        while True:
            try:
                np.linalg.cholesky(hessian)
                break
            except np.linalg.LinAlgError:
                shift = max(2.0 * shift, 1e-6)
                hessian[diagonal, diagonal] += shift
        step = np.linalg.solve(hessian, -gradient)
        shrink = 1.0
        while True:
            trial = lam + shrink * step
            trial_fitted, trial_error, value = residuals(trial)
            if value <= current or shrink < 1e-12:
                break
            shrink /= 2.0
        if value > current or np.max(np.abs(trial - lam)) < 1e-15:
            converged = np.max(np.abs(gradient)) < 1e-9
            break
        lam, fitted, error, current = trial, trial_fitted, trial_error, value
    if not converged:
        return None
    unique = 1.0 - lam**2
    if unique.min() < _PSI_BOUNDS[0]:
        return None
    # a minimum, whose loadings are the leading eigenvector of R - Ψ
    values = np.linalg.eigvalsh(r - np.diag(unique))
    if not np.isclose(values[-1], squares_sum := float(lam @ lam), rtol=1e-8, atol=1e-10):
        return None
    return lam[:, None] if squares_sum > 0 else None


def rotate(
    unrotated: np.ndarray, rotation: Rotation | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotated loadings and, for an oblique rotation, the factor correlations.

    The factors come out in the rotation's own order and signs. ``Φ`` is computed from the
    transformation, not taken from ``Rotator.phi_``: solving ``A M = Λ`` gives ``Φ = (MᵀM)⁻¹``.
    """
    if rotation is None or unrotated.shape[1] < 2:
        return unrotated, None
    from factor_analyzer import Rotator  # (imported here: see extract)

    settings = dict(_ROTATORS[rotation], max_iter=1000)
    with warnings.catch_warnings():
        # third-party numerics; our suite turns warnings into errors
        warnings.simplefilter("ignore")
        rotated = np.asarray(Rotator(**settings).fit_transform(unrotated.copy()), dtype=float)
    if rotation == "varimax":
        return rotated, None
    transform = np.linalg.lstsq(unrotated, rotated, rcond=None)[0]
    phi = np.linalg.inv(transform.T @ transform)
    scale = 1.0 / np.sqrt(np.diag(phi))
    return rotated, phi * np.outer(scale, scale)


def sign_and_order(
    loadings: np.ndarray, phi: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Sign each factor so its loadings sum positive, then order by variance explained.

    The variance of a factor is ``diag(Φ ΛᵀΛ)`` (psych's ``ev.rotated``); ``Φ`` is re-signed
    and re-ordered with the loadings.
    """
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    order = np.argsort(-_factor_variance(loadings, phi), kind="stable")
    loadings = loadings[:, order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    return loadings, phi


def _factor_variance(loadings: np.ndarray, phi: np.ndarray | None) -> np.ndarray:
    if phi is None:
        return np.sum(loadings**2, axis=0)
    return np.sum(loadings * (loadings @ phi), axis=0)


def _solution(
    frame: pd.DataFrame,
    r: np.ndarray,
    loadings: np.ndarray,
    phi: np.ndarray | None,
    method: str,
    rotation: str | None,
    converged: bool,
) -> FactorSolution:
    items = list(frame.columns)
    factors = [f"F{j + 1}" for j in range(loadings.shape[1])]
    structure = loadings if phi is None else loadings @ phi
    communalities = np.sum(loadings * structure, axis=1)  # diag(Λ Φ Λᵀ)
    ss = _factor_variance(loadings, phi)
    total = float(len(items))  # sum(communality + uniqueness) of a correlation matrix
    variance = np.vstack(
        [ss, ss / total, np.cumsum(ss) / total, ss / ss.sum(), np.cumsum(ss) / ss.sum()]
    )
    rows = [
        "SS loadings",
        "Proportion Var",
        "Cumulative Var",
        "Proportion Explained",
        "Cumulative Proportion",
    ]
    return FactorSolution(
        method=method,
        rotation=rotation,
        loadings=labelled(loadings, items, factors),
        phi=None if phi is None else labelled(phi, factors, factors),
        structure=labelled(structure, items, factors),
        communalities=pd.Series(communalities, index=items, name="communality"),
        uniquenesses=pd.Series(1.0 - communalities, index=items, name="uniqueness"),
        variance=labelled(variance, rows, factors),
        correlation=labelled(r, items, items),
        item_means=frame.mean(),
        item_sds=frame.std(ddof=1),
        n_obs=len(frame),
        converged=converged,
    )
