"""Validation of one respondent's answers against an instrument version (web form, imports)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from instruments.errors import AnswerErrors
from instruments.schema import Instrument, Item, ItemType

MAX_TEXT = {ItemType.text: 300, ItemType.long_text: 4000}
Answer = int | float | str | list[int | str]


_GENITIVE = ("одного", "двух", "трёх", "четырёх", "пяти", "шести", "семи", "восьми", "девяти")


def too_many_choices(limit: int) -> str:
    """The message for more choices than ``limit`` (the page script shows the same words)."""
    if limit <= len(_GENITIVE):
        count = _GENITIVE[limit - 1]
        return f"можно выбрать не больше {count} {'варианта' if limit == 1 else 'вариантов'}"
    return f"можно выбрать не больше {limit} вариантов"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v not in (None, "")]
    return [value] if value != "" else []


def _option_value(instrument: Instrument, item: Item, raw: Any) -> int | str | None:
    return instrument.option_values(item).get(str(raw).strip())


def clean_answer(instrument: Instrument, item: Item, raw: Any) -> Answer | None:
    """One answer in its stored type, ``None`` if unanswered; ValueError with a Russian message."""
    values = _as_list(raw)
    if not values:
        return None
    if item.type is ItemType.multiple_choice:
        chosen: list[int | str] = []
        for v in values:
            option = _option_value(instrument, item, v)
            if option is None:
                raise ValueError("выбран вариант, которого нет в списке")
            if option not in chosen:
                chosen.append(option)
        if item.max_choices is not None and len(chosen) > item.max_choices:
            raise ValueError(too_many_choices(item.max_choices))
        return chosen
    if len(values) > 1:
        raise ValueError("допускается только один ответ")
    value = values[0]
    if item.type in (ItemType.likert, ItemType.single_choice, ItemType.class_letter):
        option = _option_value(instrument, item, value)
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
    return _validate(instrument, list(instrument.items()), raw, {}, require=require)


def validate_section(
    instrument: Instrument,
    section_index: int,
    raw: Mapping[str, Any],
    earlier: Mapping[str, Any],
    *,
    require: bool = True,
) -> dict[str, Answer]:
    """Clean the answers to one section (one page of the questionnaire).

    ``earlier`` holds the clean answers of the sections before it, which relevance conditions
    may refer to. Keys that are not items of this section are errors.
    """
    section = instrument.sections[section_index]
    items = [a for item in section.items for a in instrument.answerable(item)]
    return _validate(instrument, items, raw, earlier, require=require)


def _validate(
    instrument: Instrument,
    items: list[Item],
    raw: Mapping[str, Any],
    earlier: Mapping[str, Any],
    *,
    require: bool,
) -> dict[str, Answer]:
    codes = {item.code for item in items}
    errors: dict[str, str] = {}
    for key in raw:
        if key not in codes:
            errors[key] = "такого вопроса нет в анкете"
    context: dict[str, Any] = dict(earlier)
    clean: dict[str, Answer] = {}
    conditions = instrument.conditions
    for item in items:
        condition = conditions.get(item.code)
        # Conditions refer to earlier items only, so ``context`` already holds what they need.
        # An answer to a question that does not apply is dropped, not an error: without
        # JavaScript the respondent saw every question.
        if condition is not None and not condition(context):
            continue
        try:
            value = clean_answer(instrument, item, raw.get(item.code))
        except ValueError as exc:
            errors[item.code] = str(exc)
            continue
        if value is None:
            if require and item.required:
                errors[item.code] = "это обязательный вопрос"
            continue
        clean[item.code] = value
        context[item.code] = value
    if errors:
        raise AnswerErrors(errors)
    return clean
