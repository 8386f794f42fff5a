"""Labelled frames written as CSV (UTF-8 with a byte order mark), XLSX and SPSS ``.sav``.

CSV and XLSX carry the same codes as the ``.sav`` (the codebook explains them); their text
cells are neutralised against formula injection and their numbers stay numbers
(:mod:`surveys.exports.cells`). The ``.sav`` carries the labels, value labels, user-missing
codes and measurement levels within SPSS's limits (names of 64 bytes, variable labels of 256,
value labels of 120, a file label of 64, cut on a character boundary).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import tempfile
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from surveys.exports.cells import csv_cell, put
from surveys.exports.frames import (
    FILE_LABEL_BYTES,
    LABEL_BYTES,
    VALUE_LABEL_BYTES,
    LabelledFrame,
    Variable,
    cut,
)

#: the lines of a document (note) in a .sav file
NOTE_BYTES = 80


def write(frame: LabelledFrame, fmt: str, *, semicolon: bool = False) -> bytes:
    """``frame`` in format ``fmt`` (one of :data:`~surveys.exports.formats.FORMATS`)."""
    if fmt == "csv":
        return write_csv(frame, semicolon=semicolon)
    if fmt == "xlsx":
        return write_xlsx(frame)
    if fmt == "sav":
        return write_sav(frame)
    raise ValueError(f"unknown format {fmt!r}")


def _cell(value: Any) -> Any:
    """A frame's value as the writers take it: None for a blank, Python numbers."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_csv(frame: LabelledFrame, *, semicolon: bool = False) -> bytes:
    """UTF-8 with a byte order mark (Excel then reads Cyrillic). By default comma-separated
    with a decimal point and ISO dates; ``semicolon`` gives what Russian Excel opens by a
    double click: semicolons, decimal commas, dates as 31.12.2026."""
    delimiter, decimal, dates = (";", ",", "%d.%m.%Y") if semicolon else (",", ".", "%Y-%m-%d")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([csv_cell(v.name) for v in frame.variables])
    for row in frame.data.itertuples(index=False, name=None):
        writer.writerow(
            csv_cell(_cell(value), decimal=decimal, digits=None, date_format=dates) for value in row
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(frame: LabelledFrame) -> bytes:
    """A workbook: the data (names in the first row, numbers as number cells, dates as date
    cells, text quote-prefixed where it could be taken for a formula), and a sheet of the
    variables' labels."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "Данные"
    for column, variable in enumerate(frame.variables, start=1):
        cell = sheet.cell(row=1, column=column)
        put(cell, variable.name)
        cell.font = Font(bold=True)
    for row_number, row in enumerate(frame.data.itertuples(index=False, name=None), start=2):
        for column, value in enumerate(row, start=1):
            value = _cell(value)
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=column)
            put(cell, value)
            if isinstance(value, dt.date):
                cell.number_format = "DD.MM.YYYY"
    sheet.freeze_panes = "B2"
    labels = workbook.create_sheet("Переменные")
    for column, title in enumerate(("Переменная", "Метка", "Значения"), start=1):
        cell = labels.cell(row=1, column=column)
        put(cell, title)
        cell.font = Font(bold=True)
    for row_number, variable in enumerate(frame.variables, start=2):
        put(labels.cell(row=row_number, column=1), variable.name)
        put(labels.cell(row=row_number, column=2), variable.label)
        put(labels.cell(row=row_number, column=3), value_labels_text(variable))
    labels.column_dimensions["A"].width = 20
    labels.column_dimensions["B"].width = 80
    labels.column_dimensions["C"].width = 80
    workbook.properties.title = cut(frame.title, 255)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def value_labels_text(variable: Variable) -> str:
    """ "1 = …; 2 = …; -9 = …": a variable's value labels on one line."""
    return "; ".join(f"{code} = {label}" for code, label in variable.value_labels.items())


def _sav_format(variable: Variable) -> str | None:
    if variable.kind != "number":
        return None
    return f"F{10 if variable.decimals else 8}.{variable.decimals}"


def sav_missing(variable: Variable) -> list[Any]:
    """A variable's user-missing codes as SPSS takes them: up to three discrete values, or
    their range when there are more (a range holds nothing else: the codes are consecutive
    and every value of the variable lies above them)."""
    if variable.missing is None:
        return []
    codes = sorted(variable.missing.values)
    if len(codes) <= 3:
        return list(codes)
    return [{"lo": codes[0], "hi": codes[-1]}]


def notes(frame: LabelledFrame) -> list[str]:
    """The document lines stored in a .sav: what the file is and how it is coded."""
    respondents = frame.respondents
    paragraphs = [
        frame.title,
        f"Анкета {frame.instrument_code}, версия {frame.instrument_version}.",
        "Коды пропусков: -7 не знаю; -8 не задавался (условие показа не выполнено); "
        "-9 нет ответа (вопрос пропущен); где значения вопроса могут их принять, "
        "-97/-98/-99 и т. д. (см. кодовую книгу).",
        f"Школы, где ответивших меньше {respondents.min_group_size}, записаны как "
        "«другие школы» (класс пуст).",
    ]
    return [line for text in paragraphs for line in wrap_bytes(text, NOTE_BYTES)]


def wrap_bytes(text: str, limit: int) -> list[str]:
    """``text`` in lines of at most ``limit`` UTF-8 bytes, broken between words."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if len(candidate.encode("utf-8")) <= limit:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = cut(word, limit)
    if line:
        lines.append(line)
    return lines


def write_sav(frame: LabelledFrame) -> bytes:
    """An SPSS .sav file of ``frame`` (pyreadstat), read back byte for byte from a temporary
    file that is always removed."""
    import pyreadstat  # heavy: only for this format

    variables = frame.variables
    descriptor, path = tempfile.mkstemp(suffix=".sav")
    os.close(descriptor)
    try:
        pyreadstat.write_sav(
            frame.data,
            path,
            file_label=cut(frame.title, FILE_LABEL_BYTES),
            column_labels={v.name: cut(v.label, LABEL_BYTES) for v in variables},
            note=notes(frame),
            variable_value_labels={
                v.name: {
                    code: cut(label, VALUE_LABEL_BYTES) for code, label in v.value_labels.items()
                }
                for v in variables
                if v.value_labels and v.kind == "number"
            },
            missing_ranges={v.name: sav_missing(v) for v in variables if v.missing is not None},
            variable_measure={v.name: v.measure for v in variables},
            variable_format={v.name: fmt for v in variables if (fmt := _sav_format(v)) is not None},
        )
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(path)
