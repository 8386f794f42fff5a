"""Importing answers collected elsewhere: paper questionnaires and Google / Yandex Forms exports.

Three steps, each usable on its own:

* :func:`answer_template` writes an XLSX workbook for typing in paper questionnaires of one
  instrument version: the sheet ``ответы`` has the item codes in row 1 and the question texts
  in row 2, then one row per questionnaire (``school_code``, optionally ``class_name``, then one
  column per answerable item, matrix rows included), with drop-down lists of the allowed
  values; the sheet ``коды`` explains every item's values (value — label).
* :func:`read_answers_file` reads that template, or a CSV / XLSX export of Google Forms or
  Yandex Forms (the first row holds the question texts), into :class:`ParsedRow` objects.
  Columns are matched to items by code, by the exact question text (ru or en) or by the text
  normalised (case, spaces, punctuation, ё/е, a leading question number); a matrix row also by
  "matrix text [row text]", as Google Forms names grid columns. A mapping file
  (:func:`read_mapping_file`) names the rest. Option labels become option values; a multiple
  choice cell "a; b" or "a, b" is split on the separators the form services use (a label that
  itself contains a comma stays whole). Timestamp and e-mail columns are recognised and
  dropped: the platform keeps neither a respondent's address nor the time of an answer.
* :func:`import_answers` validates every row against the instrument version the campaign
  fields for the audience and stores them all, or, if any cell is wrong, nothing; the
  :class:`ImportReport` names each wrong cell by its row number and column as the spreadsheet
  shows them. A row's submission id is derived from the campaign, the school, the file name,
  the row number and the row's content, so importing the same file again stores nothing twice.

Mapping file, YAML::

    columns:                       # column header -> item code (or school_code, class_name)
      "Твой класс": grade
      "Школа": school_code
    values:                        # answer text -> option value
      "Скорее согласен": 3         #   for every item
      bul_1:                       #   for one item only
        "Иногда": 2

A flat YAML mapping (header -> item code) is read as ``columns``. Mapping file, CSV (``,``,
``;`` or tab; a header row naming the columns ``column``/``столбец``, ``item``/``вопрос``,
``answer``/``ответ``, ``value``/``значение``): a row with a column header and an item code maps
a column; a row with an answer text and a value maps a value (for the item in that row, if
given, else for every item). A CSV without a header row is read as pairs header, item code.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import unicodedata
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, NamedTuple

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from instruments.answers import MAX_TEXT, validate_answers
from instruments.errors import AnswerErrors
from instruments.schema import CHOICE_TYPES, Instrument, Item, ItemType, Option, text_in
from surveys import models as m
from surveys.errors import Conflict, InvalidInput, NotFound
from surveys.instrument_store import instrument_of

SCHOOL_COLUMN = "school_code"
CLASS_COLUMN = "class_name"
ANSWERS_SHEET = "ответы"
CODES_SHEET = "коды"
IMPORT_SOURCE = "import"
#: rows of the template that carry drop-down lists
TEMPLATE_ROWS = 2000
#: Text starting with one of these is a formula-injection vector in spreadsheet programs.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: the namespace of imported rows' submission ids (uuid5)
IMPORT_NAMESPACE = uuid.UUID("5674f9f3-3319-4b6a-8a4d-67fd288a6a9d")
_CLASS_NAME_MAX = 16
_MAX_PIECES = 40
_PSEUDO_TEXTS = {SCHOOL_COLUMN: "Код школы", CLASS_COLUMN: "Класс (например, 7Б)"}

# Normalised headers of the columns form services add on their own: when the answer was sent,
# and who sent it. Neither is imported: only the date of the import is stored.
_TIMESTAMP_HEADERS = frozenset(
    {
        "отметка времени",
        "timestamp",
        "время создания",
        "время изменения",
        "время отправки",
        "время заполнения",
        "время начала",
        "время окончания",
        "дата создания",
        "дата и время",
        "дата заполнения",
        "дата отправки",
        "submitted at",
        "submission time",
        "created at",
        "start time",
        "completion time",
    }
)
_EMAIL_HEADERS = frozenset(
    {
        "адрес электронной почты",
        "электронная почта",
        "эл почта",
        "почта",
        "email",
        "e mail",
        "email address",
        "e mail address",
        "адрес почты",
    }
)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SEPARATORS = re.compile(r"\s*([;,\n])\s*")
_LEADING_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.)]\s*")
_PARENTHESES = re.compile(r"\([^()]*\)")


# ---------------------------------------------------------------------------------------------
# Text helpers


def normalise(text: str) -> str:
    """Case, spaces, punctuation and ё/е ignored: 'Скорее согласен(на)!' -> 'скорее согласен на'."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def rows_word(n: int) -> str:
    """'1 строка', '3 строки', '5 строк'."""
    return f"{n} {_plural(n, 'строка', 'строки', 'строк')}"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell_text(value: Any) -> str | None:
    """A cell as text (None when blank): 3.0 -> '3', a date -> its ISO form."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "да" if value else "нет"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


# ---------------------------------------------------------------------------------------------
# The template


def _put(cell: Any, value: object) -> None:
    """Write a value; text is always a string cell, quote-prefixed if it could be a formula."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"  # a string, never a formula, whatever it starts with
        if text.startswith(DANGEROUS_PREFIXES):
            cell.quotePrefix = True
    else:
        cell.value = value


