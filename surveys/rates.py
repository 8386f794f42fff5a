"""Response counts and rates per school × audience (× class) against enrolment figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.instrument_store import instrument_of

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
    #: how many could answer (None where the school has no such figure, e.g. per class)
    eligible: int | None

    @property
    def rate(self) -> float | None:
        if not self.eligible:
            return None
        return min(self.complete / self.eligible, 1.0)


def eligible_students(school: m.School, grades: tuple[int, int] | None) -> int:
    """Students of the grades an instrument is for, from enrolment per level (pro rata)."""
    low, high = grades or (1, 11)
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
    if audience == "administration":
        return 1
    return None


def response_rates(
    session: Session, campaign: m.Campaign, school_ids: list[int] | None = None
) -> list[RateRow]:
    """One row per school × fielded audience, plus one per class link with answers."""
    fieldings = session.execute(
        select(m.Fielding.audience, m.InstrumentVersion)
        .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
        .where(m.Fielding.campaign_id == campaign.id)
    ).all()
    grades = {audience: instrument_of(version).grades for audience, version in fieldings}
    schools_query = (
        select(m.School)
        .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
        .where(m.CampaignSchool.campaign_id == campaign.id)
        .order_by(m.School.code)
    )
    if school_ids is not None:
        schools_query = schools_query.where(m.School.id.in_(school_ids))
    schools = list(session.scalars(schools_query))
    # (school, audience) -> (class, status) -> count
    counts: dict[tuple[int, str], dict[tuple[str | None, str], int]] = {}
    for school_id, audience, class_name, status, n in session.execute(
        select(
            m.Response.school_id,
            m.Response.audience,
            m.Response.class_name,
            m.Response.status,
            func.count(),
        )
        .where(m.Response.campaign_id == campaign.id)
        .group_by(
            m.Response.school_id, m.Response.audience, m.Response.class_name, m.Response.status
        )
    ):
        counts.setdefault((school_id, audience), {})[(class_name, status)] = n
    audiences = [a for a in m.AudienceKind if a.value in grades]
    rows = []
    for school in schools:
        for kind in audiences:
            audience = kind.value
            cells = counts.get((school.id, audience), {})
            rows.append(
                RateRow(
                    school.code,
                    school.name,
                    audience,
                    None,
                    _total(cells, "complete"),
                    _total(cells, "partial"),
                    _eligible(school, audience, grades[audience]),
                )
            )
            for class_name in sorted({c for c, _ in cells if c}):
                rows.append(
                    RateRow(
                        school.code,
                        school.name,
                        audience,
                        class_name,
                        cells.get((class_name, "complete"), 0),
                        cells.get((class_name, "partial"), 0),
                        None,
                    )
                )
    return rows


def _total(cells: dict[tuple[str | None, str], int], status: str) -> int:
    return sum(n for (_, st), n in cells.items() if st == status)
