"""Reading the lists items refer to: options and response scales (choices) and scoring scales."""

from __future__ import annotations

import re
from typing import Any

from instruments.io.xlsform.base import Node, ReaderBase, Where, compact
from instruments.io.xlsform.sheets import as_code, cell_flag, cell_text, unique_code


class ScalesReader(ReaderBase):
    """The ``choices`` and ``scales`` sheets."""

    # -- choices -----------------------------------------------------------------------------

    def read_choices(self) -> None:
        sheet = self.choices
        if not sheet.columns:
            return
        self.require_columns(sheet, "list_name", "name")
        for row, values in sheet.rows:
            name = self.word(sheet, values, "list_name")
            if name is None:
                self.skip(sheet, row, "list_name", "вариант без списка", "не указан list_name")
                continue
            self.lists.setdefault(name, []).append((row, values))
            kind = self.word(sheet, values, "list_kind")
            if kind is not None:
                kind = kind.lower()
                if kind not in ("response_scale", "class_letters"):
                    self.skip(
                        sheet,
                        row,
                        "list_kind",
                        f"list_kind «{kind}»",
                        "list_kind бывает response_scale или class_letters",
                        benign=True,
                    )
                else:
                    self.list_kinds.setdefault(name, kind)
        if self.ours:
            for name, kind in self.list_kinds.items():
                if kind == "response_scale":
                    self.response_scale(name, self.lists[name][0][0])

    def option_values(self, rows: list[tuple[int, tuple[Any, ...]]]) -> list[Any]:
        raw = [self.choices.get(values, "name") for _, values in rows]
        if self.ours:
            out: list[Any] = []
            for value in raw:
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                elif isinstance(value, bool):
                    value = str(value).lower()
                out.append(value)
            return out
        texts = [cell_text(value) for value in raw]
        if all(t is not None and re.fullmatch(r"-?\d+", t) for t in texts):
            return [int(t) for t in texts if t is not None]
        return texts

    def options(self, list_name: str) -> list[Node]:
        if list_name in self.option_cache:
            return self.option_cache[list_name]
        sheet = self.choices
        rows = self.lists[list_name]
        nodes: list[Node] = []
        seen: set[Any] = set()
        label_column = self.text_column(sheet, "label")
        for (row, values), value in zip(rows, self.option_values(rows), strict=True):
            if value is None and not self.ours:
                self.skip(sheet, row, "name", "вариант без имени", "не указано имя (name)")
                continue
            if value in seen and not self.ours:
                self.skip(sheet, row, "name", f"вариант '{value}'", "повторяется в списке")
                continue
            seen.add(value)
            label = self.localized(sheet, values, "label")
            if label is None and not self.ours:
                label = {"ru": str(value)}
                self.note(sheet, row, f"вариант '{value}'", "нет подписи: подписью взято имя")
            data = {
                "value": value,
                "label": label,
                "missing": cell_flag(sheet.get(values, "missing")),
            }
            where = Where(
                sheet.title,
                row,
                {"value": sheet.column("name"), "label": label_column, "missing": "missing"},
            )
            nodes.append(Node(data, where))
        self.option_cache[list_name] = nodes
        return nodes

    def response_scale(self, list_name: str, row: int) -> str:
        if list_name in self.scale_of_list:
            return self.scale_of_list[list_name]
        code = (
            list_name if self.ours else unique_code(as_code(list_name, "scale"), self.scale_codes)
        )
        if code != list_name:
            self.note(self.survey, row, f"список '{list_name}'", f"шкала ответов '{code}'")
        sheet = self.choices
        first = self.lists[list_name][0][0]
        where = Where(sheet.title, first, {"code": "list_name", "options": "list_name"})
        node = Node({"code": code}, where, lists={"options": self.options(list_name)})
        self.response_scales.append(node)
        self.scale_of_list[list_name] = code
        return code

    # -- scales ------------------------------------------------------------------------------

    def read_scales(self) -> list[Node]:
        sheet = self.scales
        if sheet is None or not sheet.columns:
            return []
        self.require_columns(sheet, "code", "items")
        nodes = []
        for row, values in sheet.rows:
            items_text = self.word(sheet, values, "items") or ""
            items = [self.codes.get(n, n) for n in re.split(r"[\s,;]+", items_text) if n]
            at_least = sheet.get(values, "prevalence_at_least")
            label = self.localized(sheet, values, "prevalence_label")
            any_item = cell_flag(sheet.get(values, "prevalence_any_item"))
            statistic = self.word(sheet, values, "cutoff_statistic")
            low = sheet.get(values, "cutoff_low_below")
            high = sheet.get(values, "cutoff_high_above")
            source = self.text(sheet, values, "cutoff_source")
            data: dict[str, Any] = {
                "code": self.word(sheet, values, "code"),
                "title": self.localized(sheet, values, "title"),
                "items": items,
                "method": self.word(sheet, values, "method"),
                "min_answered": sheet.get(values, "min_answered"),
                "higher_is": self.word(sheet, values, "higher_is"),
            }
            if any(v is not None for v in (at_least, label, any_item)):
                data["prevalence"] = compact(
                    {"label": label, "at_least": at_least, "any_item": any_item}
                )
            if any(v is not None for v in (statistic, low, high, source)):
                data["cutoffs"] = compact(
                    {
                        "statistic": statistic,
                        "low_below": low,
                        "high_above": high,
                        "source": source,
                    }
                )
            columns = {
                "code": "code",
                "title": self.text_column(sheet, "title"),
                "items": "items",
                "method": "method",
                "min_answered": "min_answered",
                "higher_is": "higher_is",
                "prevalence": "prevalence_at_least",
                "cutoffs": "cutoff_statistic",
            }
            prevalence = {
                "label": self.text_column(sheet, "prevalence_label"),
                "at_least": "prevalence_at_least",
                "any_item": "prevalence_any_item",
            }
            cutoffs = {
                "statistic": "cutoff_statistic",
                "low_below": "cutoff_low_below",
                "high_above": "cutoff_high_above",
                "source": "cutoff_source",
            }
            nodes.append(
                Node(
                    data,
                    Where(sheet.title, row, {k: sheet.column(v) for k, v in columns.items()}),
                    parts={
                        "prevalence": Where(sheet.title, row, prevalence),
                        "cutoffs": Where(sheet.title, row, cutoffs),
                    },
                )
            )
        return nodes
