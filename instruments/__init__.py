"""Instrument definition language: typed models, YAML/XLSX input and output, built-in library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from instruments.errors import InstrumentError

if TYPE_CHECKING:
    from instruments.schema import Instrument

__all__ = ["Instrument", "InstrumentError"]


def __getattr__(name: str) -> Any:
    # The models (pydantic) are imported when first asked for, not by every module of the
    # package: `rootcause --help` imports instruments.errors and must not pay for them.
    if name == "Instrument":
        from instruments.schema import Instrument

        return Instrument
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
