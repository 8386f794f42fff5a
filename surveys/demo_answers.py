"""The demo's latent model of answers: how a respondent's answers follow their school's risks.

Each school has a risk value per factor (school level, in respondent-SD units). A respondent's
answers on a scale come from
``construct = direction · (school risk + own trait) · 0.8 + 0.6 · scale noise`` and each item
from ``0.75 · construct + 0.66 · item noise``, cut at thresholds into the response options.
Both are about standard normal in a school at the district's typical risk, so the thresholds of
an item with a published base rate (:data:`ITEM_PREVALENCE`, e.g. PISA's share of students made
fun of at least a few times a month) are set to reproduce it there; a scale's prevalence (any
item at or above its level) then comes out near the published rate for the same rule.
The grades 2–4 students' form has scales with the same codes as the 5–11 form and so the same
factors (:data:`SCALE_FACTORS`): a planted cause moves both forms the same way. Its base rates
are its own (:data:`FORM_ITEM_PREVALENCE`, :data:`FORM_SCALE_OFFSET`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from scipy.stats import norm

from instruments.schema import Instrument, Item, ItemType, Scale

FACTORS = (
    "motivation",
    "wellbeing",  # conflicts and bullying
    "discipline",
    "burnout",
    "competence",  # teachers' professional deficits
    "parents",  # low parental involvement
    "language",
    "sen",
    "equipment",
    "staffing",
)

# Scale code -> (factor, direction): +1 when a higher scale score means more of that risk.
SCALE_FACTORS: dict[str, tuple[str, float]] = {
    # students
    "motivation_intrinsic": ("motivation", -1.0),
    "motivation_extrinsic": ("motivation", -0.5),
    "amotivation": ("motivation", 1.0),
    "belonging": ("wellbeing", -0.6),
    "teacher_support": ("burnout", -0.4),
    "classroom_disorder": ("discipline", 1.0),
    "bullying": ("wellbeing", 1.0),
    "home_support": ("parents", -0.8),
    # teachers
    "burnout_personal": ("burnout", 1.0),
    "burnout_work": ("burnout", 1.0),
    "burnout_student": ("burnout", 0.8),
    "prof_deficits": ("competence", 1.0),
    "self_efficacy": ("competence", -0.7),
    "staff_relations": ("burnout", -0.5),
    "view_student_motivation": ("motivation", -0.8),
    "view_discipline_problems": ("discipline", 0.8),
    "view_parent_involvement": ("parents", -0.8),
    # parents
    "parent_involvement": ("parents", -1.0),
    "school_communication": ("parents", -0.5),
    "teaching_satisfaction": ("competence", -0.5),
    "safety_concern": ("wellbeing", 0.8),
    "child_motivation": ("motivation", -0.7),
    # administration
    "equipment": ("equipment", -1.0),
    # support specialists
    "cooperation_teachers": ("sen", -0.6),
    "cooperation_parents": ("parents", -0.8),
    "specialist_strain": ("burnout", 0.7),
}

# Where most answers fall: rare experiences sit high on the latent scale.
SCALE_OFFSET = {"safety_concern": 0.5, "burnout_student": 0.2}

# Item code -> the share of respondents in a school at the district's typical risk who answer
# it at or above its scale's prevalence level (``Prevalence.at_least``); this places the item's
# thresholds, overriding SCALE_OFFSET. Items scored in the scale's direction only.
#
# Bullying ("a few times a month" or more, on the PISA response options the questionnaire
# uses): PISA 2015 per act, OECD averages (OECD 2017, PISA 2015 Results vol. III, ch. 8):
# made fun of 11 %, nasty rumours 8 %, left out 7 %, hit or pushed 4 %, threatened and things
# taken or destroyed about 4 % each; bul_3 joins hitting, pushing and threats. At least one
# act: about one student in five in PISA 2015, 23 % in PISA 2018 (OECD 2019, PISA 2018
# Results vol. III, ch. 2), which the five items reproduce (about 21 % at typical risk). This
# "any of several forms" rule runs about twice as high as the global Olweus question of HBSC
# ("bullied at school at least 2–3 times a month in the past couple of months": roughly 8–15 %
# of Russian 11–15-year-olds in 2017/18, Inchley et al. 2020; about 11 % across the countries
# of the 2021/22 survey, Cosma et al. 2024), so the demo is not calibrated to the HBSC figure.
#
# Teachers' strong need for support ("Очень нуждаюсь"), read as TALIS 2018's "high level of
# need" for professional development (OECD 2019, TALIS 2018 Results vol. I, ch. 5; OECD
# averages): teaching students with special needs 22 %, ICT skills for teaching 18 %, the
# other areas mostly 7–13 %; ours follow that order (any of the seven: about 40 %).
ITEM_PREVALENCE = {
    "bul_1": 0.11,  # called names, teased hurtfully
    "bul_2": 0.07,  # left out on purpose
    "bul_3": 0.06,  # pushed, hit or threatened
    "bul_4": 0.04,  # things taken or damaged
    "bul_5": 0.08,  # rumours, hurtful posts online
    "deficit_planning": 0.07,
    "deficit_methods": 0.10,
    "deficit_assessment": 0.10,
    "deficit_differentiation": 0.13,
    "deficit_literacy": 0.12,
    "deficit_sen": 0.22,
    "deficit_digital": 0.18,
}

# The grades 2–4 form asks the same constructs in three-point answers («Нет / Иногда / Да»,
# «Никогда / Иногда / Часто»); its items share codes with the 5–11 form but not their base rates.
#
# Bullying: «Часто» read as TIMSS's "about weekly". TIMSS 2019, grade 4 (Mullis et al. 2020,
# TIMSS 2019 International Results, Student Bullying): 63 % never or almost never bullied, 29 %
# about monthly, 8 % about weekly on the scale of eleven acts; TIMSS 2023 put "about weekly" at
# 15 %. Being teased or called names is the commonest act at that age, being hit a rarer one; the
# three items give about 13 % «часто» on at least one at typical risk.
#
# Young children answer questions about liking school favourably: in TIMSS 2019 58 % of
# fourth-graders had a high sense of school belonging against 37 % of eighth-graders (Students'
# Sense of School Belonging). The favourable scales' thresholds sit lower, so that about half
# answer «Да» at typical risk.
FORM_ITEM_PREVALENCE: dict[str, dict[str, float]] = {
    "student_2_4": {
        "bul_1": 0.08,  # teased or called names
        "bul_2": 0.04,  # pushed or hit
        "bul_3": 0.06,  # left out of games on purpose
    },
}
FORM_SCALE_OFFSET: dict[str, dict[str, float]] = {
    "student_2_4": {
        "motivation_intrinsic": -0.5,
        "belonging": -0.5,
        "teacher_support": -0.5,
        "home_support": -0.5,
    },
}

#: the share answering «не знаю» to an item that offers it (parents on teaching and safety)
DONT_KNOW_RATE = 0.07

# How an outcome depends on risks (negative: more risk, lower results).
OUTCOME_WEIGHTS = {
    "motivation": -0.5,
    "competence": -0.4,
    "discipline": -0.3,
    "parents": -0.25,
    "wellbeing": -0.2,
    "language": -0.2,
    "burnout": -0.15,
    "sen": -0.1,
    "equipment": -0.1,
    "staffing": -0.1,
}


@cache
def _thresholds(k: int, offset: float) -> np.ndarray:
    # Cut points of a standard normal into k roughly equal parts, shifted by ``offset``
    # (cached: scipy's quantiles cost more than drawing a school's answers to an item).
    cuts = np.asarray(norm.ppf(np.arange(1, k) / k), dtype=float) + offset
    cuts.flags.writeable = False
    return cuts


@cache
def _rate_offset(rate: float, below: int, k: int) -> float:
    # The shift that puts the cut point above the lowest ``below`` of ``k`` options where a
    # standard normal exceeds it with probability ``rate``.
    return float(norm.isf(rate) - norm.ppf(below / k))


def _item_offset(form: str, scale: Scale, item_code: str, values: np.ndarray) -> float:
    """The shift of an item's thresholds on ``form``: from its base rate where the form's
    :data:`FORM_ITEM_PREVALENCE` (else :data:`ITEM_PREVALENCE`) has one (answers at or above
    the scale's prevalence level come out at that rate in a school at typical risk), else the
    scale's :data:`FORM_SCALE_OFFSET` (else :data:`SCALE_OFFSET`)."""
    rate = FORM_ITEM_PREVALENCE.get(form, ITEM_PREVALENCE).get(item_code)
    below = 0 if scale.prevalence is None else int(np.sum(values < scale.prevalence.at_least))
    if rate is None or not 0 < below < len(values):  # no rate, or no cut point at the level
        return FORM_SCALE_OFFSET.get(form, SCALE_OFFSET).get(scale.code, 0.0)
    return _rate_offset(rate, below, len(values))


def _draw_scale_items(
    instrument: Instrument,
    scale_code: str,
    construct: np.ndarray,
    rng: np.random.Generator,
    dont_know: np.random.Generator,
) -> dict[str, np.ndarray]:
    scale = next(s for s in instrument.scales if s.code == scale_code)
    items = instrument.items_by_code()
    out = {}
    n = construct.shape[0]
    for code in scale.items:
        item = items[code]
        values = np.array(instrument.response_scale(item.response_scale or "").values)
        values.sort()
        latent = 0.75 * construct + 0.66 * rng.standard_normal(n)
        cuts = _thresholds(len(values), _item_offset(instrument.code, scale, code, values))
        idx = np.searchsorted(cuts, latent)
        if item.reverse:
            idx = len(values) - 1 - idx
        drawn = values[idx].astype(float)
        not_scored = sorted(instrument.missing_values(item))
        if not_scored:
            # Some answer «не знаю» where it is offered: stored, never scored.
            drawn[dont_know.random(n) < DONT_KNOW_RATE] = float(not_scored[0])
        out[code] = drawn
    return out


def _other_item(item: Item, instrument: Instrument, n: int, ctx: dict[str, Any]) -> np.ndarray:
    """Answers to items outside any scale, some tied to the school's risks."""
    rng: np.random.Generator = ctx["rng"]
    risks: dict[str, float] = ctx["risks"]
    if item.type is ItemType.grade:
        return np.asarray(ctx["grades"], dtype=float)
    if item.type is ItemType.number:
        low = item.min if item.min is not None else 0.0
        high = item.max if item.max is not None else 100.0
        special = {
            "share_sen": 6 + 4 * risks["sen"],
            "share_non_native": 5 + 12 * max(risks["language"], 0),
            "share_recommended_extra": 12 + 10 * risks["motivation"],
            "teacher_posts_vacant": 1 + 3 * max(risks["staffing"], 0),
            "share_teachers_over_60": 15 + 10 * risks["staffing"],
            "enrolment_total": ctx["enrolment_total"],
            "experience_years": 18.0,
        }
        centre = special.get(item.code, (low + high) / 4)
        spread = 0.0 if item.code == "enrolment_total" else max(1.0, abs(centre) * 0.3)
        drawn = np.clip(np.round(rng.normal(centre, spread, n)), low, high)
        return drawn.astype(float)
    options = instrument.options_for(item)
    if not options:
        return np.full(n, np.nan)
    values = [o.value for o in options]
    if item.code == "home_language":
        p_other = 1 / (1 + np.exp(-(-2.5 + 1.5 * risks["language"])))
        probs = np.array([1 - p_other, p_other * 0.6, p_other * 0.4])
    elif item.code == "usual_marks":
        shift = sum(-w * risks[f] for f, w in OUTCOME_WEIGHTS.items())
        base = np.array([0.15, 0.4, 0.35, 0.10]) * np.exp(np.array([-1, -0.5, 0.5, 1]) * shift)
        probs = base
    elif item.code.startswith("has_"):
        p_none = min(0.9, 0.25 + 0.3 * max(risks["staffing"], 0))
        probs = np.array([(1 - p_none) * 0.7, (1 - p_none) * 0.3, p_none])
    else:
        probs = np.ones(len(values))
    probs = np.resize(probs, len(values)).astype(float)
    probs /= probs.sum()
    if item.type is ItemType.multiple_choice:
        chosen = np.empty(n, dtype=object)
        for r in range(n):
            k = int(rng.integers(1, min(3, len(values)) + 1))
            picks = sorted(rng.choice(len(values), size=k, replace=False, p=probs))
            chosen[r] = [values[i] for i in picks]
        return chosen
    idx = rng.choice(len(values), size=n, p=probs)
    return np.array([values[i] for i in idx], dtype=object)


#: the specialists' form's facts, drawn together so that they agree (kinds within the caseload,
#: sessions in full within those recommended)
SUPPORT_FACTS = frozenset(
    {
        "caseload",
        "kind_sen",
        "kind_disability",
        "kind_learning",
        "kind_behaviour",
        "kind_language",
        "waiting",
        "pmpk_total",
        "pmpk_full",
    }
)
#: the specialists' posts (the form's ``position`` options) whose sessions the commission
#: (ПМПК) recommends: a psychologist, a speech therapist, a special-needs teacher
PMPK_POSTS = frozenset({1, 2, 3})


def _logistic(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


def _support_facts(
    n: int, risks: dict[str, float], rng: np.random.Generator, posts: np.ndarray | None
) -> dict[str, np.ndarray]:
    """A school's specialists' caseloads and what they say of the children in them.

    About 30 children on a specialist's caseload at the district's typical risk (more where
    specialists are short); about a third with special educational needs and a quarter of
    those with a disability; about half of the rest with learning difficulties; fewer with
    behaviour difficulties or a language barrier, more where those risks are. The commission's
    recommendations concern psychologists, speech therapists and special-needs teachers; about
    five in six of the children they were recommended for get the sessions in full at typical
    risk, fewer where special needs and staff shortages are high."""
    staffing, sen = risks["staffing"], risks["sen"]
    drawn = np.clip(np.round(rng.normal(30 + 10 * max(staffing, 0) + 4 * sen, 6, n)), 5, 120)
    caseload = drawn.astype(np.int64)
    kind_sen = rng.binomial(caseload, float(np.clip(0.3 + 0.08 * sen, 0.05, 0.8)))
    kind_disability = rng.binomial(kind_sen, 0.25)
    kind_learning = rng.binomial(caseload - kind_sen, 0.5)
    kind_behaviour = rng.binomial(
        caseload, float(np.clip(0.12 + 0.05 * risks["discipline"], 0.02, 0.5))
    )
    kind_language = rng.binomial(
        caseload, float(np.clip(0.04 + 0.06 * max(risks["language"], 0), 0.0, 0.6))
    )
    waiting = rng.poisson(max(0.5, 4 + 5 * staffing + 3 * sen), n)
    recommended = kind_sen + rng.poisson(1 + 2 * max(sen, 0), n)
    if posts is not None:
        recommended = np.where(np.isin(posts, list(PMPK_POSTS)), recommended, 0)
    full = rng.binomial(recommended, _logistic(1.6 - 0.9 * sen - 0.6 * staffing))
    columns = {
        "caseload": caseload,
        "kind_sen": kind_sen,
        "kind_disability": kind_disability,
        "kind_learning": kind_learning,
        "kind_behaviour": kind_behaviour,
        "kind_language": kind_language,
        "waiting": waiting,
        "pmpk_total": recommended,
        # asked only when some were recommended (the item's condition)
        "pmpk_full": np.where(recommended > 0, full, np.nan),
    }
    return {code: np.asarray(values, dtype=float) for code, values in columns.items()}


def simulate_answers(
    instrument: Instrument,
    n: int,
    risks: dict[str, float],
    rng: np.random.Generator,
    *,
    grades: np.ndarray | None = None,
    enrolment_total: int = 0,
    missing_rate: float = 0.03,
    given: dict[str, np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """``n`` respondents' answers to ``instrument`` for a school with these risks. ``given``
    holds answers the caller knows (item code -> one value per respondent: the specialists'
    posts, from the school card), taken as they are."""
    if n == 0:
        return []
    traits = {f: rng.standard_normal(n) for f in FACTORS}
    columns: dict[str, np.ndarray] = {}
    scored: set[str] = set()
    # «Не знаю» is drawn from a generator of its own, spawned without advancing ``rng``: the
    # rest of the answers stay those of the same seed before the option existed.
    dont_know = rng.spawn(1)[0]
    for scale in instrument.scales:
        factor, direction = SCALE_FACTORS.get(scale.code, ("motivation", 0.0))
        construct = direction * (risks[factor] + traits[factor]) * 0.8 + 0.6 * rng.standard_normal(
            n
        )
        columns.update(_draw_scale_items(instrument, scale.code, construct, rng, dont_know))
        scored.update(scale.items)
    ctx = {"rng": rng, "risks": risks, "grades": grades, "enrolment_total": enrolment_total}
    given = given or {}
    columns.update({code: np.asarray(values, dtype=float) for code, values in given.items()})
    codes_here = {item.code for item in instrument.items()}
    if codes_here >= SUPPORT_FACTS:
        columns.update(_support_facts(n, risks, rng, given.get("position")))
    for item in instrument.items():
        if item.code not in scored and item.code not in columns:
            columns[item.code] = _other_item(item, instrument, n, ctx)
    required = {item.code for item in instrument.items() if item.required}
    # Some respondents skip more than others: a per-respondent propensity.
    propensity = rng.beta(1.0, 1.0 / missing_rate - 1.0, n) if missing_rate > 0 else np.zeros(n)
    rows: list[dict[str, Any]] = []
    codes = [item.code for item in instrument.items()]
    skip = rng.random((n, len(codes))) < propensity[:, None]
    conditions = instrument.conditions
    for r in range(n):
        answer: dict[str, Any] = {}
        for j, code in enumerate(codes):
            if skip[r, j] and code not in required:
                continue
            condition = conditions.get(code)
            if condition is not None and not condition(answer):
                continue  # the question did not apply to this respondent
            value = columns[code][r]
            if isinstance(value, float | np.floating):
                if np.isnan(value):
                    continue
                value = int(value) if float(value).is_integer() else float(value)
            elif isinstance(value, np.integer):
                value = int(value)
            elif isinstance(value, list):
                value = list(value)
            answer[code] = value
        rows.append(answer)
    return rows
