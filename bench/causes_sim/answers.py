"""Respondents' answers generated from the instruments' own definitions.

Which items measure which factor comes from the risk-factor catalogue's indicators (a scale's
items, or the item of a share or value indicator) and the instruments' reverse keys; an item
is then an ordinal probit of the respondent's trait (the school's level plus individual
variation, ICC 0.05–0.20) with its own loading and thresholds. Items of no indicator follow a
general trait of the respondent. «не знаю» is chosen where the question offers it, some
answers are skipped, and some respondents break off half-way (their rows end early).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from instruments.risk_factors import RiskFactorCatalogue
from instruments.schema import Instrument, Item, ItemType

from .district import District, School

SKIP = 0.03
DONT_KNOW = 0.07
BREAK_OFF = 0.10
#: respondents per school: share of the audience that answers and a cap (the file sizes)
AUDIENCE_RATE = {"student": (0.55, 0.85), "parent": (0.25, 0.5), "teacher": (0.6, 0.95)}
CAP = {"student_5_11": 110, "student_2_4": 60, "parent": 80, "teacher": 60}


@dataclass(frozen=True)
class ItemModel:
    item: Item
    factors: tuple[int, ...]  # column indices of District.levels; empty: general trait
    risk_high: bool  # a higher raw value (or ticking the option) means more risk
    loading: float
    thresholds: np.ndarray  # len(scored) - 1, increasing
    #: a multiple choice: option value -> the factors ticking it signals
    options: dict[int | str, tuple[int, ...]]
    values: list[int | str]  # the scored options' values


def _risk_items(
    instrument: Instrument, catalogue: RiskFactorCatalogue, factors: list[str]
) -> dict[str, tuple[set[int], bool]]:
    """item code (or ``item:option`` of a multiple choice) -> (factors, risk when high)."""
    scales = {s.code: s for s in instrument.scales}
    items = {
        row.code: row
        for section in instrument.sections
        for item in section.items
        for row in instrument.answerable(item)
    }
    found: dict[str, tuple[set[int], bool]] = {}

    def add(key: str, factor: str, risk_high: bool) -> None:
        entry = found.setdefault(key, (set(), risk_high))
        entry[0].add(factors.index(factor))

    for factor, indicators in catalogue.indicators_by_factor([instrument]).items():
        for indicator in indicators:
            if indicator.instrument != instrument.code:
                continue
            risk = indicator.direction == "risk"
            if indicator.scale is not None:
                for code in scales[indicator.scale].items:
                    add(code, factor, risk != items[code].reverse)
            elif indicator.item is not None:
                row = items[indicator.item]
                if row.type is ItemType.multiple_choice:
                    for value in indicator.values or []:
                        add(f"{row.code}:{value}", factor, risk)
                else:
                    add(row.code, factor, risk)  # the risk values sit at the top end
    return found


def item_models(
    instrument: Instrument,
    catalogue: RiskFactorCatalogue,
    factors: list[str],
    rng: np.random.Generator,
) -> list[ItemModel]:
    risky = _risk_items(instrument, catalogue, factors)
    models = []
    for section in instrument.sections:
        for item in section.items:
            for row in instrument.answerable(item):
                keys = [k for k in risky if k == row.code or k.startswith(f"{row.code}:")]
                measured = {i for k in keys for i in risky[k][0]}
                risk_high = risky[keys[0]][1] if keys else bool(rng.random() < 0.5)
                scored = _scored(instrument, row)
                k = max(len(scored), 2)
                centre = rng.normal(0, 0.45)
                spread = rng.uniform(0.7, 1.1)
                thresholds = centre + spread * np.linspace(-1.2, 1.2, k - 1)
                if keys and row.type is ItemType.single_choice:
                    # a share indicator: its top values are the risk answers, 10–40 % of them
                    thresholds = np.sort(thresholds + rng.uniform(0.3, 0.9))
                options = {
                    value: tuple(sorted(risky[f"{row.code}:{value}"][0]))
                    for value in scored
                    if f"{row.code}:{value}" in risky
                }
                models.append(
                    ItemModel(
                        row,
                        tuple(sorted(measured)),
                        risk_high,
                        float(rng.uniform(0.55, 0.8) if measured else 0.4),
                        thresholds,
                        options,
                        scored,
                    )
                )
    return models


def _scored(instrument: Instrument, row: Item) -> list[int | str]:
    if row.type in (ItemType.likert, ItemType.single_choice, ItemType.multiple_choice):
        return [o.value for o in instrument.options_for(row) if not o.missing]
    return []


def _dont_know(instrument: Instrument, row: Item) -> int | str | None:
    if row.type not in (ItemType.likert, ItemType.single_choice):
        return None
    return next((o.value for o in instrument.options_for(row) if o.missing), None)


def respondents(instrument: Instrument, school: School, rng: np.random.Generator) -> int:
    if instrument.audience.value == "administration":
        return 1
    if instrument.audience.value == "teacher":
        audience = school.teachers
    else:
        low, high = instrument.grades or (1, 11)
        audience = sum(n for g, n in school.grades.items() if low <= g <= high)
    rate = rng.uniform(*AUDIENCE_RATE[instrument.audience.value])
    return min(CAP[instrument.code], int(rng.binomial(audience, rate)))


def _grade(instrument: Instrument, school: School, rng: np.random.Generator) -> int | None:
    low, high = instrument.grades or (1, 11)
    grades = [g for g in school.grades if low <= g <= high]
    if not grades:
        return None
    weights = np.array([school.grades[g] for g in grades], dtype=float)
    return int(rng.choice(grades, p=weights / weights.sum()))


def form_rows(
    instrument: Instrument,
    models: list[ItemModel],
    district: District,
    position: int,
    rng: np.random.Generator,
    icc: np.ndarray,
) -> list[dict[str, object]]:
    """One school's answers to one form: a dict per respondent, item code -> cell value."""
    school = district.schools[position]
    n = respondents(instrument, school, rng)
    if n == 0:
        return []
    institutional = instrument.audience.value == "administration"
    level = district.levels[position]
    share_icc = np.ones_like(icc) * 0.9 if institutional else icc
    traits = np.sqrt(share_icc) * level + np.sqrt(1 - share_icc) * rng.standard_normal(
        (n, len(level))
    )
    general = rng.standard_normal(n)
    rows: list[dict[str, object]] = []
    for r in range(n):
        answers: dict[str, object] = {}
        stop = (
            len(models)
            if rng.random() >= BREAK_OFF
            else int(rng.integers(len(models) // 3, len(models)))
        )
        for position_in_form, model in enumerate(models):
            row = model.item
            if position_in_form >= stop and not row.required:
                break
            if row.relevant and not instrument.conditions[row.code](answers):
                continue
            if row.type is ItemType.grade:
                grade = _grade(instrument, school, rng)
                if grade is not None:
                    answers[row.code] = grade
                continue
            if row.type in (ItemType.text, ItemType.long_text, ItemType.class_letter):
                continue
            if not row.required and rng.random() < SKIP:
                continue
            value: object
            if row.type is ItemType.multiple_choice:
                value = _choices(model, traits[r], rng)
            else:
                trait = traits[r, list(model.factors)].mean() if model.factors else general[r]
                value = _answer(instrument, model, school, float(trait), rng)
            if value is not None:
                answers[row.code] = value
        rows.append(answers)
    return rows


def _answer(
    instrument: Instrument, model: ItemModel, school: School, trait: float, rng: np.random.Generator
) -> object:
    row = model.item
    signed = trait if model.risk_high else -trait
    if row.type is ItemType.number:
        return _number(row, school, signed, model, rng)
    scored = model.values
    if not scored:
        return None
    dont_know = _dont_know(instrument, row)
    if dont_know is not None and rng.random() < DONT_KNOW:
        return dont_know
    latent = model.loading * signed + np.sqrt(1 - model.loading**2) * rng.standard_normal()
    return scored[int(np.searchsorted(model.thresholds, latent))]


def _choices(model: ItemModel, traits: np.ndarray, rng: np.random.Generator) -> str | None:
    """Ticked options: each on its own, more often where its factor is high (an option of
    no indicator at a base rate); at most ``max_choices``, the strongest kept."""
    row = model.item
    values = model.values
    logits = np.array(
        [
            -1.6 + (1.2 * float(traits[list(model.options[v])].mean()) if v in model.options else 0)
            for v in values
        ]
    )
    ticked = logits + rng.logistic(size=len(values)) > 0
    chosen = [v for v, t in zip(values, ticked, strict=True) if t]
    if row.max_choices and len(chosen) > row.max_choices:
        order = np.argsort(-logits[ticked])[: row.max_choices]
        chosen = [chosen[i] for i in sorted(order)]
    return ";".join(str(v) for v in chosen) if chosen else None


def _number(
    row: Item, school: School, signed: float, model: ItemModel, rng: np.random.Generator
) -> int | None:
    if row.code == "enrolment_total":
        return school.enrolment
    low, high = row.min or 0.0, row.max or 100.0
    if row.code == "teacher_posts_vacant":
        return int(rng.poisson(np.exp(np.log(0.5 + school.teachers / 15) + 0.6 * signed)))
    if high == 100:  # a percentage
        logit = np.log(0.12 / 0.88) + (0.8 * signed if model.factors else 0.0)
        value = 100 / (1 + np.exp(-(logit + rng.normal(0, 0.3))))
        return int(np.rint(min(high, max(low, value))))
    return int(np.rint(rng.uniform(low, min(high, low + 0.5 * (high - low)))))
