"""Mapping files, and matching column headers to items and answer texts to option values.

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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import yaml

from instruments.schema import Instrument, Item, ItemType, Option, text_in
from surveys.errors import InvalidInput
from surveys.imports.common import PSEUDO_TEXTS, cell_text, item_header, normalise
from surveys.imports.files import csv_records, decode

_MAX_PIECES = 40
#: how form services and people write "I don't know" (normalised); a cell may join several
#: ("Не знаю / затрудняюсь ответить")
DONT_KNOW_TEXTS = frozenset(
    {
        "не знаю",
        "затрудняюсь",
        "затрудняюсь ответить",
        "затрудняюсь с ответом",
        "трудно сказать",
        "не могу сказать",
        "не могу ответить",
        "don t know",
        "do not know",
        "hard to say",
    }
)
_DONT_KNOW_JOINS = re.compile(r"\s*(?:/|,|;|\bили\b|\bor\b)\s*")
_SEPARATORS = re.compile(r"\s*([;,\n])\s*")
_LEADING_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.)]\s*")
_PARENTHESES = re.compile(r"\([^()]*\)")


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
    records = [r for r in csv_records(text) if any(c.strip() for c in r[1])]
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
    text = decode(data, name)
    if PurePath(name).suffix.lower() in (".csv", ".tsv", ".txt"):
        return _mapping_from_csv(text, name)
    return _mapping_from_yaml(text, name)


def as_mapping(mapping: ImportMapping | Mapping[str, str] | None) -> ImportMapping:
    if mapping is None:
        return ImportMapping()
    if isinstance(mapping, ImportMapping):
        return mapping
    return ImportMapping(columns={str(k).strip(): str(v).strip() for k, v in mapping.items()})


class Targets:
    """Finds the item a column header means: by code, exact text, or normalised text."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.items = instrument.items_by_code()
        self.headers: dict[str, str] = dict(PSEUDO_TEXTS)  # code -> header text (template)
        self.exact: dict[str, set[str]] = {}
        self.normal: dict[str, set[str]] = {}
        for target, text in PSEUDO_TEXTS.items():
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
                    self.headers[row.code] = item_header(instrument, item, row)
                    self._add(row.code, texts)

    def _add(self, code: str, texts: list[str]) -> None:
        for text in texts:
            self.exact.setdefault(text.strip(), set()).add(code)
            for key in {normalise(text), normalise(_LEADING_NUMBER.sub("", text))}:
                if key:
                    self.normal.setdefault(key, set()).add(code)

    def known(self, code: str) -> bool:
        return code in self.items or code in PSEUDO_TEXTS

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


def is_dont_know(text: str) -> bool:
    """Whether a cell says "I don't know": «Не знаю», «Затрудняюсь ответить», or both."""
    parts = [part for p in _DONT_KNOW_JOINS.split(text) if (part := normalise(p))]
    return bool(parts) and all(p in DONT_KNOW_TEXTS for p in parts)


class _NotOffered:
    """A «не знаю» cell of an item that offers no such answer: stored as not answered."""

    def __repr__(self) -> str:
        return "NOT_OFFERED"


#: what :meth:`Converter.convert` returns for «не знаю» where the item does not offer it
NOT_OFFERED = _NotOffered()


class Converter:
    """Turns a cell into an answer that :func:`validate_answers` understands.

    «Не знаю» (or «затрудняюсь ответить», in any of the ways :data:`DONT_KNOW_TEXTS` lists)
    becomes the item's own «не знаю» option where it has one (an option marked ``missing``,
    stored as the web form stores it), and :data:`NOT_OFFERED` where it has none: the reader
    then leaves the answer out and the report counts it, instead of refusing the file.
    """

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

    def _dont_know(self, item: Item) -> int | str | _NotOffered:
        """The item's «не знаю» option, or :data:`NOT_OFFERED`."""
        offered = [o.value for o in self.instrument.options_for(item) if o.missing]
        return offered[0] if offered else NOT_OFFERED

    def convert(self, item: Item, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = cell_text(value)
        if text is None:
            return None
        if item.type is ItemType.multiple_choice:
            if self._one(item, text) is None and is_dont_know(text):
                dont_know = self._dont_know(item)
                return dont_know if dont_know is NOT_OFFERED else [dont_know]
            return self._split(item, text)
        if item.type in (ItemType.likert, ItemType.single_choice, ItemType.class_letter):
            found = self._one(item, text)
            if found is None and is_dont_know(text):
                return self._dont_know(item)
            return text if found is None else found
        mapped = self._mapped(item, text)
        if mapped is not None:
            return mapped
        if item.type in (ItemType.grade, ItemType.number) and is_dont_know(text):
            return NOT_OFFERED  # a number has no «не знаю»; a text answer keeps its words
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
