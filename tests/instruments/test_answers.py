"""Answer validation against an instrument: types, ranges, options, required items."""

from __future__ import annotations

import pytest

from instruments.answers import validate_answers
from instruments.errors import AnswerErrors
from instruments.library import builtin


@pytest.fixture(scope="module")
def student():  # type: ignore[no-untyped-def]
    return builtin("student_5_11")


@pytest.fixture(scope="module")
def admin_form():  # type: ignore[no-untyped-def]
    return builtin("administration")


def test_form_strings_become_typed_answers(student) -> None:  # type: ignore[no-untyped-def]
    clean = validate_answers(
        student, {"grade": "7", "mot_int_1": "3", "home_language": "2", "bel_1": ""}
    )
    assert clean == {"grade": 7, "mot_int_1": 3, "home_language": 2}


def test_every_kind_of_bad_answer_is_reported_by_item(student) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnswerErrors) as info:
        validate_answers(
            student,
            {"grade": "12", "mot_int_1": "5", "bel_1": ["1", "2"], "hacker": "1"},
        )
    errors = info.value.errors
    assert errors["grade"] == "класс должен быть от 5 до 11"
    assert errors["mot_int_1"] == "выбран вариант, которого нет в списке"
    assert errors["bel_1"] == "допускается только один ответ"
    assert errors["hacker"] == "такого вопроса нет в анкете"


def test_required_item_missing(student) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnswerErrors) as info:
        validate_answers(student, {"mot_int_1": "3"})
    assert info.value.errors == {"grade": "это обязательный вопрос"}


def test_numbers_respect_range_and_integrality(admin_form) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnswerErrors) as info:
        validate_answers(
            admin_form,
            {"share_sen": "101", "teacher_posts_vacant": "2.5", "enrolment_total": "много"},
            require=False,
        )
    errors = info.value.errors
    assert errors["share_sen"] == "число должно быть не больше 100"
    assert errors["teacher_posts_vacant"] == "введите целое число"
    assert errors["enrolment_total"] == "введите число"
    clean = validate_answers(
        admin_form, {"share_sen": "7", "enrolment_total": "1 2".replace(" ", "")}, require=False
    )
    assert clean == {"share_sen": 7, "enrolment_total": 12}


def test_nan_and_infinity_are_not_numbers(admin_form) -> None:  # type: ignore[no-untyped-def]
    for bad in ("nan", "inf", "-Infinity"):
        with pytest.raises(AnswerErrors):
            validate_answers(admin_form, {"share_sen": bad}, require=False)


def test_text_length_is_limited() -> None:
    teacher = builtin("teacher")
    long_items = [i for i in teacher.items() if i.type.value == "long_text"]
    assert long_items, "the teacher form has a free-text comment"
    code = long_items[0].code
    with pytest.raises(AnswerErrors) as info:
        validate_answers(teacher, {code: "я" * 5000}, require=False)
    assert "длиннее" in info.value.errors[code]
