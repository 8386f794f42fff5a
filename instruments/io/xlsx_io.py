"""XLSX input and output of instruments, following the XLSForm conventions (ODK, KoboToolbox).

Export: :func:`export_xlsx`
===========================

The workbook has four sheets. Columns marked *ours* are rootcause's own: a plain XLSForm tool
ignores them, and on import they take precedence over the standard columns that carry the same
information for other tools (``relevant``, ``constraint``).

``survey`` — one row per question::

    type, name, label::ru, label::en, hint::ru, hint::en, required, relevant, constraint,
    appearance, rootcause_type*, rootcause_relevant*, reverse*, min*, max*, integer*,
    unit::ru*, unit::en*, max_choices*

* A section is a top-level ``begin group`` / ``end group`` pair (name = section code,
  label = title, ``rootcause_type`` = ``section``).
* ``rootcause_type`` holds our item type on every question row. This is the one approach chosen
  for what XLSForm has no type for: the ``type`` column always holds a standard XLSForm type,
  so that other tools can open the form, and ``rootcause_type`` says what it is for rootcause:

  ============== ====================================== ===============================
  our type       ``type``                               notes
  ============== ====================================== ===============================
  likert         ``select_one <response scale code>``   appearance ``likert``
  single_choice  ``select_one opts_<item code>``
  multiple_choice``select_multiple opts_<item code>``
  class_letter   ``select_one opts_<item code>``        own letters, or the shared list
                                                        ``class_letters`` (the default
                                                        letters, ``list_kind`` =
                                                        ``class_letters``)
  number         ``integer`` or ``decimal``             ``min``/``max`` (also written as
                                                        ``constraint`` for other tools)
  grade          ``integer``
  text           ``text``
  long_text      ``text``                               appearance ``multiline``
  matrix         ``begin group`` … ``end group``        appearance ``field-list``; its
                                                        rows are ``select_one <scale>``
                                                        rows, ``rootcause_type`` =
                                                        ``matrix_row``, ``reverse`` per row
  ============== ====================================== ===============================

  A plain XLSForm reader sees a matrix as an ordinary field-list group of select_one questions.
* ``relevant`` holds the condition in XLSForm syntax (``${q} = 1``, ``selected(${q}, '2')``);
  ``rootcause_relevant`` holds it, unchanged, in rootcause's condition language.

``choices`` — ``list_name, name, label::ru, label::en, missing, list_kind*``: response scales are
the lists with ``list_kind`` = ``response_scale``. Option values keep their cell type: a number
cell is an ``int`` value, a text cell a ``str`` value.

``settings`` — one row: ``form_id`` (code), ``version``, ``form_title`` (title in Russian),
``title::en``, ``audience``, ``grades`` (``5-11``), ``languages`` (``ru, en``),
``default_language`` (``ru``), ``introduction::ru/en``, ``consent::ru/en``, ``notes``,
``rootcause_format`` (the version of this layout; its presence marks a rootcause workbook).

``scales`` — one row per scale: ``code, title::ru, title::en, items`` (comma-separated), ``method,
min_answered, higher_is, prevalence_at_least, prevalence_any_item, prevalence_label::ru/en,
cutoff_statistic, cutoff_low_below, cutoff_high_above, cutoff_source``.

Every text is written as a string cell, never as a formula; a text beginning with = + - @, a tab
or a carriage return also carries Excel's *quotePrefix* style (the apostrophe Excel shows in
front of such text), so that editing the cell in Excel does not turn it into a formula either.
The prefix is a style, not part of the value, so the text reads back unchanged. Characters that
XLSX cannot store at all (control characters other than tab and line breaks) are dropped, and so
is a translation that is an empty string (an empty cell reads back as no text).

Import: :func:`read_xlsx`
=========================

A workbook with ``rootcause_format`` in ``settings`` (or a ``rootcause_type`` column) is read as
rootcause's own: losslessly, and strictly — anything it cannot read is an
:class:`~instruments.errors.InstrumentError` naming the file, sheet, row and column.

Any other workbook is read as a plain XLSForm: what maps is imported and every row that does not
is reported in :attr:`ImportResult.unmapped` (sheet, row number as Excel shows it, what, why).

* ``select_one``/``select_multiple`` (also ``select one from x`` and ``select all that apply from
  x``) become single/multiple choice questions with the options of their ``choices`` list
  (values are ints when every name of the list is an integer, strings otherwise); a select_one
  with the ``likert`` appearance and integer values becomes a likert item on a response scale;
* ``integer``/``decimal``/``range`` become numbers (``constraint`` ``. >= 0 and . <= 100`` gives
  min/max; ``range`` takes them from ``parameters``); ``text`` becomes text (``multiline``:
  long text); ``phone number`` becomes text;
* top-level groups become sections; questions outside any group go to sections named ``main``
  (``main_2``…); nested groups are flattened into their section, their ``relevant`` moving onto
  each question;
* ``relevant`` is translated into the condition language where it can be (``${q} = 'x'``,
  ``!=``, ``<``…, ``selected(${q}, 'x')``, ``${q} != ''``, ``and``/``or``/``not()``), otherwise
  it is reported and the question is shown always;
* labels without a language count as Russian; when a question has no Russian text, the English
  (or default-language, or any) text is used as Russian and the column is reported;
* names that are not valid codes become codes (lower case, Cyrillic transliterated, other
  characters replaced by ``_``) and are reported;
* notes, calculations, repeats (with everything inside them), media, geodata, dates, metadata,
  ``select_one_from_file``, ``or_other``, unknown types and untranslatable constraints are
  reported as not mapped;
* the audience is taken from ``settings`` if it has one, otherwise ``student``; the title from
  ``form_title``, otherwise the file name; the code from ``form_id``, otherwise the file name —
  each default is reported.

The workbook is opened with openpyxl in read-only, data-only mode: formulas are never evaluated
(a formula cell reads as the value Excel last cached for it).
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from os import PathLike
from pathlib import Path
from typing import Any, NoReturn

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from instruments.errors import InstrumentError, Problem
from instruments.expressions import ExpressionError, Token, compile_condition, tokenize
from instruments.schema import (
    CHOICE_TYPES,
    CODE_PATTERN,
    Audience,
    Instrument,
    Item,
    ItemType,
    Option,
    parse_instrument,
)

__all__ = ["ImportResult", "RowNote", "export_xlsx", "read_xlsx"]

FORMAT_VERSION = 1
#: Text starting with one of these is a formula-injection vector in spreadsheet programs.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_SECTION = "main"
CLASS_LETTER_LIST = "class_letters"

SURVEY_COLUMNS = (
    "type",
    "name",
    "label::ru",
    "label::en",
    "hint::ru",
    "hint::en",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "rootcause_type",
    "rootcause_relevant",
    "reverse",
    "min",
    "max",
    "integer",
    "unit::ru",
    "unit::en",
    "max_choices",
)
CHOICES_COLUMNS = ("list_name", "name", "label::ru", "label::en", "missing", "list_kind")
SETTINGS_COLUMNS = (
    "form_id",
    "version",
    "form_title",
    "title::en",
    "audience",
    "grades",
    "languages",
    "default_language",
    "introduction::ru",
    "introduction::en",
    "consent::ru",
    "consent::en",
    "notes",
    "rootcause_format",
)
SCALES_COLUMNS = (
    "code",
    "title::ru",
    "title::en",
    "items",
    "method",
    "min_answered",
    "higher_is",
    "prevalence_at_least",
    "prevalence_any_item",
    "prevalence_label::ru",
    "prevalence_label::en",
    "cutoff_statistic",
    "cutoff_low_below",
    "cutoff_high_above",
    "cutoff_source",
)
_WIDTHS = {"type": 26, "name": 22, "list_name": 22, "code": 22, "items": 40, "notes": 60}
_WIDE = ("label::", "hint::", "title::", "form_title", "introduction::", "consent::")


@dataclass(frozen=True)
class RowNote:
    """What happened to one row of the workbook on import."""

    sheet: str
    row: int  # as Excel shows it: the header is row 1
    what: str
    reason: str  # in Russian

    def __str__(self) -> str:
        return f"лист {self.sheet}, строка {self.row}: {self.what} — {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    """The imported instrument (``None`` when nothing could be mapped) and the row report."""

    instrument: Instrument | None
    mapped: list[RowNote] = field(default_factory=list)
    unmapped: list[RowNote] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


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
                _put(self.sheet.cell(row=self.row, column=self.columns[name]), value)
        self.row += 1


def _put(cell: Any, value: object) -> None:
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"  # a string, never a formula, whatever it starts with
        if text.startswith(DANGEROUS_PREFIXES):
            cell.quotePrefix = True
    else:
        cell.value = value


def _yes(flag: bool) -> str | None:
    return "yes" if flag else None


def _texts(base: str, text: Mapping[str, str] | None) -> dict[str, object]:
    return {f"{base}::{lang}": value for lang, value in (text or {}).items()}


def _condition_cells(relevant: str | None) -> dict[str, object]:
    if relevant is None:
        return {}
    return {"relevant": _to_xpath(relevant), "rootcause_relevant": relevant}


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
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Conditions: rootcause's language <-> XLSForm (XPath) syntax
# --------------------------------------------------------------------------------------------


class _ToXPath:
    """Rootcause's condition language (already validated) written as an XLSForm ``relevant``."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def take(self, kind: str, text: str | None = None) -> Token | None:
        token = self.tokens[self.index]
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def need(self, kind: str, text: str | None = None) -> Token:
        token = self.take(kind, text)
        if token is None:
            raise ValueError(text or kind)
        return token

    def run(self) -> str:
        out = self.expr()
        self.need("end")
        return out

    def expr(self) -> str:
        parts = [self.and_expr()]
        while self.take("keyword", "or"):
            parts.append(self.and_expr())
        return " or ".join(parts)

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while self.take("keyword", "and"):
            parts.append(self.not_expr())
        return " and ".join(parts)

    def not_expr(self) -> str:
        if self.take("keyword", "not"):
            return f"not({self.not_expr()})"
        return self.comparison()

    def comparison(self) -> str:
        left = self.operand()
        negate = self.take("keyword", "not") is not None
        if negate or self.take("keyword", "in"):
            if negate:
                self.need("keyword", "in")
            self.need("punct", "[")
            values = [self.literal()]
            while self.take("punct", ","):
                values.append(self.literal())
            self.need("punct", "]")
            inner = " or ".join(f"{left} = {value}" for value in values)
            return f"not({inner})" if negate else f"({inner})"
        op = self.take("op")
        if op is None:
            return left
        return f"{left} {'=' if op.text == '==' else op.text} {self.operand()}"

    def literal(self) -> str:
        token = self.take("number") or self.need("string")
        return token.text

    def operand(self) -> str:
        if token := (self.take("number") or self.take("string")):
            return token.text
        if self.take("punct", "("):
            inner = self.expr()
            self.need("punct", ")")
            return f"({inner})"
        if self.take("keyword", "answered"):
            self.need("punct", "(")
            code = self.need("word").text
            self.need("punct", ")")
            return f"${{{code}}} != ''"
        if self.take("keyword", "selected"):
            self.need("punct", "(")
            code = self.need("word").text
            self.need("punct", ",")
            value = self.literal()
            self.need("punct", ")")
            if not value.startswith(("'", '"')):
                value = f"'{value}'"
            return f"selected(${{{code}}}, {value})"
        return f"${{{self.need('word').text}}}"


