"""Reading a file of answers into rows: matching its columns to items, its cells to answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, NamedTuple

from openpyxl.utils import get_column_letter

from instruments.schema import Instrument
from surveys.errors import InvalidInput
from surveys.imports.common import (
    CLASS_COLUMN,
    PSEUDO_TEXTS,
    SCHOOL_COLUMN,
    cell_text,
    normalise,
    short,
)
from surveys.imports.files import is_dropped, read_table
from surveys.imports.mapping import NOT_OFFERED, Converter, ImportMapping, Targets, as_mapping


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
    #: items answered «не знаю» that do not offer that answer: left unanswered, reported
    not_offered: tuple[str, ...] = ()


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
        return f"{self.letter} «{short(self.header, 50)}»" if self.header else self.letter


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
    rules = as_mapping(mapping)
    records = [(n, cells) for n, cells in read_table(data, name) if not all(map(_blank, cells))]
    if not records:
        raise InvalidInput(f"Файл {source}: в таблице нет ни заголовков, ни ответов.")
    header_row, header_cells = records[0]
    body = records[1:]
    targets = Targets(instrument)
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
        header = cell_text(raw_header) or ""
        cells = [
            text
            for _, row in body
            if index < len(row) and (text := cell_text(row[index])) is not None
        ]
        column = _Column(index, header)
        if not header:
            if cells:
                nameless = f"{column.letter} (без заголовка)"
                (dropped if is_dropped("", cells) else unmapped).append(nameless)
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
            if is_dropped(header, cells):
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
        shown = [(c, cell_text(first[c.index]) if c.index < len(first) else None) for c in columns]
        if any(t is not None for _, t in shown) and all(
            t is None or (c.target and normalise(t) == normalise(targets.headers[c.target]))
            for c, t in shown
        ):
            body = body[1:]

    converter = Converter(instrument, rules)
    labels = {c.target: c.label for c in columns if c.target}
    parsed: list[ParsedRow] = []
    empty = 0
    for number, cells in body:
        answers: dict[str, Any] = {}
        written: dict[str, str] = {}
        not_offered: list[str] = []
        school: str | None = None
        class_name: str | None = None
        for column in columns:
            value = cells[column.index] if column.index < len(cells) else None
            text = cell_text(value)
            if text is None:
                continue
            if column.target == SCHOOL_COLUMN:
                school = text
            elif column.target == CLASS_COLUMN:
                class_name = text
            elif column.target is not None:
                item = targets.items[column.target]
                answer = converter.convert(item, value)
                written[column.target] = text
                if answer is NOT_OFFERED:
                    not_offered.append(column.target)
                else:
                    answers[column.target] = answer
        if not answers and not not_offered:
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
                not_offered=tuple(not_offered),
            )
        )
    if not columns or all(c.target in PSEUDO_TEXTS for c in columns):
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
