"""Names and text helpers every step of an import shares: column codes, sheet names, cell text."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from instruments.schema import Instrument, Item, ItemType, text_in

SCHOOL_COLUMN = "school_code"
CLASS_COLUMN = "class_name"
ANSWERS_SHEET = "ответы"
CODES_SHEET = "коды"
CLASS_NAME_MAX = 16
PSEUDO_TEXTS = {SCHOOL_COLUMN: "Код школы", CLASS_COLUMN: "Класс (например, 7Б)"}


def normalise(text: str) -> str:
    """Case, spaces, punctuation and ё/е ignored: 'Скорее согласен(на)!' -> 'скорее согласен на'."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def rows_word(n: int) -> str:
    """'1 строка', '3 строки', '5 строк'."""
    return f"{n} {_plural(n, 'строка', 'строки', 'строк')}"


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell_text(value: Any) -> str | None:
    """A cell as text (None when blank): 3.0 -> '3', a date -> its ISO form."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "да" if value else "нет"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


def item_header(instrument: Instrument, item: Item, row: Item) -> str:
    if item.type is ItemType.matrix:
        return f"{text_in(item.text)} [{text_in(row.text)}]"
    return text_in(row.text)
