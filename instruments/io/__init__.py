"""Reading and writing instrument definitions: YAML (canonical) and XLSX (XLSForm conventions)."""

from instruments.io.files import LoadedFile, instrument_bytes, load_bytes, read_instrument_file
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
