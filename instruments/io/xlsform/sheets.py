"""Loading workbook sheets into rows, and reading their cells: text, flags, languages, codes."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from openpyxl import load_workbook

from instruments.errors import InstrumentError, Problem


@dataclass
class Sheet:
    title: str  # as named in the workbook
    columns: dict[str, int]  # normalised column key -> index
    headers: dict[str, str]  # normalised column key -> header as written
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values) of non-empty rows

    def get(self, values: tuple[Any, ...], key: str) -> Any:
        index = self.columns.get(key)
        return values[index] if index is not None and index < len(values) else None

    def column(self, key: str) -> str:
        return self.headers.get(key, key)

    @property
    def first(self) -> tuple[int, tuple[Any, ...]] | None:
        return self.rows[0] if self.rows else None


_LANGUAGE_NAMES = {
    "ru": "ru",
    "rus": "ru",
    "russian": "ru",
    "русский": "ru",
    "en": "en",
    "eng": "en",
    "english": "en",
    "английский": "en",
}
_LANGUAGE_CODE = re.compile(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\)\s*$")


def language_code(text: str) -> str:
    """``ru``, ``en`` or the language as written (lower case): 'English (en)' -> 'en'."""
    match = _LANGUAGE_CODE.search(text)
    if match:
        return match.group(1).lower()
    low = text.strip().lower()
    return _LANGUAGE_NAMES.get(low, low)


def _column_key(header: str) -> str:
    """'label::English (en)' -> 'label::en'; 'list name' -> 'list_name'; 'name ' -> 'name'."""
    if "::" in header:
        base, lang = header.split("::", 1)
    elif ":" in header:
        base, lang = header.split(":", 1)
    else:
        base, lang = header, None
    base = re.sub(r"\s+", "_", base.strip().lower())
    return base if lang is None else f"{base}::{language_code(lang)}"


def filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def cell_text(value: Any, *, strip: bool = True) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    if strip:
        text = text.strip()
    return text or None


def _read_sheet(worksheet: Any) -> Sheet:
    # Some tools store wrong dimensions; without them openpyxl reads the rows actually there.
    worksheet.reset_dimensions()
    first = next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    width = max((i + 1 for i, value in enumerate(first) if filled(value)), default=0)
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, value in enumerate(first[:width]):
        header = cell_text(value)
        if header is not None and (key := _column_key(header)) not in columns:
            columns[key] = index
            headers[key] = header
    rows: list[tuple[int, tuple[Any, ...]]] = []
    if width:
        empty = (None,) * width
        cells = worksheet.iter_rows(min_row=2, max_col=width, values_only=True)
        for number, values in enumerate(cells, start=2):
            if values != empty and any(filled(v) for v in values):
                rows.append((number, tuple(values)))
    return Sheet(str(worksheet.title).strip(), columns, headers, rows)


def load_sheets(content: bytes, source: str) -> dict[str, Sheet]:
    if not content.startswith(b"PK"):
        hint = (
            "это старый формат XLS: сохраните таблицу как .xlsx"
            if content.startswith(b"\xd0\xcf\x11\xe0")
            else "сохраните таблицу в формате Excel .xlsx"
        )
        raise InstrumentError([Problem("", f"файл не является файлом XLSX ({hint})")], source)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation extensions, …).
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                sheets: dict[str, Sheet] = {}
                for worksheet in workbook.worksheets:
                    sheet = _read_sheet(worksheet)
                    sheets.setdefault(sheet.title.lower(), sheet)
            finally:
                workbook.close()
    except Exception as exc:  # openpyxl fails in many ways on a damaged file; none may escape
        raise InstrumentError(
            [Problem("", f"файл XLSX повреждён или не читается ({type(exc).__name__})")], source
        ) from None
    return sheets


_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "_",
    "ы": "y",
    "ь": "_",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
}


def as_code(text: str, prefix: str) -> str:
    """A valid code made of arbitrary text: 'Возраст ребёнка' -> 'vozrast_rebenka'."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    out = unicodedata.normalize("NFKD", out).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9_]+", "_", out)
    out = re.sub(r"_+", "_", out).strip("_")
    if not out or not out[0].isalpha():
        out = f"{prefix}_{out}" if out else prefix
    return out[:48]


def unique_code(base: str, taken: set[str]) -> str:
    code, n = base, 2
    while code in taken:
        suffix = f"_{n}"
        code, n = base[: 48 - len(suffix)] + suffix, n + 1
    taken.add(code)
    return code


_TRUE = frozenset({"yes", "true", "true()", "да", "1", "y"})
_FALSE = frozenset({"no", "false", "false()", "нет", "0", "n"})


def cell_flag(value: Any) -> Any:
    """True/False for the usual spellings, None for empty, else the value (for pydantic)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value
