"""The file formats an instrument is read from and written to (a module of its own, free of
the models, YAML and openpyxl, so the CLI can offer them without loading the readers)."""

from __future__ import annotations

FORMATS = ("yaml", "xlsx")
