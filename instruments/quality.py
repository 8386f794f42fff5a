"""Data-quality flags of one finished response: answered too fast to have read, or
straight-lined (the same answer to every one of many items on one response scale).

Flagged responses are kept; a campaign may exclude them from analysis.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from instruments.schema import Instrument, ItemType, text_in

TOO_FAST = "too_fast"
STRAIGHT_LINING = "straight_lining"
FLAG_LABELS = {
    TOO_FAST: "слишком быстро для прочтения вопросов",
    STRAIGHT_LINING: "один и тот же ответ на все вопросы длинного блока",
}

#: a fast reader's pace; a response faster than half of that time was not read
WORDS_PER_SECOND = 5.0
#: straight-lining counts on a response scale with at least this many answered items
MIN_ITEMS_FOR_STRAIGHT_LINING = 8


def reading_seconds(instrument: Instrument, answers: Mapping[str, Any]) -> float:
    """Time a fast reader needs for the texts of the answered items and their options."""
    words = 0
    for item in instrument.items():
        if item.code not in answers:
            continue
        words += len(text_in(item.text).split())
        if item.type in (ItemType.single_choice, ItemType.multiple_choice):
            words += sum(len(text_in(o.label).split()) for o in instrument.options_for(item))
    # A likert scale's labels are read once per block, not per item: not counted.
    return words / WORDS_PER_SECOND


def quality_flags(
    instrument: Instrument, answers: Mapping[str, Any], duration_seconds: int | None
) -> list[str]:
    flags = []
    if duration_seconds is not None and duration_seconds < reading_seconds(instrument, answers) / 2:
        flags.append(TOO_FAST)
    by_scale: dict[str, list[Any]] = defaultdict(list)
    for item in instrument.items():
        if item.response_scale and item.code in answers:
            by_scale[item.response_scale].append(answers[item.code])
    if any(
        len(values) >= MIN_ITEMS_FOR_STRAIGHT_LINING and len(set(values)) == 1
        for values in by_scale.values()
    ):
        flags.append(STRAIGHT_LINING)
    return flags
