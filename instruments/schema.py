"""Typed, validated models of an instrument: sections, items, response scales and scales."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal, TypeVar

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


def check_localized(value: dict[str, str]) -> dict[str, str]:
    if "ru" not in value or not value["ru"].strip():
        raise ValueError("нужен текст на русском языке (ключ 'ru')")
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"неизвестный язык: {', '.join(sorted(unknown))}")
    return value


def check_optional_localized(value: dict[str, str] | None) -> dict[str, str] | None:
    return None if value is None else check_localized(value)


LocalizedText = Annotated[dict[str, str], BeforeValidator(_as_localized)]
Code = Annotated[str, Field(pattern=CODE_PATTERN)]


class FrozenModel(BaseModel):
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
    grade = "grade"  # grade picker, within the instrument's grade range
    class_letter = "class_letter"  # the letter of a parallel class: А, Б, В…
    matrix = "matrix"  # several ordinal rows sharing one response scale


# Audiences that answer for the school, not for themselves (one form per school by design):
# the anonymity threshold on group size does not apply to them.
INSTITUTIONAL_AUDIENCES = frozenset({Audience.administration})

ORDINAL_TYPES = frozenset({ItemType.likert})
NUMERIC_TYPES = frozenset({ItemType.likert, ItemType.number, ItemType.grade})
CHOICE_TYPES = frozenset({ItemType.single_choice, ItemType.multiple_choice})
CLASS_LETTERS = ("А", "Б", "В", "Г", "Д", "Е")


class Option(FrozenModel):
    value: int | str
    label: LocalizedText
    #: an answer such as "не знаю": stored, but not a point on the scale, so never scored
    missing: bool = False

    _check_label = field_validator("label")(check_localized)


class ResponseScale(FrozenModel):
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
        if sum(not o.missing for o in self.options) < 2:
            raise ValueError("в шкале ответов нужно не меньше двух оцениваемых вариантов")
        return self

    @property
    def values(self) -> list[int]:
        """The scored values (options marked ``missing`` excluded)."""
        return [int(o.value) for o in self.options if not o.missing]

    @property
    def min(self) -> int:
        return min(self.values)

    @property
    def max(self) -> int:
        return max(self.values)


class MatrixRow(FrozenModel):
    """One row of a matrix: answered and scored like a likert item on the matrix's scale."""

    code: Code
    text: LocalizedText
    help: LocalizedText | None = None
    reverse: bool = False

    _check_text = field_validator("text")(check_localized)


class Item(FrozenModel):
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
    unit: LocalizedText | None = None  # shown after a number field: "%", "чел."
    max_choices: int | None = Field(default=None, ge=1)
    rows: list[MatrixRow] | None = None
    #: show (and require) this item only when the condition holds; see instruments.expressions
    relevant: str | None = None
    #: the item asks for a fact about the school (a count from its records: pupils on a
    #: specialist's caseload), not for the respondent's view; reported under this label as the
    #: sum over the school's respondents, like the administration's answers, without the
    #: minimum group size (:mod:`analysis.privacy`). Number items only.
    fact: LocalizedText | None = None

    _check_text = field_validator("text")(check_localized)
    _check_fact = field_validator("fact")(check_optional_localized)

    @model_validator(mode="after")
    def _fits_type(self) -> Item:
        on_scale = self.type in (ItemType.likert, ItemType.matrix)
        if on_scale and not self.response_scale:
            raise ValueError(
                f"для вопроса типа {self.type.value} нужна шкала ответов (response_scale)"
            )
        if not on_scale and self.response_scale:
            raise ValueError(
                "шкала ответов (response_scale) допустима только у вопросов likert и matrix"
            )
        if self.type is ItemType.matrix and (not self.rows or len(self.rows) < 2):
            raise ValueError("в матрице нужно не меньше двух строк (rows)")
        if self.type is not ItemType.matrix and self.rows:
            raise ValueError("строки (rows) допустимы только у матрицы (matrix)")
        choice = self.type in CHOICE_TYPES
        if choice and not self.options:
            raise ValueError(f"для вопроса типа {self.type.value} нужны варианты ответа (options)")
        if not choice and self.type is not ItemType.class_letter and self.options:
            raise ValueError("варианты ответа (options) допустимы только у вопросов с выбором")
        if self.max_choices is not None:
            if self.type is not ItemType.multiple_choice:
                raise ValueError("max_choices допустимо только у вопроса multiple_choice")
            if self.options and self.max_choices > len(self.options):
                raise ValueError("max_choices больше числа вариантов")
        if self.unit is not None and self.type is not ItemType.number:
            raise ValueError("единица измерения (unit) допустима только у числового вопроса")
        if self.fact is not None and self.type is not ItemType.number:
            raise ValueError("сведения о школе (fact) допустимы только у числового вопроса")
        if self.reverse and self.type is ItemType.matrix:
            raise ValueError("у матрицы обратный ключ задаётся в строке (rows[].reverse)")
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


