"""Importing answers: the template, Google / Yandex Forms exports, all-or-nothing, no repeats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from instruments.library import builtin
from instruments.schema import Instrument, parse_instrument
from surveys import models as m
from surveys.errors import InvalidInput, NotFound
from surveys.imports import (
    ParsedRow,
    RowError,
    answer_template,
    import_answers,
    read_answers_file,
    read_mapping_file,
)
from surveys.instrument_store import store_instrument
from tests.factories import TODAY, make_campaign, make_district, make_school

STUDENT = builtin("student_5_11")

# A small form with what the built-in ones lack: a matrix, option labels with commas, and
# texts that a spreadsheet would take for formulas.
PILOT: dict[str, Any] = {
    "code": "pilot_form",
    "version": 1,
    "title": "Пилотная анкета",
    "audience": "teacher",
    "languages": ["ru", "en"],
    "response_scales": [
        {
            "code": "agree3",
            "options": [
                {"value": 1, "label": {"ru": "Нет", "en": "No"}},
                {"value": 2, "label": {"ru": "Отчасти", "en": "Partly"}},
                {"value": 3, "label": {"ru": "Да", "en": "Yes"}},
            ],
        }
    ],
    "sections": [
        {
            "code": "main",
            "title": "Анкета",
            "items": [
                {
                    "code": "place",
                    "type": "multiple_choice",
                    "text": "Где вы работаете?",
                    "options": [
                        {"value": 1, "label": "Город, центр"},
                        {"value": 2, "label": "Город, окраина"},
                        {"value": 3, "label": '=HYPERLINK("http://evil.example","Село")'},
                    ],
                },
                {
                    "code": "climate",
                    "type": "matrix",
                    "response_scale": "agree3",
                    "text": {"ru": "Согласны ли вы?", "en": "Do you agree?"},
                    "rows": [
                        {"code": "cl_1", "text": {"ru": "Коллеги помогают", "en": "Peers help"}},
                        {"code": "cl_2", "text": "Администрация слышит"},
                    ],
                },
                {"code": "phone", "type": "text", "text": "+7 или @имя — как с вами связаться?"},
                {"code": "pupils", "type": "number", "text": "-Сколько учеников?", "max": 40},
            ],
        }
    ],
}


def _pilot() -> Instrument:
    return parse_instrument(PILOT)


def _store(
    db: Session, campaign: m.Campaign, rows: Any, school: m.School, audience: str = "student"
) -> Any:
    """Import ``rows`` for real into ``school`` (no school column in the file)."""
    return import_answers(
        db,
        campaign=campaign,
        audience=audience,
        rows=rows,
        dry_run=False,
        today=TODAY,
        school_code=school.code,
    )


def _xlsx(title: str, *rows: list[Any]) -> bytes:
    """A workbook of one sheet named ``title`` holding ``rows``, as an export would be."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(m.Response)) or 0


def _stored(db: Session) -> list[m.Response]:
    db.expire_all()
    return list(db.scalars(select(m.Response).order_by(m.Response.id)))


# --- the template -----------------------------------------------------------------------------


