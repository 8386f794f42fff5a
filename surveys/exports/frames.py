"""Respondent-level answers of one form as a labelled frame: the data that every export format
writes (CSV, XLSX, SPSS), with what SPSS and a codebook need to know about each variable (the
scale scores' frame, :mod:`surveys.exports.scores`, shares its types and names).

Every format holds the same codes. A question on a list of options holds the option's value
(options whose values are text, such as class letters, are numbered 1..k in their order); a
multiple choice becomes one 0/1 variable per option; an answer that is not a value has a
negative user-missing code, the same in every variable unless a variable's own values could
take it (then the next family: -97/-98/-99, -997/-998/-999, ...):

* ``-7`` — «не знаю» (or another option the instrument marks as not scored; a second such
  option of the same question is ``-6``, and so on);
* ``-8`` — not asked: the question's condition of showing did not hold for this respondent;
* ``-9`` — no answer: the question was shown and left unanswered (skipped or refused).

Open-text answers are text; not asked or not answered is an empty text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from instruments.schema import Instrument, Item, ItemType, Option, text_in
from surveys.dataset import FormData
from surveys.exports.respondents import Respondents

Measure = Literal["nominal", "ordinal", "scale"]
Kind = Literal["number", "text", "date"]

#: SPSS's limits: a variable name's bytes, a variable label's, a value label's, a file label's
NAME_BYTES, LABEL_BYTES, VALUE_LABEL_BYTES, FILE_LABEL_BYTES = 64, 256, 120, 64
#: words SPSS keeps for itself, never a variable name
RESERVED = frozenset(
    {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
)
DONT_KNOW_LABEL = "не знаю"
NOT_ASKED_LABEL = "не задавался (условие показа не выполнено)"
NO_ANSWER_LABEL = "нет ответа (вопрос пропущен)"
CHOSEN = {0: "не выбран", 1: "выбран"}
ITEM_TYPE_NAMES = {
    ItemType.likert: "порядковая шкала",
    ItemType.single_choice: "один вариант",
    ItemType.multiple_choice: "несколько вариантов",
    ItemType.number: "число",
    ItemType.text: "текст",
    ItemType.long_text: "развёрнутый текст",
    ItemType.grade: "класс (число)",
    ItemType.class_letter: "буква класса",
    ItemType.matrix: "порядковая шкала (строка матрицы)",
}


@dataclass(frozen=True)
class MissingCodes:
    """The user-missing codes of one variable."""

    #: one per option the instrument does not score («не знаю»), in the options' order
    dont_know: tuple[int, ...]
    not_asked: int
    no_answer: int

    @property
    def values(self) -> tuple[int, ...]:
        return (*self.dont_know, self.not_asked, self.no_answer)


@dataclass(frozen=True)
class Variable:
    """One column of an export and everything a codebook says about it."""

    name: str
    #: the full label (writers cut it to a format's limit)
    label: str
    measure: Measure
    kind: Kind
    #: decimals shown for a number
    decimals: int = 0
    #: labels of values, the missing codes' included
    value_labels: dict[int, str] = field(default_factory=dict)
    missing: MissingCodes | None = None
    #: the item the variable comes from (None for the file's own columns)
    item_code: str | None = None
    item_type: str = ""
    #: for one option of a multiple choice: the option's text
    option: str | None = None
    #: codes of the instrument's scales the item is scored in
    scales: tuple[str, ...] = ()
    reverse: bool = False
    relevant: str | None = None


@dataclass(frozen=True)
class LabelledFrame:
    """Rows of respondents (in ``respondent_id`` order) and their labelled variables."""

    #: columns are the variables' names, in order; numbers are floats, text is str
    data: pd.DataFrame
    variables: tuple[Variable, ...]
    #: "student_5_11 v3 · Анкета ...": the SPSS file label (cut to its limit)
    title: str
    instrument_code: str
    instrument_version: int
    audience: str
    respondents: Respondents


class Names:
    """Valid, unique SPSS variable names (case-insensitive, as SPSS compares them)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def reserve(self, name: str) -> None:
        self._taken.add(name.lower())

    def unique(self, base: str) -> str:
        clean = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in base)
        if not clean or not clean[0].isalpha():
            clean = "v_" + clean
        clean = clean[:NAME_BYTES]
        name, n = clean, 1
        while name.lower() in self._taken or name.lower() in RESERVED:
            n += 1
            suffix = f"_{n}"
            name = clean[: NAME_BYTES - len(suffix)] + suffix
        self._taken.add(name.lower())
        return name


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def missing_codes(
    taken: set[float], n_dont_know: int, *, below: float | None = None
) -> MissingCodes:
    """The first family of codes (-7/-8/-9, then -97/-98/-99, ...) that none of the variable's
    own values can take: none in ``taken``, and all under ``below`` when it is given."""
    offset = 0
    while True:
        dont_know = tuple(-(7 + offset) + j for j in range(n_dont_know))
        codes = MissingCodes(dont_know, -(8 + offset), -(9 + offset))
        fits = not (set(codes.values) & taken) and (below is None or max(codes.values) < below)
        if fits:
            return codes
        offset = offset * 10 + 90


