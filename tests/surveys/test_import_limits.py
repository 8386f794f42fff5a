"""Imports and the rules of the instrument: «не знаю» kept where the question offers it and
left unanswered (and reported) where it does not; a choice limited to N refused above N."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.library import builtin
from instruments.schema import parse_instrument
from surveys import models as m
from surveys.imports import RowError, import_answers, read_answers_file
from surveys.imports.mapping import is_dont_know
from tests.factories import TODAY, make_campaign, make_school
from web.cli import main

PARENT = builtin("parent")
TEACHER = builtin("teacher")
PARENT_HEADER = [
    "Отметка времени",
    "Код школы",
    "В каком классе учится ваш ребёнок?",
    # offers «Не знаю» (parent form v2)
    "Учителя относятся к моему ребёнку доброжелательно и справедливо.",
    "Я уверен(а), что если ребёнка обидят, в школе вмешаются и помогут.",
    # offers no «Не знаю»: the parent answers about themselves
    "Я почти каждый день спрашиваю ребёнка, как дела в школе.",
    "Как часто вы ходите на родительские собрания?",
]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue().encode("cp1251")


def _parent_file(rows: list[list[str]]) -> bytes:
    return _csv([PARENT_HEADER, *rows])


def _stored(db: Session) -> list[dict[str, object]]:
    db.expire_all()
    return [r.answers for r in db.scalars(select(m.Response).order_by(m.Response.id))]


def test_dont_know_is_recognised_in_the_ways_forms_write_it() -> None:
    for text in ("Не знаю", "не знаю.", "Затрудняюсь ответить", "Не знаю / затрудняюсь ответить"):
        assert is_dont_know(text), text
    for text in ("Знаю", "Не знаю, но догадываюсь", "Нет", ""):
        assert not is_dont_know(text), text


def test_dont_know_kept_where_offered_and_left_unanswered_where_not(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"parent": "parent"})
    data = _parent_file(
        [
            ["01.10.2026 10:00", school.code, "7", "Не знаю", "Затрудняюсь ответить",
             "Не знаю", "Всегда"],
            ["01.10.2026 10:05", school.code, "8", "Скорее согласен(на)", "не знаю",
             "Затрудняюсь ответить", "Не знаю"],
            ["01.10.2026 10:09", school.code, "9", "Полностью согласен(на)",
             "Совсем не согласен(на)", "Скорее согласен(на)", "Редко"],
        ]
    )  # fmt: skip
    rows = read_answers_file(data, "родители.csv", PARENT)
    report = import_answers(
        db, campaign=campaign, audience="parent", rows=rows, dry_run=False, today=TODAY
    )
    assert report.errors == [], str(report)
    assert report.rows_stored == 3
    # Stored as the web form stores the option: its value, 9, never scored.
    assert _stored(db) == [
        {"child_grade": 7, "ts_3": 9, "sfc_4": 9, "meetings_attendance": 1},
        {"child_grade": 8, "ts_3": 3, "sfc_4": 9},
        {"child_grade": 9, "ts_3": 4, "sfc_4": 1, "pi_1": 3, "meetings_attendance": 3},
    ]
    assert report.not_offered == {
        "F «Я почти каждый день спрашиваю ребёнка, как дела в…»": 2,
        "G «Как часто вы ходите на родительские собрания?»": 1,
    }
    text = str(report)
    assert (
        "«Не знаю» там, где в вопросе нет такого ответа, сохраняется как нет ответа: "
        "столбец F «Я почти каждый день спрашиваю ребёнка, как дела в…» — 2 строки; "
        "столбец G «Как часто вы ходите на родительские собрания?» — 1 строка."
    ) in text
    assert "Импортировано: 3 строки." in text


def test_dont_know_on_a_required_question_without_it_is_an_error(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"parent": "parent"})
    data = _parent_file(
        [
            ["", school.code, "7", "Не знаю", "", "", ""],
            ["", school.code, "Не знаю", "Не знаю", "", "", ""],
        ]
    )
    rows = read_answers_file(data, "родители.csv", PARENT)
    report = import_answers(
        db, campaign=campaign, audience="parent", rows=rows, dry_run=False, today=TODAY
    )
    assert _stored(db) == []
    assert report.errors == [
        RowError(
            3,
            "C «В каком классе учится ваш ребёнок?»",
            "в этом вопросе нет ответа «не знаю», а ответ обязателен: «Не знаю»",
        )
    ]


def _teacher_file(school: str, choices: list[str]) -> bytes:
    header = "Что, по-вашему, больше всего мешает ученикам вашей школы учиться успешно?"
    return _csv([["Код школы", header], *[[school, cell] for cell in choices]])


def test_more_choices_than_allowed_is_an_error_naming_row_and_column(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"teacher": "teacher"})
    three = "Низкая учебная мотивация; Пропуски уроков; Большая наполняемость классов"
    four = three + "; Другое"
    rows = read_answers_file(_teacher_file(school.code, [three, four]), "учителя.csv", TEACHER)
    report = import_answers(
        db,
        campaign=campaign,
        audience="teacher",
        rows=rows,
        dry_run=False,
        today=TODAY,
    )
    assert _stored(db) == []
    column = "B «Что, по-вашему, больше всего мешает ученикам ваше…»"
    assert report.errors == [
        RowError(
            3,
            column,
            "можно выбрать не больше трёх вариантов: "
            "«Низкая учебная мотивация; Пропуски уроков; Большая наполняе…»",
        )
    ]
    assert f"строка 3, столбец {column}: можно выбрать не больше трёх" in str(report)

    rows = read_answers_file(_teacher_file(school.code, [three]), "учителя.csv", TEACHER)
    report = import_answers(
        db,
        campaign=campaign,
        audience="teacher",
        rows=rows,
        dry_run=False,
        today=TODAY,
    )
    assert report.errors == [] and _stored(db) == [{"main_obstacles": [2, 3, 7]}]


def test_the_cli_prints_the_dont_know_line(cli_env: str, db: Session, tmp_path: Path) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"parent": "parent"})
    db.commit()
    path = tmp_path / "родители.csv"
    path.write_bytes(_parent_file([["", school.code, "5", "Не знаю", "", "Не знаю", ""]]))
    result = CliRunner().invoke(
        main,
        ["import", "responses", str(path), "--campaign", str(campaign.id), "--audience", "parent"],
    )
    assert result.exit_code == 0, result.output
    assert "сохраняется как нет ответа: столбец F «Я почти каждый день" in result.output
    assert "— 1 строка." in result.output
    assert _stored(db) == [{"child_grade": 5, "ts_3": 9}]


def test_dont_know_by_kind_of_question() -> None:
    """A list that offers «не знаю» gets it as its one choice; a number has none, so it is
    left out; a text answer keeps the respondent's words."""
    pilot = parse_instrument(
        {
            "code": "pilot_dk",
            "title": "Пилот",
            "audience": "parent",
            "sections": [
                {
                    "code": "main",
                    "title": "Анкета",
                    "items": [
                        {
                            "code": "clubs",
                            "type": "multiple_choice",
                            "text": "Какие кружки посещает ребёнок?",
                            "options": [
                                {"value": 1, "label": "Спорт"},
                                {"value": 2, "label": "Музыка"},
                                {"value": 9, "label": "Затрудняюсь ответить", "missing": True},
                            ],
                        },
                        {"code": "hours", "type": "number", "text": "Сколько часов в неделю?"},
                        {"code": "why", "type": "text", "text": "Почему?"},
                    ],
                }
            ],
        }
    )
    data = _csv(
        [
            ["Какие кружки посещает ребёнок?", "Сколько часов в неделю?", "Почему?"],
            ["Не знаю", "не знаю", "Не знаю"],
            ["Спорт; Музыка", "4", ""],
        ]
    )
    rows = read_answers_file(data, "пилот.csv", pilot)
    assert [(r.answers, r.not_offered) for r in rows] == [
        ({"clubs": [9], "why": "Не знаю"}, ("hours",)),
        ({"clubs": [1, 2], "hours": "4"}, ()),  # made a number by validation
    ]
