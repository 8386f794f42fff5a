"""Submissions: validated against the pinned version, idempotent, nothing stored when bad."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.campaigns import resolve_link
from surveys.errors import AnswersInvalid, InvalidInput, LinkClosed, NotFound
from surveys.responses import new_submission_id, submit_response
from tests.factories import TODAY, link_for, make_campaign, make_district, make_school

ANSWERS = {"grade": "6", "mot_int_1": "4", "bul_1": "1"}


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(m.Response)) or 0


def test_same_submission_id_stores_one_row(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school])
    opened = resolve_link(db, link_for(db, campaign, school).code, today=TODAY)
    sid = new_submission_id()
    first, created = submit_response(db, opened, submission_id=sid, answers=ANSWERS, today=TODAY)
    again, created_again = submit_response(
        db, opened, submission_id=sid, answers=ANSWERS, today=TODAY
    )
    db.commit()
    assert created and not created_again
    assert first.id == again.id
    assert _count(db) == 1
    stored = db.scalars(select(m.Response)).one()
    assert stored.answers == {"grade": 6, "mot_int_1": 4, "bul_1": 1}
    assert stored.submitted_on == TODAY  # a date, never a time of day
    assert stored.instrument_version_id == opened.version.id


def test_invalid_answers_store_nothing(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school])
    opened = resolve_link(db, link_for(db, campaign, school).code, today=TODAY)
    with pytest.raises(AnswersInvalid) as info:
        submit_response(
            db,
            opened,
            submission_id=new_submission_id(),
            answers={"grade": "6", "mot_int_1": "9"},
            today=TODAY,
        )
    assert "mot_int_1" in info.value.errors
    with pytest.raises(InvalidInput):
        submit_response(db, opened, submission_id="not-a-uuid", answers=ANSWERS, today=TODAY)
    db.commit()
    assert _count(db) == 0


def test_links_outside_dates_or_closed_refuse(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(
        db, [school], opens_on=TODAY + dt.timedelta(days=1), closes_on=TODAY + dt.timedelta(days=5)
    )
    code = link_for(db, campaign, school).code
    with pytest.raises(LinkClosed, match="начнётся"):
        resolve_link(db, code, today=TODAY)
    with pytest.raises(LinkClosed, match="завершился"):
        resolve_link(db, code, today=TODAY + dt.timedelta(days=6))
    campaign.status = m.CampaignStatus.closed.value
    db.flush()
    with pytest.raises(LinkClosed, match="закрыт"):
        resolve_link(db, code, today=TODAY + dt.timedelta(days=2))
    with pytest.raises(NotFound):
        resolve_link(db, "no-such-code", today=TODAY)


def test_link_codes_are_long_and_unique(db: Session) -> None:
    district = make_district(db)
    schools = [make_school(db, district, code=f"L{i}") for i in range(5)]
    campaign = make_campaign(db, schools, audiences={"student": "student_5_11", "parent": "parent"})
    codes = db.scalars(
        select(m.SurveyLink.code).where(m.SurveyLink.campaign_id == campaign.id)
    ).all()
    assert len(codes) == 10 == len(set(codes))
    assert all(len(c) >= 13 for c in codes)  # 80 random bits in URL-safe base64
