"""Reading and writing instrument definitions: YAML (canonical) and XLSX (XLSForm conventions).

The names below are imported from their modules when first used: `rootcause --help` imports
:mod:`instruments.io.formats` and must not pay for the models, YAML or openpyxl.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from instruments.io.files import (
        LoadedFile,
        instrument_bytes,
        load_bytes,
        read_instrument_file,
    )
    from instruments.io.xlsform import ImportResult, RowNote, export_xlsx, read_xlsx
    from instruments.io.yaml_io import dump_yaml, load_yaml, read_yaml

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

#: name -> the module (under instruments.io) that defines it
_LAZY = {
    "LoadedFile": "files",
    "instrument_bytes": "files",
    "load_bytes": "files",
    "read_instrument_file": "files",
    "ImportResult": "xlsform",
    "RowNote": "xlsform",
    "export_xlsx": "xlsform",
    "read_xlsx": "xlsform",
    "dump_yaml": "yaml_io",
    "load_yaml": "yaml_io",
    "read_yaml": "yaml_io",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
