"""The definition language: the built-in library validates; broken files say where and what."""

from __future__ import annotations

import pytest
import yaml

from instruments.errors import InstrumentError
from instruments.io.yaml_io import dump_yaml, load_yaml
from instruments.library import builtin, builtin_instruments, library_files
from instruments.schema import Audience, parse_instrument

MINIMAL = """
code: tiny
title: Маленькая анкета
audience: student
response_scales:
  - code: yes_no
    options:
      - {value: 1, label: "Нет"}
      - {value: 2, label: "Да"}
sections:
  - code: main
    title: Основное
    items:
      - {code: q1, type: likert, response_scale: yes_no, text: "Вопрос 1"}
      - {code: q2, type: likert, response_scale: yes_no, text: "Вопрос 2", reverse: true}
scales:
  - {code: s1, title: Шкала, items: [q1, q2], higher_is: risk}
"""


def test_every_builtin_instrument_validates_and_covers_the_four_audiences() -> None:
    instruments = builtin_instruments()
    assert len(instruments) == len(library_files()) >= 4
    audiences = {i.audience for i in instruments}
    assert {
        Audience.student,
        Audience.parent,
        Audience.teacher,
        Audience.administration,
    } <= audiences
    for instrument in instruments:
        codes = [item.code for item in instrument.items()]
        assert len(codes) == len(set(codes))
        assert instrument.title["ru"] and instrument.title.get("en")


def test_student_questionnaire_has_its_scales() -> None:
    student = builtin("student_5_11")
    assert student.grades == (5, 11)
    scales = {s.code: s for s in student.scales}
    assert {"bullying", "amotivation", "classroom_disorder", "belonging"} <= set(scales)
    assert scales["bullying"].prevalence is not None
    assert scales["bullying"].higher_is == "risk"


def test_yaml_round_trip_keeps_the_definition() -> None:
    for instrument in builtin_instruments():
        again = load_yaml(dump_yaml(instrument))
        assert again == instrument


def _broken(text: str) -> InstrumentError:
    with pytest.raises(InstrumentError) as info:
        load_yaml(text, source="broken.yaml")
    return info.value


def test_minimal_definition_is_valid() -> None:
    tiny = load_yaml(MINIMAL)
    assert [s.code for s in tiny.scales] == ["s1"]
    assert tiny.item_range(tiny.items_by_code()["q2"]) == (1, 2)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (("items: [q1, q2]", "items: [q1, q9]"), "scales[0].items[1]", "неизвестный вопрос 'q9'"),
        (
            ('response_scale: yes_no, text: "Вопрос 2"', 'response_scale: nope, text: "Вопрос 2"'),
            "sections[0].items[1].response_scale",
            "неизвестная шкала ответов 'nope'",
        ),
        (("code: q2", "code: q1"), "sections[0].items[1].code", "уже есть в sections[0].items[0]"),
        (
            (
                'type: likert, response_scale: yes_no, text: "Вопрос 1"',
                'type: essay, text: "Вопрос 1"',
            ),
            "sections[0].items[0].type",
            "недопустимое значение",
        ),
        (("audience: student", "audience: pupils"), "audience", "недопустимое значение"),
        (
            ("higher_is: risk}", "higher_is: risk, colour: red}"),
            "scales[0].colour",
            "неизвестное поле",
        ),
    ],
)
def test_broken_definitions_name_file_path_and_problem(
    change: tuple[str, str], path: str, words: str
) -> None:
    error = _broken(MINIMAL.replace(*change))
    message = str(error)
    assert message.startswith("broken.yaml: ")
    assert path in message
    assert words in message


def test_yaml_syntax_error_has_line_and_column() -> None:
    error = _broken("code: x\ntitle: {ru: a, b\n")
    assert "broken.yaml: строка" in str(error)
    assert "ошибка синтаксиса YAML" in str(error)


def test_yaml_is_loaded_safely() -> None:
    error = _broken("!!python/object/apply:os.system ['echo hacked']\n")
    assert "ошибка синтаксиса YAML" in str(error)


def test_reverse_key_only_on_ordinal_items() -> None:
    data = yaml.safe_load(MINIMAL)
    data["sections"][0]["items"].append(
        {"code": "n1", "type": "number", "text": "Сколько?", "reverse": True}
    )
    with pytest.raises(InstrumentError, match=r"sections\[0\]\.items\[2\]: обратный ключ"):
        parse_instrument(data)


def test_non_mapping_document_is_refused() -> None:
    error = _broken("- just\n- a list\n")
    assert "ожидался словарь" in str(error)