def _filled_template(school_codes: list[str], rows: list[dict[str, Any]]) -> bytes:
    workbook = load_workbook(
        io.BytesIO(answer_template(STUDENT, school_codes=school_codes, class_column=True))
    )
    sheet = workbook["ответы"]
    codes = [cell.value for cell in sheet[1]]
    for number, values in enumerate(rows, start=3):
        for code, value in values.items():
            sheet.cell(row=number, column=codes.index(code) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE_ROWS = [
    {
        "school_code": "T001",
        "class_name": "7Б",
        "grade": 7,
        "mot_int_1": 4,
        "extra_classes": 3,
        "tutor_subjects": "1; 2",
        "bul_1": "Несколько раз в год",  # a label typed instead of its value
    },
    {"school_code": "T002", "grade": 9, "home_language": 2, "disc_4": 1},
]


def test_template_layout_lists_and_codes_sheet() -> None:
    workbook = load_workbook(io.BytesIO(answer_template(STUDENT, school_codes=["S001", "S002"])))
    assert workbook.sheetnames == ["ответы", "коды"]
    sheet = workbook["ответы"]
    codes = [cell.value for cell in sheet[1]]
    assert codes[0] == "school_code" and "class_name" not in codes
    assert codes[1:] == [item.code for item in STUDENT.items()]
    assert sheet.cell(row=2, column=codes.index("mot_int_1") + 1).value == (
        "Мне интересно узнавать новое на уроках."
    )
    validations = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    school = validations["A3"]
    assert school.type == "list" and school.showErrorMessage
    likert = validations[f"{sheet.cell(row=3, column=codes.index('mot_int_1') + 1).coordinate}"]
    assert "1 — Совсем не согласен(на)" in likert.prompt
    multi = validations[f"{sheet.cell(row=3, column=codes.index('tutor_subjects') + 1).coordinate}"]
    assert multi.type == "list" and not multi.showErrorMessage  # "1; 2" must be allowed

    explained = list(workbook["коды"].iter_rows(min_row=2, values_only=True))
    assert explained[0][:4] == ("school_code", "Код школы", "S001", None)
    # The school list points at exactly the school codes on the sheet «коды».
    assert school.formula1 == "'коды'!$C$2:$C$3"
    agree = [row[2:4] for row in explained if row[0] == "mot_int_1"]
    assert agree == [
        (1, "Совсем не согласен(на)"),
        (2, "Скорее не согласен(на)"),
        (3, "Скорее согласен(на)"),
        (4, "Полностью согласен(на)"),
    ]


def test_template_texts_are_never_formulas() -> None:
    content = answer_template(_pilot(), school_codes=["=cmd|' /C calc'!A0", "S002"])
    workbook = load_workbook(io.BytesIO(content))
    codes_sheet = workbook["коды"]
    dangerous = [
        cell
        for row in codes_sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@"
    ]
    shown = {cell.value for cell in dangerous}
    assert '=HYPERLINK("http://evil.example","Село")' in shown
    assert "+7 или @имя — как с вами связаться?" in shown
    assert "-Сколько учеников?" in shown
    assert "=cmd|' /C calc'!A0" in shown
    for cell in dangerous:
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    header = workbook["ответы"].cell(row=2, column=4)  # A school, B place, C cl_1, D cl_2
    assert header.value == "Согласны ли вы? [Администрация слышит]"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def test_template_filled_in_is_stored_exactly(db: Session) -> None:
    district = make_district(db)
    schools = [make_school(db, district), make_school(db, district)]
    campaign = make_campaign(db, schools)
    rows = read_answers_file(
        _filled_template(["T001", "T002"], TEMPLATE_ROWS), "школа.xlsx", STUDENT
    )
    assert [r.row for r in rows] == [3, 4]  # row 2 holds the question texts
    assert rows.layout.unmapped_columns == [] and rows.layout.dropped_columns == []
    report = import_answers(
        db, campaign=campaign, audience="student", rows=rows, dry_run=False, today=TODAY
    )
    assert report.errors == [] and report.rows_stored == 2, str(report)
    first, second = _stored(db)
    assert first.answers == {
        "grade": 7,
        "extra_classes": 3,
        "mot_int_1": 4,
        "bul_1": 2,
        "tutor_subjects": [1, 2],
    }
    assert (first.school_id, first.class_name) == (schools[0].id, "7Б")
    assert second.answers == {"grade": 9, "home_language": 2, "disc_4": 1}
    assert (second.school_id, second.class_name) == (schools[1].id, None)
    fielded = db.scalar(
        select(m.Fielding.instrument_version_id).where(m.Fielding.campaign_id == campaign.id)
    )
    for response in (first, second):
        assert response.source == "import"
        assert response.status == m.ResponseStatus.complete.value
        assert response.submitted_on == TODAY and not isinstance(response.submitted_on, dt.datetime)
        assert response.link_id is None
        assert response.instrument_version_id == fielded


# --- Google / Yandex Forms exports ------------------------------------------------------------

GOOGLE_HEADER = [
    "Отметка времени",
    "Адрес электронной почты",
    "Код школы",
    "В каком классе ты учишься?",
    "Занимаешься ли ты дополнительно по школьным предметам?",
    "По каким предметам ты занимаешься вне школы?",
    "МНЕ ИНТЕРЕСНО УЗНАВАТЬ НОВОЕ НА УРОКАХ",  # case and punctuation differ from the form
    "Учёба мне нравится",  # reworded: only the mapping file knows it
    "Баллы",
]
GOOGLE_ROWS = [
    [
        "02.03.2026 10:15:33",
        "petrov@example.ru",
        "T001",
        "7",
        "Да, вне школы (репетитор, курсы)",  # a label with a comma in it
        "Русский язык; Математика",
        "Скорее согласен(на)",
        "Скорее да",
        "5",
    ],
    [
        "02.03.2026 11:40:02",
        "ivanova@example.ru",
        "T001",
        "9 класс",
        "Нет",
        "",
        "полностью согласен(на)",
        "Да",
        "",
    ],
]
GOOGLE_EXPECTED = [
    {"grade": 7, "extra_classes": 3, "tutor_subjects": [1, 2], "mot_int_1": 3, "mot_int_4": 3},
    {"grade": 9, "extra_classes": 1, "mot_int_1": 4, "mot_int_4": 4},
]
MAPPING_YAML = """\
columns:
  "Учёба мне нравится": mot_int_4
values:
  mot_int_4:
    "Скорее да": 3
    "Да": 4
"""


def _csv(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "cp1251") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def _google(rows: list[list[str]] | None = None) -> bytes:
    return _csv([GOOGLE_HEADER, *(GOOGLE_ROWS if rows is None else rows)])


def _read_google(data: bytes, name: str = "ответы.csv") -> Any:
    mapping = read_mapping_file(MAPPING_YAML.encode(), "mapping.yaml")
    return read_answers_file(data, name, STUDENT, mapping=mapping)


def test_google_forms_csv_imports_with_a_mapping_file(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school])
    rows = _read_google(_google())
    report = import_answers(
        db, campaign=campaign, audience="student", rows=rows, dry_run=False, today=TODAY
    )
    assert report.errors == [], str(report)
    assert report.dropped_columns == ["Отметка времени", "Адрес электронной почты"]
    assert report.unmapped_columns == ["I «Баллы»"]
    assert report.column_map == {
        "Код школы": "school_code",
        "В каком классе ты учишься?": "grade",
        "Занимаешься ли ты дополнительно по школьным предметам?": "extra_classes",
        "По каким предметам ты занимаешься вне школы?": "tutor_subjects",
        "МНЕ ИНТЕРЕСНО УЗНАВАТЬ НОВОЕ НА УРОКАХ": "mot_int_1",
        "Учёба мне нравится": "mot_int_4",
    }
    stored = _stored(db)
    assert [r.answers for r in stored] == GOOGLE_EXPECTED
    assert {r.school_id for r in stored} == {school.id}
    # Anonymity: neither the addresses nor the times of day are kept anywhere.
    for response in stored:
        assert "@" not in str(response.answers) and "10:15" not in str(response.answers)
        assert response.submitted_on == TODAY
    assert "petrov@" not in str(report)
    assert "Импортировано: 2 строки." in str(report)


