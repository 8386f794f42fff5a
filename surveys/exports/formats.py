"""The file formats of an export and their media types (a module of its own, free of pandas
and openpyxl, so the CLI can offer them without loading the writers)."""

from __future__ import annotations

FORMATS = ("csv", "xlsx", "sav")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}
