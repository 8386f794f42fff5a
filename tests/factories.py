"""Test factories: the smallest valid objects, each overridable (CTFd style)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.campaigns import create_campaign, create_links
from surveys.instrument_store import latest_version, load_builtin_instruments
from surveys.responses import new_submission_id
from surveys.users import create_user

TODAY = dt.date.today()
_serial = itertools.count(1)
PASSWORD = "correct-horse-42"


def make_district(db: Session, **overrides: Any) -> m.District:
    district = m.District(**{"name": f"Район {next(_serial)}", **overrides})
    db.add(district)
    db.flush()
    return district


def make_school(db: Session, district: m.District | None = None, **overrides: Any) -> m.School:
    district = district or make_district(db)
    values: dict[str, Any] = {
        "code": f"T{db.query(m.School).count() + 1:03d}",
        "name": "МБОУ «Тестовая школа»",
        "locality": "urban",
        "enrolment_basic": 300,
    }
    values.update(overrides)
    school = m.School(district_id=district.id, **values)
    db.add(school)
    db.flush()
    return school


def make_campaign(
    db: Session,
    schools: list[m.School],
    *,
    audiences: dict[str, str] | None = None,
    forms: list[str] | None = None,
    opens_on: dt.date | None = None,
    closes_on: dt.date | None = None,
    **overrides: Any,
) -> m.Campaign:
    """An open campaign fielding built-in instruments (the student form by default):
    ``audiences`` maps an audience to its one form's code, ``forms`` lists instrument codes
    (several may share an audience, e.g. ``["student_2_4", "student_5_11"]``)."""
    load_builtin_instruments(db)
    district = db.get(m.District, schools[0].district_id)
    assert district is not None
    if forms is not None:
        fieldings: Any = [latest_version(db, code) for code in forms]
    else:
        audiences = audiences or {"student": "student_5_11"}
        fieldings = {a: latest_version(db, code) for a, code in audiences.items()}
    campaign = create_campaign(
        db,
        district=district,
        title=overrides.pop("title", "Тестовая кампания"),
        opens_on=opens_on or TODAY - dt.timedelta(days=10),
        closes_on=closes_on or TODAY + dt.timedelta(days=10),
        schools=schools,
        fieldings=fieldings,
        **overrides,
    )
    create_links(db, campaign)
    return campaign


def make_user(db: Session, role: str = "admin", **overrides: Any) -> m.User:
    values: dict[str, Any] = {
        "login": f"{role}-{db.query(m.User).count() + 1}",
        "password": PASSWORD,
    }
    values.update(overrides)
    return create_user(db, role=role, **values)


def link_for(
    db: Session,
    campaign: m.Campaign,
    school: m.School,
    audience: str = "student",
    *,
    form: str | None = None,
) -> m.SurveyLink:
    """The school-wide open link of an audience (of its one form, or of the instrument
    ``form`` names when the campaign fields several)."""
    query = (
        select(m.SurveyLink)
        .join(m.Fielding, m.Fielding.id == m.SurveyLink.fielding_id)
        .where(
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.school_id == school.id,
            m.SurveyLink.audience == audience,
            m.SurveyLink.class_name.is_(None),
            m.SurveyLink.requires_token.is_(False),
        )
    )
    if form is not None:
        query = (
            query.join(
                m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id
            )
            .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
            .where(m.Instrument.code == form)
        )
    return db.scalars(query).one()


def make_response(db: Session, link: m.SurveyLink, **overrides: Any) -> m.Response:
    """A complete response through ``link``, on the version of the form the link opens
    (stored as the web path stores one: date only, no flags)."""
    version = db.scalar(
        select(m.Fielding.instrument_version_id).where(m.Fielding.id == link.fielding_id)
    )
    assert version is not None, f"link {link.code} opens no fielded form"
    values: dict[str, Any] = {
        "submission_id": new_submission_id(),
        "campaign_id": link.campaign_id,
        "school_id": link.school_id,
        "link_id": link.id,
        "audience": link.audience,
        "class_name": link.class_name,
        "instrument_version_id": version,
        "answers": {},
        "status": m.ResponseStatus.complete.value,
        "submitted_on": TODAY,
        "flags": [],
    }
    values.update(overrides)
    response = m.Response(**values)
    db.add(response)
    return response
