"""Built-in instruments shipped with rootcause."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from instruments.io.yaml_io import read_yaml
from instruments.schema import Instrument

LIBRARY_DIR = Path(__file__).parent


def library_files() -> list[Path]:
    return sorted(p for p in LIBRARY_DIR.glob("*.yaml") if p.name != "risk_factors.yaml")


@cache
def builtin_instruments() -> tuple[Instrument, ...]:
    """Every built-in instrument, validated; a broken file fails loudly with its location."""
    return tuple(read_yaml(path) for path in library_files())


def builtin(code: str) -> Instrument:
    for instrument in builtin_instruments():
        if instrument.code == code:
            return instrument
    raise KeyError(code)
