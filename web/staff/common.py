"""What the staff pages share: scoping helpers and labels."""

from __future__ import annotations

from flask import (
    abort,
)
from sqlalchemy import select

from surveys import audit
from surveys import models as m
from surveys.users import can_see_school
from web.auth import current_user
from web.db import get_session

AUDIENCE_NAMES = {
    "student": "обучающиеся",
    "parent": "родители",
    "teacher": "педагоги",
    "specialist": "специалисты",
    "administration": "администрация",
}


def school_or_404(code: str) -> m.School:
    db = get_session()
    school = db.scalar(select(m.School).where(m.School.code == code))
    user = current_user()
    # The same answer for "no such school" and "not yours": codes are not secret, but
    # a deputy should not learn which codes exist elsewhere from the status.
    if school is None or user is None or not can_see_school(user, school):
        abort(404)
    return school


def campaign_or_404(campaign_id: int) -> m.Campaign:
    user = current_user()
    campaign = get_session().get(m.Campaign, campaign_id)
    if campaign is None or user is None:
        abort(404)
    if user.role != m.Role.admin and campaign.district_id != district_of(user):
        abort(404)
    return campaign


def district_of(user: m.User) -> int | None:
    if user.district_id is not None:
        return user.district_id
    if user.school_id is not None:
        school = get_session().get(m.School, user.school_id)
        return school.district_id if school else None
    return None


def school_link_or_404(campaign: m.Campaign, code: str) -> tuple[m.SurveyLink, m.School]:
    db = get_session()
    user = current_user()
    link = db.scalar(
        select(m.SurveyLink).where(
            m.SurveyLink.code == code,
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.requires_token.is_(False),
        )
    )
    school = db.get(m.School, link.school_id) if link else None
    if link is None or school is None or user is None or not can_see_school(user, school):
        abort(404)
    return link, school


def record_and_commit(action: str, target: str, details: dict[str, object] | None = None) -> None:
    """Record ``action`` by the signed-in user in the audit log and commit the request's work
    with it (a view or download is recorded before its content is sent)."""
    user = current_user()
    db = get_session()
    audit.record(db, action, user_id=user.id if user else None, target=target, details=details)
    db.commit()