@dataclass(frozen=True)
class _TemplateColumn:
    code: str
    text: str
    values: list[tuple[int | str, str]]  # allowed values with their labels
    description: str  # what to write when there is no list of values
    notes: list[str]
    kind: str  # "list", "multi", "number", "text"
    item: Item | None = None


def _item_header(instrument: Instrument, item: Item, row: Item) -> str:
    if item.type is ItemType.matrix:
        return f"{text_in(item.text)} [{text_in(row.text)}]"
    return text_in(row.text)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}".replace(".", ",")


def _template_column(instrument: Instrument, item: Item, row: Item) -> _TemplateColumn:
    notes: list[str] = []
    if row.required:
        notes.append("обязательный вопрос")
    if row.relevant:
        notes.append(f"заполняется, только если {row.relevant}")
    header = _item_header(instrument, item, row)
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
            _PSEUDO_TEXTS[SCHOOL_COLUMN],
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
                _PSEUDO_TEXTS[CLASS_COLUMN],
                [],
                f"класс с буквой, не длиннее {_CLASS_NAME_MAX} символов",
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
            prompt=_short(prompt, 255),
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
            prompt=_short(column.description, 255),
            showErrorMessage=True,
            errorTitle="Недопустимое значение",
            error=_short(f"Нужно: {column.description}.", 255),
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
        _put(codes.cell(row=1, column=index), heading)
        codes.cell(row=1, column=index).font = bold
    for letter, width in zip("ABCDE", (18, 60, 12, 45, 45), strict=True):
        codes.column_dimensions[letter].width = width
    codes.freeze_panes = "A2"

    wrap = Alignment(wrap_text=True, vertical="top")
    line = 2
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        _put(answers.cell(row=1, column=index), column.code)
        answers.cell(row=1, column=index).font = bold
        _put(answers.cell(row=2, column=index), column.text)
        answers.cell(row=2, column=index).alignment = wrap
        answers.column_dimensions[letter].width = 14 if index > 1 else 12

        first = line
        entries: list[tuple[int | str | None, str]] = list(column.values) or [
            (None, column.description)
        ]
        for number, (value, label) in enumerate(entries):
            _put(codes.cell(row=line, column=1), column.code)
            if number == 0:
                _put(codes.cell(row=line, column=2), column.text)
                codes.cell(row=line, column=2).alignment = wrap
                if column.notes:
                    _put(codes.cell(row=line, column=5), "; ".join(column.notes))
            if value is not None:
                _put(codes.cell(row=line, column=3), value)
            if label:
                _put(codes.cell(row=line, column=4), label)
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


# ---------------------------------------------------------------------------------------------
# Mapping files


@dataclass(frozen=True)
class ImportMapping:
    """What a mapping file says: column header -> item code, answer text -> option value."""

    columns: dict[str, str] = field(default_factory=dict)
    #: normalised answer text -> value, for every item
    values: dict[str, int | str] = field(default_factory=dict)
    #: item code -> normalised answer text -> value
    item_values: dict[str, dict[str, int | str]] = field(default_factory=dict)


def _mapped_value(value: Any, where: str) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise InvalidInput(f"{where}: значение должно быть числом или текстом.")
    if isinstance(value, float):
        if not value.is_integer():
            return str(value)
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    return value.strip() if isinstance(value, str) else value


def _mapping_from_yaml(text: str, name: str) -> ImportMapping:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (строка {mark.line + 1})" if mark is not None else ""
        raise InvalidInput(f"Файл сопоставления {name}: ошибка YAML{where}.") from None
    if data is None:
        return ImportMapping()
    if not isinstance(data, dict):
        raise InvalidInput(f"Файл сопоставления {name}: ожидался словарь (columns, values).")
    if not set(data) & {"columns", "values"}:
        data = {"columns": data}
    unknown = set(data) - {"columns", "values"}
    if unknown:
        raise InvalidInput(
            f"Файл сопоставления {name}: неизвестные разделы: {', '.join(map(str, unknown))} "
            "(ожидаются columns и values)."
        )
    columns_data = data.get("columns") or {}
    values_data = data.get("values") or {}
    if not isinstance(columns_data, dict) or not isinstance(values_data, dict):
        raise InvalidInput(f"Файл сопоставления {name}: columns и values должны быть словарями.")
    columns: dict[str, str] = {}
    for header, code in columns_data.items():
        if not isinstance(code, str) or not code.strip():
            raise InvalidInput(
                f"Файл сопоставления {name}: для столбца «{header}» нужен код вопроса."
            )
        columns[str(header).strip()] = code.strip()
    values: dict[str, int | str] = {}
    item_values: dict[str, dict[str, int | str]] = {}
    for key, value in values_data.items():
        if isinstance(value, dict):
            item_values[str(key).strip()] = {
                normalise(str(answer)): _mapped_value(v, f"{name}: values.{key}.{answer}")
                for answer, v in value.items()
            }
        else:
            values[normalise(str(key))] = _mapped_value(value, f"{name}: values.{key}")
    return ImportMapping(columns, values, item_values)


