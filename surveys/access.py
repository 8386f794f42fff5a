"""Who may see or change what: every access rule of the staff side in one place.

Views, CLI commands and downloads ask these functions and never compare roles or districts
themselves. The rules:

========================  =========================================================
role                      scope
========================  =========================================================
administrator (admin)     every district, school, campaign, account and the audit log
coordinator               their district: its schools (create, edit, deactivate), its
                          campaigns (create, open, close, settings), assessment results,
                          the deputies' and psychologists' accounts of the district,
                          respondent-level exports of its campaigns
psychologist              their district's schools and campaigns (read), instruments
                          (design, publish, field into the district's open campaigns),
                          respondent-level exports of the district's campaigns
deputy                    their own school: its pages, references, links and class links
                          of campaigns it is in, aggregates only (no respondent-level data)
========================  =========================================================

An object outside a user's scope is reported as missing (404), not forbidden, so that ids
and codes elsewhere cannot be probed; an action the role never has is forbidden (403).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from surveys import models as m

ADMIN = m.Role.admin.value
COORDINATOR = m.Role.coordinator.value
PSYCHOLOGIST = m.Role.psychologist.value
DEPUTY = m.Role.deputy.value

# Which roles may open a group of pages at all (``web.auth.requires_role(*ROLES)``); which
# objects on them, and which actions, the functions below decide.

#: roles that create districts and read the audit log
ADMINS = (ADMIN,)
#: roles that design instruments
DESIGNERS = (PSYCHOLOGIST, ADMIN)
#: roles that run campaigns, keep a district's schools and manage accounts
MANAGERS = (ADMIN, COORDINATOR)
#: roles that hand out class links and slips of personal codes (:func:`can_hand_out_links`)
LINK_HANDLERS = (ADMIN, COORDINATOR, DEPUTY)
#: roles that may download respondent-level answers
EXPORTERS = (ADMIN, COORDINATOR, PSYCHOLOGIST)
#: roles a coordinator may create and manage in their district
COORDINATOR_MANAGES = (DEPUTY, PSYCHOLOGIST)


def is_admin(user: m.User) -> bool:
    return user.role == ADMIN


def district_id_of(session: Session, user: m.User) -> int | None:
    """The district a non-admin works in (a deputy's through their school); None for an
    administrator, who is not tied to one."""
    if user.district_id is not None:
        return user.district_id
    if user.school_id is not None:
        school = session.get(m.School, user.school_id)
        return school.district_id if school else None
    return None


# --- districts -------------------------------------------------------------------------


def visible_districts(user: m.User) -> Select[Any]:
    query = select(m.District).order_by(m.District.name)
    if is_admin(user):
        return query
    if user.district_id is None:
        return query.where(false())
    return query.where(m.District.id == user.district_id)


def can_create_district(user: m.User) -> bool:
    return user.role in ADMINS


def can_manage_district(user: m.User, district_id: int) -> bool:
    """Whether ``user`` may add, edit and deactivate the district's schools."""
    if is_admin(user):
        return True
    return user.role == COORDINATOR and user.district_id == district_id


# --- schools ---------------------------------------------------------------------------


def visible_schools(user: m.User) -> Select[Any]:
    """The schools an account may see: its school, its district's, or all for an admin."""
    query = select(m.School).order_by(m.School.code)
    if is_admin(user):
        return query
    if user.school_id is not None:
        return query.where(m.School.id == user.school_id)
    if user.district_id is not None:
        return query.where(m.School.district_id == user.district_id)
    return query.where(false())  # an unscoped non-admin sees nothing


def can_see_school(user: m.User, school: m.School) -> bool:
    if is_admin(user):
        return True
    if user.school_id is not None:
        return user.school_id == school.id
    return user.district_id is not None and user.district_id == school.district_id


def can_manage_school(user: m.User, school: m.School) -> bool:
    return can_manage_district(user, school.district_id)


# --- campaigns -------------------------------------------------------------------------


def visible_campaigns(session: Session, user: m.User) -> Select[Any]:
    """Campaigns of the user's district (all for an admin); a deputy's only where their
    school takes part."""
    query = select(m.Campaign).order_by(m.Campaign.opens_on.desc(), m.Campaign.id.desc())
    if is_admin(user):
        return query
    if user.role == DEPUTY:
        if user.school_id is None:
            return query.where(false())
        return query.join(m.CampaignSchool, m.CampaignSchool.campaign_id == m.Campaign.id).where(
            m.CampaignSchool.school_id == user.school_id
        )
    district_id = district_id_of(session, user)
    if district_id is None:
        return query.where(false())
    return query.where(m.Campaign.district_id == district_id)


def can_see_campaign(session: Session, user: m.User, campaign: m.Campaign) -> bool:
    if is_admin(user):
        return True
    if user.role == DEPUTY:
        if user.school_id is None:
            return False
        return session.get(m.CampaignSchool, (campaign.id, user.school_id)) is not None
    return district_id_of(session, user) == campaign.district_id


def can_manage_campaign(session: Session, user: m.User, campaign: m.Campaign) -> bool:
    """Open, close, change settings, freeze benchmarks, copy to the next wave."""
    if is_admin(user):
        return True
    return user.role == COORDINATOR and user.district_id == campaign.district_id


def can_create_campaign(user: m.User, district_id: int) -> bool:
    return can_manage_district(user, district_id)


def can_hand_out_links(session: Session, user: m.User, school: m.School) -> bool:
    """Class links, enrolment of a class link, slips of personal tokens for a school."""
    if user.role == DEPUTY:
        return user.school_id == school.id
    return can_manage_district(user, school.district_id)


def can_export_responses(session: Session, user: m.User, campaign: m.Campaign) -> bool:
    """Respondent-level answers, codebooks and per-respondent scale scores."""
    if user.role not in EXPORTERS:
        return False
    return is_admin(user) or district_id_of(session, user) == campaign.district_id


def can_import_responses(session: Session, user: m.User, campaign: m.Campaign) -> bool:
    return can_manage_campaign(session, user, campaign)


def can_import_results(user: m.User) -> bool:
    return user.role in MANAGERS


# --- instruments -----------------------------------------------------------------------


def can_design(user: m.User) -> bool:
    return user.role in DESIGNERS


def fieldable_campaigns(session: Session, user: m.User) -> Select[Any]:
    """Campaigns (not closed) a designer may put a published version into."""
    return visible_campaigns(session, user).where(
        m.Campaign.status != m.CampaignStatus.closed.value
    )


# --- accounts --------------------------------------------------------------------------


def manageable_roles(user: m.User) -> tuple[str, ...]:
    if is_admin(user):
        return tuple(r.value for r in m.Role)
    if user.role == COORDINATOR:
        return COORDINATOR_MANAGES
    return ()


def visible_users(session: Session, user: m.User) -> Select[Any]:
    """Accounts ``user`` may list and manage."""
    query = select(m.User).order_by(m.User.login)
    if is_admin(user):
        return query
    if user.role != COORDINATOR or user.district_id is None:
        return query.where(false())
    in_district = select(m.School.id).where(m.School.district_id == user.district_id)
    return query.where(
        m.User.role.in_(COORDINATOR_MANAGES),
        (m.User.district_id == user.district_id) | m.User.school_id.in_(in_district),
    )


def can_manage_user(session: Session, user: m.User, target: m.User) -> bool:
    if is_admin(user):
        return True
    if user.role != COORDINATOR or target.role not in COORDINATOR_MANAGES:
        return False
    return district_id_of(session, target) == user.district_id


# --- audit -----------------------------------------------------------------------------


def can_read_audit(user: m.User) -> bool:
    return user.role in ADMINS


# --- administration of districts and schools -------------------------------------------


def can_manage_schools(user: m.User) -> bool:
    """Whether the page of districts and schools is open to ``user`` (which districts on it:
    :func:`visible_districts`; which changes: :func:`can_manage_district`)."""
    return user.role in MANAGERS
