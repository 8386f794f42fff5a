"""Confirmatory factor analysis by maximum likelihood, with lavaan's fit indices.

The estimator is our own rather than factor_analyzer's ``ConfirmatoryFactorAnalyzer``, whose
``fit`` goes through ``sklearn.utils.check_array(force_all_finite=...)`` (gone in scikit-learn
1.8), whose dict model parser writes into a read-only array under pandas copy-on-write (the
pandas 3 default), and which identifies factors by unit variance on the N - 1 covariance with
numerical gradients, reporting neither chi-square nor marker-method estimates. Its solution
agrees with this one in the standardised metric; the model here is a numpy pattern array
built from the dict, so no pandas object is ever written to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import chdtrc

from analysis.errors import AnalysisError
from analysis.psychometrics._common import complete_rows, item_frame, labelled


@dataclass(frozen=True)
class CFAResult:
    """A fitted confirmatory factor model and its fit indices (as ``lavaan::fitMeasures``)."""

    n_obs: int
    chi_square: float
    df: int
    p_value: float
    cfi: float
    tli: float
    rmsea: float
    srmr: float
    #: unstandardised loadings, items × factors (0 where an item does not load); the first
    #: item of each factor is the marker, fixed to 1
    loadings: pd.DataFrame
    #: completely standardised loadings (lavaan's ``std.all``)
    std_loadings: pd.DataFrame
    #: factor variances and covariances
    factor_covariance: pd.DataFrame
    #: residual variances of the items
    residual_variances: pd.Series
    converged: bool


def _pattern(model: dict[str, list[str]]) -> tuple[list[str], list[str], np.ndarray]:
    if not isinstance(model, dict) or not model:
        raise AnalysisError("модель CFA: словарь {фактор: [вопросы]} не задан")
    factors = [str(f) for f in model]
    items: list[str] = []
    for factor, indicators in model.items():
        if isinstance(indicators, str) or not indicators:
            raise AnalysisError(f"фактор {factor}: нужен список вопросов")
        if len(set(indicators)) != len(indicators):
            raise AnalysisError(f"фактор {factor}: вопросы повторяются")
        items.extend(str(i) for i in indicators if str(i) not in items)
    pattern = np.zeros((len(items), len(factors)), dtype=bool)
    for j, indicators in enumerate(model.values()):
        for item in indicators:
            pattern[items.index(str(item)), j] = True
    return factors, items, pattern


class _Model:
    """Parameter vector <-> (Λ, Φ, Θ) with marker-variable identification."""

    def __init__(self, pattern: np.ndarray, markers: list[int]) -> None:
        self.pattern = pattern
        free = pattern.copy()
        for j, i in enumerate(markers):
            free[i, j] = False
        self.free_loadings = np.nonzero(free)
        self.markers = markers
        p, m = pattern.shape
        self.lower = np.tril_indices(m)
        self.n_params = len(self.free_loadings[0]) + len(self.lower[0]) + p

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, m = self.pattern.shape
        n_load, n_phi = len(self.free_loadings[0]), len(self.lower[0])
        lam = np.zeros((p, m))
        lam[self.markers, np.arange(m)] = 1.0
        lam[self.free_loadings] = theta[:n_load]
        phi = np.zeros((m, m))
        phi[self.lower] = theta[n_load : n_load + n_phi]
        phi = phi + np.tril(phi, -1).T
        return lam, phi, theta[n_load + n_phi :]

    def pack_gradient(self, g_lam: np.ndarray, g_phi: np.ndarray, g_psi: np.ndarray) -> np.ndarray:
        # a covariance parameter appears twice in the symmetric Φ
        g_phi = 2.0 * g_phi - np.diag(np.diag(g_phi))
        return np.concatenate([g_lam[self.free_loadings], g_phi[self.lower], g_psi])


def _discrepancy(
    theta: np.ndarray, model: _Model, s: np.ndarray, logdet_s: float
) -> tuple[float, np.ndarray]:
    lam, phi, psi = model.unpack(theta)
    sigma = lam @ phi @ lam.T + np.diag(psi)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return np.inf, np.zeros_like(theta)
    inverse = np.linalg.inv(sigma)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    value = logdet + np.trace(s @ inverse) - logdet_s - s.shape[0]
    g_sigma = inverse - inverse @ s @ inverse
    gradient = model.pack_gradient(
        2.0 * g_sigma @ lam @ phi, lam.T @ g_sigma @ lam, np.diag(g_sigma)
    )
    return float(value), gradient


def _start(model: _Model, s: np.ndarray) -> np.ndarray:
    phi = np.diag([s[i, i] / 2.0 for i in model.markers])
    lam = np.zeros_like(model.pattern, dtype=float)
    for j, marker in enumerate(model.markers):
        lam[:, j] = s[:, marker] / phi[j, j] * model.pattern[:, j]
    psi = np.diag(s) / 2.0
    return np.concatenate([lam[model.free_loadings], phi[model.lower], psi])


def cfa(data: pd.DataFrame, model: dict[str, list[str]]) -> CFAResult:
    """Maximum likelihood CFA of a simple measurement model, as ``lavaan::cfa(model, data)``.

    Parameters
    ----------
    data
        One row per respondent; respondents with any model item missing are dropped (lavaan's
        default ``missing = "listwise"``).
    model
        ``{factor: [items]}``, lavaan's ``factor =~ item1 + item2 + ...``. The first item of
        each factor is its marker (loading fixed to 1, ``std.lv = FALSE``); factor variances and
        covariances and item residual variances are free.

    Notes
    -----
    With ``S`` the covariance matrix with divisor ``N`` and ``Σ = ΛΦΛᵀ + Θ``, minimises
    ``F = ln|Σ| + tr(SΣ⁻¹) - ln|S| - p`` (analytic gradient, L-BFGS-B). As lavaan with
    ``likelihood = "normal"``:

    - ``χ² = N·F``, ``df = p(p + 1)/2 - free parameters``;
    - baseline: ``χ²_b = N (Σ ln s_ii - ln|S|)``, ``df_b = p(p - 1)/2``;
    - ``CFI = 1 - max(χ² - df, 0) / max(χ² - df, χ²_b - df_b, 0)``;
    - ``TLI = (χ²_b/df_b - χ²/df) / (χ²_b/df_b - 1)``;
    - ``RMSEA = sqrt(max(χ² - df, 0) / (df·N))``;
    - ``SRMR = sqrt(mean over i ≤ j of (s_ij/sqrt(s_ii s_jj) - σ_ij/sqrt(σ_ii σ_jj))²)``;
    - ``std.all`` loading ``λ_ij sqrt(φ_jj) / sqrt(σ_ii)``.

    Matches ``lavaan::fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
    "srmr"))`` and ``standardizedSolution(fit)$est.std``.

    References
    ----------
    Jöreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor
    analysis. Psychometrika, 34, 183-202. Rosseel, Y. (2012). lavaan: An R package for
    structural equation modeling. Journal of Statistical Software, 48(2).
    """
    factors, items, pattern = _pattern(model)
    frame = complete_rows(item_frame(data, items, min_items=3), min_rows=len(items) + 1)
    n, p = frame.shape
    markers = [int(np.argmax(pattern[:, j])) for j in range(len(factors))]
    spec = _Model(pattern, markers)
    df = p * (p + 1) // 2 - spec.n_params
    if df < 0:
        raise AnalysisError(f"модель CFA не идентифицирована: степеней свободы {df}")
    values = frame.to_numpy()
    centred = values - values.mean(axis=0)
    s = centred.T @ centred / n
    sign, logdet_s = np.linalg.slogdet(s)
    if sign <= 0:
        raise AnalysisError("ковариационная матрица вопросов вырождена")
    bounds = [(None, None)] * (spec.n_params - p) + [(0.0, None)] * p
    result = minimize(
        _discrepancy,
        _start(spec, s),
        args=(spec, s, logdet_s),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 10000, "ftol": 1e-15, "gtol": 1e-10},
    )
    lam, phi, psi = spec.unpack(result.x)
    sigma = lam @ phi @ lam.T + np.diag(psi)
    chi_square = n * float(result.fun)
    baseline = n * (float(np.sum(np.log(np.diag(s)))) - logdet_s)
    df_baseline = p * (p - 1) // 2
    return CFAResult(
        n_obs=n,
        chi_square=chi_square,
        df=df,
        p_value=float(chdtrc(df, chi_square)) if df > 0 else float("nan"),
        cfi=float(_cfi(chi_square, df, baseline, df_baseline)),
        tli=float(_tli(chi_square, df, baseline, df_baseline)),
        rmsea=float(np.sqrt(max(chi_square - df, 0.0) / (df * n))) if df > 0 else 0.0,
        srmr=_srmr(s, sigma),
        loadings=labelled(lam, items, factors),
        std_loadings=labelled(
            lam * np.sqrt(np.diag(phi))[None, :] / np.sqrt(np.diag(sigma))[:, None],
            items,
            factors,
        ),
        factor_covariance=labelled(phi, factors, factors),
        residual_variances=pd.Series(psi, index=items, name="residual_variance"),
        converged=bool(result.success),
    )


def _cfi(x2: float, df: int, x2_base: float, df_base: int) -> float:
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2_base - df_base, 0.0)
    return 1.0 if t2 == 0.0 else 1.0 - t1 / t2


def _tli(x2: float, df: int, x2_base: float, df_base: int) -> float:
    if df == 0:
        return 1.0
    t1 = x2_base / df_base - x2 / df
    t2 = x2_base / df_base - 1.0
    return 1.0 if t1 < 0 and t2 < 0 else t1 / t2


def _srmr(s: np.ndarray, sigma: np.ndarray) -> float:
    def standardised(c: np.ndarray) -> np.ndarray:
        sd = np.sqrt(np.diag(c))
        return c / np.outer(sd, sd)

    lower = np.tril_indices(s.shape[0])
    residual = (standardised(s) - standardised(sigma))[lower]
    return float(np.sqrt(np.mean(residual**2)))