def test_dry_run_stores_nothing_and_reports_the_columns(db: Session) -> None:
    campaign = make_campaign(db, [make_school(db)])
    report = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=_read_google(_google()),
        dry_run=True,
        today=TODAY,
    )
    assert _count(db) == 0
    assert (report.rows_total, report.rows_ok, report.rows_stored) == (2, 2, 0)
    text = str(report)
    assert "«Учёба мне нравится» → mot_int_4" in text
    assert "при импорте будет добавлено: 2 строки" in text
    assert "Отметка времени" in text and "Баллы" in text


def test_one_bad_cell_stores_nothing_and_names_row_and_column(db: Session) -> None:
    campaign = make_campaign(db, [make_school(db)])
    rows = [list(GOOGLE_ROWS[0]), list(GOOGLE_ROWS[1])]
    rows[1][6] = "Иногда"  # no such option
    report = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=_read_google(_google(rows)),
        dry_run=False,
        today=TODAY,
    )
    assert _count(db) == 0
    assert report.rows_stored == 0 and report.rows_ok == 1
    assert report.errors == [
        RowError(
            3,
            "G «МНЕ ИНТЕРЕСНО УЗНАВАТЬ НОВОЕ НА УРОКАХ»",
            "выбран вариант, которого нет в списке: «Иногда»",
        )
    ]
    assert "строка 3, столбец G «МНЕ ИНТЕРЕСНО" in str(report)
    assert "ничего не сохранено" in str(report)


