"""The definition language: the built-in library validates; broken files say where and what."""

from __future__ import annotations

import re

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


MATRIX = """
code: m
title: Матрица
audience: parent
response_scales:
  - code: agree
    options:
      - {value: 1, label: "Нет"}
      - {value: 2, label: "Скорее нет"}
      - {value: 3, label: "Скорее да"}
      - {value: 4, label: "Да"}
      - {value: 9, label: "Не знаю", missing: true}
sections:
  - code: s
    title: Раздел
    items:
      - code: grid
        type: matrix
        response_scale: agree
        text: "Согласны ли вы?"
        rows:
          - {code: r1, text: "Первое"}
          - {code: r2, text: "Второе", reverse: true}
      - {code: cls, type: class_letter, text: "Буква класса"}
      - code: why
        type: multiple_choice
        max_choices: 2
        text: "Почему?"
        options: [{value: 1, label: "А"}, {value: 2, label: "Б"}, {value: 3, label: "В"}]
scales:
  - {code: sc, title: Шкала, items: [r1, r2], higher_is: favourable,
     cutoffs: {statistic: mean, low_below: 2.0, high_above: 3.0, source: "норма"}}
"""


def test_matrix_rows_are_answerable_likert_items_and_dont_know_is_not_scored() -> None:
    import pandas as pd

    from analysis.scoring import score_scales
    from instruments.answers import validate_answers

    instrument = load_yaml(MATRIX)
    items = instrument.items_by_code()
    assert list(items) == ["r1", "r2", "cls", "why"]
    assert items["r2"].reverse and items["r2"].response_scale == "agree"
    assert instrument.item_range(items["r1"]) == (1, 4)  # "не знаю" is not the maximum
    assert [o.value for o in instrument.options_for(items["cls"])][:3] == ["А", "Б", "В"]
    clean = validate_answers(instrument, {"r1": "9", "r2": "1", "cls": "Б", "why": ["1", "3"]})
    assert clean == {"r1": 9, "r2": 1, "cls": "Б", "why": [1, 3]}
    scores = score_scales(pd.DataFrame([clean]), instrument)
    assert scores.score["sc"].iloc[0] == 4.0  # r1 "не знаю" left out; r2 reversed 1 -> 4
    with pytest.raises(Exception, match="не больше двух вариантов"):
        validate_answers(instrument, {"why": ["1", "2", "3"]})


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('          - {code: r2, text: "Второе", reverse: true}\n', ""), "не меньше двух строк"),
        (
            ("{code: cls, type: class_letter", "{code: r1, type: class_letter"),
            "'r1' уже есть в sections[0].items[0].rows[0].code",
        ),
        (("max_choices: 2", "max_choices: 5"), "max_choices больше числа вариантов"),
        (
            ("statistic: mean, low_below: 2.0", "statistic: prevalence, low_below: 2.0"),
            "требует правила prevalence",
        ),
    ],
)
def test_matrix_and_choice_rules(change: tuple[str, str], words: str) -> None:
    with pytest.raises(InstrumentError, match=re.escape(words)):
        load_yaml(MATRIX.replace(*change))


def test_items_of_one_scale_must_share_a_range() -> None:
    text = MINIMAL.replace(
        '      - {value: 2, label: "Да"}\n',
        '      - {value: 2, label: "Да"}\n  - code: five\n    options:\n'
        + "".join(f'      - {{value: {v}, label: "{v}"}}\n' for v in range(1, 6)),
    ).replace('response_scale: yes_no, text: "Вопрос 2"', 'response_scale: five, text: "Вопрос 2"')
    with pytest.raises(
        InstrumentError,
        match=r"scales\[0\]\.items: вопросы шкалы отвечают на разных диапазонах \(1–2, 1–5\)",
    ):
        load_yaml(text)


def test_a_response_scale_needs_two_scored_options() -> None:
    text = MINIMAL.replace(
        '      - {value: 2, label: "Да"}', '      - {value: 2, label: "Не знаю", missing: true}'
    )
    with pytest.raises(InstrumentError, match="не меньше двух оцениваемых вариантов"):
        load_yaml(text)
