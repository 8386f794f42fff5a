"""The XLSX answer template for typing in paper questionnaires of one instrument version."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from instruments.answers import MAX_TEXT
from instruments.io.spreadsheet import DANGEROUS_PREFIXES, put
from instruments.schema import CHOICE_TYPES, Instrument, Item, ItemType, text_in
from surveys.imports.common import (
    ANSWERS_SHEET,
    CLASS_COLUMN,
    CLASS_NAME_MAX,
    CODES_SHEET,
    PSEUDO_TEXTS,
    SCHOOL_COLUMN,
    item_header,
    short,
)

#: rows of the template that carry drop-down lists
__all__ = ["DANGEROUS_PREFIXES", "TEMPLATE_ROWS", "answer_template"]

TEMPLATE_ROWS = 2000
#: Text starting with one of these is a formula-injection vector in spreadsheet programs.


@dataclass(frozen=True)
class _TemplateColumn:
    code: str
    text: str
    values: list[tuple[int | str, str]]  # allowed values with their labels
    description: str  # what to write when there is no list of values
    notes: list[str]
    kind: str  # "list", "multi", "number", "text"
    item: Item | None = None


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}".replace(".", ",")


def _template_column(instrument: Instrument, item: Item, row: Item) -> _TemplateColumn:
    notes: list[str] = []
    if row.required:
        notes.append("обязательный вопрос")
    if row.relevant:
        notes.append(f"заполняется, только если {row.relevant}")
    header = item_header(instrument, item, row)
    values: list[tuple[int | str, str]] = []
    description = ""
    kind = "list"
    if row.type in CHOICE_TYPES or row.type in (ItemType.likert, ItemType.class_letter):
        for option in instrument.options_for(row):
            label = text_in(option.label)
            if option.missing:
                label += " (не оценивается)"
            values.append((option.value, label))
        if row.type is ItemType.multiple_choice:
            kind = "multi"
            limit = f", не больше {row.max_choices}" if row.max_choices else ""
            notes.append(f"можно несколько значений через «;»{limit}")
    elif row.type is ItemType.grade:
        low, high = instrument.grades or (1, 11)
        values = [(g, f"{g} класс") for g in range(low, high + 1)]
    elif row.type is ItemType.number:
        kind = "number"
        parts = ["целое число" if row.integer else "число"]
        if row.min is not None:
            parts.append(f"от {_number_text(row.min)}")
        if row.max is not None:
            parts.append(f"до {_number_text(row.max)}")
        if row.unit:
            parts.append(f"({text_in(row.unit)})")
        description = " ".join(parts)
    else:
        kind = "text"
        description = f"текст, не длиннее {MAX_TEXT[row.type]} символов"
    return _TemplateColumn(row.code, header, values, description, notes, kind, row)


def _template_columns(
    instrument: Instrument, school_codes: Sequence[str], class_column: bool
) -> list[_TemplateColumn]:
    columns = [
        _TemplateColumn(
            SCHOOL_COLUMN,
            PSEUDO_TEXTS[SCHOOL_COLUMN],
            [(code, "") for code in school_codes],
            "",
            ["код школы из списка; обязателен в каждой строке"],
            "list",
        )
    ]
    if class_column:
        columns.append(
            _TemplateColumn(
                CLASS_COLUMN,
                PSEUDO_TEXTS[CLASS_COLUMN],
                [],
                f"класс с буквой, не длиннее {CLASS_NAME_MAX} символов",
                ["необязательно"],
                "text",
            )
        )
    for section in instrument.sections:
        for item in section.items:
            for row in instrument.answerable(item):
                columns.append(_template_column(instrument, item, row))
    return columns


def _validation(column: _TemplateColumn, values_ref: str | None) -> DataValidation | None:
    listed = "; ".join(f"{v} — {label}" if label else str(v) for v, label in column.values)
    title = column.code[:32]
    if column.kind in ("list", "multi") and values_ref:
        multi = column.kind == "multi"
        prompt = ("Несколько значений через «;». " if multi else "") + listed
        return DataValidation(
            type="list",
            formula1=values_ref,
            allow_blank=True,
            showDropDown=False,  # (sic) False shows the drop-down arrow
            showInputMessage=True,
            promptTitle=title,
            prompt=short(prompt, 255),
            # A multiple choice cell holds several values: the list only helps, never refuses.
            showErrorMessage=not multi,
            errorTitle="Недопустимое значение",
            error="Выберите значение из списка (пояснения на листе «коды»).",
        )
    item = column.item
    if column.kind == "number" and item is not None and (item.min, item.max) != (None, None):
        bounds = [_number_text(b).replace(",", ".") for b in (item.min, item.max) if b is not None]
        if len(bounds) == 2:
            operator = "between"
        else:
            operator = "greaterThanOrEqual" if item.min is not None else "lessThanOrEqual"
        return DataValidation(
            type="whole" if item.integer else "decimal",
            operator=operator,
            formula1=bounds[0],
            formula2=bounds[1] if len(bounds) == 2 else None,
            allow_blank=True,
            showInputMessage=True,
            promptTitle=title,
            prompt=short(column.description, 255),
            showErrorMessage=True,
            errorTitle="Недопустимое значение",
            error=short(f"Нужно: {column.description}.", 255),
        )
    return None


def answer_template(
    instrument: Instrument,
    *,
    school_codes: Sequence[str],
    class_column: bool = False,
    rows: int = TEMPLATE_ROWS,
) -> bytes:
    """An XLSX workbook for typing in the paper questionnaires of one instrument version.

    Sheet ``ответы``: row 1 the column codes (``school_code``, optionally ``class_name``, then
    each answerable item), row 2 the question texts, then one questionnaire per row; choice,
    likert and grade columns offer the allowed values in a drop-down list. Sheet ``коды``:
    every column's allowed values with their labels, or what to write. Every text is a string
    cell (never a formula), quote-prefixed when it starts like one.
    """
    columns = _template_columns(instrument, school_codes, class_column)
    workbook = Workbook()
    answers = workbook.worksheets[0]
    answers.title = ANSWERS_SHEET
    codes = workbook.create_sheet(CODES_SHEET)

    bold = Font(bold=True)
    for index, heading in enumerate(
        ("код столбца", "вопрос", "значение", "ответ", "примечание"), start=1
    ):
        put(codes.cell(row=1, column=index), heading)
        codes.cell(row=1, column=index).font = bold
    for letter, width in zip("ABCDE", (18, 60, 12, 45, 45), strict=True):
        codes.column_dimensions[letter].width = width
    codes.freeze_panes = "A2"

    wrap = Alignment(wrap_text=True, vertical="top")
    line = 2
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        put(answers.cell(row=1, column=index), column.code)
        answers.cell(row=1, column=index).font = bold
        put(answers.cell(row=2, column=index), column.text)
        answers.cell(row=2, column=index).alignment = wrap
        answers.column_dimensions[letter].width = 14 if index > 1 else 12

        first = line
        entries: list[tuple[int | str | None, str]] = list(column.values) or [
            (None, column.description)
        ]
        for number, (value, label) in enumerate(entries):
            put(codes.cell(row=line, column=1), column.code)
            if number == 0:
                put(codes.cell(row=line, column=2), column.text)
                codes.cell(row=line, column=2).alignment = wrap
                if column.notes:
                    put(codes.cell(row=line, column=5), "; ".join(column.notes))
            if value is not None:
                put(codes.cell(row=line, column=3), value)
            if label:
                put(codes.cell(row=line, column=4), label)
            line += 1
        values_ref = f"'{CODES_SHEET}'!$C${first}:$C${line - 1}" if column.values else None
        validation = _validation(column, values_ref)
        if validation is not None:
            validation.add(f"{letter}3:{letter}{rows + 2}")
            answers.add_data_validation(validation)
    answers.row_dimensions[2].height = 75
    answers.freeze_panes = "B3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