def test_bad_template_cell_and_unknown_school(db: Session) -> None:
    campaign = make_campaign(db, [make_school(db)])
    data = _filled_template(
        ["T001"],
        [
            {"school_code": "T001", "grade": 7},
            {"school_code": "T001", "grade": 12},
            {"school_code": "X999", "grade": 8},
        ],
    )
    report = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=read_answers_file(data, "t.xlsx", STUDENT),
        dry_run=False,
        today=TODAY,
    )
    assert _count(db) == 0
    assert report.errors == [
        RowError(4, "C «grade»", "класс должен быть от 5 до 11: «12»"),
        RowError(5, "A «school_code»", "школы «X999» нет в кампании"),
    ]


def test_same_file_twice_is_stored_once(db: Session) -> None:
    campaign = make_campaign(db, [make_school(db)])
    first = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=_read_google(_google()),
        dry_run=False,
        today=TODAY,
    )
    db.commit()
    again = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=_read_google(_google()),
        dry_run=False,
        today=TODAY + dt.timedelta(days=1),
    )
    db.commit()
    assert (first.rows_stored, first.already_imported) == (2, 0)
    assert (again.rows_stored, again.already_imported) == (0, 2)
    assert "уже импортировано: 2 строки" in str(again)
    assert _count(db) == 2
    # One more respondent added at the end: only that row is new.
    grown = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=_read_google(_google([*GOOGLE_ROWS, GOOGLE_ROWS[1]])),
        dry_run=False,
        today=TODAY,
    )
    assert (grown.rows_stored, grown.already_imported) == (1, 2)
    assert _count(db) == 3
    # The same rows in another file are other questionnaires.
    other = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=_read_google(_google(), name="другая школа.csv"),
        dry_run=False,
        today=TODAY,
    )
    assert other.rows_stored == 2


def test_a_corrected_mapping_does_not_store_the_rows_again(db: Session) -> None:
    campaign = make_campaign(db, [make_school(db)])
    wrong = read_mapping_file(
        MAPPING_YAML.replace('"Скорее да": 3', '"Скорее да": 2').encode(), "mapping.yaml"
    )
    rows = read_answers_file(_google(), "ответы.csv", STUDENT, mapping=wrong)
    first = import_answers(
        db, campaign=campaign, audience="student", rows=rows, dry_run=False, today=TODAY
    )
    assert first.rows_stored == 2 and _stored(db)[0].answers["mot_int_4"] == 2
    again = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=_read_google(_google()),
        dry_run=False,
        today=TODAY,
    )
    # Same file, same cells: recognised, not doubled (fixing stored rows is another matter).
    assert (again.rows_stored, again.already_imported) == (0, 2)
    assert _count(db) == 2


