"""Response counts and rates per school × form (× class) against enrolment figures."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.campaign_forms import campaign_forms

# Grades of each level of education (НОО, ООО, СОО).
LEVELS = {"primary": (1, 4), "basic": (5, 9), "secondary": (10, 11)}


@dataclass(frozen=True)
class RateRow:
    school_code: str
    school_name: str
    audience: str
    class_name: str | None
    complete: int
    partial: int
    #: how many could answer: the school's figures for a school × audience row, the number
    #: entered for a class link (None where there is no such figure)
    eligible: int | None
    #: complete responses with data-quality flags (too fast, straight-lining)
    flagged: int = 0
    #: the form (fielding) of the row and its short title ("2–4 классы")
    fielding_id: int | None = None
    form: str = ""

    @property
    def rate(self) -> float | None:
        if not self.eligible:
            return None
        return min(self.complete / self.eligible, 1.0)


def eligible_students(school: m.School, grades: tuple[int, int] | None) -> int:
    """Students of the grades an instrument is for: the school's enrolment in those grades
    when it is known per grade, else pro rata from its enrolment per level."""
    low, high = grades or (1, 11)
    by_grade = school.enrolment_by_grade or {}
    if by_grade:
        return sum(int(by_grade.get(str(g)) or 0) for g in range(low, high + 1))
    total = 0.0
    for level, (first, last) in LEVELS.items():
        overlap = max(0, min(high, last) - max(low, first) + 1)
        total += getattr(school, f"enrolment_{level}") * overlap / (last - first + 1)
    return round(total)


def _eligible(school: m.School, audience: str, grades: tuple[int, int] | None) -> int | None:
    if audience in ("student", "parent"):  # a parent per child is the usual denominator
        return eligible_students(school, grades)
    if audience == "teacher":
        return school.teachers or None
    if audience == "specialist":
        return support_specialists(school)
    if audience == "administration":
        return 1
    return None


def support_specialists(school: m.School) -> int | None:
    """The specialists who could answer the specialists' form: one per post the school card
    says the school has on its staff (педагог-психолог; учитель-логопед or учитель-дефектолог;
    социальный педагог), so 0–3; None when it has none. A lower bound where one post is held
    by two people (a speech therapist and a special-needs teacher count as one); the card
    records posts, not headcount."""
    count = sum(
        bool(flag)
        for flag in (
            school.has_psychologist,
            school.has_speech_specialist,
            school.has_social_pedagogue,
        )
    )
    return count or None


def class_sort_key(class_name: str) -> tuple[int, str]:
    """Classes in school order: 5А, 5Б, 7Б, 10А (not 10А before 5А)."""
    digits = "".join(itertools.takewhile(str.isdigit, class_name))
    return (int(digits) if digits else 99, class_name[len(digits) :])


#: a complete response's quality flags are stored as a JSON list, "[]" when there are none
_FLAGGED = case((cast(m.Response.flags, String) != "[]", 1), else_=0)


def response_rates(
    session: Session, campaign: m.Campaign, school_ids: list[int] | None = None
) -> list[RateRow]:
    """One row per school × fielded form, and one per class of it: every class that has an
    open class link (answered or not) and any class seen only in responses. A response
    counts for the form of the version it answered (a version no longer fielded counts for
    its audience's first form)."""
    forms = campaign_forms(session, campaign.id)
    form_of_version = {f.version_id: f.fielding_id for f in forms}
    first_of_audience: dict[str, int] = {}
    for f in forms:
        first_of_audience.setdefault(f.audience, f.fielding_id)
    schools_query = (
        select(m.School)
        .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
        .where(m.CampaignSchool.campaign_id == campaign.id)
        .order_by(m.School.code)
    )
    if school_ids is not None:
        schools_query = schools_query.where(m.School.id.in_(school_ids))
    schools = list(session.scalars(schools_query))
    # Only the schools asked for are counted (a school's reference: a fortieth of the
    # campaign's responses to group).
    responses = m.Response.campaign_id == campaign.id
    links = m.SurveyLink.campaign_id == campaign.id
    if school_ids is not None:
        responses &= m.Response.school_id.in_(school_ids)
        links &= m.SurveyLink.school_id.in_(school_ids)
    # (school, form) -> (class, status) -> (count, flagged)
    counts: dict[tuple[int, int], dict[tuple[str | None, str], tuple[int, int]]] = {}
    for school_id, audience, version_id, class_name, status, n, flagged in session.execute(
        select(
            m.Response.school_id,
            m.Response.audience,
            m.Response.instrument_version_id,
            m.Response.class_name,
            m.Response.status,
            func.count(),
            func.sum(_FLAGGED),
        )
        .where(responses)
        .group_by(
            m.Response.school_id,
            m.Response.audience,
            m.Response.instrument_version_id,
            m.Response.class_name,
            m.Response.status,
        )
    ):
        fielding_id = form_of_version.get(version_id, first_of_audience.get(audience))
        if fielding_id is None:
            continue
        cells = counts.setdefault((school_id, fielding_id), {})
        earlier = cells.get((class_name, status), (0, 0))
        cells[(class_name, status)] = (earlier[0] + n, earlier[1] + (flagged or 0))
    # (school, form) -> class -> the number entered for its open class link (or None)
    classes: dict[tuple[int, int], dict[str, int | None]] = {}
    for school_id, fielding_id, class_name, enrolment in session.execute(
        select(
            m.SurveyLink.school_id,
            m.SurveyLink.fielding_id,
            m.SurveyLink.class_name,
            m.SurveyLink.enrolment,
        ).where(
            links,
            m.SurveyLink.class_name.is_not(None),
            m.SurveyLink.requires_token.is_(False),
        )
    ):
        if class_name is not None and fielding_id is not None:
            classes.setdefault((school_id, fielding_id), {})[class_name] = enrolment
    rows = []
    for school in schools:
        for form in forms:
            key = (school.id, form.fielding_id)
            cells = counts.get(key, {})
            rows.append(
                RateRow(
                    school.code,
                    school.name,
                    form.audience,
                    None,
                    _total(cells, "complete"),
                    _total(cells, "partial"),
                    _eligible(school, form.audience, form.grades),
                    _total(cells, "complete", flagged=True),
                    form.fielding_id,
                    form.short_title,
                )
            )
            enrolments = classes.get(key, {})
            seen = set(enrolments) | {c for c, _ in cells if c}
            for class_name in sorted(seen, key=class_sort_key):
                complete, flagged = cells.get((class_name, "complete"), (0, 0))
                rows.append(
                    RateRow(
                        school.code,
                        school.name,
                        form.audience,
                        class_name,
                        complete,
                        cells.get((class_name, "partial"), (0, 0))[0],
                        enrolments.get(class_name),
                        flagged,
                        form.fielding_id,
                        form.short_title,
                    )
                )
    return rows


def _total(
    cells: dict[tuple[str | None, str], tuple[int, int]], status: str, *, flagged: bool = False
) -> int:
    return sum(cell[1 if flagged else 0] for (_, st), cell in cells.items() if st == status)
