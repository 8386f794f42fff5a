"""Assembles a school's reference from the database (via surveys.dataset) and analysis."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.memo import memo_scope
from analysis.report import ReferenceModel, build_school_reference
from analysis.report.dynamics_section import Wave
from analysis.report.russian import ru_dates
from instruments.risk_factors import builtin_risk_factors
from surveys import models as m
from surveys.benchmarks import Answers, campaign_benchmark
from surveys.campaigns import get_campaign
from surveys.dataset import assessment_frame, assessment_history, school_status_frame
from surveys.errors import NotFound
from web.reference_cache import campaign_entry, keep_compiled_templates, persist
from web.reference_facts import study_facts

__all__ = ["previous_wave", "school_in_campaign", "school_reference"]


def school_in_campaign(session: Session, campaign: m.Campaign, school_code: str) -> m.School:
    school = session.scalar(
        select(m.School)
        .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
        .where(m.CampaignSchool.campaign_id == campaign.id, m.School.code == school_code)
    )
    if school is None:
        raise NotFound(f"Школа «{school_code}» не участвует в кампании {campaign.id}.")
    return school


def previous_wave(session: Session, campaign: m.Campaign, data: Answers | None) -> Wave | None:
    """The campaign's previous wave, if it has one, with ``data``: its answers to the forms
    both waves fielded (:func:`web.reference_cache.campaign_entry`)."""
    if campaign.previous_campaign_id is None or data is None:
        return None
    previous = get_campaign(session, campaign.previous_campaign_id)
    return Wave(
        title=previous.title,
        min_group_size=previous.min_group_size,
        data=data,
        dates=ru_dates(previous.opens_on, previous.closes_on),
    )


def school_reference(
    session: Session, campaign_id: int, school_code: str, *, one_shot: bool = False
) -> ReferenceModel:
    """The reference of ``school_code`` in the campaign. The campaign's answers and their
    district-wide analysis come from :mod:`web.reference_cache` (computed once per campaign
    and state of its answers); what is cheap to read is read afresh. ``one_shot``: the
    process ends after this reference (the command line), so the school's own part is kept
    on disk too, for the same command run again (:func:`web.reference_cache.persist`)."""
    campaign = get_campaign(session, campaign_id)
    school = school_in_campaign(session, campaign, school_code)
    district = session.get(m.District, campaign.district_id)
    entry = campaign_entry(session, campaign)
    keep_compiled_templates()
    answers = entry.answers
    forms = [(code, instrument, frame) for code, (instrument, frame) in answers.items()]
    school_codes = list(
        session.scalars(
            select(m.School.code)
            .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
            .where(m.CampaignSchool.campaign_id == campaign.id)
        )
    )
    with memo_scope(entry.store):
        model = build_school_reference(
            school_code=school.code,
            school_name=school.name,
            district_name=district.name if district else "",
            campaign_title=campaign.title,
            period=campaign.period,
            min_group_size=campaign.min_group_size,
            audiences=forms,
            catalogue=builtin_risk_factors(),
            results=assessment_frame(session, school_codes),
            status=school_status_frame(session, school_codes),
            benchmark=campaign_benchmark(session, campaign),
            previous=previous_wave(session, campaign, entry.previous),
            study=study_facts(session, campaign, school, district),
            assessment_history=assessment_history(session, school_codes),
        )
    persist(entry, again=one_shot)
    return model