def test_school_option_required_columns_and_fielding(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school])
    header = ["Timestamp", "Мне интересно узнавать новое на уроках."]
    rows = read_answers_file(_csv([header, ["2026-03-02 10:00", "4"]]), "f.csv", STUDENT)
    report = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=rows,
        dry_run=True,
        today=TODAY,
        school_code=school.code,
    )
    # The required grade question has no column: said once, not in every row.
    assert report.errors == [
        RowError(
            1, "", "нет столбца для обязательного вопроса grade («В каком классе ты учишься?»)"
        )
    ]
    without = import_answers(
        db, campaign=campaign, audience="student", rows=rows, dry_run=True, today=TODAY
    )
    assert [e.message.split(":")[0] for e in without.errors] == [
        "нет столбца school_code",
        "нет столбца для обязательного вопроса grade («В каком классе ты учишься?»)",
    ]
    no_school = import_answers(
        db,
        campaign=campaign,
        audience="student",
        rows=[ParsedRow(row=2, answers={"grade": "6"}, source="x.csv")],
        dry_run=True,
        today=TODAY,
    )
    assert no_school.errors[0].row == 2 and "не указан код школы" in no_school.errors[0].message
    with pytest.raises(NotFound, match="нет анкеты для группы «parent»"):
        import_answers(db, campaign=campaign, audience="parent", rows=[], dry_run=True, today=TODAY)
    with pytest.raises(NotFound, match="Школы «NOPE» нет"):
        import_answers(
            db,
            campaign=campaign,
            audience="student",
            rows=[],
            dry_run=True,
            today=TODAY,
            school_code="NOPE",
        )


def test_custom_instrument_with_matrix_imported_from_xlsx(db: Session) -> None:
    version = store_instrument(db, _pilot())
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"teacher": "pilot_form"})
    data = _xlsx(
        "Ответы на форму (1)",
        [
            "Отметка времени",
            "Где вы работаете?",
            "Согласны ли вы? [Коллеги помогают]",
            "Do you agree? [Администрация слышит]",
            "Ваш e-mail",
        ],
        [dt.datetime(2026, 3, 2, 9, 30), "Город, центр, Город, окраина", "Да", "No", None],
        [dt.datetime(2026, 3, 2, 9, 45), "Город, окраина", "Partly", "3", "a@b.ru"],
    )
    rows = read_answers_file(data, "export.xlsx", _pilot(), mapping={})
    assert rows.layout.dropped_columns == ["Отметка времени", "Ваш e-mail"]
    report = _store(db, campaign, rows, school, "teacher")
    assert report.errors == [], str(report)
    stored = _stored(db)
    assert [r.answers for r in stored] == [
        {"place": [1, 2], "cl_1": 3, "cl_2": 1},
        {"place": [2], "cl_1": 2, "cl_2": 3},
    ]
    assert {r.instrument_version_id for r in stored} == {version.id}


def test_yandex_forms_xlsx_export(db: Session) -> None:
    """Yandex Forms' XLSX export: its own record number and times first, check boxes joined
    by ", " (labels with commas in them too), numbers as number cells."""
    school = make_school(db)
    campaign = make_campaign(db, [school])
    created = dt.datetime(2026, 3, 2, 10, 15, 33)
    data = _xlsx(
        "Ответы",
        [
            "ID",
            "Время создания",
            "Время изменения",
            "В каком классе ты учишься?",
            "Занимаешься ли ты дополнительно по школьным предметам?",
            "По каким предметам ты занимаешься вне школы?",
            "Мне интересно узнавать новое на уроках",
        ],
        [
            1846276390,
            created,
            created,
            7,
            "Да, вне школы (репетитор, курсы)",
            "Русский язык, Математика",
            "Скорее согласен(на)",
        ],
        [1846276391, created, created, "8", "Нет", None, "Полностью согласен(на)"],
    )
    rows = read_answers_file(data, "yandex.xlsx", STUDENT, mapping={})
    assert rows.layout.dropped_columns == ["ID", "Время создания", "Время изменения"]
    report = _store(db, campaign, rows, school, "student")
    assert report.errors == [], str(report)
    assert [r.answers for r in _stored(db)] == [
        {"grade": 7, "extra_classes": 3, "tutor_subjects": [1, 2], "mot_int_1": 3},
        {"grade": 8, "extra_classes": 1, "mot_int_1": 4},
    ]
    assert all(r.source == "import" and r.submitted_on == TODAY for r in _stored(db))


