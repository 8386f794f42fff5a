"""Shared preparation of item data for the psychometric functions: selection, keying, matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError

Use = Literal["pairwise", "complete"]


def item_frame(
    data: pd.DataFrame, items: Sequence[str] | None, *, min_items: int = 2
) -> pd.DataFrame:
    """The item columns of ``data`` as float64, in the order given (all columns if ``None``)."""
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError("ожидается таблица pandas.DataFrame с ответами")
    names = [str(c) for c in data.columns] if items is None else [str(i) for i in items]
    if len(set(names)) != len(names):
        raise AnalysisError("вопросы повторяются в списке items")
    absent = [name for name in names if name not in data.columns]
    if absent:
        raise AnalysisError(f"нет столбцов вопросов: {', '.join(absent)}")
    if len(names) < min_items:
        raise AnalysisError(f"нужно не меньше {min_items} вопросов, дано {len(names)}")
    out = {}
    constant = []
    for name in names:
        column = data[name]
        if not (pd.api.types.is_numeric_dtype(column) or column.isna().all()):
            raise AnalysisError(f"вопрос {name}: ответы не числовые")
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        answered = values[~np.isnan(values)]
        # (a standard deviation above zero: two answers that differ; checked on the array,
        # as the reference's appendix computes α and ω for every scale of every form)
        if len(answered) < 2 or answered.min() == answered.max():
            constant.append(name)
        out[name] = values
    if constant:
        raise AnalysisError(f"у вопросов нет разброса ответов: {', '.join(constant)}")
    return pd.DataFrame(out, index=data.index)


def reverse_keyed(
    frame: pd.DataFrame, reverse: Sequence[str], scale_range: tuple[float, float] | None = None
) -> pd.DataFrame:
    """Reverse ``reverse`` items as ``low + high - x``.

    ``low`` and ``high`` are the ends of ``scale_range`` if given, otherwise the smallest and
    largest answer observed over *all* the items, as ``psych::alpha`` does with ``keys``.
    """
    unknown = [name for name in reverse if name not in frame.columns]
    if unknown:
        raise AnalysisError(f"обратные вопросы не входят в items: {', '.join(unknown)}")
    if not reverse:
        return frame
    if scale_range is None:
        low, high = float(np.nanmin(frame.to_numpy())), float(np.nanmax(frame.to_numpy()))
    else:
        low, high = scale_range
    keyed = frame.copy()
    for name in reverse:
        keyed[name] = low + high - frame[name]
    return keyed


def complete_rows(frame: pd.DataFrame, *, min_rows: int) -> pd.DataFrame:
    """Rows with every item answered; at least ``min_rows`` of them."""
    complete = frame.dropna()
    if len(complete) < min_rows:
        raise AnalysisError(
            f"слишком мало полностью заполненных анкет: {len(complete)} (нужно {min_rows})"
        )
    return complete


def correlation(frame: pd.DataFrame) -> np.ndarray:
    """Pearson correlations, each pair over the rows where both items are answered.

    The same as R's ``cor(x, use = "pairwise")``; on complete data it is the ordinary matrix.
    """
    values = frame.to_numpy(dtype=float)
    if not np.isnan(values).any():
        r = np.corrcoef(values, rowvar=False)
    else:
        r = frame.corr(method="pearson").to_numpy()
    if np.isnan(r).any():
        raise AnalysisError("есть пары вопросов без общих ответов: корреляция не определена")
    return np.asarray(r, dtype=float)


def covariance(frame: pd.DataFrame) -> np.ndarray:
    """Covariances (divisor n - 1), each pair over the rows where both items are answered."""
    values = frame.to_numpy(dtype=float)
    c = frame.cov().to_numpy() if np.isnan(values).any() else np.cov(values, rowvar=False)
    if np.isnan(c).any():
        raise AnalysisError("есть пары вопросов без общих ответов: ковариация не определена")
    return np.asarray(c, dtype=float)


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1 / diag(R^-1)``, clipped to [0, 1] as ``psych::smc``."""
    inverse = np.linalg.pinv(r, hermitian=True)
    values = 1.0 - 1.0 / np.diag(inverse)
    return np.clip(values, 0.0, 1.0)


def labelled(matrix: np.ndarray, index: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """A matrix with row and column labels."""
    return pd.DataFrame(np.asarray(matrix, dtype=float), index=list(index), columns=list(columns))
