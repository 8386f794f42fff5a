"""Demo district generator: schools, accounts, a campaign and answers drawn from a latent model
(:mod:`surveys.demo_answers`).

Each school has a risk value per factor; a few schools get one cause planted on purpose.
Students answer the form of their grade: the campaign fields the grades 5–11 questionnaire and
the grades 2–4 one, and each school's pupils of grades 2–4 answer the short form. Each support
specialist on a school's card (psychologist, speech therapist, social pedagogue: none in the
smallest schools, up to three in the largest) answers the specialists' form.
Assessment results (ВПР/ОГЭ-style mean mark and share of failing marks) depend on the school's
risks, so later analysis can be checked against the planted truth kept in
``District.settings["demo_truth"]``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.campaigns import create_campaign, create_links
from surveys.demo_answers import FACTORS, OUTCOME_WEIGHTS, simulate_answers
from surveys.errors import NotFound
from surveys.instrument_store import instrument_of, latest_version, load_builtin_instruments
from surveys.users import create_user

# Planted causes, in order of school index (0-based); schools not listed get none.
PLANTED = {2: "wellbeing", 4: "burnout", 6: "parents", 8: "motivation", 10: "discipline"}
PLANTED_SHIFT = 1.5
SCHOOL_SD = 0.3

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
    ("specialist", "specialist"),
    ("administration", "administration"),
)
PRIMARY_FORM = "student_2_4"
#: the support specialists' form: answered by the specialists the school card lists
SPECIALIST_FORM = "specialist"
#: the specialists' form's ``position`` value of each post of the school card
POSTS = {"has_psychologist": 1, "has_speech_specialist": 2, "has_social_pedagogue": 4}
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


#: the administration form's question on each post of the school card
STAFF_QUESTIONS = {
    "has_psychologist": "has_psychologist",
    "has_speech_specialist": "has_speech_therapist",
    "has_social_pedagogue": "has_social_pedagogue",
}


def _staff_answers(plan: SchoolPlan, drawn: dict[str, Any]) -> dict[str, int]:
    """The administration's answers on its specialists, agreeing with the school card: «Есть в
    штате» (1) for a post the card lists; for one it does not, the answer drawn from the
    school's staffing risk («По совместительству или по договору» or «Нет»), never «в штате»."""
    card = specialists(plan)
    return {
        question: 1 if card[flag] else max(2, int(drawn.get(question, 3)))
        for flag, question in STAFF_QUESTIONS.items()
    }


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
    # So do the specialists' answers.
    specialist_rng = np.random.default_rng([seed, 7])

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
            if code in (PRIMARY_FORM, SPECIALIST_FORM):
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
            if audience == "administration":
                # The administration says who is on the staff as the school card does (the
                # specialists it lists are those who answer the specialists' form).
                for answer in answers:
                    answer.update(_staff_answers(plan, answer))
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
        if SPECIALIST_FORM in fieldings:
            _, version = fieldings[SPECIALIST_FORM]
            posts = np.array([v for flag, v in POSTS.items() if specialists(plan)[flag]])
            answers = simulate_answers(
                instrument_of(version),
                len(posts),
                plan.risks,
                specialist_rng,
                given={"position": posts},
            )
            response_rows += _response_rows(
                answers, campaign, link_of[(school.id, version.id)], version, today, specialist_rng
            )
            counts[SPECIALIST_FORM] += len(answers)
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
