"""Typed, validated models of an instrument: sections, items, response scales and scales."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from instruments.errors import InstrumentError, Problem
from instruments.expressions import Condition, ExpressionError, compile_condition

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
LANGUAGES = ("ru", "en")


def _as_localized(value: Any) -> Any:
    # A bare string is Russian text: most instruments are written in Russian first.
    if isinstance(value, str):
        return {"ru": value}
    return value


def _check_localized(value: dict[str, str]) -> dict[str, str]:
    if "ru" not in value or not value["ru"].strip():
        raise ValueError("нужен текст на русском языке (ключ 'ru')")
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"неизвестный язык: {', '.join(sorted(unknown))}")
    return value


LocalizedText = Annotated[dict[str, str], BeforeValidator(_as_localized)]
Code = Annotated[str, Field(pattern=CODE_PATTERN)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def text_in(text: dict[str, str], lang: str = "ru") -> str:
    """The text in ``lang``, falling back to Russian."""
    return text.get(lang) or text["ru"]


class Audience(StrEnum):
    student = "student"
    parent = "parent"
    teacher = "teacher"
    specialist = "specialist"
    administration = "administration"


class ItemType(StrEnum):
    likert = "likert"  # ordinal, on a named response scale
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    number = "number"
    text = "text"
    long_text = "long_text"
    grade = "grade"  # grade picker, 1..11


# Audiences that answer for the school, not for themselves (one form per school by design):
# the anonymity threshold on group size does not apply to them.
INSTITUTIONAL_AUDIENCES = frozenset({Audience.administration})

ORDINAL_TYPES = frozenset({ItemType.likert})
NUMERIC_TYPES = frozenset({ItemType.likert, ItemType.number, ItemType.grade})


class Option(_Model):
    value: int | str
    label: LocalizedText

    _check_label = field_validator("label")(_check_localized)


class ResponseScale(_Model):
    """Ordered answer options shared by several items (e.g. a 4-point agreement scale)."""

    code: Code
    options: list[Option] = Field(min_length=2)

    @model_validator(mode="after")
    def _numeric_distinct(self) -> ResponseScale:
        values = [o.value for o in self.options]
        if not all(isinstance(v, int) for v in values):
            raise ValueError("значения шкалы ответов должны быть целыми числами")
        if len(set(values)) != len(values):
            raise ValueError("значения шкалы ответов повторяются")
        return self

    @property
    def values(self) -> list[int]:
        return [int(o.value) for o in self.options]

    @property
    def min(self) -> int:
        return min(self.values)

    @property
    def max(self) -> int:
        return max(self.values)


class Item(_Model):
    code: Code
    type: ItemType
    text: LocalizedText
    help: LocalizedText | None = None
    required: bool = False
    reverse: bool = False
    response_scale: Code | None = None
    options: list[Option] | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = True
    #: show (and require) this item only when the condition holds; see instruments.expressions
    relevant: str | None = None

    _check_text = field_validator("text")(_check_localized)

    @model_validator(mode="after")
    def _fits_type(self) -> Item:
        if self.type is ItemType.likert and not self.response_scale:
            raise ValueError("для вопроса типа likert нужна шкала ответов (response_scale)")
        if self.type is not ItemType.likert and self.response_scale:
            raise ValueError(
                "шкала ответов (response_scale) допустима только у вопроса типа likert"
            )
        choice = self.type in (ItemType.single_choice, ItemType.multiple_choice)
        if choice and not self.options:
            raise ValueError(f"для вопроса типа {self.type.value} нужны варианты ответа (options)")
        if not choice and self.options:
            raise ValueError("варианты ответа (options) допустимы только у вопросов с выбором")
        if self.options and len({o.value for o in self.options}) != len(self.options):
            raise ValueError("значения вариантов ответа повторяются")
        if self.reverse and self.type not in ORDINAL_TYPES:
            raise ValueError(
                "обратный ключ (reverse) допустим только у порядковых вопросов (likert)"
            )
        if (self.min is not None or self.max is not None) and self.type is not ItemType.number:
            raise ValueError("границы min/max допустимы только у числового вопроса (number)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min больше max")
        return self


class Section(_Model):
    code: Code
    title: LocalizedText
    items: list[Item] = Field(min_length=1)


class Prevalence(_Model):
    """Share of respondents meeting a rule, e.g. any bullying item answered at least 'monthly'."""

    label: LocalizedText
    at_least: int
    any_item: bool = True  # True: at least one item meets it; False: the scale score does


class Scale(_Model):
    code: Code
    title: LocalizedText
    items: list[Code] = Field(min_length=1)
    method: Literal["mean", "sum"] = "mean"
    min_answered: float = Field(default=0.5, gt=0, le=1)
    higher_is: Literal["risk", "favourable"]
    prevalence: Prevalence | None = None


class Instrument(_Model):
    code: Code
    version: int = Field(default=1, ge=1)
    title: LocalizedText
    audience: Audience
    grades: tuple[int, int] | None = None
    languages: list[Literal["ru", "en"]] = Field(default_factory=lambda: ["ru"])  # type: ignore[arg-type]
    introduction: LocalizedText | None = None
    consent: LocalizedText | None = None
    notes: str | None = None
    response_scales: list[ResponseScale] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)
    scales: list[Scale] = Field(default_factory=list)

    _check_title = field_validator("title")(_check_localized)

    @field_validator("grades")
    @classmethod
    def _grade_range(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (1 <= value[0] <= value[1] <= 11):
            raise ValueError("классы должны быть в пределах 1–11, от меньшего к большему")
        return value

    # Cross-references are checked here so that every broken reference is reported with its path.
    @model_validator(mode="after")
    def _references(self) -> Instrument:
        problems = list(self.reference_problems())
        if problems:
            raise InstrumentError(problems)
        return self

    def reference_problems(self) -> Iterator[Problem]:
        scale_codes = [s.code for s in self.response_scales]
        for i, code in enumerate(scale_codes):
            if scale_codes.index(code) != i:
                yield Problem(f"response_scales[{i}].code", f"код '{code}' повторяется")
        known_scales = set(scale_codes)
        seen: dict[str, str] = {}
        earlier: dict[str, tuple[str, bool]] = {}
        for si, section in enumerate(self.sections):
            for ii, item in enumerate(section.items):
                path = f"sections[{si}].items[{ii}]"
                if item.relevant is not None:
                    # Only earlier questions: a condition never waits on a later answer.
                    try:
                        compile_condition(item.relevant, earlier)
                    except ExpressionError as exc:
                        yield Problem(f"{path}.relevant", f"условие показа: {exc}")
                earlier[item.code] = self._item_kind(item)
                if item.code in seen:
                    yield Problem(
                        f"{path}.code", f"код вопроса '{item.code}' уже есть в {seen[item.code]}"
                    )
                else:
                    seen[item.code] = path
                if item.response_scale and item.response_scale not in known_scales:
                    yield Problem(
                        f"{path}.response_scale",
                        f"неизвестная шкала ответов '{item.response_scale}'",
                    )
        items = self.items_by_code()
        scale_seen: set[str] = set()
        for ki, scale in enumerate(self.scales):
            if scale.code in scale_seen:
                yield Problem(f"scales[{ki}].code", f"код шкалы '{scale.code}' повторяется")
            scale_seen.add(scale.code)
            for ji, code in enumerate(scale.items):
                found = items.get(code)
                where = f"scales[{ki}].items[{ji}]"
                if found is None:
                    yield Problem(where, f"неизвестный вопрос '{code}'")
                elif found.type not in ORDINAL_TYPES:
                    yield Problem(where, f"вопрос '{code}' не порядковый: его нельзя усреднять")
            if len(set(scale.items)) != len(scale.items):
                yield Problem(f"scales[{ki}].items", "вопросы в шкале повторяются")

    @staticmethod
    def _item_kind(item: Item) -> tuple[str, bool]:
        options = item.options or []
        textual = item.type in (ItemType.text, ItemType.long_text) or any(
            isinstance(o.value, str) for o in options
        )
        return ("text" if textual else "number", item.type is ItemType.multiple_choice)

    @cached_property
    def conditions(self) -> dict[str, Condition]:
        """Compiled relevance conditions by item code (validated at construction)."""
        kinds = {item.code: self._item_kind(item) for item in self.items()}
        return {
            item.code: compile_condition(item.relevant, kinds)
            for item in self.items()
            if item.relevant is not None
        }

    def items(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    def items_by_code(self) -> dict[str, Item]:
        return {item.code: item for item in self.items()}

    def response_scale(self, code: str) -> ResponseScale:
        for scale in self.response_scales:
            if scale.code == code:
                return scale
        raise KeyError(code)

    def options_for(self, item: Item) -> list[Option]:
        """The answer options shown for an item (its response scale's or its own)."""
        if item.response_scale:
            return self.response_scale(item.response_scale).options
        return list(item.options or [])

    def item_range(self, item: Item) -> tuple[int, int]:
        """Minimum and maximum of an ordinal item, for reverse keying and POMP."""
        values = [int(o.value) for o in self.options_for(item)]
        return min(values), max(values)


_INDEX = re.compile(r"^\d+$")

# pydantic's English messages for the error kinds a hand-written file most often hits.
_MESSAGES = {
    "extra_forbidden": "неизвестное поле",
    "missing": "обязательное поле не указано",
    "string_pattern_mismatch": (
        "код должен начинаться с латинской буквы и состоять из строчных латинских букв, цифр и _"
    ),
    "string_type": "ожидалась строка",
    "dict_type": "ожидался словарь",
    "list_type": "ожидался список",
    "int_parsing": "ожидалось целое число",
    "int_type": "ожидалось целое число",
    "float_parsing": "ожидалось число",
    "bool_parsing": "ожидалось true или false",
    "too_short": "список не должен быть пустым",
    "literal_error": "недопустимое значение",
    "enum": "недопустимое значение",
}


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int) or _INDEX.match(str(part)):
            out += f"[{part}]"
        elif str(part).startswith(("function-after", "function-before", "tagged-union")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_instrument(data: Any, *, source: str | None = None) -> Instrument:
    """Validate a plain mapping into an :class:`Instrument`.

    Raises
    ------
    InstrumentError
        Naming ``source`` and, for every problem, its path inside the document.
    """
    if not isinstance(data, dict):
        raise InstrumentError([Problem("", "ожидался словарь с описанием методики")], source=source)
    try:
        return Instrument.model_validate(data)
    except InstrumentError as exc:
        raise exc.with_source(source) if source else exc from None
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            ctx_error = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_error, InstrumentError):
                problems.extend(ctx_error.problems)
                continue
            message = _MESSAGES.get(err["type"]) or err["msg"].removeprefix("Value error, ")
            problems.append(Problem(_format_loc(tuple(err["loc"])), message))
        raise InstrumentError(problems, source=source) from None