_MAPPING_HEADERS = {
    "column": "column",
    "столбец": "column",
    "header": "column",
    "заголовок": "column",
    "item": "item",
    "вопрос": "item",
    "code": "item",
    "код": "item",
    "answer": "answer",
    "ответ": "answer",
    "text": "answer",
    "текст": "answer",
    "value": "value",
    "значение": "value",
}


def _mapping_from_csv(text: str, name: str) -> ImportMapping:
    records = [r for r in _csv_records(text) if any(c.strip() for c in r[1])]
    if not records:
        return ImportMapping()
    head = [_MAPPING_HEADERS.get(normalise(c)) for c in records[0][1]]
    columns: dict[str, str] = {}
    values: dict[str, int | str] = {}
    item_values: dict[str, dict[str, int | str]] = {}
    if not any(head):
        # No header row: pairs of column header and item code.
        for number, cells in records:
            if len(cells) < 2 or not cells[0].strip() or not cells[1].strip():
                raise InvalidInput(
                    f"Файл сопоставления {name}, строка {number}: "
                    "нужны заголовок столбца и код вопроса."
                )
            columns[cells[0].strip()] = cells[1].strip()
        return ImportMapping(columns, values, item_values)
    for number, cells in records[1:]:
        row = {key: cells[i].strip() for i, key in enumerate(head) if key and i < len(cells)}
        column, item = row.get("column", ""), row.get("item", "")
        answer, value = row.get("answer", ""), row.get("value", "")
        if column and item:
            columns[column] = item
        elif answer and value:
            target = item_values.setdefault(item, {}) if item else values
            target[normalise(answer)] = _mapped_value(value, f"{name}, строка {number}")
        else:
            raise InvalidInput(
                f"Файл сопоставления {name}, строка {number}: нужны столбец и вопрос "
                "или ответ и значение."
            )
    return ImportMapping(columns, values, item_values)


def read_mapping_file(data: bytes, name: str) -> ImportMapping:
    """Read a mapping file (YAML, or CSV when its name ends in .csv); see the module docs.

    Raises
    ------
    InvalidInput
        With a Russian message naming the file and the place of the problem.
    """
    text = _decode(data, name)
    if PurePath(name).suffix.lower() in (".csv", ".tsv", ".txt"):
        return _mapping_from_csv(text, name)
    return _mapping_from_yaml(text, name)


def _as_mapping(mapping: ImportMapping | Mapping[str, str] | None) -> ImportMapping:
    if mapping is None:
        return ImportMapping()
    if isinstance(mapping, ImportMapping):
        return mapping
    return ImportMapping(columns={str(k).strip(): str(v).strip() for k, v in mapping.items()})


# ---------------------------------------------------------------------------------------------
# Reading tables: CSV and XLSX


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        f"Файл {name}: не удалось определить кодировку; сохраните его в UTF-8 или Windows-1251."
    )


