"""Reading the ``indicators`` sheet: the risk indicators the instrument declares."""

from __future__ import annotations

import re
from typing import Any

from instruments.io.xlsform.base import Node, ReaderBase, Where
from instruments.io.xlsform.sheets import filled


class IndicatorsReader(ReaderBase):
    """The ``indicators`` sheet: one risk indicator a row."""

    def indicator_values(self, text: str | None) -> list[int | str] | None:
        """``values`` from its comma-separated cell: ints when every value is an integer (as
        option names in ``choices`` are read), strings otherwise; ``None`` when empty."""
        parts = [part.strip() for part in (text or "").split(",")]
        texts = [part for part in parts if part]
        if not texts:
            return None
        if all(re.fullmatch(r"-?\d+", t) for t in texts):
            return [int(t) for t in texts]
        return list(texts)

    def read_indicators(self) -> list[Node]:
        sheet = self.indicators
        if sheet is None or not sheet.columns:
            return []
        self.require_columns(sheet, "factor", "code", "statistic", "direction")
        columns = {
            "factor": "factor",
            "code": "code",
            "title": self.text_column(sheet, "title"),
            "scale": "scale",
            "item": "item",
            "statistic": "statistic",
            "values": "values",
            "direction": "direction",
            "weight": "weight",
        }
        shown = {key: sheet.column(column) for key, column in columns.items()}
        nodes = []
        for row, values in sheet.rows:
            item = self.word(sheet, values, "item")
            weight = sheet.get(values, "weight")
            data: dict[str, Any] = {
                "factor": self.word(sheet, values, "factor"),
                "code": self.word(sheet, values, "code"),
                "title": self.localized(sheet, values, "title"),
                "scale": self.word(sheet, values, "scale"),
                # a question renamed on import (plain XLSForm) is referred to by its new code
                "item": self.codes.get(item, item) if item is not None else None,
                "statistic": self.word(sheet, values, "statistic"),
                "values": self.indicator_values(self.word(sheet, values, "values")),
                "direction": self.word(sheet, values, "direction"),
                "weight": weight if filled(weight) else None,
            }
            nodes.append(Node(data, Where(sheet.title, row, dict(shown))))
        return nodes
