"""School risk factors: composites of indicators from several audiences, each with its measures.

A factor (e.g. low motivation) is read from indicators on the instruments of several audiences
(students' amotivation, teachers' view of student motivation, parents' view of the child) and
comes with the measures a school or a municipality puts into its roadmap (дорожная карта).
An indicator is a ``driver`` (a condition that may lower results) or an ``outcome`` (a symptom
of low results: failing marks, pupils sent to extra classes, teachers naming knowledge gaps);
all indicators of a factor share one role, so a factor either competes as a probable cause or
describes the problem (:attr:`RiskFactor.role`). The catalogue is data
(``library/risk_factors.yaml``); this module defines and validates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from instruments.errors import InstrumentError, Problem
from instruments.io.yaml_io import safe_load
from instruments.schema import (
    INSTITUTIONAL_AUDIENCES,
    Audience,
    Code,
    FrozenModel,
    IndicatorRole,
    IndicatorSpec,
    Instrument,
    Item,
    ItemType,
    LocalizedText,
    check_localized,
    validate_document,
)

RISK_FACTORS_FILE = Path(__file__).parent / "library" / "risk_factors.yaml"


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("текст не должен быть пустым")
    return value


def _check_optional_text(value: str | None) -> str | None:
    return None if value is None else _check_text(value)


def _check_optional_localized(value: dict[str, str] | None) -> dict[str, str] | None:
    return None if value is None else check_localized(value)


class Indicator(IndicatorSpec):
    """One measurable sign of a factor on one audience's instrument (see IndicatorSpec)."""

    audience: Audience
    instrument: Code


#: how a measure falls in a dated roadmap (see :class:`Schedule`)
ScheduleKind = Literal["once", "launch", "ongoing", "course", "twice", "quarterly", "half_yearly"]
#: whom a reference's recommendations address: the school's administration, its methodical
#: association of teachers (ШМО), the educational psychologist, the class teachers
RecommendationRole = Literal[
    "administration", "methodical_association", "psychologist", "class_teachers"
]


class Schedule(FrozenModel):
    """When a measure takes place in a roadmap dated from the reference's date (the dates are
    computed by ``analysis.report.roadmap``; ``timing`` says the same in a school year's terms):

    - ``once``: one step at the start of the plan, ``months`` long;
    - ``launch``: a first step (``first``, e.g. «разработка») in the first month, then ``then``
      (e.g. «реализация») to the end of the plan;
    - ``ongoing``: from the start to the end of the plan;
    - ``course``: the application at the start, the training to the end of the plan;
    - ``twice``: two events spread over the plan;
    - ``quarterly``, ``half_yearly``: at the end of each school term or half-year.

    ``note`` (a frequency or condition: «не реже раза в месяц») follows the dates."""

    kind: ScheduleKind
    months: int = Field(default=1, ge=1, le=3)
    first: str | None = None
    then: str | None = None
    note: str | None = None

    _check_texts = field_validator("first", "then", "note")(_check_optional_text)

    @model_validator(mode="after")
    def _launch_steps(self) -> Schedule:
        if self.kind == "launch" and (self.first is None or self.then is None):
            raise ValueError("для kind: launch нужны first и then (первый шаг и что дальше)")
        return self


class Measure(FrozenModel):
    """A measure for the roadmap: what is done, by whom, when, in what form, with what result,
    with whose help from outside the school (``partner``)."""

    code: Code
    title: LocalizedText
    description: LocalizedText | None = None
    responsible: str
    timing: str
    form: str
    expected_result: str
    level: Literal["school", "municipal"]
    schedule: Schedule | None = None
    partner: str | None = None

    _check_title = field_validator("title")(check_localized)
    _check_description = field_validator("description")(_check_optional_localized)
    _check_texts = field_validator("responsible", "timing", "form", "expected_result")(_check_text)
    _check_partner = field_validator("partner")(_check_optional_text)


class RiskFactor(FrozenModel):
    code: Code
    title: LocalizedText
    description: LocalizedText
    #: the factor as roadmaps and FIOKO risk profiles name it
    roadmap_name: str
    indicators: list[Indicator] = Field(min_length=1)
    measures: list[Measure] = Field(min_length=2)
    #: per role, what a reference recommends when the school is at risk on the factor: an
    #: infinitive clause («провести …»), joined with the other factors' for the same role
    recommendations: dict[RecommendationRole, str] = Field(default_factory=dict)

    _check_title = field_validator("title")(check_localized)
    _check_description = field_validator("description")(check_localized)
    _check_roadmap_name = field_validator("roadmap_name")(_check_text)

    @field_validator("recommendations")
    @classmethod
    def _check_recommendations(cls, value: dict[str, str]) -> dict[str, str]:
        for text in value.values():
            _check_text(text)
        return value

    @model_validator(mode="after")
    def _one_role(self) -> RiskFactor:
        # A factor mixing roles would rank as a cause on part of what it shows as its level.
        roles = {indicator.role for indicator in self.indicators}
        if len(roles) > 1:
            drivers = [i.code for i in self.indicators if i.role == "driver"]
            outcomes = [i.code for i in self.indicators if i.role == "outcome"]
            raise ValueError(
                "показатели одного фактора должны иметь одну роль (role): driver — "
                f"{', '.join(drivers)}; outcome — {', '.join(outcomes)}"
            )
        return self

    @property
    def role(self) -> IndicatorRole:
        """``outcome`` when the factor's indicators measure low results themselves: it then
        describes the problem and is never a probable cause; ``driver`` otherwise."""
        return self.indicators[0].role


