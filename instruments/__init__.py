"""Instrument definition language: typed models, YAML/XLSX input and output, built-in library."""

from instruments.errors import InstrumentError
from instruments.schema import Instrument

__all__ = ["Instrument", "InstrumentError"]
