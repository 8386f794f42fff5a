"""Writing spreadsheet cells safely: text is never taken for a formula (CSV/XLSX injection)."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: the media type of an .xlsx workbook
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: a cell starting with one of these can be run as a formula by a spreadsheet
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def put(cell: Any, value: object) -> None:
    """Write a value; text is always a string cell, quote-prefixed if it could be a formula."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"  # a string, never a formula, whatever it starts with
        if text.startswith(DANGEROUS_PREFIXES):
            cell.quotePrefix = True
    else:
        cell.value = value
