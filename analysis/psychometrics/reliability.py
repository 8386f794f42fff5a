"""Reliability of a scale: item statistics, Cronbach's alpha and McDonald's omega, as psych."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from analysis.psychometrics._common import (
    Use,
    complete_rows,
    correlation,
    covariance,
    item_frame,
    reverse_keyed,
)
from analysis.psychometrics.factors import extract, rotate, sign_and_order


def _corrected_item_total(c: np.ndarray) -> np.ndarray:
    """Each item's correlation with the sum of the other items, from their covariances."""
    total = c.sum()
    column = c.sum(axis=0)
    variance = np.diag(c)
    rest_variance = total - 2.0 * column + variance  # sum(C[-i, -i])
    return (column - variance) / np.sqrt(variance * rest_variance)


def _raw_alpha(c: np.ndarray) -> float:
    k = c.shape[0]
    return float((1.0 - np.trace(c) / c.sum()) * k / (k - 1))


def item_statistics(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    scale_range: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Descriptive statistics of each item of a scale.

    Parameters
    ----------
    data
        One row per respondent; numeric item columns (NaN for no answer).
    items
        The scale's items.
    reverse
        Items reversed as ``low + high - x`` before anything is computed.
    scale_range
        ``(low, high)`` of the response scale; if omitted, the smallest and largest answer
        observed over all the items (as ``psych::alpha`` reverses keys).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``n`` (answers), ``mean``, ``sd`` (n - 1), ``missing_share`` (of all
        rows), ``floor_share`` and ``ceiling_share`` (share of the answers at ``low`` and
        ``high``), ``r_drop``: the corrected item-total correlation, the correlation of the
        item with the sum of the other items, ``c_i,-i / sqrt(c_ii · Σ_{j,l≠i} c_jl)`` from the
        pairwise covariances; it matches ``psych::alpha(x, keys)$item.stats$r.drop``.
    """
    frame = item_frame(data, items)
    keyed = reverse_keyed(frame, reverse, scale_range)
    if scale_range is None:
        low, high = float(np.nanmin(keyed.to_numpy())), float(np.nanmax(keyed.to_numpy()))
    else:
        low, high = scale_range
    answered = keyed.notna().sum()
    table = pd.DataFrame(
        {
            "n": answered.astype("int64"),
            "mean": keyed.mean(),
            "sd": keyed.std(ddof=1),
            "missing_share": keyed.isna().mean(),
            "floor_share": (keyed == low).sum() / answered,
            "ceiling_share": (keyed == high).sum() / answered,
            "r_drop": _corrected_item_total(covariance(keyed)),
        },
        index=keyed.columns,
    )
    table.index.name = "item"
    return table


@dataclass(frozen=True)
class Alpha:
    """Cronbach's alpha of a scale, with the contribution of each item."""

    #: alpha from the covariances
    raw_alpha: float
    #: alpha from the correlations (standardised items)
    std_alpha: float
    #: mean inter-item correlation
    average_r: float
    #: per item: ``r_drop`` (corrected item-total r) and ``alpha_if_dropped`` (raw alpha)
    items: pd.DataFrame
    n_obs: int


def cronbach_alpha(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    use: Use = "pairwise",
) -> Alpha:
    """Cronbach's alpha, standardised alpha and alpha if an item is dropped, as ``psych::alpha``.

    Parameters
    ----------
    data
        One row per respondent; numeric item columns (NaN for no answer).
    items
        The scale's items (at least 2).
    reverse
        Reverse-keyed items (``psych::alpha(keys = reverse, check.keys = FALSE)``); reversing
        an item turns the sign of its covariances, so alpha does not depend on the constant.
    use
        ``"pairwise"``: each covariance over the respondents who answered both items
        (psych's default); ``"complete"``: only respondents who answered every item.

    Notes
    -----
    With ``C`` the k × k item covariances and ``R`` the correlations::

        raw_alpha = k / (k - 1) · (1 - tr(C) / ΣC)
        std_alpha = k / (k - 1) · (1 - k / ΣR)
        average_r = (ΣR - k) / (k (k - 1))

    ``alpha_if_dropped`` is ``raw_alpha`` of ``C`` without the item's row and column.
    Matches ``psych::alpha`` (``raw_alpha``, ``std.alpha``, ``average_r``,
    ``item.stats$r.drop``, ``alpha.drop$raw_alpha``).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
    """
    frame = item_frame(data, items)
    if use not in ("pairwise", "complete"):
        raise AnalysisError(f"use должен быть 'pairwise' или 'complete': {use}")
    if use == "complete":
        frame = complete_rows(frame, min_rows=3)
    keyed = reverse_keyed(frame, reverse)
    c = covariance(keyed)
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(sd, sd)
    k = c.shape[0]
    if k > 2:
        dropped = [_raw_alpha(np.delete(np.delete(c, i, 0), i, 1)) for i in range(k)]
    else:  # psych: C[1, 2] / C[2, 2] and C[1, 2] / C[1, 1]
        dropped = [c[0, 1] / c[1, 1], c[0, 1] / c[0, 0]]
    per_item = pd.DataFrame(
        {"r_drop": _corrected_item_total(c), "alpha_if_dropped": dropped}, index=keyed.columns
    )
    per_item.index.name = "item"
    return Alpha(
        raw_alpha=_raw_alpha(c),
        std_alpha=float((1.0 - k / r.sum()) * k / (k - 1)),
        average_r=float((r.sum() - k) / (k * (k - 1))),
        items=per_item,
        n_obs=int(keyed.notna().any(axis=1).sum()),
    )


@dataclass(frozen=True)
class Omega:
    """McDonald's omega of a scale and its Schmid-Leiman solution."""

    #: share of the total score variance due to all common factors
    omega_total: float
    #: share due to the general factor; None for a one-factor solution
    omega_hierarchical: float | None
    #: per item, after reversing ``reverse`` and ``flipped`` items: ``g`` and the group
    #: loadings ``F1*..Fk*`` (omitted for one factor), ``h2``, ``u2``
    loadings: pd.DataFrame
    n_factors: int
    #: items reversed because they load negatively on the general factor (psych ``flip``)
    flipped: tuple[str, ...]


def omega(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    n_factors: int = 1,
    reverse: Sequence[str] = (),
) -> Omega:
    """Omega total and (for several factors) omega hierarchical, as ``psych::omega``.

    Parameters
    ----------
    data
        One row per respondent; numeric item columns (NaN for no answer).
    items
        The scale's items.
    n_factors
        Group factors of the Schmid-Leiman solution; 1 gives omega total only.
    reverse
        Reverse-keyed items (their correlations change sign).

    Notes
    -----
    Pairwise correlations ``R``; a minres solution with ``n_factors`` factors, varimax then
    oblimin (GPArotation) rotated; the general factor is a one-factor minres solution of the
    factor correlations (for two factors both g loadings are ``sqrt(|φ12|)``, psych's
    ``option = "equal"``); items whose g loading is negative are reversed (``flip = TRUE``).
    With ``g`` the general loadings and ``u2 = 1 - h2`` the uniquenesses::

        omega_hierarchical = (Σ g)² / ΣR
        omega_total = (ΣR - Σ u2) / ΣR

    For one factor ``g`` is the factor itself. Matches ``psych::omega(x, nfactors, fm =
    "minres")$omega.tot`` and ``$omega_h``.

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Zinbarg, R. E., Revelle, W.,
    Yovel, I., & Li, W. (2005). Cronbach's α, Revelle's β, and McDonald's ω_H. Psychometrika,
    70, 123-133. Schmid, J., & Leiman, J. M. (1957). Psychometrika, 22, 53-61.
    """
    frame = item_frame(data, items, min_items=3)
    unknown = [name for name in reverse if name not in frame.columns]
    if unknown:
        raise AnalysisError(f"обратные вопросы не входят в items: {', '.join(unknown)}")
    if not isinstance(n_factors, int | np.integer) or not 1 <= n_factors < frame.shape[1]:
        raise AnalysisError(f"число факторов должно быть от 1 до {frame.shape[1] - 1}")
    keys = np.where(frame.columns.isin(list(reverse)), -1.0, 1.0)
    core = _omega_core(correlation(frame) * np.outer(keys, keys), n_factors)
    g, oblique, general, h2, u2, flip, total = core
    table = {"g": g}
    if n_factors > 1:
        group = oblique**2 * (1.0 - general**2)
        group = np.sign(oblique) * np.sqrt(np.maximum(group, 0.0)) * flip[:, None]
        table |= {f"F{j + 1}*": group[:, j] for j in range(n_factors)}
    table |= {"h2": h2, "u2": u2}
    return Omega(
        omega_total=float((total - u2.sum()) / total),
        omega_hierarchical=None if n_factors == 1 else float(g.sum() ** 2 / total),
        loadings=pd.DataFrame(table, index=frame.columns),
        n_factors=n_factors,
        flipped=tuple(frame.columns[flip < 0]),
    )


def _omega_core(
    r: np.ndarray, n_factors: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """:func:`omega`'s computation on the keyed correlations: ``g``, the oblique loadings,
    the general loadings, ``h2``, ``u2``, the flips and ``ΣR`` after flipping."""
    unrotated, _ = extract(r, n_factors, "minres")
    orthogonal, _ = sign_and_order(*rotate(unrotated, "varimax"))
    if n_factors == 1:
        oblique, general = orthogonal, np.array([1.0])
    else:
        oblique, oblique_phi = rotate(orthogonal, "oblimin")
        phi = np.eye(n_factors) if oblique_phi is None else oblique_phi
        if n_factors == 2:
            general = np.sqrt(abs(phi[0, 1])) * np.array([1.0, np.sign(phi[0, 1])])
        else:
            general = extract(phi, 1, "minres")[0][:, 0]
    g = oblique @ general
    h2 = np.sum(orthogonal**2, axis=1)
    u2 = 1.0 - h2
    flip = np.where(g < 0, -1.0, 1.0)
    r = r * np.outer(flip, flip)
    return g * flip, oblique, general, h2, u2, flip, float(r.sum())


def scale_coefficients(
    data: pd.DataFrame, *, items: Sequence[str], with_omega: bool
) -> tuple[float, float | None]:
    """``cronbach_alpha(data, items=items).raw_alpha`` and, ``with_omega``,
    ``omega(data, items=items).omega_total``: the same numbers by the same steps, for a table
    of many scales (the reference's appendix), without the per-item tables and with the
    items read once. Pairwise; no reverse keys (``data`` is keyed already).

    Raises :class:`AnalysisError` where :func:`cronbach_alpha` would; ω is None where
    :func:`omega` would raise (fewer than three items, a pair of items without a
    correlation), α being kept.
    """
    frame = item_frame(data, items)
    alpha = _raw_alpha(covariance(frame))
    if not with_omega or frame.shape[1] < 3:
        return alpha, None
    try:
        _, _, _, _, u2, _, total = _omega_core(correlation(frame), 1)
    except AnalysisError:
        return alpha, None
    return alpha, float((total - u2.sum()) / total)
