"""The facts of a school's reference that are not answers: the campaign's dates and settings,
the school's enrolment and its response counts per form (as the campaign page counts them),
its support specialists, and who signs the document; read from the database as plain data
for the analysis."""

from __future__ import annotations

from sqlalchemy.orm import Session

from analysis.report.coverage import BY_LEVEL
from analysis.report.front_matter import Preparer
from analysis.report.study import FormFacts, Specialists, StudyFacts
from surveys import models as m
from surveys.campaign_forms import campaign_forms
from surveys.rates import LEVELS, eligible_students, response_rates


def study_facts(
    session: Session, campaign: m.Campaign, school: m.School, district: m.District | None
) -> StudyFacts:
    """The campaign's dates, status and flagged-answer setting, the school's short name and
    region, and per form the version, the school's complete, flagged and unfinished responses
    and how many could answer, in all and per level of education."""
    rows = {
        row.fielding_id: row
        for row in response_rates(session, campaign, [school.id])
        if row.class_name is None
    }
    forms = []
    for form in campaign_forms(session, campaign.id):
        row = rows.get(form.fielding_id)
        by_level: dict[str, int] = {}
        if form.audience in BY_LEVEL:
            low, high = form.grades or (1, 11)
            for level, (first, last) in LEVELS.items():
                span = (max(low, first), min(high, last))
                if span[0] <= span[1] and (pupils := eligible_students(school, span)):
                    by_level[level] = pupils
        forms.append(
            FormFacts(
                key=form.instrument_code,
                version=form.version,
                complete=row.complete if row else 0,
                flagged=row.flagged if row else 0,
                partial=row.partial if row else 0,
                eligible=row.eligible if row else None,
                eligible_by_level=by_level,
            )
        )
    return StudyFacts(
        opens_on=campaign.opens_on,
        closes_on=campaign.closes_on,
        status=campaign.status,
        exclude_flagged=campaign.exclude_flagged,
        school_short_name=school.short_name,
        region=district.region if district is not None else "",
        forms=tuple(forms),
        specialists=specialists_of(school),
    )


def specialists_of(school: m.School) -> Specialists:
    """The support specialists the school's card lists (set by the schools import): on the
    staff or not at all, as the card does not tell a part-time one apart."""
    return Specialists(
        psychologist="staff" if school.has_psychologist else "none",
        speech_therapist="staff" if school.has_speech_specialist else "none",
        social_pedagogue="staff" if school.has_social_pedagogue else "none",
    )


def preparer_of(user: m.User) -> Preparer | None:
    """The signed-in user as the reference's author (None without a full name: the
    document then leaves a line to fill in)."""
    name = " ".join((user.full_name or "").split())
    if not name:
        return None
    return Preparer(name=name, position=" ".join((user.position or "").split()))
