"""Reading and writing instrument definitions: YAML (canonical) and XLSX (XLSForm conventions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from instruments.io.files import LoadedFile, instrument_bytes, load_bytes, read_instrument_file
from instruments.io.yaml_io import dump_yaml, load_yaml, read_yaml

if TYPE_CHECKING:
    from instruments.io.xlsform import ImportResult, RowNote, export_xlsx, read_xlsx

__all__ = [
    "ImportResult",
    "LoadedFile",
    "RowNote",
    "dump_yaml",
    "export_xlsx",
    "instrument_bytes",
    "load_bytes",
    "load_yaml",
    "read_instrument_file",
    "read_xlsx",
    "read_yaml",
]

_XLSFORM = ("ImportResult", "RowNote", "export_xlsx", "read_xlsx")


def __getattr__(name: str) -> Any:
    # The XLSX side brings openpyxl; imported when first asked for, so that reading YAML
    # (the built-in instruments, at every start of the CLI) does not pay for it.
    if name in _XLSFORM:
        from instruments.io import xlsform

        return getattr(xlsform, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
