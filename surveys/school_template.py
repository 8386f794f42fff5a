"""The XLSX template of a district's schools for ``rootcause import schools`` and its page."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from instruments.io.spreadsheet import put
from surveys.imports.common import CODES_SHEET
from surveys.school_import import ALIASES, REQUIRED
from surveys.schools import GRADES, LABELS, MAX_COUNT

SCHOOLS_SHEET = "школы"
TEMPLATE_ROWS = 1000
YES_NO = [("да", "есть / относится"), ("нет", "нет (пустая ячейка — тоже «нет»)")]
LEVEL_CHOICES = [
    ("НОО, ООО, СОО", "1–11 классы (средняя школа)"),
    ("НОО, ООО", "1–9 классы (основная школа)"),
    ("НОО", "1–4 классы (начальная школа)"),
    ("ООО, СОО", "5–11 классы"),
    ("ООО", "5–9 классы"),
    ("СОО", "10–11 классы"),
]
GRADE_HELP = (
    "число обучающихся в параллели, целое от 0 до {max}; пустая ячейка — 0, но если пусты все "
    "1–11 классы, хранимая численность школы не меняется"
)
#: field -> (what to write, allowed values with their meaning)
EXPLAINED: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "district": (
        "муниципальный район (округ) школы; новый район создаёт только администратор",
        [],
    ),
    "code": (
        "региональный код школы — по нему школа находится при повторной загрузке; буквы и "
        "цифры, допустимы . - _",
        [],
    ),
    "name": ("полное наименование по уставу, до 300 символов", []),
    "short_name": ("краткое наименование для таблиц и отчётов, до 150 символов", []),
    "locality": (
        "тип местности",
        [("городская", "городская местность (urban)"), ("сельская", "сельская местность (rural)")],
    ),
    "levels": (
        "уровни общего образования, которые ведёт школа, через запятую: НОО (1–4 классы), "
        "ООО (5–9), СОО (10–11)",
        LEVEL_CHOICES,
    ),
    "low_results": ("школа с низкими образовательными результатами", YES_NO),
    "adverse_conditions": ("школа, функционирующая в неблагоприятных социальных условиях", YES_NO),
    "teachers": (f"число педагогических работников, целое от 0 до {MAX_COUNT}", []),
    "has_psychologist": ("есть ли в штате педагог-психолог", YES_NO),
    "has_speech_specialist": ("есть ли в штате учитель-логопед или учитель-дефектолог", YES_NO),
    "has_social_pedagogue": ("есть ли в штате социальный педагог", YES_NO),
}
for _grade in GRADES:
    EXPLAINED[f"grade_{_grade}"] = (GRADE_HELP.format(max=MAX_COUNT), [])


def schools_template(districts: Sequence[str] = (), *, rows: int = TEMPLATE_ROWS) -> bytes:
    """An XLSX workbook without examples: sheet ``школы`` with the headers the import reads,
    drop-down lists where the values are few, and sheet ``коды`` explaining every column.

    ``districts`` are offered in the district column's list (others may still be typed).
    """
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = SCHOOLS_SHEET
    codes = workbook.create_sheet(CODES_SHEET)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    headings = ("столбец", "код столбца", "обязательный", "что писать", "значение", "пояснение")
    for index, heading in enumerate(headings, start=1):
        put(codes.cell(row=1, column=index), heading)
        codes.cell(row=1, column=index).font = bold
    for letter, width in zip("ABCDEF", (24, 22, 13, 60, 18, 40), strict=True):
        codes.column_dimensions[letter].width = width
    codes.freeze_panes = "A2"

    line = 2
    for index, key in enumerate(ALIASES, start=1):
        letter = get_column_letter(index)
        header = LABELS[key]
        put(sheet.cell(row=1, column=index), header)
        sheet.cell(row=1, column=index).font = bold
        sheet.cell(row=1, column=index).alignment = wrap
        sheet.column_dimensions[letter].width = 8 if key.startswith("grade_") else 18
        description, values = EXPLAINED[key]
        if key == "district":
            values = [(name, "") for name in districts]
        put(codes.cell(row=line, column=1), header)
        put(codes.cell(row=line, column=2), key)
        put(codes.cell(row=line, column=3), "да" if key in REQUIRED else "нет")
        put(codes.cell(row=line, column=4), description)
        codes.cell(row=line, column=4).alignment = wrap
        first = line
        for value, meaning in values or [("", "")]:
            if value:
                put(codes.cell(row=line, column=5), value)
                put(codes.cell(row=line, column=6), meaning)
            line += 1
        cells = f"{letter}2:{letter}{rows + 1}"
        validation = None
        if values:
            validation = DataValidation(
                type="list",
                formula1=f"'{CODES_SHEET}'!$E${first}:$E${line - 1}",
                allow_blank=True,
                showDropDown=False,  # (sic) False shows the arrow
                # A new district may be typed in; the other lists refuse anything else.
                showErrorMessage=key != "district",
                errorTitle="Недопустимое значение",
                error="Выберите значение из списка (пояснения на листе «коды»).",
            )
        elif key.startswith("grade_") or key == "teachers":
            validation = DataValidation(
                type="whole",
                operator="between",
                formula1="0",
                formula2=str(MAX_COUNT),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Недопустимое значение",
                error=f"Целое число от 0 до {MAX_COUNT}.",
            )
        elif key == "code":
            # Text, so that a code such as 0123 keeps its leading zero.
            for row in range(2, rows + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        if validation is not None:
            validation.add(cells)
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 45
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
