"""YAML input and output of instruments; safe loading only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from instruments.errors import InstrumentError, Problem
from instruments.schema import Instrument, parse_instrument

#: libyaml's safe loader where PyYAML was built with it (ten times faster: the built-in
#: library is read at start-up), else PyYAML's own; both build the same plain data
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """:func:`yaml.safe_load` through :data:`SafeLoader`."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader


def load_yaml(text: str, *, source: str | None = None) -> Instrument:
    """Parse YAML text into a validated instrument."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"строка {mark.line + 1}, столбец {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InstrumentError(
            [Problem(where, f"ошибка синтаксиса YAML: {problem}")], source=source
        ) from None
    return parse_instrument(data, source=source)


def read_yaml(path: str | Path) -> Instrument:
    path = Path(path)
    return load_yaml(path.read_text(encoding="utf-8"), source=str(path))


def to_data(instrument: Instrument) -> dict[str, Any]:
    """A plain mapping without defaults, suitable for YAML or JSON storage."""
    return instrument.model_dump(mode="json", exclude_defaults=True)


def dump_yaml(instrument: Instrument) -> str:
    return yaml.safe_dump(to_data(instrument), allow_unicode=True, sort_keys=False, width=100)