def _delimiter(text: str) -> str:
    sample = text[:65536]
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in (",", ";", "\t"):
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            rows = [r for r in itertools.islice(reader, 50) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        # The sample may cut the last record short: it does not count.
        body = rows[1:-1] if len(rows) > 2 else rows[1:]
        share = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (width > 1, share, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_records(text: str) -> list[tuple[int, list[str]]]:
    """Records with their row numbers as a spreadsheet shows them (a record is one row even
    when a quoted cell holds line breaks)."""
    delimiter = _delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return list(enumerate(reader, start=1))
    except csv.Error as exc:
        raise InvalidInput(f"Файл CSV не читается: {exc}.") from None


def _xlsx_records(data: bytes, name: str) -> list[tuple[int, list[Any]]]:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation extensions, styles…).
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = {str(ws.title).strip().lower(): ws for ws in workbook.worksheets}
                worksheet = sheets.get(ANSWERS_SHEET) or workbook.worksheets[0]
                worksheet.reset_dimensions()
                records = [
                    (number, list(values))
                    for number, values in enumerate(
                        worksheet.iter_rows(values_only=True),
                        start=1,
                    )
                ]
            finally:
                workbook.close()
    except Exception as exc:  # openpyxl fails in many ways on a damaged file; none may escape
        raise InvalidInput(
            f"Файл {name}: XLSX повреждён или не читается ({type(exc).__name__})."
        ) from None
    return records


def _read_table(data: bytes, name: str) -> list[tuple[int, list[Any]]]:
    suffix = PurePath(name).suffix.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise InvalidInput(
            f"Файл {name}: это старый формат XLS; сохраните таблицу как .xlsx или .csv."
        )
    if data.startswith(b"PK") or suffix in (".xlsx", ".xlsm"):
        return _xlsx_records(data, name)
    if suffix in (".csv", ".tsv", ".txt", ""):
        return _csv_records(_decode(data, name))
    raise InvalidInput(f"Файл {name}: ожидается таблица .csv или .xlsx.")


# ---------------------------------------------------------------------------------------------
# Parsed rows


class RowError(NamedTuple):
    """One problem: the row and the column as the spreadsheet shows them, and what is wrong."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"строка {self.row}" + (f", столбец {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    """One questionnaire read from a file, before validation."""

    #: the row number as the spreadsheet shows it
    row: int
    #: item code -> the answer, option labels already turned into values where they matched
    answers: dict[str, Any]
    school_code: str | None = None
    class_name: str | None = None
    #: the file's name (not its path): part of the row's identity for repeated imports
    source: str = ""
    #: item code -> the cell as written, for messages
    cells: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FileLayout:
    """What :func:`read_answers_file` made of a file's columns."""

    source: str
    header_row: int
    #: column header -> item code (or school_code, class_name)
    column_map: dict[str, str]
    unmapped_columns: list[str]
    #: timestamp and e-mail columns, never imported
    dropped_columns: list[str]
    #: item code (or school_code, class_name) -> its column as "C «header»"
    labels: dict[str, str]
    #: problems with the columns themselves (row = the header row)
    problems: list[RowError]
    #: rows without a single answer, skipped
    empty_rows: int = 0


class ParsedRows(list[ParsedRow]):
    """The rows of a file, with the file's :class:`FileLayout` in ``layout``."""

    def __init__(self, rows: Iterable[ParsedRow], layout: FileLayout) -> None:
        super().__init__(rows)
        self.layout = layout


@dataclass(frozen=True)
class _Column:
    index: int  # 0-based
    header: str
    target: str | None = None

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)

    @property
    def label(self) -> str:
        return f"{self.letter} «{_short(self.header, 50)}»" if self.header else self.letter


class _Targets:
    """Finds the item a column header means: by code, exact text, or normalised text."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.items = instrument.items_by_code()
        self.headers: dict[str, str] = dict(_PSEUDO_TEXTS)  # code -> header text (template)
        self.exact: dict[str, set[str]] = {}
        self.normal: dict[str, set[str]] = {}
        for target, text in _PSEUDO_TEXTS.items():
            self._add(target, [text])
        for section in instrument.sections:
            for item in section.items:
                for row in instrument.answerable(item):
                    texts = list(row.text.values())
                    if item.type is ItemType.matrix:
                        texts += [
                            f"{text_in(item.text, lang)} [{text_in(row.text, lang)}]"
                            for lang in {*item.text, *row.text}
                        ]
                    self.headers[row.code] = _item_header(instrument, item, row)
                    self._add(row.code, texts)

    def _add(self, code: str, texts: list[str]) -> None:
        for text in texts:
            self.exact.setdefault(text.strip(), set()).add(code)
            for key in {normalise(text), normalise(_LEADING_NUMBER.sub("", text))}:
                if key:
                    self.normal.setdefault(key, set()).add(code)

    def known(self, code: str) -> bool:
        return code in self.items or code in _PSEUDO_TEXTS

    def find(self, header: str) -> str | None:
        header = header.strip()
        if self.known(header):
            return header
        for table, key in (
            (self.exact, header),
            (self.normal, normalise(header)),
            (self.normal, normalise(_LEADING_NUMBER.sub("", header))),
        ):
            found = table.get(key)
            if found is not None and len(found) == 1:
                return next(iter(found))
        return None


def _is_dropped(header: str, cells: list[str]) -> bool:
    key = normalise(header)
    if key in _TIMESTAMP_HEADERS or key in _EMAIL_HEADERS:
        return True
    if "email" in key.replace(" ", "") or ("электронн" in key and "почт" in key):
        return True
    # A column of addresses, whatever its header says.
    return bool(cells) and sum(bool(_EMAIL_RE.match(c)) for c in cells) * 2 >= len(cells)


class _Options:
    """An item's options, found by value, by label (ru, en) or by label without remarks."""

    def __init__(self, options: list[Option]) -> None:
        self.by_value = {str(o.value): o.value for o in options}
        self.by_label: dict[str, set[int | str]] = {}
        self.by_stem: dict[str, set[int | str]] = {}
        for option in options:
            for label in option.label.values():
                self.by_label.setdefault(normalise(label), set()).add(option.value)
                stem = normalise(_PARENTHESES.sub(" ", label))
                if stem:
                    self.by_stem.setdefault(stem, set()).add(option.value)

    def find(self, text: str) -> int | str | None:
        if text in self.by_value:
            return self.by_value[text]
        key = normalise(text)
        for table, lookup in (
            (self.by_label, key),
            (self.by_stem, key),
            (self.by_stem, normalise(_PARENTHESES.sub(" ", text))),
        ):
            found = table.get(lookup)
            if found is not None and len(found) == 1:
                return next(iter(found))
        return None


