"""Relevance conditions: parsed safely, type-checked against the instrument, evaluated."""

from __future__ import annotations

import pytest
import yaml

from instruments.answers import validate_answers
from instruments.errors import AnswerErrors, InstrumentError
from instruments.expressions import ExpressionError, compile_condition
from instruments.schema import parse_instrument

KINDS = {
    "grade": ("number", False),
    "lang": ("number", False),
    "city": ("text", False),
    "sports": ("number", True),
}


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("grade >= 9", {"grade": 9}, True),
        ("grade >= 9", {"grade": 8}, False),
        ("grade >= 9", {}, False),  # unanswered: the dependent question stays hidden
        ("lang in [2, 3]", {"lang": 3}, True),
        ("lang not in [2, 3]", {"lang": 1}, True),
        ("lang not in [2, 3]", {}, False),
        ("not (grade < 5 or grade > 9)", {"grade": 7}, True),
        ("grade = 5 AND lang != 1", {"grade": 5, "lang": 2}, True),
        ("answered(city)", {"city": "Берёзовка"}, True),
        ("answered(city)", {"city": ""}, False),
        ("selected(sports, 2) or selected(sports, 3)", {"sports": [1, 3]}, True),
        ("selected(sports, 2)", {"sports": [1]}, False),
        ("city = 'Берёзовка'", {"city": "Берёзовка"}, True),
    ],
)
def test_conditions_evaluate(text: str, answers: dict, expected: bool) -> None:
    assert compile_condition(text, KINDS)(answers) is expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("grade >= ", "ожидалось значение", 10),
        ("nope = 1", "неизвестный вопрос 'nope'", 1),
        ("grade = 'девять'", "сравнение числа с текстом", 7),
        ("grade", "условие должно быть сравнением", 1),
        ("sports = 1", "используйте selected(sports", 1),
        ("selected(grade, 1)", "только к вопросу с несколькими ответами", 1),
        ("grade = 1 )", "лишнее «)»", 11),
        ("grade ; 1", "непонятный символ «;»", 7),
        ("__import__('os').system('x')", "непонятный символ «.»", 17),
        ("lang in [1, 2", "ожидалось «]»", 14),
    ],
)
def test_bad_conditions_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_condition(text, KINDS)
    assert message in info.value.message
    assert info.value.position == position


def _instrument(relevant: str):  # type: ignore[no-untyped-def]
    return parse_instrument(
        yaml.safe_load(f"""
code: r
title: Т
audience: student
grades: [5, 11]
sections:
  - code: s
    title: Р
    items:
      - {{code: grade, type: grade, required: true, text: Класс}}
      - {{code: exam, type: single_choice, required: true, text: Экзамен,
          relevant: "{relevant}",
          options: [{{value: 1, label: ОГЭ}}, {{value: 2, label: ЕГЭ}}]}}
""")
    )


def test_condition_errors_in_an_instrument_name_the_item() -> None:
    with pytest.raises(InstrumentError) as info:
        _instrument("grade >= 'девять'")
    assert "sections[0].items[1].relevant: условие показа: сравнение числа с текстом" in str(
        info.value
    )
    with pytest.raises(InstrumentError, match="неизвестный вопрос 'exam'"):
        _instrument("exam = 1")  # its own (or a later) answer cannot decide


def test_required_only_when_relevant_and_irrelevant_answers_dropped() -> None:
    instrument = _instrument("grade >= 9")
    assert validate_answers(instrument, {"grade": "7", "exam": "2"}) == {"grade": 7}
    with pytest.raises(AnswerErrors) as info:
        validate_answers(instrument, {"grade": "9"})
    assert info.value.errors == {"exam": "это обязательный вопрос"}
    assert validate_answers(instrument, {"grade": "11", "exam": "2"}) == {"grade": 11, "exam": 2}
