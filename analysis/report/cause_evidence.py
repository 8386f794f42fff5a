"""A probable cause's evidence in plain words: how far the school is in the factor's risk zone,
with the figures it rests on, and what the district says of the factor and the share of «2»,
with its interval and what that interval means for the number of schools it rests on.

Two regimes, as :mod:`analysis.causes` computes them. With enough schools the district model
is fitted and its coefficient is read as the share of «2» it expects at the school's level of
risk against a school at the district's average, other factors and size held fixed:
``expit(l̄ + β c) − expit(l̄)`` with ``l̄`` the mean logit share of «2» of the district's
schools and ``c`` the school's composite, for β and both ends of its 95 % interval. With few
schools no model is fitted and the rank correlation over schools, with its bootstrap
interval, is the only evidence: the text says how wide that interval is and that a link is
not established when it takes in zero. The caution that an association is no proof of cause
is said once, after the list (templates/causes.html), not in every cause.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.causes import SHARE_FLOOR, Associations, DistrictModel
from analysis.report.factor_indicators import on_risk_side
from analysis.report.factor_parts import FactorPart
from analysis.report.russian import ru_count, ru_number, ru_plural
from analysis.risk import LEVEL_LABELS


def _number(value: float, digits: int = 2) -> str:
    return ru_number(value, digits)


def _schools_dative(n: int) -> str:
    """«по 12 школам», «по 21 школе»."""
    return f"{n} {ru_plural(n, 'школе', 'школам', 'школам')}"


def _points(value: float) -> str:
    """Percentage points with one decimal («1,3 процентного пункта»: a fraction takes the
    genitive singular)."""
    return f"{_number(value, 1)} процентного пункта"


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean_logit(outcomes: pd.Series | None) -> float | None:
    """The mean logit share of «2» of the district's schools, as the model reads them."""
    if outcomes is None:
        return None
    shares = outcomes.dropna().clip(SHARE_FLOOR, 1 - SHARE_FLOOR)
    if not len(shares):
        return None
    return float(np.log(shares / (1 - shares)).mean())


def distance_text(cause: pd.Series, part: FactorPart | None, against: str) -> str:
    """How far in the risk zone, and the figures that put the school there."""
    level = str(cause["level"])
    degree = "значительно" if level == "high" else "заметно"
    text = (
        f"риск по этому фактору {degree} выше среднего {against} (уровень — "
        f"{LEVEL_LABELS.get(level, level)}), и даже с учётом погрешности школа остаётся в зоне "
        "риска."
    )
    if part is None:
        return text
    worse = sorted(
        (line for line in part.indicators if not line.hidden and on_risk_side(line.risk)),
        key=lambda line: -(line.risk or 0.0),
    )[:2]
    if worse:
        figures = "; ".join(f"«{line.title}» — {line.compared(against)}" for line in worse)
        text += f" Главные показатели: {figures}."
    return text


def _strength(rho: float) -> str:
    size = abs(rho)
    if size < 0.1:
        return "практически отсутствует"
    word = "слабая" if size < 0.3 else "умеренная" if size < 0.5 else "сильная"
    return f"{word}, {'прямая' if rho > 0 else 'обратная'}"


def few_schools_text(cause: pd.Series, schools: int) -> str:
    """The rank correlation over few schools, its interval and what the interval means."""
    rho, low, high = (float(cause[c]) for c in ("rho", "rho_low", "rho_high"))
    if any(math.isnan(v) for v in (rho, low, high)):
        return (
            f"Связь фактора с долей «2» по {_schools_dative(schools)} района оценить нельзя: "
            "данных для этого недостаточно. Фактор назван по уровню риска школы."
        )
    text = (
        f"Связь фактора с долей «2» по {_schools_dative(schools)} района: {_number(rho)} по "
        f"шкале от −1 до 1 ({_strength(rho)}). Но при таком числе школ она оценивается "
        f"неточно: с учётом погрешности — от {_number(low)} до {_number(high)}."
    )
    if low <= 0 <= high:
        text += (
            " Такой интервал широк и включает ноль, то есть и отсутствие связи: связь фактора "
            "с результатами по данным района не установлена."
        )
    elif low > 0:
        text += (
            " Интервал выше нуля, но по такому числу школ это лишь признак связи, а не "
            "установленный факт."
        )
    else:
        text += (
            " Интервал ниже нуля: в школах района больший риск по этому фактору скорее "
            "сопровождается меньшей долей «2»."
        )
    return f"{text} Фактор назван по уровню риска школы."


def model_text(cause: pd.Series, model: DistrictModel, logit: float | None) -> str:
    """The district model's coefficient as the share of «2» it expects at the school's level
    of risk, with its interval and whether the link is established."""
    schools = ru_count(model.schools, "школа", "школы", "школ")
    if pd.isna(cause["beta"]):
        return (
            f"Связь этого фактора с долей «2» по данным района ({schools}) оценить не удалось. "
            "Фактор назван по уровню риска школы."
        )
    held = "с учётом остальных факторов и размера школы"
    if logit is None:
        effect = ""
    else:
        composite = float(cause["composite"])
        base = _expit(logit)
        low, mid, high = (
            100 * (_expit(logit + float(cause[c]) * composite) - base)
            for c in ("beta_low", "beta", "beta_high")
        )
        effect = (
            f"при таком уровне риска, как в школе, ожидаемая доля «2» на {_points(mid)} выше, "
            f"чем в школе со средним для района уровнем; с учётом погрешности — от "
            f"{_number(low, 1)} до {_number(high, 1)}"
        )
    if bool(cause["associated"]):
        found = f": {effect}" if effect else ""
        return (
            f"По данным района ({schools}), {held}, больший риск по этому фактору "
            f"сопровождается большей долей «2»{found}. Весь интервал выше нуля: связь по данным "
            "района подтверждена."
        )
    found = f" ({effect})" if effect else ""
    return (
        f"По данным района ({schools}), {held}, связь этого фактора с долей «2» не "
        f"подтверждена{found}: интервал включает ноль. Фактор назван по уровню риска школы."
    )


def cause_text(
    cause: pd.Series,
    title: str,
    part: FactorPart | None,
    *,
    model: DistrictModel | None,
    associations: Associations | None,
    outcomes: pd.Series | None,
    reference_name: str | None = None,
) -> str:
    """One probable cause, called ``title``, with its evidence."""
    against = "по району" if reference_name is None else f"по эталону «{reference_name}»"
    text = f"«{title}»: {distance_text(cause, part, against)}"
    if model is not None and model.fitted:
        return f"{text} {model_text(cause, model, mean_logit(outcomes))}"
    if associations is None:
        return text
    factor = str(cause["factor"])
    table = associations.table
    schools = int(table.at[factor, "n_schools"]) if factor in table.index else 0
    if model is not None:
        schools = schools or model.schools
    return f"{text} {few_schools_text(cause, schools)}"
