"""Russian grammar of the reference's generated text: nouns agreeing with numbers, dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


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
    """``n`` with its noun: «1 анкета», «3 анкеты», «150 анкет»."""
    return f"{n} {ru_plural(n, one, few, many)}"


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
