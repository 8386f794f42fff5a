"""A built-in question that says how many answers it takes («не более трёх») has that limit as a
rule (max_choices), not only as words a respondent may overlook."""

from __future__ import annotations

import re

from instruments.library import builtin_instruments
from instruments.schema import ItemType, text_in

NUMBERS = {"одного": 1, "двух": 2, "трёх": 3, "трех": 3, "четырёх": 4, "четырех": 4, "пяти": 5}
LIMIT = re.compile(r"не (?:более|больше) (\d+|" + "|".join(NUMBERS) + r")\b", re.IGNORECASE)


def _stated_limit(text: str) -> int | None:
    match = LIMIT.search(text)
    if match is None:
        return None
    word = match.group(1).lower()
    return int(word) if word.isdigit() else NUMBERS[word]


def test_every_stated_limit_is_a_rule() -> None:
    checked = 0
    for instrument in builtin_instruments():
        for section in instrument.sections:
            for item in section.items:
                words = text_in(item.text) + " " + (text_in(item.help) if item.help else "")
                stated = _stated_limit(words)
                if item.type is not ItemType.multiple_choice:
                    continue
                assert item.max_choices == stated, (
                    f"{instrument.code}.{item.code}: the text says {stated}, "
                    f"max_choices is {item.max_choices}"
                )
                checked += stated is not None
    assert checked >= 1  # the teachers' main_obstacles at least


def test_the_stated_limit_is_read() -> None:
    assert _stated_limit("Выберите не более трёх вариантов.") == 3
    assert _stated_limit("Отметьте не больше 2 ответов") == 2
    assert _stated_limit("Выберите все подходящие варианты") is None
