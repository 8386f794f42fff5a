"""What the staff pages share: objects looked up within the signed-in user's scope (the rules
are surveys.access's), the audit of a request."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from surveys import access, audit
from surveys import models as m
from web.auth import current_user
from web.db import get_session


def school_or_404(user: m.User, code: str) -> m.School:
    """The school ``code`` if ``user`` may see it.

    The same answer for "no such school" and "not yours": codes are not secret, but a deputy
    should not learn which codes exist elsewhere from the status.
    """
    school = get_session().scalar(select(m.School).where(m.School.code == code))
    if school is None or not access.can_see_school(user, school):
        abort(404)
    return school


def campaign_or_404(user: m.User, campaign_id: int) -> m.Campaign:
    """The campaign if ``user`` may see it (its district's staff; a deputy only where their
    school takes part); 404 otherwise."""
    db = get_session()
    campaign = db.get(m.Campaign, campaign_id)
    if campaign is None or not access.can_see_campaign(db, user, campaign):
        abort(404)
    return campaign


def managed_campaign_or_404(user: m.User, campaign_id: int) -> m.Campaign:
    """The campaign if ``user`` may change it; one they may only see is forbidden (403)."""
    campaign = campaign_or_404(user, campaign_id)
    if not access.can_manage_campaign(get_session(), user, campaign):
        abort(403)
    return campaign


def school_link_or_404(
    user: m.User, campaign: m.Campaign, code: str
) -> tuple[m.SurveyLink, m.School]:
    """An open (not personal-token) link of ``campaign`` and its school, if ``user`` may see
    the school."""
    db = get_session()
    link = db.scalar(
        select(m.SurveyLink).where(
            m.SurveyLink.code == code,
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.requires_token.is_(False),
        )
    )
    school = db.get(m.School, link.school_id) if link else None
    if link is None or school is None or not access.can_see_school(user, school):
        abort(404)
    return link, school


def record_and_commit(action: str, target: str, details: dict[str, object] | None = None) -> None:
    """Record ``action`` by the signed-in user in the audit log and commit the request's work
    with it (a view or download is recorded before its content is sent)."""
    user = current_user()
    db = get_session()
    audit.record(db, action, user_id=user.id if user else None, target=target, details=details)
    db.commit()
