"""Data-quality flags of one finished response: answered too fast to have read, or
straight-lined (the same answer to every one of many items of one block: a matrix, a page's
questions on one response scale, or all the questionnaire's on one scale).

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
#: straight-lining counts in a block with at least this many answered items
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


def straight_lining_blocks(instrument: Instrument) -> list[list[str]]:
    """The item codes that straight-lining is looked for in, each list one block: every
    matrix's rows; the items of one section on one response scale (a block of likert
    questions on one page reads as a matrix); and all items of the questionnaire on one
    scale."""
    blocks: list[list[str]] = []
    on_scale: dict[str, list[str]] = defaultdict(list)
    for section in instrument.sections:
        in_section: dict[str, list[str]] = defaultdict(list)
        for item in section.items:
            if item.type == ItemType.matrix:
                codes = [row.code for row in item.rows or ()]
                blocks.append(codes)
            elif item.response_scale:
                codes = [item.code]
            else:
                continue  # a question with options of its own is no part of a block
            # A matrix with options of its own shares them with no other question.
            scale = item.response_scale or f"matrix:{item.code}"
            in_section[scale].extend(codes)
            on_scale[scale].extend(codes)
        blocks.extend(in_section.values())
    blocks.extend(on_scale.values())
    return blocks


def quality_flags(
    instrument: Instrument, answers: Mapping[str, Any], duration_seconds: int | None
) -> list[str]:
    flags = []
    if duration_seconds is not None and duration_seconds < reading_seconds(instrument, answers) / 2:
        flags.append(TOO_FAST)
    for block in straight_lining_blocks(instrument):
        values = [answers[code] for code in block if code in answers]
        if len(values) >= MIN_ITEMS_FOR_STRAIGHT_LINING and len(set(map(str, values))) == 1:
            flags.append(STRAIGHT_LINING)
            break
    return flags