class RiskFactorCatalogue(FrozenModel):
    version: int = Field(ge=1)
    factors: list[RiskFactor] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RiskFactorCatalogue:
        problems = list(self.duplicate_problems())
        if problems:
            raise InstrumentError(problems)
        return self

    def duplicate_problems(self) -> Iterator[Problem]:
        """Codes of factors, of indicators and of measures are each unique in the catalogue."""
        factors: dict[str, str] = {}
        indicators: dict[str, str] = {}
        measures: dict[str, str] = {}
        for fi, factor in enumerate(self.factors):
            where = f"factors[{fi}]"
            yield from _once(factors, factor.code, f"{where}.code", "фактора")
            for ii, indicator in enumerate(factor.indicators):
                path = f"{where}.indicators[{ii}].code"
                yield from _once(indicators, indicator.code, path, "индикатора")
            for mi, measure in enumerate(factor.measures):
                path = f"{where}.measures[{mi}].code"
                yield from _once(measures, measure.code, path, "меры")

    def factor(self, code: str) -> RiskFactor:
        for factor in self.factors:
            if factor.code == code:
                return factor
        raise KeyError(code)

    def check_against(self, instruments: Iterable[Instrument]) -> list[Problem]:
        """Problems of the indicators' references to ``instruments`` (empty when all fit)."""
        by_code = {instrument.code: instrument for instrument in instruments}
        return [
            problem
            for fi, factor in enumerate(self.factors)
            for ii, indicator in enumerate(factor.indicators)
            for problem in _indicator_problems(
                indicator, f"factors[{fi}].indicators[{ii}]", by_code
            )
        ]

    def check_instrument(self, instrument: Instrument) -> list[Problem]:
        """Problems of the indicators an instrument declares itself: unknown factor, a code
        the catalogue already uses, a role other than its factor's, or a reference that does
        not fit (as for the catalogue)."""
        taken = {i.code for f in self.factors for i in f.indicators}
        roles = {f.code: f.role for f in self.factors}
        problems: list[Problem] = []
        for index, declared in enumerate(instrument.indicators):
            path = f"indicators[{index}]"
            if declared.factor not in roles:
                problems.append(
                    Problem(f"{path}.factor", f"неизвестный фактор риска '{declared.factor}'")
                )
            elif declared.role != roles[declared.factor]:
                problems.append(
                    Problem(
                        f"{path}.role",
                        f"роль '{declared.role}' не совпадает с ролью показателей фактора "
                        f"'{declared.factor}' ('{roles[declared.factor]}')",
                    )
                )
            if declared.code in taken:
                problems.append(
                    Problem(f"{path}.code", f"код показателя '{declared.code}' уже есть в каталоге")
                )
            problems.extend(
                _indicator_problems(
                    as_indicator(instrument, declared), path, {instrument.code: instrument}
                )
            )
        return problems

    def indicators_by_factor(self, instruments: Iterable[Instrument]) -> dict[str, list[Indicator]]:
        """The catalogue's indicators plus those the given instruments declare, per factor."""
        merged = {f.code: list(f.indicators) for f in self.factors}
        for instrument in instruments:
            for declared in instrument.indicators:
                if declared.factor in merged:
                    merged[declared.factor].append(as_indicator(instrument, declared))
        return merged


def as_indicator(instrument: Instrument, declared: IndicatorSpec) -> Indicator:
    """An instrument's own indicator in the catalogue's terms (its audience and code filled in)."""
    fields = declared.model_dump(exclude={"factor"})
    return Indicator(audience=instrument.audience, instrument=instrument.code, **fields)


def _once(seen: dict[str, str], code: str, path: str, what: str) -> Iterator[Problem]:
    if code in seen:
        yield Problem(path, f"код {what} '{code}' уже есть в {seen[code].removesuffix('.code')}")
    else:
        seen[code] = path