def _to_xpath(text: str) -> str | None:
    try:
        return _ToXPath(text).run()
    except (ValueError, IndexError):
        return None


class _Untranslatable(Exception):
    """An XLSForm expression with no equivalent in the condition language."""


@dataclass(frozen=True)
class _Known:
    """A question already imported, as seen from a condition."""

    code: str
    numeric: bool  # answers compare as numbers
    multiple: bool  # answers are lists (multiple choice)


@dataclass(frozen=True)
class _Part:
    text: str
    kind: str  # "bool", "ref", "number" or "string"
    known: _Known | None = None

    @property
    def question(self) -> _Known:
        if self.known is None:
            raise _Untranslatable(f"«{self.text}» не вопрос")
        return self.known


_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_XPATH_TOKEN = re.compile(
    r"""\s*(?:
        \$\{\s*(?P<ref>[^}]*?)\s*\}
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][\w.:-]*)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def _quote(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise _Untranslatable("значение содержит оба вида кавычек")


class _FromXPath:
    """An XLSForm ``relevant`` translated into the condition language."""

    def __init__(self, text: str, known: Mapping[str, _Known]) -> None:
        self.known = known
        self.tokens: list[tuple[str, str]] = []
        text = text.translate(_QUOTES)
        index = 0
        while text[index:].strip():
            match = _XPATH_TOKEN.match(text, index)
            if match is None:  # pragma: no cover - the pattern matches any non-blank character
                raise _Untranslatable("непонятный символ")
            kind = match.lastgroup or "other"
            self.tokens.append((kind, match.group(kind)))
            index = match.end()
        self.tokens.append(("end", ""))
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def take(self, kind: str, text: str | None = None) -> str | None:
        token_kind, token_text = self.peek()
        if token_kind == kind and (text is None or token_text == text):
            self.index += 1
            return token_text
        return None

    def need(self, kind: str, text: str) -> None:
        if self.take(kind, text) is None:
            found = self.peek()[1] or "конец выражения"
            raise _Untranslatable(f"ожидалось «{text}», а найдено «{found}»")

    def run(self) -> str:
        part = self.or_expr()
        if self.peek()[0] != "end":
            raise _Untranslatable(f"не поддерживается «{self.peek()[1]}»")
        if part.kind != "bool":
            raise _Untranslatable("это не условие")
        return part.text

    def or_expr(self) -> _Part:
        return self.chain("or", self.and_expr)

    def and_expr(self) -> _Part:
        return self.chain("and", self.unary)

    def chain(self, word: str, operand: Callable[[], _Part]) -> _Part:
        parts = [operand()]
        while self.take("word", word):
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]
        if any(p.kind != "bool" for p in parts):
            raise _Untranslatable(f"«{word}» соединяет не условия")
        return _Part(f" {word} ".join(p.text for p in parts), "bool")

    def unary(self) -> _Part:
        if self.peek() == ("word", "not") and self.peek(1) == ("punct", "("):
            self.index += 2
            inner = self.or_expr()
            self.need("punct", ")")
            if inner.kind != "bool":
                raise _Untranslatable("not() применяется не к условию")
            return _Part(f"not ({inner.text})", "bool")
        return self.comparison()

    def comparison(self) -> _Part:
        left = self.primary()
        op = self.take("op")
        if op is None:
            return left
        return self.compare(left, op, self.primary())

    def ref(self) -> _Part:
        name = self.take("ref")
        if name is None:
            raise _Untranslatable("ожидалась ссылка на вопрос ${…}")
        known = self.known.get(name)
        if known is None:
            raise _Untranslatable(f"вопрос ${{{name}}} не импортирован или идёт позже")
        return _Part(known.code, "ref", known)

    def literal(self) -> _Part:
        if (text := self.take("number")) is not None:
            return _Part(text, "number")
        if (text := self.take("string")) is not None:
            return _Part(text[1:-1], "string")
        raise _Untranslatable("ожидалось значение")

    def primary(self) -> _Part:
        kind, text = self.peek()
        if (kind, text) == ("punct", "("):
            self.index += 1
            inner = self.or_expr()
            self.need("punct", ")")
            return _Part(f"({inner.text})", inner.kind, inner.known)
        if kind == "ref":
            return self.ref()
        if kind in ("number", "string"):
            return self.literal()
        if (kind, text) == ("word", "selected") and self.peek(1) == ("punct", "("):
            self.index += 2
            ref = self.ref()
            self.need("punct", ",")
            value = self.literal()
            self.need("punct", ")")
            literal = self.value_for(ref.question, value)
            if ref.question.multiple:
                return _Part(f"selected({ref.text}, {literal})", "bool")
            return _Part(f"{ref.text} = {literal}", "bool")
        raise _Untranslatable(f"не поддерживается «{text}»" if text else "выражение оборвано")

    @staticmethod
    def value_for(known: _Known, value: _Part) -> str:
        if known.numeric:
            if not _NUMBER.match(value.text):
                raise _Untranslatable(f"на '{known.code}' отвечают числом, а не «{value.text}»")
            return value.text
        return _quote(value.text)

    def compare(self, left: _Part, op: str, right: _Part) -> _Part:
        if "bool" in (left.kind, right.kind):
            raise _Untranslatable("сравнение результата проверки со значением")
        if left.kind == "ref" and right.kind == "ref":
            if left.question.multiple or right.question.multiple:
                raise _Untranslatable("сравнение ответов с несколькими вариантами")
            return _Part(f"{left.text} {op} {right.text}", "bool")
        if "ref" not in (left.kind, right.kind):
            raise _Untranslatable("сравнение двух постоянных значений")
        ref, value = (left, right) if left.kind == "ref" else (right, left)
        known = ref.question
        if value.kind == "string" and value.text == "":
            if op == "=":
                return _Part(f"not answered({known.code})", "bool")
            if op == "!=":
                return _Part(f"answered({known.code})", "bool")
            raise _Untranslatable("сравнение с пустым значением")
        if known.multiple:
            raise _Untranslatable(
                f"'{known.code}' допускает несколько ответов: сравнение со значением "
                "не переводится (нужен selected())"
            )
        literal = self.value_for(known, value)
        text = f"{ref.text} {op} {literal}" if ref is left else f"{literal} {op} {ref.text}"
        return _Part(text, "bool")


# --------------------------------------------------------------------------------------------
# Import: reading the workbook
# --------------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    title: str  # as named in the workbook
    columns: dict[str, int]  # normalised column key -> index
    headers: dict[str, str]  # normalised column key -> header as written
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values) of non-empty rows

    def get(self, values: tuple[Any, ...], key: str) -> Any:
        index = self.columns.get(key)
        return values[index] if index is not None and index < len(values) else None

    def column(self, key: str) -> str:
        return self.headers.get(key, key)

    @property
    def first(self) -> tuple[int, tuple[Any, ...]] | None:
        return self.rows[0] if self.rows else None


_LANGUAGE_NAMES = {
    "ru": "ru",
    "rus": "ru",
    "russian": "ru",
    "русский": "ru",
    "en": "en",
    "eng": "en",
    "english": "en",
    "английский": "en",
}
_LANGUAGE_CODE = re.compile(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\)\s*$")


def _language(text: str) -> str:
    """``ru``, ``en`` or the language as written (lower case): 'English (en)' -> 'en'."""
    match = _LANGUAGE_CODE.search(text)
    if match:
        return match.group(1).lower()
    low = text.strip().lower()
    return _LANGUAGE_NAMES.get(low, low)


def _column_key(header: str) -> str:
    """'label::English (en)' -> 'label::en'; 'list name' -> 'list_name'; 'name ' -> 'name'."""
    if "::" in header:
        base, lang = header.split("::", 1)
    elif ":" in header:
        base, lang = header.split(":", 1)
    else:
        base, lang = header, None
    base = re.sub(r"\s+", "_", base.strip().lower())
    return base if lang is None else f"{base}::{_language(lang)}"


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _cell_text(value: Any, *, strip: bool = True) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    if strip:
        text = text.strip()
    return text or None


def _read_sheet(worksheet: Any) -> _Sheet:
    # Some tools store wrong dimensions; without them openpyxl reads the rows actually there.
    worksheet.reset_dimensions()
    first = next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    width = max((i + 1 for i, value in enumerate(first) if _present(value)), default=0)
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, value in enumerate(first[:width]):
        header = _cell_text(value)
        if header is not None and (key := _column_key(header)) not in columns:
            columns[key] = index
            headers[key] = header
    rows: list[tuple[int, tuple[Any, ...]]] = []
    if width:
        empty = (None,) * width
        cells = worksheet.iter_rows(min_row=2, max_col=width, values_only=True)
        for number, values in enumerate(cells, start=2):
            if values != empty and any(_present(v) for v in values):
                rows.append((number, tuple(values)))
    return _Sheet(str(worksheet.title).strip(), columns, headers, rows)


def _load_sheets(content: bytes, source: str) -> dict[str, _Sheet]:
    if not content.startswith(b"PK"):
        hint = (
            "это старый формат XLS: сохраните таблицу как .xlsx"
            if content.startswith(b"\xd0\xcf\x11\xe0")
            else "сохраните таблицу в формате Excel .xlsx"
        )
        raise InstrumentError([Problem("", f"файл не является файлом XLSX ({hint})")], source)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation extensions, …).
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                sheets: dict[str, _Sheet] = {}
                for worksheet in workbook.worksheets:
                    sheet = _read_sheet(worksheet)
                    sheets.setdefault(sheet.title.lower(), sheet)
            finally:
                workbook.close()
    except Exception as exc:  # openpyxl fails in many ways on a damaged file; none may escape
        raise InstrumentError(
            [Problem("", f"файл XLSX повреждён или не читается ({type(exc).__name__})")], source
        ) from None
    return sheets


# --------------------------------------------------------------------------------------------
# Import: mapping rows to the definition language
# --------------------------------------------------------------------------------------------

_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "_",
    "ы": "y",
    "ь": "_",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
}


def _as_code(text: str, prefix: str) -> str:
    """A valid code made of arbitrary text: 'Возраст ребёнка' -> 'vozrast_rebenka'."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    out = unicodedata.normalize("NFKD", out).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9_]+", "_", out)
    out = re.sub(r"_+", "_", out).strip("_")
    if not out or not out[0].isalpha():
        out = f"{prefix}_{out}" if out else prefix
    return out[:48]


