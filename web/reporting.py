"""Assembles a school's reference from the database (via surveys.dataset) and analysis."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.report import ReferenceModel, build_school_reference
from instruments.risk_factors import builtin_risk_factors
from surveys import models as m
from surveys.campaigns import get_campaign
from surveys.dataset import assessment_frame, audience_data
from surveys.errors import NotFound

AUDIENCE_ORDER = ("student", "parent", "teacher", "specialist", "administration")


def school_in_campaign(session: Session, campaign: m.Campaign, school_code: str) -> m.School:
    school = session.scalar(
        select(m.School)
        .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
        .where(m.CampaignSchool.campaign_id == campaign.id, m.School.code == school_code)
    )
    if school is None:
        raise NotFound(f"Школа «{school_code}» не участвует в кампании {campaign.id}.")
    return school


def school_reference(session: Session, campaign_id: int, school_code: str) -> ReferenceModel:
    campaign = get_campaign(session, campaign_id)
    school = school_in_campaign(session, campaign, school_code)
    district = session.get(m.District, campaign.district_id)
    fielded = set(
        session.scalars(select(m.Fielding.audience).where(m.Fielding.campaign_id == campaign.id))
    )
    audiences = []
    for audience in (a for a in AUDIENCE_ORDER if a in fielded):
        data = audience_data(session, campaign.id, audience)
        audiences.append((audience, data.instrument, data.answers))
    school_codes = list(
        session.scalars(
            select(m.School.code)
            .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
            .where(m.CampaignSchool.campaign_id == campaign.id)
        )
    )
    return build_school_reference(
        school_code=school.code,
        school_name=school.name,
        district_name=district.name if district else "",
        campaign_title=campaign.title,
        period=campaign.period,
        min_group_size=campaign.min_group_size,
        audiences=audiences,
        catalogue=builtin_risk_factors(),
        results=assessment_frame(session, school_codes),
    )