def _indicator_problems(
    indicator: Indicator, path: str, instruments: dict[str, Instrument]
) -> Iterator[Problem]:
    instrument = instruments.get(indicator.instrument)
    if instrument is None:
        yield Problem(f"{path}.instrument", f"неизвестная методика '{indicator.instrument}'")
        return
    where = f"в методике '{instrument.code}'"
    if instrument.audience is not indicator.audience:
        yield Problem(
            f"{path}.audience",
            f"аудитория '{indicator.audience.value}' не совпадает с аудиторией методики "
            f"'{instrument.code}' ('{instrument.audience.value}')",
        )
    if indicator.scale is not None:
        scale = next((s for s in instrument.scales if s.code == indicator.scale), None)
        if scale is None:
            yield Problem(f"{path}.scale", f"неизвестная шкала '{indicator.scale}' {where}")
            return
        if indicator.statistic == "prevalence" and scale.prevalence is None:
            yield Problem(
                f"{path}.statistic",
                f"у шкалы '{scale.code}' нет правила распространённости (prevalence)",
            )
        if indicator.direction != scale.higher_is:
            yield Problem(
                f"{path}.direction",
                f"направление '{indicator.direction}' противоречит шкале '{scale.code}': "
                f"у неё higher_is: {scale.higher_is}",
            )
        return
    item = instrument.items_by_code().get(indicator.item or "")
    if item is None:
        yield Problem(f"{path}.item", f"неизвестный вопрос '{indicator.item}' {where}")
        return
    if indicator.statistic == "value":
        yield from _value_problems(indicator, path, instrument, item)
        return
    options = {o.value for o in instrument.options_for(item)}
    if not options:
        yield Problem(
            f"{path}.item",
            f"у вопроса '{item.code}' нет вариантов ответа: долю по значениям посчитать нельзя",
        )
        return
    for vi, value in enumerate(indicator.values or []):
        if value not in options:
            shown = ", ".join(str(v) for v in sorted(options, key=str))
            yield Problem(
                f"{path}.values[{vi}]",
                f"значения {value!r} нет среди вариантов ответа на вопрос '{item.code}' ({shown})",
            )
    if set(indicator.values or []) >= options:
        yield Problem(
            f"{path}.values", "значения охватывают все варианты ответа: доля всегда 100 %"
        )


def _value_problems(
    indicator: Indicator, path: str, instrument: Instrument, item: Item
) -> Iterator[Problem]:
    """A ``value`` is a figure of the school: the single answer of a form answered for the
    school, or facts about the school (:attr:`Item.fact`) on a form of many respondents."""
    institutional = instrument.audience in INSTITUTIONAL_AUDIENCES
    if item.type is not ItemType.number:
        yield Problem(
            f"{path}.item",
            f"значение (value) берётся только из числового вопроса, "
            f"а '{item.code}' — {item.type.value}",
        )
    elif not institutional and item.fact is None:
        yield Problem(
            f"{path}.statistic",
            "значение (value) — сведения о школе: допустимо только для анкеты, заполняемой от "
            f"школы, или для вопроса о фактах школы (fact), а '{item.code}' в "
            f"'{instrument.code}' — ответ одного из многих респондентов",
        )
    if indicator.denominator is None:
        return
    below = instrument.items_by_code().get(indicator.denominator)
    if below is None:
        yield Problem(
            f"{path}.denominator",
            f"неизвестный вопрос '{indicator.denominator}' в методике '{instrument.code}'",
        )
    elif below.type is not ItemType.number or (not institutional and below.fact is None):
        yield Problem(
            f"{path}.denominator",
            f"знаменатель '{below.code}' должен быть числовым вопросом о фактах школы (fact)",
        )


def parse_risk_factors(data: Any, *, source: str | None = None) -> RiskFactorCatalogue:
    """Validate a plain mapping into a :class:`RiskFactorCatalogue` (structure and codes only).

    Raises
    ------
    InstrumentError
        Naming ``source`` and, for every problem, its path inside the document.
    """
    return validate_document(
        RiskFactorCatalogue, data, source=source, what="каталог факторов риска"
    )


def load_risk_factors(
    path: str | Path | None = None, *, instruments: Iterable[Instrument] | None = None
) -> RiskFactorCatalogue:
    """Read a catalogue (by default the built-in one) and check it against the instruments.

    Parameters
    ----------
    path
        A YAML file; ``None`` for ``library/risk_factors.yaml``.
    instruments
        The instruments the indicators refer to; ``None`` for the built-in library.

    Raises
    ------
    InstrumentError
        Naming the file and every problem with its path, e.g.
        ``factors[3].indicators[1].scale: неизвестная шкала 'x' в методике 'teacher'``.
    """
    path = Path(path) if path is not None else RISK_FACTORS_FILE
    source = str(path)
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"строка {mark.line + 1}, столбец {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InstrumentError(
            [Problem(where, f"ошибка синтаксиса YAML: {problem}")], source=source
        ) from None
    catalogue = parse_risk_factors(data, source=source)
    problems = catalogue.check_against(_library() if instruments is None else instruments)
    if problems:
        raise InstrumentError(problems, source=source)
    return catalogue


@cache
def builtin_risk_factors() -> RiskFactorCatalogue:
    """The built-in catalogue, checked against the built-in instruments (read once)."""
    return load_risk_factors()


def _library() -> tuple[Instrument, ...]:
    # Imported late: the library package reads its files through instruments.io.
    from instruments.library import builtin_instruments

    return builtin_instruments()