class _Converter:
    """Turns a cell into an answer that :func:`validate_answers` understands."""

    def __init__(self, instrument: Instrument, mapping: ImportMapping) -> None:
        self.instrument = instrument
        self.mapping = mapping
        self.options: dict[str, _Options] = {}

    def _options(self, item: Item) -> _Options:
        found = self.options.get(item.code)
        if found is None:
            found = self.options[item.code] = _Options(self.instrument.options_for(item))
        return found

    def _mapped(self, item: Item, text: str) -> int | str | None:
        key = normalise(text)
        per_item = self.mapping.item_values.get(item.code, {})
        if key in per_item:
            return per_item[key]
        return self.mapping.values.get(key)

    def _one(self, item: Item, text: str) -> int | str | None:
        mapped = self._mapped(item, text)
        if mapped is not None:
            return mapped
        return self._options(item).find(text)

    def convert(self, item: Item, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = _cell_text(value)
        if text is None:
            return None
        if item.type is ItemType.multiple_choice:
            return self._split(item, text)
        if item.type in (ItemType.likert, ItemType.single_choice, ItemType.class_letter):
            found = self._one(item, text)
            return text if found is None else found
        mapped = self._mapped(item, text)
        if mapped is not None:
            return mapped
        if item.type is ItemType.grade:
            match = re.fullmatch(r"(\d{1,2})(?:\s*-?\s*й)?(?:\s*класс[а-я]*)?\s*[А-Яа-яЁё]?", text)
            return int(match.group(1)) if match else text
        if item.type is ItemType.number:
            if isinstance(value, int | float):
                return value
            # "1 200" as typed in Russian: spaces (also no-break ones) between thousands.
            return re.sub(r"(?<=\d)[\s\u00a0\u202f](?=\d{3}\b)", "", text)
        return text

    def _split(self, item: Item, text: str) -> list[Any]:
        """'a; b' or 'a, b' -> values; a label that contains a separator stays whole."""
        parts = _SEPARATORS.split(text)
        pieces, separators = parts[0::2], parts[1::2]
        if len(pieces) > _MAX_PIECES:  # not a list of choices: validation will say so
            return [text]

        def joined(start: int, stop: int) -> str:
            out = pieces[start]
            for i in range(start + 1, stop):
                out += f"{separators[i - 1]} {pieces[i]}"
            return out

        # Fewest pieces such that every piece is an option (labels may contain commas).
        n = len(pieces)
        best: list[list[int | str] | None] = [None] * (n + 1)
        best[0] = []
        for stop in range(1, n + 1):
            for start in range(stop):
                before = best[start]
                if before is None:
                    continue
                piece = joined(start, stop).strip()
                found = self._one(item, piece) if piece else None
                if found is None:
                    continue
                candidate = [*before, found]
                current = best[stop]
                if current is None or len(candidate) < len(current):
                    best[stop] = candidate
        if best[n] is not None:
            return list(best[n] or [])
        # Not every piece is an option: pass them on, validation names the wrong cell.
        out: list[Any] = []
        for piece in pieces:
            if piece.strip():
                found = self._one(item, piece.strip())
                out.append(piece.strip() if found is None else found)
        return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_answers_file(
    data: bytes,
    name: str,
    instrument: Instrument,
    *,
    mapping: ImportMapping | Mapping[str, str] | None = None,
) -> ParsedRows:
    """Read answers from our template or from a CSV / XLSX export of Google or Yandex Forms.

    ``mapping`` is a mapping file's content (:func:`read_mapping_file`) or a plain dictionary
    of column header -> item code. The result is a list of :class:`ParsedRow` (rows without
    any answer skipped) with the columns' :class:`FileLayout` in its ``layout`` attribute.

    Raises
    ------
    InvalidInput
        When the file cannot be read as a table at all.
    """
    source = PurePath(name).name
    rules = _as_mapping(mapping)
    records = [(n, cells) for n, cells in _read_table(data, name) if not all(map(_blank, cells))]
    if not records:
        raise InvalidInput(f"Файл {source}: в таблице нет ни заголовков, ни ответов.")
    header_row, header_cells = records[0]
    body = records[1:]
    targets = _Targets(instrument)
    normal_rules = {normalise(k): v for k, v in rules.columns.items()}

    columns: list[_Column] = []
    problems: list[RowError] = []
    column_map: dict[str, str] = {}
    unmapped: list[str] = []
    dropped: list[str] = []
    taken: dict[str, _Column] = {}
    width = max(len(cells) for _, cells in records)
    for index in range(width):
        raw_header = header_cells[index] if index < len(header_cells) else None
        header = _cell_text(raw_header) or ""
        cells = [
            text
            for _, row in body
            if index < len(row) and (text := _cell_text(row[index])) is not None
        ]
        column = _Column(index, header)
        if not header:
            if cells:
                nameless = f"{column.letter} (без заголовка)"
                (dropped if _is_dropped("", cells) else unmapped).append(nameless)
            continue
        target = rules.columns.get(header) or normal_rules.get(normalise(header))
        if target is not None and not targets.known(target):
            problems.append(
                RowError(
                    header_row,
                    column.label,
                    f"в файле сопоставления указан неизвестный вопрос «{target}»",
                )
            )
            continue
        target = target or targets.find(header)
        if target is None:
            if _is_dropped(header, cells):
                dropped.append(header)
            else:
                unmapped.append(column.label)
            continue
        if target in taken:
            problems.append(
                RowError(
                    header_row,
                    column.label,
                    f"вопрос «{target}» уже сопоставлен столбцу {taken[target].label}",
                )
            )
            continue
        column = _Column(index, header, target)
        taken[target] = column
        key = header if header not in column_map else f"{column.letter}: {header}"
        column_map[key] = target
        columns.append(column)

    # Our template's second row repeats the question texts: it is not a questionnaire.
    if body:
        _, first = body[0]
        shown = [(c, _cell_text(first[c.index]) if c.index < len(first) else None) for c in columns]
        if any(t is not None for _, t in shown) and all(
            t is None or (c.target and normalise(t) == normalise(targets.headers[c.target]))
            for c, t in shown
        ):
            body = body[1:]

    converter = _Converter(instrument, rules)
    labels = {c.target: c.label for c in columns if c.target}
    parsed: list[ParsedRow] = []
    empty = 0
    for number, cells in body:
        answers: dict[str, Any] = {}
        written: dict[str, str] = {}
        school: str | None = None
        class_name: str | None = None
        for column in columns:
            value = cells[column.index] if column.index < len(cells) else None
            text = _cell_text(value)
            if text is None:
                continue
            if column.target == SCHOOL_COLUMN:
                school = text
            elif column.target == CLASS_COLUMN:
                class_name = text
            elif column.target is not None:
                item = targets.items[column.target]
                answers[column.target] = converter.convert(item, value)
                written[column.target] = text
        if not answers:
            empty += 1
            continue
        parsed.append(
            ParsedRow(
                row=number,
                answers=answers,
                school_code=school,
                class_name=class_name,
                source=source,
                cells=written,
            )
        )
    if not columns or all(c.target in _PSEUDO_TEXTS for c in columns):
        problems.append(
            RowError(
                header_row,
                "",
                "ни один столбец не сопоставлен с вопросами анкеты: проверьте группу "
                "респондентов или укажите столбцы в файле сопоставления",
            )
        )
    layout = FileLayout(
        source=source,
        header_row=header_row,
        column_map=column_map,
        unmapped_columns=unmapped,
        dropped_columns=dropped,
        labels=labels,
        problems=problems,
        empty_rows=empty,
    )
    return ParsedRows(parsed, layout)


# ---------------------------------------------------------------------------------------------
# Importing


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, in a dry run, would do), and every problem it found."""

    source: str
    dry_run: bool
    rows_total: int
    rows_ok: int
    rows_stored: int
    already_imported: int
    #: column header -> item code (or school_code, class_name)
    column_map: dict[str, str]
    unmapped_columns: list[str]
    dropped_columns: list[str]
    #: (row, column, message), row and column as the spreadsheet shows them
    errors: list[RowError]
    #: rows without a single answer, skipped
    empty_rows: int = 0

    @property
    def rows_new(self) -> int:
        """Rows that are (or would be) stored: correct and not imported before."""
        return self.rows_ok - self.already_imported if not self.errors else 0

    def __str__(self) -> str:
        lines = [f"Файл: {self.source}" if self.source else "Импорт ответов"]
        if self.column_map:
            lines.append("Столбцы:")
            lines += [f"  «{_short(h, 70)}» → {code}" for h, code in self.column_map.items()]
        if self.dropped_columns:
            shown = ", ".join(f"«{_short(h, 40)}»" for h in self.dropped_columns)
            lines.append(
                f"Не переносятся (время ответа и адреса не сохраняются ради анонимности): {shown}"
            )
        if self.unmapped_columns:
            lines.append(
                "Не сопоставлены ни с одним вопросом (не переносятся; укажите их в файле "
                f"сопоставления): {', '.join(self.unmapped_columns)}"
            )
        counts = f"Строк с ответами: {self.rows_total}, без ошибок: {self.rows_ok}"
        if self.empty_rows:
            counts += f", пустых пропущено: {self.empty_rows}"
        lines.append(counts + ".")
        if self.errors:
            lines.append(f"Ошибки ({len(self.errors)}), ничего не сохранено:")
            limit = 200
            lines += [f"  {error}" for error in self.errors[:limit]]
            if len(self.errors) > limit:
                lines.append(f"  … и ещё {len(self.errors) - limit}")
            return "\n".join(lines)
        if self.already_imported:
            lines.append(
                f"Пропущено, уже импортировано: {rows_word(self.already_imported)} "
                "(тот же файл, те же строки)."
            )
        if self.dry_run:
            lines.append(
                "Пробный запуск, ничего не сохранено; при импорте будет добавлено: "
                f"{rows_word(self.rows_new)}."
            )
        else:
            lines.append(f"Импортировано: {rows_word(self.rows_stored)}.")
        return "\n".join(lines)


def fielded_version(session: Session, campaign: m.Campaign, audience: str) -> m.InstrumentVersion:
    """The instrument version the campaign gives to ``audience``.

    Raises
    ------
    InvalidInput
        An unknown audience.
    NotFound
        The campaign fields no instrument for that audience.
    """
    if audience not in m.AudienceKind.__members__:
        raise InvalidInput(f"Неизвестная группа респондентов: {audience}")
    version = session.scalar(
        select(m.InstrumentVersion)
        .join(m.Fielding, m.Fielding.instrument_version_id == m.InstrumentVersion.id)
        .where(m.Fielding.campaign_id == campaign.id, m.Fielding.audience == audience)
    )
    if version is None:
        raise NotFound(f"В кампании {campaign.id} нет анкеты для группы «{audience}».")
    return version


def campaign_schools(session: Session, campaign: m.Campaign) -> dict[str, m.School]:
    """The campaign's schools by code, in code order."""
    schools = session.scalars(
        select(m.School)
        .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
        .where(m.CampaignSchool.campaign_id == campaign.id)
        .order_by(m.School.code)
    ).all()
    return {school.code: school for school in schools}


