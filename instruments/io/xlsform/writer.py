"""Export of an instrument as an XLSForm workbook (see :mod:`instruments.io.xlsform`)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from instruments.io.spreadsheet import put
from instruments.io.xlsform.columns import (
    CHOICES_COLUMNS,
    CLASS_LETTER_LIST,
    FORMAT_VERSION,
    INDICATORS_COLUMNS,
    SCALES_COLUMNS,
    SETTINGS_COLUMNS,
    SURVEY_COLUMNS,
)
from instruments.io.xlsform.xpath import to_xpath
from instruments.schema import CHOICE_TYPES, Instrument, Item, ItemType, Option

_WIDTHS = {
    "type": 26,
    "name": 22,
    "list_name": 22,
    "code": 22,
    "factor": 22,
    "items": 40,
    "notes": 60,
}
_WIDE = ("label::", "hint::", "title::", "form_title", "introduction::", "consent::")


class _Writer:
    def __init__(self, sheet: Any, title: str, columns: Sequence[str]) -> None:
        sheet.title = title
        self.sheet = sheet
        self.columns = {name: index + 1 for index, name in enumerate(columns)}
        self.row = 1
        self.add({name: name for name in columns})
        sheet.freeze_panes = "A2"
        for name, index in self.columns.items():
            width = _WIDTHS.get(name) or (50 if name.startswith(_WIDE) else 14)
            sheet.column_dimensions[get_column_letter(index)].width = width

    def add(self, values: Mapping[str, object]) -> None:
        for name, value in values.items():
            if value is not None:
                put(self.sheet.cell(row=self.row, column=self.columns[name]), value)
        self.row += 1


def _yes(flag: bool) -> str | None:
    return "yes" if flag else None


def _texts(base: str, text: Mapping[str, str] | None) -> dict[str, object]:
    return {f"{base}::{lang}": value for lang, value in (text or {}).items()}


def _condition_cells(relevant: str | None) -> dict[str, object]:
    if relevant is None:
        return {}
    return {"relevant": to_xpath(relevant), "rootcause_relevant": relevant}


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _range_constraint(low: float | None, high: float | None) -> str | None:
    parts = []
    if low is not None:
        parts.append(f". >= {_number_text(low)}")
    if high is not None:
        parts.append(f". <= {_number_text(high)}")
    return " and ".join(parts) or None


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _option_row(list_name: str, option: Option, kind: str | None) -> dict[str, object]:
    return {
        "list_name": list_name,
        "name": option.value,
        **_texts("label", option.label),
        "missing": _yes(option.missing),
        "list_kind": kind,
    }


def _item_row(item: Item, lists: Mapping[str, str]) -> dict[str, object]:
    row: dict[str, object] = {
        "name": item.code,
        **_texts("label", item.text),
        **_texts("hint", item.help),
        "required": _yes(item.required),
        **_condition_cells(item.relevant),
        "rootcause_type": item.type.value,
        "reverse": _yes(item.reverse),
        "min": item.min,
        "max": item.max,
        "integer": None if item.integer else "no",
        **_texts("unit", item.unit),
        "max_choices": item.max_choices,
        **_texts("fact", item.fact),
    }
    kind = item.type
    if kind is ItemType.likert:
        row |= {"type": f"select_one {item.response_scale}", "appearance": "likert"}
    elif kind in (ItemType.single_choice, ItemType.class_letter):
        row["type"] = f"select_one {lists[item.code]}"
    elif kind is ItemType.multiple_choice:
        row["type"] = f"select_multiple {lists[item.code]}"
    elif kind is ItemType.number:
        row["type"] = "integer" if item.integer else "decimal"
        row["constraint"] = _range_constraint(item.min, item.max)
    elif kind is ItemType.grade:
        row["type"] = "integer"
    elif kind is ItemType.long_text:
        row |= {"type": "text", "appearance": "multiline"}
    else:
        row["type"] = "text"
    return row


def export_xlsx(instrument: Instrument) -> bytes:
    """The instrument as an XLSForm workbook that :func:`read_xlsx` reads back unchanged."""
    workbook = Workbook()
    survey = _Writer(workbook.active, "survey", SURVEY_COLUMNS)
    choices = _Writer(workbook.create_sheet(), "choices", CHOICES_COLUMNS)
    settings = _Writer(workbook.create_sheet(), "settings", SETTINGS_COLUMNS)
    scales = _Writer(workbook.create_sheet(), "scales", SCALES_COLUMNS)

    taken = {s.code for s in instrument.response_scales}
    for response_scale in instrument.response_scales:
        for option in response_scale.options:
            choices.add(_option_row(response_scale.code, option, "response_scale"))
    top_items = [item for section in instrument.sections for item in section.items]
    lists: dict[str, str] = {}
    if any(i.type is ItemType.class_letter and not i.options for i in top_items):
        default = _unique(CLASS_LETTER_LIST, taken)
        for option in instrument.options_for(Item(code="x", type=ItemType.class_letter, text="x")):
            choices.add(_option_row(default, option, "class_letters"))
        lists |= {
            i.code: default for i in top_items if i.type is ItemType.class_letter and not i.options
        }
    for item in top_items:
        if item.options and (item.type in CHOICE_TYPES or item.type is ItemType.class_letter):
            lists[item.code] = _unique(f"opts_{item.code}", taken)
            for option in item.options:
                choices.add(_option_row(lists[item.code], option, None))

    for section in instrument.sections:
        survey.add(
            {
                "type": "begin group",
                "name": section.code,
                **_texts("label", section.title),
                "rootcause_type": "section",
            }
        )
        for item in section.items:
            if item.type is not ItemType.matrix:
                survey.add(_item_row(item, lists))
                continue
            survey.add(
                {
                    "type": "begin group",
                    "name": item.code,
                    **_texts("label", item.text),
                    **_texts("hint", item.help),
                    **_condition_cells(item.relevant),
                    "appearance": "field-list",
                    "rootcause_type": "matrix",
                    "integer": None if item.integer else "no",
                }
            )
            for matrix_row in item.rows or []:
                survey.add(
                    {
                        "type": f"select_one {item.response_scale}",
                        "name": matrix_row.code,
                        **_texts("label", matrix_row.text),
                        **_texts("hint", matrix_row.help),
                        "required": _yes(item.required),
                        "appearance": "likert",
                        "rootcause_type": "matrix_row",
                        "reverse": _yes(matrix_row.reverse),
                    }
                )
            survey.add({"type": "end group"})
        survey.add({"type": "end group"})

    grades = instrument.grades
    settings.add(
        {
            "form_id": instrument.code,
            "version": instrument.version,
            "form_title": instrument.title["ru"],
            "title::en": instrument.title.get("en"),
            "audience": instrument.audience.value,
            "grades": f"{grades[0]}-{grades[1]}" if grades else None,
            "languages": ", ".join(instrument.languages),
            "default_language": "ru",
            **_texts("introduction", instrument.introduction),
            **_texts("consent", instrument.consent),
            "notes": instrument.notes,
            "rootcause_format": FORMAT_VERSION,
        }
    )
    for scale in instrument.scales:
        prevalence, cutoffs = scale.prevalence, scale.cutoffs
        scales.add(
            {
                "code": scale.code,
                **_texts("title", scale.title),
                "items": ", ".join(scale.items),
                "method": scale.method,
                "min_answered": scale.min_answered,
                "higher_is": scale.higher_is,
                "prevalence_at_least": prevalence.at_least if prevalence else None,
                "prevalence_any_item": (
                    ("yes" if prevalence.any_item else "no") if prevalence else None
                ),
                **_texts("prevalence_label", prevalence.label if prevalence else None),
                "cutoff_statistic": cutoffs.statistic if cutoffs else None,
                "cutoff_low_below": cutoffs.low_below if cutoffs else None,
                "cutoff_high_above": cutoffs.high_above if cutoffs else None,
                "cutoff_source": cutoffs.source if cutoffs else None,
            }
        )
    if instrument.indicators:
        indicators = _Writer(workbook.create_sheet(), "indicators", INDICATORS_COLUMNS)
        for indicator in instrument.indicators:
            values = indicator.values
            indicators.add(
                {
                    "factor": indicator.factor,
                    "code": indicator.code,
                    **_texts("title", indicator.title),
                    "scale": indicator.scale,
                    "item": indicator.item,
                    "statistic": indicator.statistic,
                    "values": ", ".join(str(v) for v in values) if values is not None else None,
                    "direction": indicator.direction,
                    "weight": indicator.weight,
                }
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