def _plain(value: Any) -> Any:
    """An answer as it was stored: the frame's floats back to ints where they are whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _item_rows(instrument: Instrument) -> list[tuple[Item, str]]:
    """Answerable items with their full text (a matrix row's prefixed with the matrix's)."""
    out = []
    for section in instrument.sections:
        for item in section.items:
            for answerable in instrument.answerable(item):
                text = text_in(answerable.text)
                if item.type is ItemType.matrix:
                    text = f"{text_in(item.text)} — {text}"
                out.append((answerable, text))
    return out


def _shown(instrument: Instrument, answers: pd.DataFrame) -> dict[str, list[bool]]:
    """For each item with a condition of showing: whether each row was shown it."""
    conditions = instrument.conditions
    if not conditions or answers.empty:
        return {}
    referenced = sorted(set().union(*(c.referenced for c in conditions.values())))
    records = [
        {code: _plain(v) for code, v in record.items() if not _absent(v)}
        for record in answers[referenced].to_dict("records")
    ]
    return {
        code: [condition(record) for record in records] for code, condition in conditions.items()
    }


def meta_variables(names: Names, respondents: Respondents) -> list[Variable]:
    minimum = respondents.min_group_size
    specs: list[tuple[str, str, Measure, Kind]] = [
        ("resp_id", "Номер респондента в этом файле (не номер в базе данных)", "nominal", "number"),
        (
            "school",
            f"Код школы («другие школы» — школы, где ответивших меньше {minimum})",
            "nominal",
            "text",
        ),
        (
            "class",
            f"Класс (пусто — не указан или в классе меньше {minimum} ответивших)",
            "nominal",
            "text",
        ),
        ("date", "Дата заполнения", "scale", "date"),
        ("duration_s", "Время заполнения, секунд", "scale", "number"),
        ("form", "Анкета (код)", "nominal", "text"),
        ("form_version", "Версия анкеты", "nominal", "number"),
    ]
    out = []
    for name, label, measure, kind in specs:
        names.reserve(name)
        out.append(Variable(name=name, label=label, measure=measure, kind=kind, item_type="meta"))
    return out


def answers_frame(data: FormData, respondents: Respondents) -> LabelledFrame:
    """The answers to one form, one row per respondent of ``respondents`` (their order), coded
    as the module says."""
    instrument = data.instrument
    answers = data.answers.loc[respondents.frame.index]
    names = Names()
    variables = meta_variables(names, respondents)
    columns: dict[str, list[Any]] = {
        "resp_id": [float(i) for i in respondents.frame["respondent_id"]],
        "school": list(respondents.frame["school_code"]),
        "class": list(respondents.frame["class_name"]),
        "date": list(answers["submitted_on"]),
        "duration_s": [float(d) for d in answers["duration_seconds"]],
        "form": [data.form.instrument_code] * len(answers),
        "form_version": [float(data.form.version)] * len(answers),
    }
    rows = _item_rows(instrument)
    # Single variables keep their item's code; a multiple choice's options are named after.
    single = {
        item.code: names.unique(item.code)
        for item, _ in rows
        if item.type is not ItemType.multiple_choice
    }
    scales_of: dict[str, list[str]] = {}
    for scale in instrument.scales:
        for code in scale.items:
            scales_of.setdefault(code, []).append(scale.code)
    shown = _shown(instrument, answers)
    for item, text in rows:
        values = list(answers[item.code])
        visible = shown.get(item.code, [True] * len(values))
        common = {
            "item_code": item.code,
            "item_type": ITEM_TYPE_NAMES[item.type],
            "scales": tuple(scales_of.get(item.code, ())),
            "reverse": item.reverse,
            "relevant": item.relevant,
        }
        if item.type is ItemType.multiple_choice:
            for variable, column in _choice_dummies(instrument, item, text, values, visible, names):
                variables.append(variable)
                columns[variable.name] = column
            continue
        variable, column = _item_variable(
            instrument, item, single[item.code], text, values, visible, common
        )
        variables.append(variable)
        columns[variable.name] = column
    return form_frame(data, respondents, columns, variables, text_in(instrument.title))


def form_frame(
    data: FormData,
    respondents: Respondents,
    columns: dict[str, list[Any]],
    variables: list[Variable],
    subject: str,
) -> LabelledFrame:
    """``columns`` (one value per respondent, in their order) as a frame of ``data``'s form,
    titled by the form's code and version, then ``subject``."""
    return LabelledFrame(
        data=pd.DataFrame(columns, index=pd.RangeIndex(len(respondents.frame))),
        variables=tuple(variables),
        title=f"{data.form.instrument_code} v{data.form.version} · {subject}",
        instrument_code=data.form.instrument_code,
        instrument_version=data.form.version,
        audience=data.audience,
        respondents=respondents,
    )


