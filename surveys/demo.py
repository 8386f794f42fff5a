"""Demo district generator: schools, accounts, a campaign and answers drawn from a latent model.

Each school has a risk value per factor (school level, in respondent-SD units); a few schools
get one cause planted on purpose. A respondent's answers on a scale come from
``construct = direction · (school risk + own trait) · 0.8 + 0.6 · scale noise`` and each item
from ``0.75 · construct + 0.66 · item noise``, cut at thresholds into the response options.
Both are about standard normal in a school at the district's typical risk, so the thresholds of
an item with a published base rate (:data:`ITEM_PREVALENCE`, e.g. PISA's share of students made
fun of at least a few times a month) are set to reproduce it there; a scale's prevalence (any
item at or above its level) then comes out near the published rate for the same rule.
Students answer the form of their grade: grades 5–11 the main questionnaire, grades 2–4 the
short one, whose scales carry the same codes and so the same factors (:data:`SCALE_FACTORS`);
a planted cause moves both forms the same way. Its base rates are its own
(:data:`FORM_ITEM_PREVALENCE`, :data:`FORM_SCALE_OFFSET`).
Assessment results (ВПР/ОГЭ-style mean mark and share of failing marks) depend on the school's
risks, so later analysis can be checked against the planted truth kept in
``District.settings["demo_truth"]``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from scipy.stats import norm
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from instruments.schema import Instrument, Item, ItemType, Scale
from surveys import models as m
from surveys.campaigns import create_campaign, create_links
from surveys.errors import NotFound
from surveys.instrument_store import instrument_of, latest_version, load_builtin_instruments
from surveys.users import create_user

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

# Planted causes, in order of school index (0-based); schools not listed get none.
PLANTED = {2: "wellbeing", 4: "burnout", 6: "parents", 8: "motivation", 10: "discipline"}
PLANTED_SHIFT = 1.5
SCHOOL_SD = 0.3

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

# Fictional rural schools, named after their settlement as rural schools usually are.
RURAL_NAMES = (
    "Берёзовская",
    "Зареченская",
    "Луговская",
    "Сосновская",
    "Каменская",
    "Ольховская",
    "Полянская",
    "Журавлёвская",
)
#: the forms the demo campaign fields, by audience: each audience's main form, and the
#: grades 2–4 students' one beside the 5–11 form
DEMO_FORMS = (
    ("student", "student_5_11"),
    ("student", "student_2_4"),
    ("parent", "parent"),
    ("teacher", "teacher"),
    ("administration", "administration"),
)
PRIMARY_FORM = "student_2_4"
DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed for the demo on purpose
DISTRICT_NAME = "Демонстрационный муниципальный район"


@dataclass(frozen=True)
class SchoolPlan:
    code: str
    name: str
    kind: str
    locality: str
    enrolment: dict[str, int]  # primary, basic, secondary
    teachers: int
    risks: dict[str, float]
    planted: str | None


@dataclass
class DemoDistrict:
    district_id: int
    campaign_id: int
    schools: list[SchoolPlan]
    truth: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)


def _school_sizes(n: int, rng: np.random.Generator) -> list[int]:
    # Log-uniform between a small rural school and a large urban one, shuffled.
    sizes = np.exp(np.linspace(np.log(60), np.log(1200), n))
    sizes = np.round(sizes * rng.uniform(0.9, 1.1, n)).astype(int)
    order = rng.permutation(n)
    return [int(sizes[i]) for i in order]


def plan_schools(n_schools: int, rng: np.random.Generator) -> list[SchoolPlan]:
    plans = []
    sizes = _school_sizes(n_schools, rng)
    rural_count = 0
    for i, total in enumerate(sizes):
        rural = total < 350
        if rural:
            place = RURAL_NAMES[rural_count % len(RURAL_NAMES)]
            repeat = rural_count // len(RURAL_NAMES)
            suffix = f" № {repeat + 1}" if repeat else ""
            rural_count += 1
            secondary = total >= 150
            kind = "средняя" if secondary else "основная"
            name = f"МКОУ «{place} {kind} общеобразовательная школа{suffix}»"
        else:
            secondary = True
            kind = "средняя"
            name = f"МБОУ «Средняя общеобразовательная школа № {i + 1}»"
        primary = round(total * 0.40)
        basic = round(total * (0.45 if secondary else 0.60))
        enrolment = {
            "primary": primary,
            "basic": basic,
            "secondary": max(total - primary - basic, 0) if secondary else 0,
        }
        planted = PLANTED.get(i)
        risks = {f: float(rng.normal(0.0, SCHOOL_SD)) for f in FACTORS}
        if rural:
            risks["staffing"] += 0.4
            risks["equipment"] += 0.3
        if planted:
            risks[planted] = PLANTED_SHIFT + float(rng.normal(0.0, 0.1))
        plans.append(
            SchoolPlan(
                code=f"S{i + 1:03d}",
                name=name,
                kind=f"{kind} общеобразовательная школа",
                locality="rural" if rural else "urban",
                enrolment=enrolment,
                teachers=max(8, round(total / 14)),
                risks=risks,
                planted=planted,
            )
        )
    return plans


def enrolment_by_grade(enrolment: dict[str, int]) -> dict[str, int]:
    """Each level's pupils spread over its grades (the first grades take the remainder), so
    the per-grade figures add up to the per-level ones exactly."""
    by_grade: dict[str, int] = {}
    for level, grades in (
        ("primary", range(1, 5)),
        ("basic", range(5, 10)),
        ("secondary", range(10, 12)),
    ):
        total = enrolment[level]
        share, extra = divmod(total, len(grades))
        for index, grade in enumerate(grades):
            by_grade[str(grade)] = share + (1 if index < extra else 0)
    return by_grade


def short_name(plan: SchoolPlan) -> str:
    """«СОШ № 3», «Луговская ООШ»: the short form district lists use."""
    if plan.locality == "urban":
        return "СОШ № " + plan.name.rsplit("№ ", 1)[1].rstrip("»")
    place = plan.name.split("«", 1)[1].split(" ", 1)[0]
    number = plan.name.rsplit(" № ", 1)[1].rstrip("»") if " № " in plan.name else ""
    kind = "СОШ" if plan.kind.startswith("средняя") else "ООШ"
    return f"{place} {kind}" + (f" № {number}" if number else "")


def specialists(plan: SchoolPlan) -> dict[str, bool]:
    """Who is on the staff, by size (no random draws: the demo's answers stay as they were):
    small rural schools share their specialists with others or have none."""
    total = sum(plan.enrolment.values())
    return {
        "has_psychologist": total >= 250,
        "has_speech_specialist": total >= 500,
        "has_social_pedagogue": total >= 150,
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


def simulate_answers(
    instrument: Instrument,
    n: int,
    risks: dict[str, float],
    rng: np.random.Generator,
    *,
    grades: np.ndarray | None = None,
    enrolment_total: int = 0,
    missing_rate: float = 0.03,
) -> list[dict[str, Any]]:
    """``n`` respondents' answers to ``instrument`` for a school with these risks."""
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
    for item in instrument.items():
        if item.code not in scored:
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


def _assessments(plan: SchoolPlan, year: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    outcome = sum(w * plan.risks[f] for f, w in OUTCOME_WEIGHTS.items())
    rows = []
    per_grade = plan.enrolment["basic"] / 5
    tests = [("ВПР", g) for g in (5, 6, 7, 8)] + [("ОГЭ", 9)]
    for assessment, grade in tests:
        for subject in ("Русский язык", "Математика"):
            participants = int(max(1, round(per_grade * rng.uniform(0.85, 0.97))))
            mean = float(np.clip(3.6 + 0.35 * outcome + rng.normal(0, 0.05), 2.0, 5.0))
            logit = -2.3 - 1.1 * outcome + rng.normal(0, 0.1)
            failing = float(1 / (1 + np.exp(-logit)))
            rows.append(
                {
                    "assessment": assessment,
                    "year": year,
                    "subject": subject,
                    "grade": grade,
                    "participants": participants,
                    "mean_score": round(mean, 2),
                    "share_failing": round(failing, 3),
                }
            )
    return rows


def generate_demo(
    session: Session,
    *,
    n_schools: int = 12,
    seed: int = 2026,
    today: dt.date | None = None,
    with_users: bool = True,
    response_rate: float = 0.75,
) -> DemoDistrict:
    """Create a demo district with schools, accounts, an open campaign and its answers.

    Deterministic for ``seed`` (and ``today``, which sets the campaign's dates). The planted
    truth is stored in ``District.settings["demo_truth"]`` and returned.
    """
    today = today or dt.date.today()
    rng = np.random.default_rng(seed)
    load_builtin_instruments(session)
    name = DISTRICT_NAME if n_schools == 12 else f"{DISTRICT_NAME} ({n_schools} школ)"
    suffix = 1
    while session.scalar(select(m.District.id).where(m.District.name == name)) is not None:
        suffix += 1
        name = f"{DISTRICT_NAME} {suffix}"
    district = m.District(name=name, region="Демонстрационная область")
    session.add(district)
    session.flush()
    prefix = "" if suffix == 1 else f"D{suffix}-"
    plans = plan_schools(n_schools, rng)
    schools = []
    for plan in plans:
        school = m.School(
            district_id=district.id,
            code=prefix + plan.code,
            name=plan.name,
            kind=plan.kind,
            locality=plan.locality,
            low_results=plan.planted is not None,
            short_name=short_name(plan),
            teaches_primary=plan.enrolment["primary"] > 0,
            teaches_basic=plan.enrolment["basic"] > 0,
            teaches_secondary=plan.enrolment["secondary"] > 0,
            enrolment_by_grade=enrolment_by_grade(plan.enrolment),
            enrolment_primary=plan.enrolment["primary"],
            enrolment_basic=plan.enrolment["basic"],
            enrolment_secondary=plan.enrolment["secondary"],
            teachers=plan.teachers,
            **specialists(plan),
        )
        schools.append(school)
    session.add_all(schools)
    session.flush()

    fieldings: dict[str, tuple[str, m.InstrumentVersion]] = {}  # form code -> audience, version
    for audience, code in DEMO_FORMS:
        try:
            fieldings[code] = (audience, latest_version(session, code))
        except NotFound:  # a library without that form: field the others
            continue
    campaign = create_campaign(
        session,
        district=district,
        title="Диагностика причин низких образовательных результатов",
        period=f"{today.year}",
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=60),
        schools=schools,
        fieldings=[version for _, version in fieldings.values()],
    )
    links = create_links(session, campaign)
    form_of_fielding = dict(
        session.execute(
            select(m.Fielding.id, m.Fielding.instrument_version_id).where(
                m.Fielding.campaign_id == campaign.id
            )
        ).all()
    )
    link_of = {(link.school_id, form_of_fielding[link.fielding_id]): link for link in links}
    # The grades 2–4 answers come from a stream of their own: the other forms' answers stay
    # those the same seed gave before the demo fielded that form.
    primary_rng = np.random.default_rng([seed, 24])

    counts = dict.fromkeys(fieldings, 0)
    response_rows: list[dict[str, Any]] = []
    result_rows: list[dict[str, Any]] = []
    for school, plan in zip(schools, plans, strict=True):
        per_grade = dict.fromkeys(range(5, 10), plan.enrolment["basic"] / 5)
        per_grade.update(dict.fromkeys((10, 11), plan.enrolment["secondary"] / 2))
        total = sum(plan.enrolment.values())
        sizes = {
            "student": int(rng.binomial(int(sum(per_grade.values())), response_rate)),
            "parent": int(rng.binomial(int(total * 0.8), response_rate * 0.5)),
            "teacher": int(rng.binomial(plan.teachers, 0.85)),
            "administration": 1,
        }
        for code, (audience, version) in fieldings.items():
            if code == PRIMARY_FORM:
                continue
            instrument = instrument_of(version)
            n = sizes[audience]
            grades = None
            if audience in ("student", "parent"):
                weights = np.array([per_grade[g] for g in range(5, 12)], dtype=float)
                weights /= weights.sum()
                grades = rng.choice(np.arange(5, 12), size=n, p=weights)
            answers = simulate_answers(
                instrument,
                n,
                plan.risks,
                rng,
                grades=grades,
                enrolment_total=total,
                missing_rate=0.0 if audience == "administration" else 0.03,
            )
            response_rows += _response_rows(
                answers, campaign, link_of[(school.id, version.id)], version, today, rng
            )
            counts[code] += len(answers)
        if PRIMARY_FORM in fieldings and school.teaches_primary:
            _, version = fieldings[PRIMARY_FORM]
            grades = _primary_grades(school, response_rate, primary_rng)
            answers = simulate_answers(
                instrument_of(version), len(grades), plan.risks, primary_rng, grades=grades
            )
            response_rows += _response_rows(
                answers, campaign, link_of[(school.id, version.id)], version, today, primary_rng
            )
            counts[PRIMARY_FORM] += len(answers)
        for row in _assessments(plan, today.year, rng):
            result_rows.append({"school_id": school.id, **row})
    if response_rows:
        session.execute(insert(m.Response), response_rows)
    if result_rows:
        session.execute(insert(m.AssessmentResult), result_rows)

    truth = {
        "seed": seed,
        "planted": {prefix + p.code: p.planted for p in plans if p.planted},
        "risks": {prefix + p.code: p.risks for p in plans},
        "outcome_weights": OUTCOME_WEIGHTS,
    }
    district.settings = {"demo_truth": truth}
    logins: dict[str, str] = {}
    if with_users:
        logins = _demo_users(session, district, schools[0], prefix)
    session.flush()
    return DemoDistrict(
        district_id=district.id,
        campaign_id=campaign.id,
        schools=plans,
        truth=truth,
        counts=counts,
        logins=logins,
    )


def _primary_grades(school: m.School, response_rate: float, rng: np.random.Generator) -> np.ndarray:
    """The grades of a school's respondents to the grades 2–4 form: each grade's pupils
    (``enrolment_by_grade``) answer at ``response_rate``, in class like the older students."""
    by_grade = school.enrolment_by_grade or {}
    counts = [int(rng.binomial(int(by_grade.get(str(g), 0)), response_rate)) for g in (2, 3, 4)]
    grades = np.repeat(np.arange(2, 5), counts)
    rng.shuffle(grades)
    return grades


def _response_rows(
    answers: list[dict[str, Any]],
    campaign: m.Campaign,
    link: m.SurveyLink,
    version: m.InstrumentVersion,
    today: dt.date,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Rows of ``m.Response`` for ``answers`` given through ``link`` on days of the campaign
    up to ``today``."""
    days = (today - campaign.opens_on).days
    return [
        {
            "submission_id": str(_uuid(rng)),
            "campaign_id": campaign.id,
            "school_id": link.school_id,
            "link_id": link.id,
            "audience": link.audience,
            "instrument_version_id": version.id,
            "answers": answer,
            "status": m.ResponseStatus.complete.value,
            "submitted_on": campaign.opens_on + dt.timedelta(days=int(rng.integers(0, days + 1))),
            "duration_seconds": int(rng.gamma(6.0, 90.0)),
            "source": "demo",
        }
        for answer in answers
    ]


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def _demo_users(
    session: Session, district: m.District, school: m.School, prefix: str
) -> dict[str, str]:
    accounts = {
        "admin": ("admin", {}),
        "coordinator": ("coordinator", {"district_name": district.name}),
        "psychologist": ("psychologist", {"district_name": district.name}),
        "deputy": ("deputy", {"school_code": school.code}),
    }
    logins = {}
    for role, (login, scope) in accounts.items():
        login = f"{prefix.lower()}{login}"
        if session.scalar(select(m.User.id).where(m.User.login == login)) is None:
            create_user(session, login=login, password=DEMO_PASSWORD, role=role, **scope)
        logins[role] = login
    return logins
