"""Russian grammar and typography of the reference's generated text: nouns agreeing with
numbers, dates, and numbers as a Russian document prints them.

One typography for every number of the reference (the text builders and the templates'
filters alike): a decimal comma, the minus sign «−» (U+2212, not a hyphen), a no-break space
between thousands («1 301») and before «%» and «п. п.», an en dash in a range of values
(«12–15») and a dash «—» where there is no value. Nothing here prints «nan», «None» or «inf».
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

#: the minus sign (U+2212): a hyphen is not a minus in print
MINUS = "\u2212"
#: a no-break space: between a number's thousands, before «%», inside «п. п.»
NBSP = "\u00a0"
#: an en dash: a range of values («12–15», «5–9 классы»)
EN_DASH = "\u2013"
#: what a cell without a value shows
NO_VALUE = "—"
#: percentage points, kept on the line of their number
POINTS = f"{NBSP}п.{NBSP}п."


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """The form of a noun that agrees with ``n``: ``one`` after 1, 21, 101 (but not 11, 111),
    ``few`` after 2–4, 22–24 (but not 12–14), ``many`` after 0, 5–20, 25–30 and so on:
    ``ru_plural(41, "вопрос", "вопроса", "вопросов")`` is "вопрос" («41 вопрос»). Negative
    numbers agree as their absolute value."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def ru_count(n: int, one: str, few: str, many: str) -> str:
    """``n`` with its noun: «1 анкета», «3 анкеты», «150 анкет», «1 301 анкета»."""
    return f"{ru_int(n)} {ru_plural(n, one, few, many)}"


def _finite(value: object) -> float | None:
    """``value`` as a float, or None for no value (None, NaN, ±inf, not a number)."""
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def ru_number(value: object, digits: int = 2, *, sign: bool = False) -> str:
    """A number as a Russian document prints it: ``digits`` decimals after a comma, the
    thousands apart («12 345,6»), «−» for a minus; with ``sign`` a «+» before a positive
    number (a change). A number that rounds to zero has no sign («0,00», never «−0,00»).
    «—» for no value (None, NaN, ±inf)."""
    number = _finite(value)
    if number is None:
        return NO_VALUE
    text = f"{abs(number):,.{max(digits, 0)}f}".replace(",", NBSP).replace(".", ",")
    if not any(c in "123456789" for c in text):
        return text
    if number < 0:
        return f"{MINUS}{text}"
    return f"+{text}" if sign else text


def ru_int(value: object) -> str:
    """A count: a whole number («7», «1 301»), rounded if need be; «—» for no value."""
    return ru_number(value, 0)


def ru_percent(share: object, digits: int = 0, *, sign: bool = False) -> str:
    """A share (0–1) in percent: «43 %», «8,3 %» with ``digits`` = 1; «—» for no value."""
    number = _finite(share)
    if number is None:
        return NO_VALUE
    return f"{ru_number(number * 100, digits, sign=sign)}{NBSP}%"


def ru_points(change: object, digits: int = 1) -> str:
    """A change of a share (0–1) in percentage points, signed: «+1,2 п. п.», «−2,0 п. п.»,
    «0,0 п. п.»; «—» for no value."""
    number = _finite(change)
    if number is None:
        return NO_VALUE
    return f"{ru_number(number * 100, digits, sign=True)}{POINTS}"


def ru_range(low: object, high: object, digits: int = 2) -> str:
    """A range of values: «2,31–2,53» (an en dash, no spaces); «от −0,12 до 0,30» when a
    bound is negative (a dash beside a minus reads as a double sign); «—» when a bound is
    missing."""
    first, last = ru_number(low, digits), ru_number(high, digits)
    if NO_VALUE in (first, last):
        return NO_VALUE
    if first.startswith(MINUS) or last.startswith(MINUS):
        return f"от {first} до {last}"
    return f"{first}{EN_DASH}{last}"


def ru_yes_no(value: object) -> str:
    """A yes/no fact as a word: «да», «нет»; «—» for no value."""
    if value is None or (_finite(value) is None and not isinstance(value, bool)):
        return NO_VALUE
    return "да" if bool(value) else "нет"


def ru_date(day: dt.date) -> str:
    """A date as Russian documents write it: 02.11.2026."""
    return f"{day:%d.%m.%Y}"


def ru_dates(first: dt.date, last: dt.date) -> str:
    """A period of days: 02.11.2026–31.01.2027 (one date when both are the same day)."""
    return ru_date(first) if first == last else f"{ru_date(first)}–{ru_date(last)}"


def ru_join(items: Sequence[str]) -> str:
    """A list as a sentence has it: «a», «a и b», «a, b и c»."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} и {items[-1]}"


def ru_grades(low: int, high: int, *, genitive: bool = False) -> str:
    """Grades as a справка names them: «5–9 классы», «7 класс»; in the genitive «5–9
    классов», «7 класса» («обучающиеся 5–9 классов»)."""
    grades = f"{low}–{high}" if low != high else f"{low}"
    if low == high:
        return f"{grades} класса" if genitive else f"{grades} класс"
    return f"{grades} классов" if genitive else f"{grades} классы"