def _coded_options(options: list[Option]) -> tuple[dict[int | str, int], list[Option]]:
    """The code of each scored option's value, and the options not scored («не знаю»)."""
    scored = [o for o in options if not o.missing]
    textual = any(isinstance(o.value, str) for o in options)
    codes = {o.value: (i if textual else int(o.value)) for i, o in enumerate(scored, start=1)}
    return codes, [o for o in options if o.missing]


def _item_variable(
    instrument: Instrument,
    item: Item,
    name: str,
    text: str,
    values: list[Any],
    visible: list[bool],
    common: Mapping[str, Any],
) -> tuple[Variable, list[Any]]:
    if item.type in (ItemType.text, ItemType.long_text):
        texts = ["" if _absent(v) else str(v) for v in values]
        variable = Variable(name=name, label=text, measure="nominal", kind="text", **common)
        return variable, texts
    if item.type in (ItemType.number, ItemType.grade):
        observed = {float(v) for v in values if not _absent(v)}
        below = item.min if item.type is ItemType.number else 1
        missing = missing_codes(observed, 0, below=below)
        numbers = [
            float(v) if not _absent(v) else float(missing.no_answer if shown else missing.not_asked)
            for v, shown in zip(values, visible, strict=True)
        ]
        decimals = 0 if item.type is ItemType.grade or item.integer else 2
        variable = Variable(
            name=name,
            label=text,
            measure="ordinal" if item.type is ItemType.grade else "scale",
            kind="number",
            decimals=decimals,
            value_labels=_missing_labels(missing, []),
            missing=missing,
            **common,
        )
        return variable, numbers
    options = instrument.options_for(item)
    codes, not_scored = _coded_options(options)
    missing = missing_codes({float(c) for c in codes.values()}, len(not_scored))
    for option, dont_know in zip(not_scored, missing.dont_know, strict=True):
        codes[option.value] = dont_know
    column: list[Any] = []
    for value, shown in zip(values, visible, strict=True):
        if _absent(value):
            column.append(float(missing.no_answer if shown else missing.not_asked))
        else:
            found = codes.get(_plain(value))
            column.append(math.nan if found is None else float(found))
    labels = {codes[o.value]: text_in(o.label) for o in options if not o.missing}
    labels.update(_missing_labels(missing, not_scored))
    variable = Variable(
        name=name,
        label=text,
        measure="ordinal" if item.type is ItemType.likert else "nominal",
        kind="number",
        value_labels=labels,
        missing=missing,
        **common,
    )
    return variable, column


def _missing_labels(missing: MissingCodes, not_scored: list[Option]) -> dict[int, str]:
    labels = {
        code: text_in(option.label) or DONT_KNOW_LABEL
        for option, code in zip(not_scored, missing.dont_know, strict=True)
    }
    labels[missing.not_asked] = NOT_ASKED_LABEL
    labels[missing.no_answer] = NO_ANSWER_LABEL
    return labels


def _choice_dummies(
    instrument: Instrument,
    item: Item,
    text: str,
    values: list[Any],
    visible: list[bool],
    names: Names,
) -> list[tuple[Variable, list[Any]]]:
    """One 0/1 variable per option of a multiple choice (named ``<item>_<value>``, or
    ``<item>_<n>`` for options whose values are text)."""
    options = instrument.options_for(item)
    textual = any(isinstance(o.value, str) for o in options)
    missing = missing_codes({0.0, 1.0}, 0)
    out = []
    for position, option in enumerate(options, start=1):
        suffix = position if textual else option.value
        column = []
        for value, shown in zip(values, visible, strict=True):
            if _absent(value) or (isinstance(value, list) and not value):
                column.append(float(missing.no_answer if shown else missing.not_asked))
            else:
                chosen = {_plain(v) for v in value}
                column.append(1.0 if option.value in chosen else 0.0)
        label = text_in(option.label)
        variable = Variable(
            name=names.unique(f"{item.code}_{suffix}"),
            label=f"{text}: {label}",
            measure="nominal",
            kind="number",
            value_labels={**CHOSEN, **_missing_labels(missing, [])},
            missing=missing,
            item_code=item.code,
            item_type=ITEM_TYPE_NAMES[item.type],
            option=label,
            relevant=item.relevant,
        )
        out.append((variable, column))
    return out