def submission_id_for(
    campaign: m.Campaign,
    school: m.School,
    row: ParsedRow,
    *,
    audience: str,
    version: m.InstrumentVersion,
) -> str:
    """A row's submission id (uuid5): the same file name, row number and content always give
    the same id, so a file imported again is recognised row by row.

    The content is the row's cells as written in the imported columns (not their reading:
    a corrected mapping file does not make the rows new). Dropped and unmapped columns are
    left out on purpose: an id must not be a hash of an e-mail address or a name, which
    could be confirmed by trying candidates.
    """
    content = {
        "audience": audience,
        "version": version.id,
        "class_name": row.class_name,
        "cells": row.cells,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    name = f"campaign={campaign.id};school={school.id};file={row.source};row={row.row};{digest}"
    return str(uuid.uuid5(IMPORT_NAMESPACE, name))


def _layout_of(rows: Sequence[ParsedRow]) -> FileLayout:
    if isinstance(rows, ParsedRows):
        return rows.layout
    return FileLayout(
        source=rows[0].source if rows else "",
        header_row=1,
        column_map={},
        unmapped_columns=[],
        dropped_columns=[],
        labels={},
        problems=[],
    )


def _existing_ids(session: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            session.scalars(
                select(m.Response.submission_id).where(m.Response.submission_id.in_(chunk))
            )
        )
    return found


def _find_school(code: str, schools: Mapping[str, m.School]) -> m.School | None:
    return schools.get(code) or next(
        (s for c, s in schools.items() if c.casefold() == code.strip().casefold()), None
    )


def _school_of(
    row: ParsedRow, default: str | None, schools: Mapping[str, m.School]
) -> tuple[m.School | None, str | None]:
    """The row's school (its own cell, else the default), or why there is none."""
    code = row.school_code or default
    if not code:
        return None, "не указан код школы (заполните столбец school_code или укажите --school)"
    school = _find_school(code, schools)
    if school is None:
        return None, f"школы «{code}» нет в кампании"
    return school, None


def import_answers(
    session: Session,
    *,
    campaign: m.Campaign,
    audience: str,
    rows: Sequence[ParsedRow],
    dry_run: bool,
    today: dt.date,
    school_code: str | None = None,
) -> ImportReport:
    """Validate every row against the version the campaign fields for ``audience``; store all.

    A row's school is its ``school_code`` cell, else ``school_code`` given here. If any row
    (or the columns of the file) has an error, nothing is stored and the report lists every
    error by row and column. Rows stored by an earlier import of the same file (same name,
    row number and content) are counted in ``already_imported`` and not stored again. With
    ``dry_run`` nothing is stored. Stored responses have source "import", status complete and
    ``today`` as their date; never a time of day.

    Raises
    ------
    InvalidInput, NotFound
        An unknown audience or school, or an audience the campaign does not survey.
    Conflict
        The same rows were stored by a concurrent import meanwhile.
    """
    version = fielded_version(session, campaign, audience)
    instrument = instrument_of(version)
    schools = campaign_schools(session, campaign)
    if school_code is not None and _find_school(school_code, schools) is None:
        raise NotFound(f"Школы «{school_code}» нет в кампании {campaign.id}.")
    layout = _layout_of(rows)
    labels = layout.labels
    errors: list[RowError] = list(layout.problems)
    # A required question or the school without a column: said once, not in every row.
    missing: set[str] = set()
    if rows and isinstance(rows, ParsedRows):
        if school_code is None and SCHOOL_COLUMN not in labels:
            missing.add(SCHOOL_COLUMN)
            errors.append(
                RowError(
                    layout.header_row,
                    "",
                    "нет столбца school_code: укажите школу параметром --school "
                    "или добавьте столбец с кодами школ",
                )
            )
        for item in instrument.items():
            if item.required and item.code not in labels:
                missing.add(item.code)
                errors.append(
                    RowError(
                        layout.header_row,
                        "",
                        f"нет столбца для обязательного вопроса {item.code} "
                        f"(«{_short(text_in(item.text), 60)}»)",
                    )
                )
    school_label = labels.get(SCHOOL_COLUMN, SCHOOL_COLUMN)
    class_label = labels.get(CLASS_COLUMN, CLASS_COLUMN)
    order = {code: i for i, code in enumerate([SCHOOL_COLUMN, CLASS_COLUMN, *labels])}
    prepared: list[tuple[ParsedRow, m.School, dict[str, Any], str]] = []
    rows_ok = 0
    for row in rows:
        row_errors: list[tuple[str, RowError]] = []
        school, problem = _school_of(row, school_code, schools)
        if problem and SCHOOL_COLUMN not in missing:
            row_errors.append((SCHOOL_COLUMN, RowError(row.row, school_label, problem)))
        if row.class_name is not None and len(row.class_name) > _CLASS_NAME_MAX:
            row_errors.append(
                (
                    CLASS_COLUMN,
                    RowError(row.row, class_label, f"класс длиннее {_CLASS_NAME_MAX} символов"),
                )
            )
        clean: dict[str, Any] = {}
        try:
            clean = validate_answers(instrument, row.answers)
        except AnswerErrors as exc:
            for item_code, message in exc.errors.items():
                if item_code in missing:
                    continue
                written = row.cells.get(item_code)
                text = f"{message}: «{_short(written, 60)}»" if written else message
                row_errors.append(
                    (item_code, RowError(row.row, labels.get(item_code, item_code), text))
                )
        if row_errors or school is None:
            row_errors.sort(key=lambda pair: order.get(pair[0], len(order)))
            errors.extend(error for _, error in row_errors)
            continue
        rows_ok += 1
        sid = submission_id_for(campaign, school, row, audience=audience, version=version)
        prepared.append((row, school, clean, sid))

    existing = _existing_ids(session, [sid for *_, sid in prepared])
    already = sum(sid in existing for *_, sid in prepared)
    stored = 0
    if not errors and not dry_run:
        new = [
            m.Response(
                submission_id=sid,
                campaign_id=campaign.id,
                school_id=school.id,
                link_id=None,
                audience=audience,
                class_name=row.class_name,
                instrument_version_id=version.id,
                answers=clean,
                status=m.ResponseStatus.complete.value,
                progress=len(instrument.sections),
                submitted_on=today,
                source=IMPORT_SOURCE,
            )
            for row, school, clean, sid in prepared
            if sid not in existing
        ]
        try:
            with session.begin_nested():
                session.add_all(new)
        except IntegrityError:
            raise Conflict(
                "Эти строки только что импортированы другим запуском; повторите импорт."
            ) from None
        stored = len(new)
    return ImportReport(
        source=layout.source,
        dry_run=dry_run,
        rows_total=len(rows),
        rows_ok=rows_ok,
        rows_stored=stored,
        already_imported=already,
        column_map=dict(layout.column_map),
        unmapped_columns=list(layout.unmapped_columns),
        dropped_columns=list(layout.dropped_columns),
        errors=errors,
        empty_rows=layout.empty_rows,
    )