def _unique_code(base: str, taken: set[str]) -> str:
    code, n = base, 2
    while code in taken:
        suffix = f"_{n}"
        code, n = base[: 48 - len(suffix)] + suffix, n + 1
    taken.add(code)
    return code


_TRUE = frozenset({"yes", "true", "true()", "да", "1", "y"})
_FALSE = frozenset({"no", "false", "false()", "нет", "0", "n"})


def _flag(value: Any) -> Any:
    """True/False for the usual spellings, None for empty, else the value (for pydantic)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value


def _compact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


_SELECT = re.compile(
    r"^(?P<kind>select_one|select_multiple|select one|select multiple|select all that apply)"
    r"(?:\s+from)?\s+(?P<list>\S+)(?P<other>\s+or_other)?$",
    re.IGNORECASE,
)
_META = "служебные данные устройства или сеанса, а не вопрос"
_MEDIA = "фото, аудио, видео и файлы не поддерживаются"
_UNSUPPORTED = {
    "note": "пояснительный текст без ответа",
    "calculate": "вычисляемое поле",
    "hidden": "скрытое поле",
    **dict.fromkeys(
        (
            "start",
            "end",
            "today",
            "deviceid",
            "subscriberid",
            "simserial",
            "phonenumber",
            "username",
            "email",
            "audit",
            "start-geopoint",
            "background-audio",
            "instanceid",
        ),
        _META,
    ),
    **dict.fromkeys(("geopoint", "geotrace", "geoshape"), "геоданные не поддерживаются"),
    **dict.fromkeys(("date", "time", "datetime"), "даты и время не поддерживаются"),
    **dict.fromkeys(("image", "audio", "video", "file", "photo"), _MEDIA),
    "barcode": "сканирование штрихкода не поддерживается",
    "acknowledge": "подтверждение (acknowledge) не поддерживается",
    "trigger": "подтверждение (trigger) не поддерживается",
    "rank": "ранжирование не поддерживается",
    "xml-external": "внешние данные не поддерживаются",
    "csv-external": "внешние данные не поддерживаются",
}
_EXTERNAL = ("select_one_from_file", "select_multiple_from_file", "select_one_external")
_TEXT_TYPES = frozenset({"text", "string"})
_INTEGER_TYPES = frozenset({"integer", "int"})
_PHONE_TYPES = frozenset({"phone number", "phone_number"})
#: rootcause_type -> the XLSForm base types it may be written with
_BASES: dict[str, frozenset[str]] = {
    "likert": frozenset({"select_one"}),
    "single_choice": frozenset({"select_one"}),
    "class_letter": frozenset({"select_one"}),
    "multiple_choice": frozenset({"select_multiple"}),
    "number": frozenset({"integer", "decimal", "range"}),
    "grade": frozenset({"integer"}),
    "text": frozenset({"text"}),
    "long_text": frozenset({"text"}),
}
_ROOTCAUSE_TYPES = frozenset({*_BASES, "section", "matrix", "matrix_row"})
#: columns of a question that have no counterpart here: reported when filled in
_IGNORED_COLUMNS = {
    "calculation": "вычисление",
    "choice_filter": "фильтр вариантов",
    "default": "значение по умолчанию",
    "read_only": "только для чтения",
    "trigger": "пересчёт",
    "repeat_count": "число повторов",
    "image": "картинка",
    "audio": "аудио",
    "video": "видео",
    "media": "медиафайл",
    "big-image": "картинка",
    "parameters": "параметры",
}
_SIMPLE_BOUND = re.compile(r"^\.\s*(>=|<=|>|<|=)\s*(-?\d+(?:\.\d+)?)$")
_SIMPLE_BOUND_REVERSED = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(<=|>=|<|>)\s*\.$")
_FLIP = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}
_SETTINGS_USED = frozenset(
    {
        "form_id",
        "form_title",
        "version",
        "audience",
        "grades",
        "languages",
        "default_language",
        "title::ru",
        "title::en",
        "title",
        "introduction",
        "introduction::ru",
        "introduction::en",
        "consent",
        "consent::ru",
        "consent::en",
        "notes",
        "rootcause_format",
    }
)
_KNOWN_SHEETS = frozenset({"survey", "choices", "settings", "scales"})


def _bounds(constraint: str, integer: bool) -> tuple[float | None, float | None] | None:
    """min and max from ``. >= 0 and . <= 100``; None when the constraint is anything else."""
    low: float | None = None
    high: float | None = None
    for raw in re.split(r"\s+and\s+", constraint.strip()):
        part = raw.strip()
        while part.startswith("(") and part.endswith(")"):
            part = part[1:-1].strip()
        match = _SIMPLE_BOUND.match(part)
        if match:
            op, number = match.group(1), float(match.group(2))
        elif reversed_match := _SIMPLE_BOUND_REVERSED.match(part):
            op, number = _FLIP[reversed_match.group(2)], float(reversed_match.group(1))
        else:
            return None
        if op in (">", "<"):
            if not (integer and number.is_integer()):
                return None
            number, op = (number + 1, ">=") if op == ">" else (number - 1, "<=")
        if op in (">=", "="):
            low = number if low is None else max(low, number)
        if op in ("<=", "="):
            high = number if high is None else min(high, number)
    return low, high


@dataclass
class _Where:
    """Where a part of the definition came from, for error messages."""

    sheet: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)  # model field -> column as shown


@dataclass
class _Node:
    """A part of the definition being built, with where it came from."""

    data: dict[str, Any]
    where: _Where
    lists: dict[str, list[_Node]] = field(default_factory=dict)
    parts: dict[str, _Where] = field(default_factory=dict)  # nested objects: prevalence, …

    def build(self, path: str, where: dict[str, _Where]) -> dict[str, Any]:
        where[path] = self.where
        for name, part in self.parts.items():
            where[f"{path}.{name}" if path else name] = part
        data = _compact(self.data)
        for name, nodes in self.lists.items():
            prefix = f"{path}.{name}" if path else name
            data[name] = [node.build(f"{prefix}[{i}]", where) for i, node in enumerate(nodes)]
        return data


@dataclass
class _Frame:
    kind: str  # "section", "group", "matrix", "repeat" or "skip" (anything inside a repeat)
    row: int
    name: str
    condition: str | None = None
    node: _Node | None = None
    scales: list[tuple[int, str | None]] = field(default_factory=list)  # matrix rows' scales


def _place(sheet: str, row: int | None = None, column: str | None = None) -> str:
    parts = [f"лист {sheet}"]
    if row:
        parts.append(f"строка {row}")
    if column:
        parts.append(f"столбец {column}")
    return ", ".join(parts)


class _Reader:
    def __init__(self, sheets: dict[str, _Sheet], source: str) -> None:
        self.source = source
        if "survey" not in sheets:
            present = ", ".join(s.title for s in sheets.values()) or "нет ни одного"
            self.fail("survey", None, None, f"в файле нет такого листа (листы: {present})")
        self.sheets = sheets
        self.survey = sheets["survey"]
        self.choices = sheets.get("choices") or _Sheet("choices", {}, {}, [])
        self.settings = sheets.get("settings")
        self.scales = sheets.get("scales")
        first = self.settings.first if self.settings else None
        marked = bool(first and _present(sheets["settings"].get(first[1], "rootcause_format")))
        self.ours = marked or "rootcause_type" in self.survey.columns
        self.mapped: list[RowNote] = []
        self.unmapped: list[RowNote] = []
        self.where: dict[str, _Where] = {}
        self.known: dict[str, _Known] = {}  # XLSForm name -> imported question
        self.kinds: dict[str, tuple[str, bool]] = {}  # code -> kind, for conditions
        self.codes: dict[str, str] = {}  # XLSForm name -> code
        self.item_codes: set[str] = set()
        self.section_codes: set[str] = set()
        self.scale_codes: set[str] = set()
        self.response_scales: list[_Node] = []
        self.scale_of_list: dict[str, str] = {}
        self.fallback_columns: set[tuple[str, str]] = set()
        self.saw_english = False
        self.default_language = "ru"
        self.section: _Node | None = None
        self.sections: list[_Node] = []
        self.lists: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        self.list_kinds: dict[str, str] = {}
        self.option_cache: dict[str, list[_Node]] = {}

    # -- reporting ---------------------------------------------------------------------------

    def fail(self, sheet: str, row: int | None, column: str | None, message: str) -> NoReturn:
        raise InstrumentError([Problem(_place(sheet, row, column), message)], source=self.source)

    def note(self, sheet: _Sheet, row: int, what: str, reason: str) -> None:
        self.mapped.append(RowNote(sheet.title, row, what, reason))

    def skip(
        self,
        sheet: _Sheet,
        row: int,
        key: str | None,
        what: str,
        reason: str,
        *,
        benign: bool = False,
    ) -> None:
        """A row (or part of one) that is not imported: an error in rootcause's own format."""
        if self.ours and not benign:
            self.fail(sheet.title, row, sheet.column(key) if key else None, reason)
        self.unmapped.append(RowNote(sheet.title, row, what, reason))

    def require_columns(self, sheet: _Sheet, *keys: str) -> None:
        for key in keys:
            if key not in sheet.columns:
                self.fail(sheet.title, 1, key, "нет обязательного столбца")

    # -- cells -------------------------------------------------------------------------------

    def text(self, sheet: _Sheet, values: tuple[Any, ...], key: str) -> str | None:
        return _cell_text(sheet.get(values, key), strip=not self.ours)

    def word(self, sheet: _Sheet, values: tuple[Any, ...], key: str) -> str | None:
        return _cell_text(sheet.get(values, key))

    def localized(self, sheet: _Sheet, values: tuple[Any, ...], base: str) -> dict[str, str] | None:
        texts: dict[str, tuple[str, str]] = {}
        for key in sheet.columns:
            if key == base:
                lang = ""
            elif key.startswith(base + "::"):
                lang = key[len(base) + 2 :]
            else:
                continue
            text = self.text(sheet, values, key)
            if text is not None:
                texts.setdefault(lang, (key, text))
        if not texts:
            return None
        ru = texts.get("ru") or texts.get("")
        if ru is None and not self.ours:
            for lang in ("en", self.default_language, *texts):
                if lang in texts:
                    ru = texts[lang]
                    self.fallback_columns.add((sheet.title, ru[0]))
                    break
        result = {"ru": ru[1]} if ru else {}
        if "en" in texts:
            result["en"] = texts["en"][1]
            self.saw_english = True
        return result or None

    def text_column(self, sheet: _Sheet, base: str) -> str:
        for key in (f"{base}::ru", base, *(k for k in sheet.columns if k.startswith(base + "::"))):
            if key in sheet.columns:
                return sheet.column(key)
        return f"{base}::ru"

    # -- the whole workbook ------------------------------------------------------------------

    def run(self) -> ImportResult:
        self.require_columns(self.survey, "type", "name")
        settings, settings_where = self.read_settings()
        self.read_choices()
        self.read_survey()
        scales = self.read_scales()
        self.report_columns()
        if not self.sections:
            self.unmapped.append(
                RowNote(
                    self.survey.title, 1, "форма", "в форме нет вопросов, которые можно перенести"
                )
            )
            return self.result(None)
        if not self.ours and "languages" not in settings:
            settings["languages"] = ["ru", "en"] if self.saw_english else ["ru"]
        top = _Node(
            settings,
            settings_where,
            lists={
                "response_scales": self.response_scales,
                "sections": self.sections,
                "scales": scales,
            },
        )
        data = top.build("", self.where)
        try:
            instrument = parse_instrument(data)
        except InstrumentError as exc:
            problems = [self.relocate(problem) for problem in exc.problems]
            raise InstrumentError(problems, source=self.source) from None
        return self.result(instrument)

    def result(self, instrument: Instrument | None) -> ImportResult:
        order = {name: i for i, name in enumerate(("survey", "choices", "settings", "scales"))}

        def key(note: RowNote) -> tuple[int, str, int]:
            return (order.get(note.sheet.lower(), len(order)), note.sheet, note.row)

        return ImportResult(
            instrument, sorted(self.mapped, key=key), sorted(self.unmapped, key=key)
        )

    def relocate(self, problem: Problem) -> Problem:
        """A problem found by validation, placed at the sheet, row and column it came from."""
        path = problem.path
        best: str | None = None
        for key in self.where:
            inside = path == key or path.startswith((key + ".", key + "["))
            if key and inside and (best is None or len(key) > len(best)):
                best = key
        if best is None:
            head = re.match(r"[A-Za-z_]+", path)
            top = self.where.get("")
            if top is not None and head and head.group(0) in top.columns:
                best = ""
            elif path.startswith("sections"):
                return Problem(_place(self.survey.title), problem.message)
            else:
                return problem
        where = self.where[best]
        rest = re.match(r"[A-Za-z_]+", path[len(best) :].lstrip("."))
        column = where.columns.get(rest.group(0)) if rest else None
        return Problem(_place(where.sheet, where.row, column), problem.message)

    def report_columns(self) -> None:
        for sheet in self.sheets.values():
            if sheet.title.lower() not in _KNOWN_SHEETS:
                self.skip(
                    sheet, 1, None, f"лист {sheet.title}", "лист не используется", benign=True
                )
                continue
            for key, header in sheet.headers.items():
                base, _, lang = key.partition("::")
                if base not in ("label", "hint", "title") or lang in ("", "ru", "en"):
                    continue
                if (sheet.title, key) in self.fallback_columns:
                    self.note(
                        sheet,
                        1,
                        f"столбец {header}",
                        "текста на русском нет: текст из этого столбца записан как русский",
                    )
                else:
                    self.skip(
                        sheet,
                        1,
                        key,
                        f"столбец {header}",
                        f"язык '{lang}' не поддерживается (только ru и en): текст не перенесён",
                        benign=True,
                    )

    # -- settings ----------------------------------------------------------------------------

    def read_settings(self) -> tuple[dict[str, Any], _Where]:
        sheet = self.settings or _Sheet("settings", {}, {}, [])
        row, values = sheet.first or (2 if self.settings else 1, ())
        columns = {
            "code": "form_id",
            "version": "version",
            "title": "form_title",
            "audience": "audience",
            "grades": "grades",
            "languages": "languages",
            "introduction": "introduction::ru",
            "consent": "consent::ru",
            "notes": "notes",
        }
        where = _Where(sheet.title, row, {k: sheet.column(v) for k, v in columns.items()})
        if self.ours:
            fmt = sheet.get(values, "rootcause_format")
            if isinstance(fmt, int | float) and fmt > FORMAT_VERSION:
                self.fail(
                    sheet.title,
                    row,
                    "rootcause_format",
                    f"файл записан более новой версией rootcause (формат {fmt})",
                )
        language = self.word(sheet, values, "default_language")
        if language:
            self.default_language = _language(language)
        title = self.localized(sheet, values, "title") or {}
        form_title = self.text(sheet, values, "form_title")
        if form_title and "ru" not in title:
            title = {"ru": form_title, **title}
        data: dict[str, Any] = {
            "code": self.word(sheet, values, "form_id"),
            "version": sheet.get(values, "version"),
            "title": title or None,
            "audience": self.word(sheet, values, "audience"),
            "grades": self.grades(sheet, row, values),
            "languages": self.languages(sheet, values),
            "introduction": self.localized(sheet, values, "introduction"),
            "consent": self.localized(sheet, values, "consent"),
            "notes": self.text(sheet, values, "notes"),
        }
        if not self.ours:
            self.plain_settings(sheet, row, values, data)
        return _compact(data), where

    def grades(self, sheet: _Sheet, row: int, values: tuple[Any, ...]) -> list[int] | None:
        text = self.word(sheet, values, "grades")
        if text is None:
            return None
        match = re.fullmatch(r"(\d{1,2})\s*[-–—]\s*(\d{1,2})", text)
        if match:
            return [int(match.group(1)), int(match.group(2))]
        self.skip(
            sheet,
            row,
            "grades",
            f"классы «{text}»",
            "классы записываются как «5-11» (от и до)",
            benign=not self.ours,
        )
        return None

    def languages(self, sheet: _Sheet, values: tuple[Any, ...]) -> list[str] | None:
        text = self.word(sheet, values, "languages")
        if text is None:
            return None
        return [part.lower() for part in re.split(r"[\s,;]+", text) if part]

    def plain_settings(
        self, sheet: _Sheet, row: int, values: tuple[Any, ...], data: dict[str, Any]
    ) -> None:
        stem = Path(self.source).stem if self.source.lower().endswith((".xlsx", ".xlsm")) else ""
        lead = "" if self.settings else "листа settings нет; "
        raw_code = data["code"]
        if raw_code is None or not re.fullmatch(CODE_PATTERN, raw_code):
            data["code"] = _as_code(raw_code or stem or "imported_form", "form")
            origin = f"form_id «{raw_code}»" if raw_code else "имени файла"
            self.note(sheet, row, "код формы", f"{lead}взят из {origin}: '{data['code']}'")
        if not data["title"]:
            data["title"] = {"ru": stem or "Импортированная форма"}
            self.note(
                sheet,
                row,
                "название формы",
                f"{lead}form_title не указан: взято «{data['title']['ru']}»",
            )
        version = data["version"]
        if version is not None:
            number = _cell_text(version)
            if number and re.fullmatch(r"\d+", number) and int(number) >= 1:
                data["version"] = int(number)
            else:
                data["version"] = None
                self.skip(
                    sheet,
                    row,
                    "version",
                    f"версия «{number}»",
                    "версия должна быть целым числом: взята 1",
                    benign=True,
                )
        audience = data["audience"]
        audiences = {a.value for a in Audience}
        if audience not in audiences:
            if audience is not None:
                self.skip(
                    sheet,
                    row,
                    "audience",
                    f"аудитория «{audience}»",
                    f"неизвестная аудитория (допустимы: {', '.join(sorted(audiences))})",
                    benign=True,
                )
            data["audience"] = Audience.student.value
            self.note(sheet, row, "аудитория", f"{lead}не указана: взято student (обучающиеся)")
        if data["languages"] is not None:
            kept = [lang for lang in data["languages"] if lang in ("ru", "en")]
            data["languages"] = kept if "ru" in kept else ["ru", *kept]
        ignored = [
            sheet.column(key)
            for key in sheet.columns
            if key not in _SETTINGS_USED and _present(sheet.get(values, key))
        ]
        if ignored:
            self.skip(
                sheet,
                row,
                None,
                "настройки " + ", ".join(ignored),
                "не используются в rootcause и не перенесены",
                benign=True,
            )

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
        texts = [_cell_text(value) for value in raw]
        if all(t is not None and re.fullmatch(r"-?\d+", t) for t in texts):
            return [int(t) for t in texts if t is not None]
        return texts

    def options(self, list_name: str) -> list[_Node]:
        if list_name in self.option_cache:
            return self.option_cache[list_name]
        sheet = self.choices
        rows = self.lists[list_name]
        nodes: list[_Node] = []
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
                "missing": _flag(sheet.get(values, "missing")),
            }
            where = _Where(
                sheet.title,
                row,
                {"value": sheet.column("name"), "label": label_column, "missing": "missing"},
            )
            nodes.append(_Node(data, where))
        self.option_cache[list_name] = nodes
        return nodes

    def response_scale(self, list_name: str, row: int) -> str:
        if list_name in self.scale_of_list:
            return self.scale_of_list[list_name]
        code = (
            list_name if self.ours else _unique_code(_as_code(list_name, "scale"), self.scale_codes)
        )
        if code != list_name:
            self.note(self.survey, row, f"список '{list_name}'", f"шкала ответов '{code}'")
        sheet = self.choices
        first = self.lists[list_name][0][0]
        where = _Where(sheet.title, first, {"code": "list_name", "options": "list_name"})
        node = _Node({"code": code}, where, lists={"options": self.options(list_name)})
        self.response_scales.append(node)
        self.scale_of_list[list_name] = code
        return code

    # -- survey ------------------------------------------------------------------------------

    def read_survey(self) -> None:
        sheet = self.survey
        frames: list[_Frame] = []
        for row, values in sheet.rows:
            raw_type = self.word(sheet, values, "type")
            name = self.word(sheet, values, "name")
            if raw_type is None:
                self.skip(sheet, row, "type", f"строка '{name or ''}'", "не указан тип (type)")
                continue
            norm = " ".join(raw_type.split())
            keyword = re.sub(r"[\s_]+", " ", norm.lower())
            what = f"{norm} '{name}'" if name else norm
            outer = next((f for f in frames if f.kind in ("repeat", "skip")), None)
            if outer is not None:
                if keyword in ("end group", "end repeat"):
                    frames.pop()
                    continue
                if keyword.startswith("begin "):
                    frames.append(_Frame("skip", row, name or ""))
                self.skip(
                    sheet,
                    row,
                    "type",
                    what,
                    f"внутри повторяющейся группы '{outer.name}' (строка {outer.row}): "
                    "не переносится",
                )
                continue
            if keyword == "begin repeat":
                self.skip(
                    sheet,
                    row,
                    "type",
                    what,
                    "повторяющаяся группа не поддерживается: её вопросы не перенесены",
                )
                frames.append(_Frame("repeat", row, name or ""))
            elif keyword == "begin group":
                self.begin_group(row, values, name, frames)
            elif keyword in ("end group", "end repeat"):
                if not frames or (keyword == "end repeat") != (frames[-1].kind == "repeat"):
                    self.skip(sheet, row, "type", norm, f"{norm} без парной begin")
                    continue
                frame = frames.pop()
                if frame.kind == "matrix":
                    self.finish_matrix(frame)
                elif frame.kind == "section":
                    self.section = None
            elif frames and frames[-1].kind == "matrix":
                self.matrix_row(row, values, norm, name, frames[-1])
            else:
                self.question(row, values, norm, name, frames)
        for frame in reversed(frames):
            self.skip(
                sheet,
                frame.row,
                "type",
                f"группа '{frame.name}'",
                "группа не закрыта (нет end group)",
                benign=frame.kind in ("repeat", "skip"),
            )
            if frame.kind == "matrix":
                self.finish_matrix(frame)
        for node in list(self.sections):
            if not node.lists["items"] and not self.ours:
                self.sections.remove(node)
                self.skip(
                    sheet,
                    node.where.row,
                    None,
                    f"группа '{node.data['code']}'",
                    "в группе нет переносимых вопросов: раздел не создан",
                )

    def rootcause_type(self, row: int, values: tuple[Any, ...]) -> str | None:
        value = self.word(self.survey, values, "rootcause_type")
        if value is None:
            return None
        if value.lower() not in _ROOTCAUSE_TYPES:
            self.skip(
                self.survey,
                row,
                "rootcause_type",
                f"rootcause_type «{value}»",
                f"неизвестный тип rootcause '{value}'",
            )
            return None
        return value.lower()

    def open_section(self, row: int, name: str | None, values: tuple[Any, ...]) -> _Node:
        sheet = self.survey
        valid = name is not None and re.fullmatch(CODE_PATTERN, name) is not None
        if name is None or self.ours or (valid and name not in self.section_codes):
            code = name
        else:
            code = _as_code(name, "section")
        if code is not None and not self.ours:
            wanted = code
            code = _unique_code(code, self.section_codes)
            if code != name:
                self.note(sheet, row, f"группа '{name}'", f"код раздела '{code}' (из '{wanted}')")
        title = self.localized(sheet, values, "label")
        if title is None and not self.ours:
            title = {"ru": name or "Раздел"}
            self.note(sheet, row, f"группа '{name}'", "нет подписи: заголовком раздела взято имя")
        columns = {"code": sheet.column("name"), "title": self.text_column(sheet, "label")}
        node = _Node(
            {"code": code, "title": title}, _Where(sheet.title, row, columns), lists={"items": []}
        )
        self.sections.append(node)
        self.section = node
        return node

    def current_section(self, row: int) -> _Node:
        if self.section is None:
            code = _unique_code(DEFAULT_SECTION, self.section_codes)
            node = _Node(
                {"code": code, "title": {"ru": "Основные вопросы", "en": "Main questions"}},
                _Where(self.survey.title, row, {"code": "name", "title": "label"}),
                lists={"items": []},
            )
            self.sections.append(node)
            self.section = node
            self.note(self.survey, row, "вопросы вне групп", f"собраны в раздел '{code}'")
        return self.section

    def begin_group(
        self, row: int, values: tuple[Any, ...], name: str | None, frames: list[_Frame]
    ) -> None:
        sheet = self.survey
        rtype = self.rootcause_type(row, values)
        what = f"группа '{name}'"
        if rtype == "matrix":
            if frames and frames[-1].kind == "matrix":
                self.fail(sheet.title, row, "rootcause_type", "матрица внутри матрицы")
            section = self.current_section(row)
            condition = self.condition(row, values, "матрица показывается всегда")
            data = {
                "code": name,
                "type": ItemType.matrix.value,
                "text": self.localized(sheet, values, "label"),
                "help": self.localized(sheet, values, "hint"),
                "relevant": condition,
                "integer": _flag(sheet.get(values, "integer")),
            }
            node = _Node(data, self.item_where(row, values), lists={"rows": []})
            section.lists["items"].append(node)
            frames.append(_Frame("matrix", row, name or "", node=node))
            self.note(sheet, row, what, f"→ матрица '{name}'")
            return
        if rtype not in (None, "section"):
            self.fail(sheet.title, row, "rootcause_type", f"группа не может быть '{rtype}'")
        if frames and frames[-1].kind == "matrix":
            self.fail(sheet.title, row, "type", "группа внутри матрицы")
        condition = self.condition(row, values, "вопросы группы показываются всегда")
        if not frames:
            node = self.open_section(row, name, values)
            frames.append(_Frame("section", row, name or "", condition, node))
            self.note(sheet, row, what, f"→ раздел '{node.data['code']}'")
        else:
            frames.append(_Frame("group", row, name or "", condition))
            into = self.section.data["code"] if self.section else ""
            self.note(sheet, row, what, f"вложенная группа: её вопросы отнесены к разделу '{into}'")

    def item_where(self, row: int, values: tuple[Any, ...]) -> _Where:
        sheet = self.survey
        has_ours = "rootcause_relevant" in sheet.columns and _present(
            sheet.get(values, "rootcause_relevant")
        )
        bounds = "min" if "min" in sheet.columns else "constraint"
        columns = {
            "code": "name",
            "type": "type",
            "response_scale": "type",
            "options": "type",
            "rows": "type",
            "required": "required",
            "reverse": "reverse",
            "integer": "integer",
            "max_choices": "max_choices",
            "relevant": "rootcause_relevant" if has_ours else "relevant",
            "min": bounds,
            "max": "max" if "max" in sheet.columns else "constraint",
        }
        shown = {k: sheet.column(v) for k, v in columns.items()}
        shown |= {
            "text": self.text_column(sheet, "label"),
            "help": self.text_column(sheet, "hint"),
            "unit": self.text_column(sheet, "unit"),
        }
        return _Where(sheet.title, row, shown)

    def condition(self, row: int, values: tuple[Any, ...], otherwise: str) -> str | None:
        sheet = self.survey
        ours = self.text(sheet, values, "rootcause_relevant")
        if ours is not None:
            return ours
        xpath = self.word(sheet, values, "relevant")
        if xpath is None:
            return None
        try:
            text = _FromXPath(xpath, self.known).run()
            compile_condition(text, self.kinds)
        except (_Untranslatable, ExpressionError) as exc:
            self.skip(
                sheet,
                row,
                "relevant",
                f"условие показа «{xpath}»",
                f"условие не переведено ({exc}): {otherwise}",
            )
            return None
        self.note(sheet, row, f"условие показа «{xpath}»", f"→ «{text}»")
        return text

    def required(self, row: int, values: tuple[Any, ...]) -> Any:
        value = self.survey.get(values, "required")
        flag = _flag(value)
        if flag is None or isinstance(flag, bool) or self.ours:
            return flag
        self.skip(
            self.survey,
            row,
            "required",
            f"обязательность «{value}»",
            "условная обязательность не поддерживается: вопрос необязательный",
        )
        return None

    def base_type(self, row: int, norm: str, what: str) -> tuple[str, str | None] | None:
        """The XLSForm base type and the choice list of a question row; None if not mapped."""
        sheet = self.survey
        low = norm.lower()
        select = _SELECT.match(norm)
        if select:
            kind = select.group("kind").lower()
            if select.group("other"):
                self.skip(
                    sheet,
                    row,
                    "type",
                    what,
                    "вариант «другое» (or_other) не поддерживается: не перенесён",
                    benign=True,
                )
            base = "select_one" if kind in ("select_one", "select one") else "select_multiple"
            return base, select.group("list")
        if low in _TEXT_TYPES:
            return "text", None
        if low in _INTEGER_TYPES:
            return "integer", None
        if low in ("decimal", "range"):
            return low, None
        if low in _PHONE_TYPES:
            self.note(sheet, row, what, "номер телефона перенесён как текстовый вопрос")
            return "text", None
        if low.startswith(_EXTERNAL):
            reason = f"тип '{norm}' не переносится: варианты ответа во внешнем файле"
        elif low in _UNSUPPORTED:
            reason = f"тип '{norm}' не переносится: {_UNSUPPORTED[low]}"
        elif low.startswith("uri:"):
            reason = f"тип '{norm}' не переносится: {_META}"
        else:
            reason = f"неизвестный тип вопроса '{norm}'"
        self.skip(sheet, row, "type", what, reason)
        return None

    def item_code(self, row: int, name: str | None, what: str) -> str | None:
        if self.ours:
            if name is not None:
                self.item_codes.add(name)
            return name
        if name is not None and re.fullmatch(CODE_PATTERN, name) and name not in self.item_codes:
            self.item_codes.add(name)
            return name
        code = _unique_code(_as_code(name or f"q{row}", "q"), self.item_codes)
        if name is None:
            reason = f"нет имени: присвоен код '{code}'"
        elif re.fullmatch(CODE_PATTERN, name):
            reason = f"имя повторяется: присвоен код '{code}'"
        else:
            reason = f"имя не годится как код: заменено на '{code}'"
        self.note(self.survey, row, what, reason)
        return code

    def check_list(self, row: int, list_name: str, what: str) -> bool:
        if list_name in self.lists:
            return True
        self.skip(
            self.survey,
            row,
            "type",
            what,
            f"список вариантов '{list_name}' не найден на листе choices",
        )
        return False

    def question(
        self,
        row: int,
        values: tuple[Any, ...],
        norm: str,
        name: str | None,
        frames: list[_Frame],
    ) -> None:
        sheet = self.survey
        what = f"{norm} '{name}'" if name else norm
        rtype = self.rootcause_type(row, values)
        appearance = (self.word(sheet, values, "appearance") or "").lower().split()
        parsed = self.base_type(row, norm, what)
        if parsed is None:
            return
        base, list_name = parsed
        if list_name is not None and not self.check_list(row, list_name, what):
            return
        if rtype is not None:
            if rtype not in _BASES or base not in _BASES[rtype]:
                self.fail(
                    sheet.title,
                    row,
                    sheet.column("type"),
                    f"тип '{norm}' не подходит для rootcause_type '{rtype}'",
                )
            item_type = ItemType(rtype)
        elif base == "select_one" and list_name is not None:
            numeric = all(isinstance(n.data["value"], int) for n in self.options(list_name))
            likert = "likert" in appearance and numeric and len(self.options(list_name)) >= 2
            item_type = ItemType.likert if likert else ItemType.single_choice
        elif base == "select_multiple":
            item_type = ItemType.multiple_choice
        elif base == "text":
            item_type = ItemType.long_text if "multiline" in appearance else ItemType.text
        else:
            item_type = ItemType.number
        code = self.item_code(row, name, what)
        text = self.localized(sheet, values, "label")
        if text is None and not self.ours:
            text = {"ru": name or code or "?"}
            self.note(sheet, row, what, "нет подписи: текстом вопроса взято имя")
        if text and not self.ours and any("${" in t for t in text.values()):
            self.skip(
                sheet,
                row,
                "label",
                what,
                "подстановка ответов ${…} в тексте не поддерживается: текст перенесён как есть",
                benign=True,
            )
        own = self.condition(row, values, "вопрос показывается всегда")
        parts = [f.condition for f in frames if f.kind in ("section", "group") and f.condition]
        parts += [own] if own else []
        relevant = parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts) or None
        data: dict[str, Any] = {
            "code": code,
            "type": item_type.value,
            "text": text,
            "help": self.localized(sheet, values, "hint"),
            "required": self.required(row, values),
            "relevant": relevant,
            "reverse": _flag(sheet.get(values, "reverse")),
            "integer": _flag(sheet.get(values, "integer")),
            "unit": self.localized(sheet, values, "unit"),
            "max_choices": sheet.get(values, "max_choices"),
            "min": sheet.get(values, "min"),
            "max": sheet.get(values, "max"),
        }
        node = _Node(data, self.item_where(row, values))
        if base == "decimal":
            data["integer"] = False
        if item_type is ItemType.likert and list_name is not None:
            data["response_scale"] = self.response_scale(list_name, row)
        elif list_name is not None and not (
            item_type is ItemType.class_letter and self.list_kinds.get(list_name) == "class_letters"
        ):
            node.lists["options"] = self.options(list_name)
        if item_type is ItemType.number and (not self.ours or rtype is None):
            self.number_bounds(row, values, base, data, what)
        elif not self.ours and _present(sheet.get(values, "constraint")):
            self.skip(
                sheet,
                row,
                "constraint",
                f"ограничение «{self.word(sheet, values, 'constraint')}»",
                "проверки ответа, кроме границ числа, не поддерживаются: не перенесено",
            )
        if not self.ours:
            self.report_ignored_columns(row, values, what, base)
        self.current_section(row).lists["items"].append(node)
        self.register(name, code, item_type, node)
        self.note(sheet, row, what, f"→ {item_type.value} '{code}'")

    def register(
        self, name: str | None, code: str | None, item_type: ItemType, node: _Node
    ) -> None:
        if code is None:
            return
        options = node.lists.get("options") or []
        multiple = item_type is ItemType.multiple_choice
        textual = item_type in (ItemType.text, ItemType.long_text) or any(
            isinstance(o.data["value"], str) for o in options
        )
        self.kinds[code] = ("text" if textual else "number", multiple)
        self.known[name or code] = _Known(code, not textual, multiple)
        self.codes[name or code] = code

    def number_bounds(
        self, row: int, values: tuple[Any, ...], base: str, data: dict[str, Any], what: str
    ) -> None:
        sheet = self.survey
        integer = base != "decimal" and data.get("integer") is not False
        if base == "range":
            params = self.word(sheet, values, "parameters") or ""
            found = dict(re.findall(r"(start|end|step)\s*=\s*(-?\d+(?:\.\d+)?)", params))
            if "start" in found and data["min"] is None:
                data["min"] = float(found["start"])
            if "end" in found and data["max"] is None:
                data["max"] = float(found["end"])
            if "step" in found and not float(found["step"]).is_integer():
                data["integer"] = False
        constraint = self.word(sheet, values, "constraint")
        if constraint is None or data["min"] is not None or data["max"] is not None:
            return
        bounds = _bounds(constraint, integer)
        if bounds is None:
            self.skip(
                sheet,
                row,
                "constraint",
                f"ограничение «{constraint}»",
                "сложное ограничение не переводится (только вида . >= 0 and . <= 100): "
                "не перенесено",
            )
            return
        data["min"], data["max"] = bounds
        self.note(sheet, row, f"ограничение «{constraint}»", f"→ границы {bounds[0]}…{bounds[1]}")

    def report_ignored_columns(
        self, row: int, values: tuple[Any, ...], what: str, base: str
    ) -> None:
        sheet = self.survey
        ignored = []
        for key in sheet.columns:
            column = key.split("::", 1)[0]
            if column == "parameters" and base == "range":
                continue
            if column in _IGNORED_COLUMNS and _present(sheet.get(values, key)):
                ignored.append(sheet.column(key))
        if ignored:
            self.skip(
                sheet,
                row,
                None,
                f"{what}: {', '.join(ignored)}",
                "не поддерживается и не перенесено",
                benign=True,
            )

    def matrix_row(
        self,
        row: int,
        values: tuple[Any, ...],
        norm: str,
        name: str | None,
        frame: _Frame,
    ) -> None:
        sheet = self.survey
        rtype = self.rootcause_type(row, values)
        select = _SELECT.match(norm)
        if (
            rtype not in (None, "matrix_row", "likert")
            or select is None
            or (select.group("kind").lower() not in ("select_one", "select one"))
        ):
            self.fail(
                sheet.title,
                row,
                sheet.column("type"),
                "строка матрицы должна быть select_one <шкала ответов>",
            )
        list_name = select.group("list")
        if not self.check_list(row, list_name, norm):
            return
        code = self.item_code(row, name, norm)
        data = {
            "code": code,
            "text": self.localized(sheet, values, "label"),
            "help": self.localized(sheet, values, "hint"),
            "reverse": _flag(sheet.get(values, "reverse")),
        }
        matrix = frame.node
        if matrix is None:  # pragma: no cover - a matrix frame always has its node
            return
        matrix.lists["rows"].append(_Node(data, self.item_where(row, values)))
        frame.scales.append((row, self.response_scale(list_name, row)))
        if len(matrix.lists["rows"]) == 1:
            matrix.data["required"] = _flag(sheet.get(values, "required"))
        if code is not None:
            self.kinds[code] = ("number", False)
            self.known[name or code] = _Known(code, True, False)
            self.codes[name or code] = code

    def finish_matrix(self, frame: _Frame) -> None:
        if frame.node is None:  # pragma: no cover - a matrix frame always has its node
            return
        scales = {scale for _, scale in frame.scales}
        if len(scales) > 1:
            row = next(r for r, s in frame.scales if s != frame.scales[0][1])
            self.fail(
                self.survey.title,
                row,
                self.survey.column("type"),
                "все строки матрицы должны отвечать на одной шкале ответов",
            )
        if scales:
            frame.node.data["response_scale"] = scales.pop()

    # -- scales ------------------------------------------------------------------------------

    def read_scales(self) -> list[_Node]:
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
            any_item = _flag(sheet.get(values, "prevalence_any_item"))
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
                data["prevalence"] = _compact(
                    {"label": label, "at_least": at_least, "any_item": any_item}
                )
            if any(v is not None for v in (statistic, low, high, source)):
                data["cutoffs"] = _compact(
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
                _Node(
                    data,
                    _Where(sheet.title, row, {k: sheet.column(v) for k, v in columns.items()}),
                    parts={
                        "prevalence": _Where(sheet.title, row, prevalence),
                        "cutoffs": _Where(sheet.title, row, cutoffs),
                    },
                )
            )
        return nodes


def read_xlsx(data: bytes | str | PathLike[str], *, source: str | None = None) -> ImportResult:
    """Read an XLSX instrument: rootcause's own export losslessly, a plain XLSForm as far as it
    maps (see the module docstring).

    Raises
    ------
    InstrumentError
        With one message naming the file (``source``), the sheet and, where it applies, the row
        and column: the file is not an XLSX, has no ``survey`` sheet or lacks a required column;
        in rootcause's own format, anything it cannot read; and every problem the validation of
        the resulting instrument finds, placed at the row it came from.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data)
        source = source or "XLSX"
    else:
        path = Path(data)
        source = source or str(path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InstrumentError(
                [Problem("", f"файл не читается: {exc.strerror or exc}")], source=source
            ) from None
    return _Reader(_load_sheets(content, source), source).run()
