"""Cells of CSV and XLSX downloads that no spreadsheet runs as a formula, numbers kept numbers.

A text cell starting with ``= + - @``, a tab or a carriage return can be run as a formula by
Excel or LibreOffice (CSV/formula injection, OWASP): it is prefixed with an apostrophe in CSV
and written as a quote-prefixed string cell in XLSX (:func:`instruments.io.spreadsheet.put`).
A number is written as nothing but a number (an optional ASCII minus, digits, one decimal
separator): a spreadsheet reads it as a number, never as a formula, so a negative score stays
a number a psychologist can compute with, in Russian Excel too.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

from instruments.io.spreadsheet import DANGEROUS_PREFIXES, XLSX_MIMETYPE, put

__all__ = ["DANGEROUS_PREFIXES", "XLSX_MIMETYPE", "csv_cell", "csv_number", "put"]


def csv_number(value: float, *, decimal: str = ",", digits: int | None = 3) -> str:
    """A finite number as a spreadsheet reads it: fixed point (never an exponent), ``digits``
    decimals (or as many as it needs, up to 10, when ``digits`` is None), ``decimal`` as the
    separator; NaN and infinities are blank."""
    if math.isnan(value) or math.isinf(value):
        return ""
    if digits is None:
        if float(value).is_integer():
            text = str(int(value))
        else:
            text = f"{value:.10f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.{digits}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # no "-0,000"
    return text.replace(".", decimal)


def csv_cell(
    value: object, *, decimal: str = ",", digits: int | None = 3, date_format: str = "%d.%m.%Y"
) -> str:
    """One CSV cell as text that no spreadsheet runs as a formula.

    Numbers go through :func:`csv_number` (an integer as it is); text starting with one of
    ``DANGEROUS_PREFIXES`` is prefixed with an apostrophe; a date is written with
    ``date_format``; None is blank.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return csv_number(float(value), decimal=decimal, digits=digits)
    if isinstance(value, dt.date):
        return value.strftime(date_format)
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text