def test_straight_lined_rows_are_flagged_as_web_answers_are(db: Session) -> None:
    """The same answer to every item of a long block is flagged (and kept); a file has no
    time of answering, so "too fast" is never claimed."""
    from collections import Counter

    from instruments.quality import MIN_ITEMS_FOR_STRAIGHT_LINING, STRAIGHT_LINING
    from instruments.schema import text_in

    scale, _ = Counter(i.response_scale for i in STUDENT.items() if i.response_scale).most_common(
        1
    )[0]
    items = [i for i in STUDENT.items() if i.response_scale == scale]
    assert len(items) >= MIN_ITEMS_FOR_STRAIGHT_LINING
    labels = [text_in(o.label) for o in STUDENT.options_for(items[0])]
    header = ["В каком классе ты учишься?", *(text_in(i.text) for i in items)]
    same = ["7", *[labels[0]] * len(items)]
    varied = ["8", *(labels[n % len(labels)] for n in range(len(items)))]
    school = make_school(db)
    campaign = make_campaign(db, [school])
    rows = read_answers_file(_csv([header, same, varied]), "бумага.csv", STUDENT, mapping={})
    report = _store(db, campaign, rows, school, "student")
    assert report.errors == [] and report.rows_stored == 2, str(report)
    assert report.flagged_rows == 1 and "сомнительные" in str(report)
    assert [r.flags for r in _stored(db)] == [[STRAIGHT_LINING], []]


# --- reading details --------------------------------------------------------------------------


def test_utf8_comma_csv_and_csv_mapping_file() -> None:
    mapping = read_mapping_file(
        _csv(
            [
                ["столбец", "вопрос", "ответ", "значение"],
                ["Твой класс", "grade", "", ""],
                ["", "", "Скорее да", "3"],
            ],
            delimiter=",",
            encoding="utf-8",
        ),
        "mapping.csv",
    )
    assert mapping.columns == {"Твой класс": "grade"}
    assert mapping.values == {"скорее да": 3}
    data = _csv(
        [
            ["Твой класс", "1. Мне интересно узнавать новое на уроках", "Номер"],
            ["8", "Скорее да", "17"],
            ["", "", ""],
        ],
        delimiter=",",
        encoding="utf-8-sig",
    )
    rows = read_answers_file(data, "f.csv", STUDENT, mapping=mapping)
    assert [(r.row, r.answers) for r in rows] == [(2, {"grade": 8, "mot_int_1": 3})]
    assert rows.layout.unmapped_columns == ["C «Номер»"]


def test_mapping_file_problems_are_reported() -> None:
    with pytest.raises(InvalidInput, match="ошибка YAML"):
        read_mapping_file(b"columns: [unclosed", "m.yaml")
    with pytest.raises(InvalidInput, match="неизвестные разделы"):
        read_mapping_file(b"columns: {}\nextra: 1\n", "m.yaml")
    flat = read_mapping_file("Твой класс: grade\n".encode(), "m.yml")
    assert flat.columns == {"Твой класс": "grade"}
    rows = read_answers_file(_csv([["Q"], ["1"]]), "f.csv", STUDENT, mapping={"Q": "no_such_item"})
    unknown, nothing = rows.layout.problems
    assert unknown == RowError(
        1, "A «Q»", "в файле сопоставления указан неизвестный вопрос «no_such_item»"
    )
    assert nothing.message.startswith("ни один столбец не сопоставлен с вопросами анкеты")
    twice = read_answers_file(
        _csv([["grade", "В каком классе ты учишься?"], ["5", "6"]]), "f.csv", STUDENT
    )
    assert twice.layout.problems == [
        RowError(
            1, "B «В каком классе ты учишься?»", "вопрос «grade» уже сопоставлен столбцу A «grade»"
        )
    ]


def test_unreadable_files_fail_cleanly() -> None:
    with pytest.raises(InvalidInput, match="старый формат XLS"):
        read_answers_file(b"\xd0\xcf\x11\xe0rest", "old.xls", STUDENT)
    with pytest.raises(InvalidInput, match="XLSX повреждён"):
        read_answers_file(b"PK\x03\x04broken", "broken.xlsx", STUDENT)
    with pytest.raises(InvalidInput, match="ожидается таблица"):
        read_answers_file(b"x", "form.docx", STUDENT)
    with pytest.raises(InvalidInput, match="нет ни заголовков"):
        read_answers_file(b"\n\n", "empty.csv", STUDENT)