class Section(FrozenModel):
    code: Code
    title: LocalizedText
    items: list[Item] = Field(min_length=1)


class Prevalence(FrozenModel):
    """Share of respondents meeting a rule, e.g. any bullying item answered at least 'monthly'."""

    label: LocalizedText
    at_least: int
    any_item: bool = True  # True: at least one item meets it; False: the scale score does


class Cutoffs(FrozenModel):
    """Absolute cut-offs for a school's result on a scale, e.g. from a published norm:
    below ``low_below`` the risk is low, above ``high_above`` it is high (in risk terms,
    whatever the scale's direction)."""

    statistic: Literal["mean", "pomp", "prevalence"]
    low_below: float
    high_above: float
    source: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Cutoffs:
        if self.low_below > self.high_above:
            raise ValueError("low_below больше high_above")
        return self


class Scale(FrozenModel):
    code: Code
    title: LocalizedText
    items: list[Code] = Field(min_length=1)
    method: Literal["mean", "sum"] = "mean"
    min_answered: float = Field(default=0.5, gt=0, le=1)
    higher_is: Literal["risk", "favourable"]
    prevalence: Prevalence | None = None
    cutoffs: Cutoffs | None = None

    @model_validator(mode="after")
    def _cutoffs_fit(self) -> Scale:
        if self.cutoffs and self.cutoffs.statistic == "prevalence" and self.prevalence is None:
            raise ValueError("порог по распространённости требует правила prevalence")
        return self


#: statistics of a scale; ``share`` and ``value`` are read from a single item
SCALE_STATISTICS = frozenset({"mean", "pomp", "prevalence"})
ITEM_STATISTICS = frozenset({"share", "value"})
Statistic = Literal["mean", "pomp", "prevalence", "share", "value"]
Direction = Literal["risk", "favourable"]
#: what an indicator is to the search for causes: a ``driver`` (a condition that may lower
#: results) or an ``outcome`` (a symptom of low results themselves: failing marks, pupils sent
#: to extra classes), which describes the problem and never competes as its cause
IndicatorRole = Literal["driver", "outcome"]


class IndicatorSpec(FrozenModel):
    """What a school-level indicator measures: a statistic of a scale or of an item.

    ``statistic`` is computed per school: ``mean`` and ``pomp`` of a scale score, ``prevalence``
    (share meeting the scale's prevalence rule), ``share`` (share of respondents whose answer to
    ``item`` is among ``values``) or ``value`` (the school's single answer to a number item of an
    institutional form, or the school's figure from a number item that asks for a fact about
    the school, :attr:`Item.fact`: the mean over the school's respondents, or with
    ``denominator`` the percentage Σ item / Σ denominator over them). ``direction`` says what a
    higher statistic means; ``role`` whether it may explain low results (``driver``, the
    default) or measures them (``outcome``, see :data:`IndicatorRole`).
    """

    code: Code
    title: LocalizedText
    scale: Code | None = None
    item: Code | None = None
    statistic: Statistic
    values: list[int | str] | None = None
    direction: Direction
    weight: float = Field(default=1.0, gt=0)
    role: IndicatorRole = "driver"
    #: "pupils" when the indicator describes who the school's pupils and families are (the
    #: share with special needs, speaking another language at home), not how the school
    #: works: the reference then says «выше/ниже среднего» of it, never «хуже/лучше»
    describes: Literal["pupils"] | None = None
    #: what the number of a ``value`` indicator is: a percentage (0–100, written «43 %») or a
    #: count (written as an integer); None: a plain number
    unit: Literal["percent", "count"] | None = None
    #: for a ``value`` read from facts (:attr:`Item.fact`): the number item the school's sum of
    #: ``item`` is a percentage of (pupils receiving the support a commission recommended, of
    #: the pupils it was recommended for); the unit is then ``percent``
    denominator: Code | None = None

    _check_title = field_validator("title")(check_localized)

    @model_validator(mode="after")
    def _fits_statistic(self) -> IndicatorSpec:
        if (self.scale is None) == (self.item is None):
            raise ValueError("укажите ровно одно из полей: шкала (scale) или вопрос (item)")
        if self.statistic in SCALE_STATISTICS and self.scale is None:
            raise ValueError(f"статистика {self.statistic} считается по шкале: укажите scale")
        if self.statistic in ITEM_STATISTICS and self.item is None:
            raise ValueError(f"статистика {self.statistic} считается по вопросу: укажите item")
        if self.statistic == "share":
            if not self.values:
                raise ValueError("для доли (share) нужны значения ответов (values)")
            if len(set(self.values)) != len(self.values):
                raise ValueError("значения (values) повторяются")
        elif self.values is not None:
            raise ValueError("значения (values) допустимы только у доли (share)")
        if self.unit is not None and self.statistic != "value":
            raise ValueError("единица (unit) указывается только для числа (statistic: value)")
        if self.denominator is not None:
            if self.statistic != "value":
                raise ValueError("знаменатель (denominator) допустим только у числа (value)")
            if self.unit != "percent":
                raise ValueError("число со знаменателем (denominator) — процент: unit: percent")
            if self.denominator == self.item:
                raise ValueError("знаменатель (denominator) совпадает с вопросом (item)")
        return self


