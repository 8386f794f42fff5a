"""Data-quality flags: too fast to have read, straight-lining."""

from __future__ import annotations

from instruments.library import builtin
from instruments.quality import STRAIGHT_LINING, TOO_FAST, quality_flags, reading_seconds


def _answers(value: int = 3) -> dict[str, int]:
    student = builtin("student_5_11")
    return {i.code: value for i in student.items() if i.response_scale == "agree4"}


def test_careful_answers_are_not_flagged() -> None:
    student = builtin("student_5_11")
    answers = _answers()
    answers["mot_int_1"] = 4  # not all the same
    assert reading_seconds(student, answers) > 30
    assert quality_flags(student, answers, duration_seconds=600) == []


def test_too_fast_and_straight_lined() -> None:
    student = builtin("student_5_11")
    answers = _answers()
    assert quality_flags(student, answers, duration_seconds=5) == [TOO_FAST, STRAIGHT_LINING]
    assert quality_flags(student, answers, duration_seconds=None) == [STRAIGHT_LINING]
    few = dict(list(answers.items())[:5])
    assert quality_flags(student, few, duration_seconds=600) == []  # a short block is no sign
