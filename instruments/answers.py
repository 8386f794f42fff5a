"""Validation of one respondent's answers against an instrument version (web form, imports)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from instruments.errors import AnswerErrors
from instruments.schema import Instrument, Item, ItemType

MAX_TEXT = {ItemType.text: 300, ItemType.long_text: 4000}
Answer = int | float | str | list[int | str]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v not in (None, "")]
    return [value] if value != "" else []


def _option_value(item_options: list[Any], raw: Any) -> int | str | None:
    for option in item_options:
        if str(option.value) == str(raw).strip():
            return option.value
    return None


def clean_answer(instrument: Instrument, item: Item, raw: Any) -> Answer | None:
    """One answer in its stored type, ``None`` if unanswered; ValueError with a Russian message."""
    values = _as_list(raw)
    if not values:
        return None
    if item.type is ItemType.multiple_choice:
        chosen: list[int | str] = []
        for v in values:
            option = _option_value(instrument.options_for(item), v)
            if option is None:
                raise ValueError("выбран вариант, которого нет в списке")
            if option not in chosen:
                chosen.append(option)
        if item.max_choices is not None and len(chosen) > item.max_choices:
            raise ValueError(f"можно выбрать не больше {item.max_choices}")
        return chosen
    if len(values) > 1:
        raise ValueError("допускается только один ответ")
    value = values[0]
    if item.type in (ItemType.likert, ItemType.single_choice, ItemType.class_letter):
        option = _option_value(instrument.options_for(item), value)
        if option is None:
            raise ValueError("выбран вариант, которого нет в списке")
        return option
    if item.type is ItemType.grade:
        try:
            grade = int(str(value).strip())
        except ValueError:
            raise ValueError("укажите класс числом") from None
        low, high = instrument.grades or (1, 11)
        if not low <= grade <= high:
            raise ValueError(f"класс должен быть от {low} до {high}")
        return grade
    if item.type is ItemType.number:
        text = str(value).strip().replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValueError("введите число") from None
        if not math.isfinite(number):
            raise ValueError("введите число")
        if item.integer:
            if number != int(number):
                raise ValueError("введите целое число")
            number = int(number)
        if item.min is not None and number < item.min:
            raise ValueError(f"число должно быть не меньше {item.min:g}")
        if item.max is not None and number > item.max:
            raise ValueError(f"число должно быть не больше {item.max:g}")
        return number
    text = str(value).strip()
    limit = MAX_TEXT[item.type]
    if len(text) > limit:
        raise ValueError(f"ответ длиннее {limit} символов")
    return text or None


def validate_answers(
    instrument: Instrument, raw: Mapping[str, Any], *, require: bool = True
) -> dict[str, Answer]:
    """Clean every answer; unknown items, wrong values and missing required answers are errors.

    Raises
    ------
    AnswerErrors
        Mapping each offending item code (or the unknown key) to a Russian message.
    """
    items = instrument.items_by_code()
    errors: dict[str, str] = {}
    for key in raw:
        if key not in items:
            errors[key] = "такого вопроса нет в анкете"
    clean: dict[str, Answer] = {}
    conditions = instrument.conditions
    for code, item in items.items():
        condition = conditions.get(code)
        # Conditions refer to earlier items only, so ``clean`` already holds what they need.
        # An answer to a question that does not apply is dropped, not an error: without
        # JavaScript the respondent saw every question.
        if condition is not None and not condition(clean):
            continue
        try:
            value = clean_answer(instrument, item, raw.get(code))
        except ValueError as exc:
            errors[code] = str(exc)
            continue
        if value is None:
            if require and item.required:
                errors[code] = "это обязательный вопрос"
            continue
        clean[code] = value
    if errors:
        raise AnswerErrors(errors)
    return clean