class RiskIndicator(IndicatorSpec):
    """An indicator declared by the instrument itself: which risk factor (a code of the
    catalogue, ``library/risk_factors.yaml``) one of its scales or items feeds."""

    factor: Code


class Instrument(FrozenModel):
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
    indicators: list[RiskIndicator] = Field(default_factory=list)

    _check_title = field_validator("title")(check_localized)

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
        section_seen: set[str] = set()
        for si, section in enumerate(self.sections):
            if section.code in section_seen:
                yield Problem(f"sections[{si}].code", f"код раздела '{section.code}' повторяется")
            section_seen.add(section.code)
            for ii, item in enumerate(section.items):
                path = f"sections[{si}].items[{ii}]"
                if item.relevant is not None:
                    # Only earlier questions: a condition never waits on a later answer.
                    try:
                        compile_condition(item.relevant, earlier)
                    except ExpressionError as exc:
                        yield Problem(f"{path}.relevant", f"условие показа: {exc}")
                codes = [(f"{path}.code", item.code)] + [
                    (f"{path}.rows[{ri}].code", row.code) for ri, row in enumerate(item.rows or [])
                ]
                for where, code in codes:
                    if code in seen:
                        yield Problem(where, f"код вопроса '{code}' уже есть в {seen[code]}")
                    else:
                        seen[code] = where
                for answerable in _answerable(item):
                    earlier[answerable.code] = self._item_kind(answerable)
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
            ranges = {
                self.item_range(items[c])
                for c in scale.items
                if c in items and items[c].type in ORDINAL_TYPES and self._scale_known(items[c])
            }
            if len(ranges) > 1:
                shown = ", ".join(f"{lo}–{hi}" for lo, hi in sorted(ranges))
                yield Problem(
                    f"scales[{ki}].items",
                    f"вопросы шкалы отвечают на разных диапазонах ({shown}): "
                    "средний балл был бы бессмысленным",
                )

    def _scale_known(self, item: Item) -> bool:
        return item.response_scale in {s.code for s in self.response_scales}

    @staticmethod
    def _item_kind(item: Item) -> tuple[str, bool]:
        options = item.options or []
        textual = item.type in (ItemType.text, ItemType.long_text) or any(
            isinstance(o.value, str) for o in options
        )
        return ("text" if textual else "number", item.type is ItemType.multiple_choice)

    @cached_property
    def multiple_choice_codes(self) -> frozenset[str]:
        """Items whose answer is a list of options (a form sends them as repeated fields)."""
        return frozenset(i.code for i in self.items() if i.type is ItemType.multiple_choice)

    @cached_property
    def conditions(self) -> dict[str, Condition]:
        """Compiled relevance conditions by item code (validated at construction)."""
        kinds = {item.code: self._item_kind(item) for item in self.items()}
        return {
            item.code: compile_condition(item.relevant, kinds)
            for item in self.items()
            if item.relevant is not None
        }

    def answerable(self, item: Item) -> list[Item]:
        """The answerable items an item stands for: itself, or a matrix's rows."""
        return _answerable(item)

    def is_shown(
        self, item: Item, answers: Mapping[str, Any], pending: frozenset[str] = frozenset()
    ) -> bool:
        """Whether to show ``item`` given ``answers`` so far. A condition that refers to a
        ``pending`` item (one on the same page, not answered yet) cannot be decided on the
        server before the page is sent, so the item is shown."""
        codes = [a.code for a in _answerable(item)]
        condition = self.conditions.get(codes[0])
        if condition is None or condition.referenced & pending:
            return True
        return condition(answers)

    def section_codes(self, index: int) -> frozenset[str]:
        """Codes of the answerable items of one section (a page)."""
        return self._section_codes[index]

    def codes_before(self, index: int) -> frozenset[str]:
        """Codes of the answerable items of the sections before section ``index``."""
        return self._codes_before[index]

    def needs_earlier(self, index: int) -> bool:
        """Whether a relevance condition on section ``index`` refers to an answer given on an
        earlier page (so its answers cannot be checked without the earlier ones)."""
        return self._needs_earlier[index]

    @cached_property
    def _needs_earlier(self) -> tuple[bool, ...]:
        conditions = self.conditions
        return tuple(
            any(
                bool(condition.referenced - codes)
                for code in codes
                if (condition := conditions.get(code)) is not None
            )
            for codes in self._section_codes
        )

    @cached_property
    def _section_codes(self) -> tuple[frozenset[str], ...]:
        # Asked on every page a respondent posts: computed once per parsed instrument.
        return tuple(
            frozenset(a.code for item in section.items for a in _answerable(item))
            for section in self.sections
        )

    @cached_property
    def _codes_before(self) -> tuple[frozenset[str], ...]:
        before: list[frozenset[str]] = [frozenset()]
        for codes in self._section_codes:
            before.append(before[-1] | codes)
        return tuple(before)

    @cached_property
    def _answerable(self) -> tuple[Item, ...]:
        return tuple(
            a for section in self.sections for item in section.items for a in _answerable(item)
        )

    def items(self) -> Iterator[Item]:
        """Every answerable item in order; a matrix yields its rows as likert items."""
        return iter(self._answerable)

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
        if item.type is ItemType.class_letter and not item.options:
            return [Option(value=letter, label={"ru": letter}) for letter in CLASS_LETTERS]
        return list(item.options or [])

    def option_values(self, item: Item) -> Mapping[str, int | str]:
        """An item's option values by their text, as a form sends them (checked on every page
        a respondent posts: built once per parsed instrument)."""
        values = self._option_values.get(item.code)
        if values is None:  # not one of the answerable items
            values = _values_by_text(self.options_for(item))
        return values

    @cached_property
    def _option_values(self) -> dict[str, Mapping[str, int | str]]:
        return {item.code: _values_by_text(self.options_for(item)) for item in self.items()}

    def item_range(self, item: Item) -> tuple[int, int]:
        """Minimum and maximum scored value of an ordinal item, for reverse keys and POMP."""
        values = [int(o.value) for o in self.options_for(item) if not o.missing]
        return min(values), max(values)

    def missing_values(self, item: Item) -> frozenset[int | str]:
        """Answers that are stored but not scored ("не знаю", "затрудняюсь ответить")."""
        return frozenset(o.value for o in self.options_for(item) if o.missing)


