"""Differences between two versions of an instrument, as a psychologist would list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from instruments.schema import Instrument, text_in

Kind = Literal["added", "removed", "changed"]

KIND_LABELS = {"added": "добавлено", "removed": "удалено", "changed": "изменено"}
WHAT_LABELS = {
    "instrument": "методика",
    "section": "раздел",
    "item": "вопрос",
    "response_scale": "шкала ответов",
    "scale": "шкала",
}


@dataclass(frozen=True)
class Change:
    kind: Kind
    what: str  # instrument | section | item | response_scale | scale
    code: str
    details: str = ""

    def __str__(self) -> str:
        text = f"{KIND_LABELS[self.kind]}: {WHAT_LABELS[self.what]} «{self.code}»"
        return f"{text} ({self.details})" if self.details else text


def _fields(model: Any, skip: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", exclude_defaults=True)
    return {k: v for k, v in data.items() if k not in skip}


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return ", ".join(keys)


def _compare(what: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = [Change("removed", what, code) for code in old if code not in new]
    for code, fields in new.items():
        if code not in old:
            changes.append(Change("added", what, code))
        elif old[code] != fields:
            changes.append(Change("changed", what, code, _changed_fields(old[code], fields)))
    return changes


def diff_instruments(old: Instrument, new: Instrument) -> list[Change]:
    """What changed from ``old`` to ``new``: instrument fields, sections, items (incl. their
    order), response scales and scales. Items are compared as answered, matrix rows included."""
    changes: list[Change] = []
    meta_old = _fields(old, {"sections", "scales", "response_scales", "version"})
    meta_new = _fields(new, {"sections", "scales", "response_scales", "version"})
    if meta_old != meta_new:
        changes.append(
            Change("changed", "instrument", new.code, _changed_fields(meta_old, meta_new))
        )
    changes += _compare(
        "section",
        {s.code: _fields(s, {"items"}) for s in old.sections},
        {s.code: _fields(s, {"items"}) for s in new.sections},
    )
    old_items = {i.code: _fields(i, set()) for i in old.items()}
    new_items = {i.code: _fields(i, set()) for i in new.items()}
    changes += _compare("item", old_items, new_items)
    common_old = [c for c in old_items if c in new_items]
    common_new = [c for c in new_items if c in old_items]
    if common_old != common_new:
        changes.append(Change("changed", "instrument", new.code, "порядок вопросов"))
    changes += _compare(
        "response_scale",
        {s.code: _fields(s, set()) for s in old.response_scales},
        {s.code: _fields(s, set()) for s in new.response_scales},
    )
    changes += _compare(
        "scale",
        {s.code: _fields(s, set()) for s in old.scales},
        {s.code: _fields(s, set()) for s in new.scales},
    )
    return changes


def describe(instrument: Instrument) -> str:
    """One line: title, version, number of items and scales."""
    n_items = sum(1 for _ in instrument.items())
    return (
        f"{text_in(instrument.title)}, версия {instrument.version}: "
        f"вопросов {n_items}, шкал {len(instrument.scales)}"
    )
