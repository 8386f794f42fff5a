"""Import of an XLSX workbook as an instrument (see :mod:`instruments.io.xlsform`)."""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

from instruments.errors import InstrumentError, Problem
from instruments.io.xlsform.base import ImportResult, Node, RowNote, place
from instruments.io.xlsform.indicators import IndicatorsReader
from instruments.io.xlsform.settings import SettingsReader
from instruments.io.xlsform.sheets import load_sheets
from instruments.io.xlsform.survey import SurveyReader
from instruments.schema import Instrument, parse_instrument

_SHEET_ORDER = ("survey", "choices", "settings", "scales", "indicators")
_KNOWN_SHEETS = frozenset(_SHEET_ORDER)


class _Reader(SurveyReader, SettingsReader, IndicatorsReader):
    """The whole workbook: every sheet read, the definition validated, the report sorted."""

    def run(self) -> ImportResult:
        self.require_columns(self.survey, "type", "name")
        settings, settings_where = self.read_settings()
        self.read_choices()
        self.read_survey()
        scales = self.read_scales()
        indicators = self.read_indicators()
        self.report_columns()
        if not self.sections:
            self.unmapped.append(
                RowNote(
                    self.survey.title, 1, "форма", "в форме нет вопросов, которые можно перенести"
                )
            )
            return self.result(None)
        if not self.ours and "languages" not in settings:
            settings["languages"] = ["ru", "en"] if self.saw_english else ["ru"]
        top = Node(
            settings,
            settings_where,
            lists={
                "response_scales": self.response_scales,
                "sections": self.sections,
                "scales": scales,
                "indicators": indicators,
            },
        )
        data = top.build("", self.where)
        try:
            instrument = parse_instrument(data)
        except InstrumentError as exc:
            problems = [self.relocate(problem) for problem in exc.problems]
            raise InstrumentError(problems, source=self.source) from None
        return self.result(instrument)

    def result(self, instrument: Instrument | None) -> ImportResult:
        order = {name: i for i, name in enumerate(_SHEET_ORDER)}

        def key(note: RowNote) -> tuple[int, str, int]:
            return (order.get(note.sheet.lower(), len(order)), note.sheet, note.row)

        return ImportResult(
            instrument, sorted(self.mapped, key=key), sorted(self.unmapped, key=key)
        )

    def relocate(self, problem: Problem) -> Problem:
        """A problem found by validation, placed at the sheet, row and column it came from."""
        path = problem.path
        best: str | None = None
        for key in self.where:
            inside = path == key or path.startswith((key + ".", key + "["))
            if key and inside and (best is None or len(key) > len(best)):
                best = key
        if best is None:
            head = re.match(r"[A-Za-z_]+", path)
            top = self.where.get("")
            if top is not None and head and head.group(0) in top.columns:
                best = ""
            elif path.startswith("sections"):
                return Problem(place(self.survey.title), problem.message)
            else:
                return problem
        where = self.where[best]
        rest = re.match(r"[A-Za-z_]+", path[len(best) :].lstrip("."))
        column = where.columns.get(rest.group(0)) if rest else None
        return Problem(place(where.sheet, where.row, column), problem.message)

    def report_columns(self) -> None:
        for sheet in self.sheets.values():
            if sheet.title.lower() not in _KNOWN_SHEETS:
                self.skip(
                    sheet, 1, None, f"лист {sheet.title}", "лист не используется", benign=True
                )
                continue
            for key, header in sheet.headers.items():
                base, _, lang = key.partition("::")
                if base not in ("label", "hint", "title") or lang in ("", "ru", "en"):
                    continue
                if (sheet.title, key) in self.fallback_columns:
                    self.note(
                        sheet,
                        1,
                        f"столбец {header}",
                        "текста на русском нет: текст из этого столбца записан как русский",
                    )
                else:
                    self.skip(
                        sheet,
                        1,
                        key,
                        f"столбец {header}",
                        f"язык '{lang}' не поддерживается (только ru и en): текст не перенесён",
                        benign=True,
                    )


def read_xlsx(data: bytes | str | PathLike[str], *, source: str | None = None) -> ImportResult:
    """Read an XLSX instrument: rootcause's own export losslessly, a plain XLSForm as far as it
    maps (see :mod:`instruments.io.xlsform`).

    Raises
    ------
    InstrumentError
        With one message naming the file (``source``), the sheet and, where it applies, the row
        and column: the file is not an XLSX, has no ``survey`` sheet or lacks a required column;
        in rootcause's own format, anything it cannot read; and every problem the validation of
        the resulting instrument finds, placed at the row it came from.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data)
        source = source or "XLSX"
    else:
        path = Path(data)
        source = source or str(path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InstrumentError(
                [Problem("", f"файл не читается: {exc.strerror or exc}")], source=source
            ) from None
    return _Reader(load_sheets(content, source), source).run()
