"""Data-quality flags: too fast to have read, straight-lining."""

from __future__ import annotations

from typing import Any

from instruments.library import builtin
from instruments.quality import (
    MIN_ITEMS_FOR_STRAIGHT_LINING,
    STRAIGHT_LINING,
    TOO_FAST,
    quality_flags,
    reading_seconds,
    straight_lining_blocks,
)
from instruments.schema import parse_instrument

STUDENT = builtin("student_5_11")


def _agree4(value: int | None = None) -> dict[str, int]:
    """Every agree4 item of the student form: all ``value``, or varied (1 2 3 4 1 2 …)."""
    codes = [i.code for i in STUDENT.items() if i.response_scale == "agree4"]
    return {c: value if value is not None else n % 4 + 1 for n, c in enumerate(codes)}


def test_careful_answers_are_not_flagged() -> None:
    answers = _agree4()
    assert reading_seconds(STUDENT, answers) > 30
    assert quality_flags(STUDENT, answers, duration_seconds=600) == []


def test_too_fast_and_straight_lined() -> None:
    answers = _agree4(3)
    assert quality_flags(STUDENT, answers, duration_seconds=5) == [TOO_FAST, STRAIGHT_LINING]
    assert quality_flags(STUDENT, answers, duration_seconds=None) == [STRAIGHT_LINING]
    few = dict(list(answers.items())[:5])
    assert quality_flags(STUDENT, few, duration_seconds=600) == []  # a short block is no sign


def test_one_straight_lined_page_is_enough() -> None:
    """The ten motivation questions (reverse-keyed ones among them) all "3", the rest of
    the form answered with care: flagged. Seven of them alike are not."""
    motivation = next(s for s in STUDENT.sections if s.code == "motivation")
    codes = [i.code for i in motivation.items if i.response_scale == "agree4"]
    assert len(codes) >= MIN_ITEMS_FOR_STRAIGHT_LINING
    answers = {**_agree4(), **dict.fromkeys(codes, 3)}
    assert quality_flags(STUDENT, answers, duration_seconds=600) == [STRAIGHT_LINING]
    answers = {**_agree4(), **dict.fromkeys(codes[: MIN_ITEMS_FOR_STRAIGHT_LINING - 1], 3)}
    assert quality_flags(STUDENT, answers, duration_seconds=600) == []


def _with_matrix(rows: int) -> Any:
    return parse_instrument(
        {
            "code": "grid_form",
            "version": 1,
            "title": "Матрица",
            "audience": "teacher",
            "response_scales": [
                {"code": "agree3", "options": [{"value": v, "label": f"{v}"} for v in (1, 2, 3)]}
            ],
            "sections": [
                {
                    "code": "a",
                    "title": "Первая",
                    "items": [
                        {
                            "code": f"q{n}",
                            "type": "likert",
                            "response_scale": "agree3",
                            "text": f"Вопрос {n}",
                        }
                        for n in range(6)
                    ],
                },
                {
                    "code": "b",
                    "title": "Вторая",
                    "items": [
                        {
                            "code": "grid",
                            "type": "matrix",
                            "response_scale": "agree3",
                            "text": "Согласны ли вы?",
                            "rows": [{"code": f"r{n}", "text": f"Строка {n}"} for n in range(rows)],
                        }
                    ],
                },
            ],
        }
    )


def test_a_long_matrix_straight_lined_among_varied_answers_on_its_scale() -> None:
    form = _with_matrix(MIN_ITEMS_FOR_STRAIGHT_LINING)
    assert [f"r{n}" for n in range(MIN_ITEMS_FOR_STRAIGHT_LINING)] in straight_lining_blocks(form)
    varied = {f"q{n}": n % 3 + 1 for n in range(6)}
    grid = {f"r{n}": 2 for n in range(MIN_ITEMS_FOR_STRAIGHT_LINING)}
    assert quality_flags(form, {**varied, **grid}, None) == [STRAIGHT_LINING]
    grid["r0"] = 3
    assert quality_flags(form, {**varied, **grid}, None) == []
    short = _with_matrix(MIN_ITEMS_FOR_STRAIGHT_LINING - 2)
    same = {f"r{n}": 2 for n in range(MIN_ITEMS_FOR_STRAIGHT_LINING - 2)}
    assert quality_flags(short, {**varied, **same}, None) == []  # a short grid is no sign