def _answerable(item: Item) -> list[Item]:
    """A matrix stands for its rows, each a likert item on the matrix's response scale."""
    if item.type is not ItemType.matrix:
        return [item]
    return [
        Item(
            code=row.code,
            type=ItemType.likert,
            text=row.text,
            help=row.help,
            reverse=row.reverse,
            required=item.required,
            response_scale=item.response_scale,
            relevant=item.relevant,
        )
        for row in item.rows or []
    ]


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


def _number(value: Any) -> str:
    return f"{value:g}".replace(".", ",") if isinstance(value, int | float) else str(value)


def _message(err: Any) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "too_short" and ctx.get("min_length", 1) > 1:
        return f"в списке нужно не меньше {ctx['min_length']} элементов"
    if err["type"] == "greater_than":
        return f"значение должно быть больше {_number(ctx.get('gt'))}"
    if err["type"] == "greater_than_equal":
        return f"значение должно быть не меньше {_number(ctx.get('ge'))}"
    return str(_MESSAGES.get(err["type"]) or err["msg"].removeprefix("Value error, "))


M = TypeVar("M", bound=BaseModel)


def validate_document(model: type[M], data: Any, *, source: str | None, what: str) -> M:
    """Validate a plain mapping read from a file into ``model``.

    Raises
    ------
    InstrumentError
        Naming ``source`` and, for every problem, its path inside the document and a Russian
        message; ``what`` names the expected document ("описание методики").
    """
    if not isinstance(data, dict):
        raise InstrumentError([Problem("", f"ожидался словарь: {what}")], source=source)
    try:
        return model.model_validate(data)
    except InstrumentError as exc:
        raise exc.with_source(source) if source else exc from None
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            ctx_error = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_error, InstrumentError):
                problems.extend(ctx_error.problems)
                continue
            problems.append(Problem(_format_loc(tuple(err["loc"])), _message(err)))
        raise InstrumentError(problems, source=source) from None


def parse_instrument(data: Any, *, source: str | None = None) -> Instrument:
    """Validate a plain mapping into an :class:`Instrument` (see :func:`validate_document`)."""
    return validate_document(Instrument, data, source=source, what="описание методики")


def _values_by_text(options: list[Option]) -> dict[str, int | str]:
    values: dict[str, int | str] = {}
    for option in options:
        values.setdefault(str(option.value), option.value)  # the first of equal texts
    return values
