"""The common ground of the XLSX reader: the import result, the parts being built, cell access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from instruments.errors import InstrumentError, Problem
from instruments.io.xlsform.sheets import Sheet, cell_text, filled
from instruments.io.xlsform.xpath import Known
from instruments.schema import Instrument


@dataclass(frozen=True)
class RowNote:
    """What happened to one row of the workbook on import."""

    sheet: str
    row: int  # as Excel shows it: the header is row 1
    what: str
    reason: str  # in Russian

    def __str__(self) -> str:
        return f"лист {self.sheet}, строка {self.row}: {self.what} — {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    """The imported instrument (``None`` when nothing could be mapped) and the row report."""

    instrument: Instrument | None
    mapped: list[RowNote] = field(default_factory=list)
    unmapped: list[RowNote] = field(default_factory=list)


def compact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


@dataclass
class Where:
    """Where a part of the definition came from, for error messages."""

    sheet: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)  # model field -> column as shown


@dataclass
class Node:
    """A part of the definition being built, with where it came from."""

    data: dict[str, Any]
    where: Where
    lists: dict[str, list[Node]] = field(default_factory=dict)
    parts: dict[str, Where] = field(default_factory=dict)  # nested objects: prevalence, …

    def build(self, path: str, where: dict[str, Where]) -> dict[str, Any]:
        where[path] = self.where
        for name, part in self.parts.items():
            where[f"{path}.{name}" if path else name] = part
        data = compact(self.data)
        for name, nodes in self.lists.items():
            prefix = f"{path}.{name}" if path else name
            data[name] = [node.build(f"{prefix}[{i}]", where) for i, node in enumerate(nodes)]
        return data


@dataclass
class Frame:
    kind: str  # "section", "group", "matrix", "repeat" or "skip" (anything inside a repeat)
    row: int
    name: str
    condition: str | None = None
    node: Node | None = None
    scales: list[tuple[int, str | None]] = field(default_factory=list)  # matrix rows' scales


def place(sheet: str, row: int | None = None, column: str | None = None) -> str:
    parts = [f"лист {sheet}"]
    if row:
        parts.append(f"строка {row}")
    if column:
        parts.append(f"столбец {column}")
    return ", ".join(parts)


class ReaderBase:
    """The reader's state, its row report and the reading of cells, shared by every sheet."""

    def __init__(self, sheets: dict[str, Sheet], source: str) -> None:
        self.source = source
        if "survey" not in sheets:
            present = ", ".join(s.title for s in sheets.values()) or "нет ни одного"
            self.fail("survey", None, None, f"в файле нет такого листа (листы: {present})")
        self.sheets = sheets
        self.survey = sheets["survey"]
        self.choices = sheets.get("choices") or Sheet("choices", {}, {}, [])
        self.settings = sheets.get("settings")
        self.scales = sheets.get("scales")
        self.indicators = sheets.get("indicators")
        first = self.settings.first if self.settings else None
        marked = bool(first and filled(sheets["settings"].get(first[1], "rootcause_format")))
        self.ours = marked or "rootcause_type" in self.survey.columns
        self.mapped: list[RowNote] = []
        self.unmapped: list[RowNote] = []
        self.where: dict[str, Where] = {}
        self.known: dict[str, Known] = {}  # XLSForm name -> imported question
        self.kinds: dict[str, tuple[str, bool]] = {}  # code -> kind, for conditions
        self.codes: dict[str, str] = {}  # XLSForm name -> code
        self.item_codes: set[str] = set()
        self.section_codes: set[str] = set()
        self.scale_codes: set[str] = set()
        self.response_scales: list[Node] = []
        self.scale_of_list: dict[str, str] = {}
        self.fallback_columns: set[tuple[str, str]] = set()
        self.saw_english = False
        self.default_language = "ru"
        self.section: Node | None = None
        self.sections: list[Node] = []
        self.lists: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        self.list_kinds: dict[str, str] = {}
        self.option_cache: dict[str, list[Node]] = {}

    # -- reporting ---------------------------------------------------------------------------

    def fail(self, sheet: str, row: int | None, column: str | None, message: str) -> NoReturn:
        raise InstrumentError([Problem(place(sheet, row, column), message)], source=self.source)

    def note(self, sheet: Sheet, row: int, what: str, reason: str) -> None:
        self.mapped.append(RowNote(sheet.title, row, what, reason))

    def skip(
        self,
        sheet: Sheet,
        row: int,
        key: str | None,
        what: str,
        reason: str,
        *,
        benign: bool = False,
    ) -> None:
        """A row (or part of one) that is not imported: an error in rootcause's own format."""
        if self.ours and not benign:
            self.fail(sheet.title, row, sheet.column(key) if key else None, reason)
        self.unmapped.append(RowNote(sheet.title, row, what, reason))

    def require_columns(self, sheet: Sheet, *keys: str) -> None:
        for key in keys:
            if key not in sheet.columns:
                self.fail(sheet.title, 1, key, "нет обязательного столбца")

    # -- cells -------------------------------------------------------------------------------

    def text(self, sheet: Sheet, values: tuple[Any, ...], key: str) -> str | None:
        return cell_text(sheet.get(values, key), strip=not self.ours)

    def word(self, sheet: Sheet, values: tuple[Any, ...], key: str) -> str | None:
        return cell_text(sheet.get(values, key))

    def localized(self, sheet: Sheet, values: tuple[Any, ...], base: str) -> dict[str, str] | None:
        texts: dict[str, tuple[str, str]] = {}
        for key in sheet.columns:
            if key == base:
                lang = ""
            elif key.startswith(base + "::"):
                lang = key[len(base) + 2 :]
            else:
                continue
            text = self.text(sheet, values, key)
            if text is not None:
                texts.setdefault(lang, (key, text))
        if not texts:
            return None
        ru = texts.get("ru") or texts.get("")
        if ru is None and not self.ours:
            for lang in ("en", self.default_language, *texts):
                if lang in texts:
                    ru = texts[lang]
                    self.fallback_columns.add((sheet.title, ru[0]))
                    break
        result = {"ru": ru[1]} if ru else {}
        if "en" in texts:
            result["en"] = texts["en"][1]
            self.saw_english = True
        return result or None

    def text_column(self, sheet: Sheet, base: str) -> str:
        for key in (f"{base}::ru", base, *(k for k in sheet.columns if k.startswith(base + "::"))):
            if key in sheet.columns:
                return sheet.column(key)
        return f"{base}::ru"
