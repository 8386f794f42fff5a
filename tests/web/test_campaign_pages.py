"""The campaign page: response counts and rates by school and audience, links and QR codes,
scoped to what the account may see."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.demo import generate_demo
from surveys.rates import eligible_students, response_rates
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_school, make_user


def _sign_in(client: FlaskClient, login: str) -> None:
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})


def test_eligible_students_follow_the_instrument_grades(db: Session) -> None:
    school = make_school(db, enrolment_primary=400, enrolment_basic=500, enrolment_secondary=100)
    assert eligible_students(school, (5, 11)) == 600
    assert eligible_students(school, (2, 4)) == 300
    assert eligible_students(school, None) == 1000


def test_rates_count_complete_and_partial_against_enrolment(db: Session) -> None:
    demo = generate_demo(db, n_schools=3, with_users=False, today=dt.date(2026, 11, 1))
    campaign = db.get(m.Campaign, demo.campaign_id)
    assert campaign is not None
    rows = response_rates(db, campaign)
    assert {r.audience for r in rows} == {"student", "parent", "teacher", "administration"}
    admin = [r for r in rows if r.audience == "administration"]
    assert all(r.complete == 1 and r.eligible == 1 and r.rate == 1.0 for r in admin)
    students = [r for r in rows if r.audience == "student"]
    assert all(r.eligible and 0.5 < (r.rate or 0) <= 1.0 for r in students)


def test_deputy_sees_own_school_rows_links_and_qr_only(client: FlaskClient, db: Session) -> None:
    demo = generate_demo(db, n_schools=3, with_users=False)
    make_user(db, "deputy", login="zam", school_code="S001")
    db.commit()
    _sign_in(client, "zam")
    page = client.get(f"/staff/campaigns/{demo.campaign_id}/")
    assert page.status_code == 200
    assert "S001" in page.text and "S002 ·" not in page.text
    own = db.scalar(
        select(m.SurveyLink.code)
        .join(m.School)
        .where(m.School.code == "S001", m.SurveyLink.audience == "parent")
    )
    other = db.scalar(
        select(m.SurveyLink.code)
        .join(m.School)
        .where(m.School.code == "S002", m.SurveyLink.audience == "parent")
    )
    assert f"/s/{own}" in page.text and f"/s/{other}" not in page.text
    qr = client.get(f"/staff/links/{own}/qr.svg")
    assert qr.status_code == 200 and qr.headers["Content-Type"] == "image/svg+xml"
    assert qr.data.startswith(b"<svg")
    assert client.get(f"/staff/links/{other}/qr.svg").status_code == 404


def test_campaigns_of_another_district_are_hidden(client: FlaskClient, db: Session) -> None:
    demo = generate_demo(db, n_schools=2, with_users=False)
    other = make_school(db, code="Z01")
    make_user(db, "deputy", login="far", school_code=other.code)
    db.commit()
    _sign_in(client, "far")
    assert client.get(f"/staff/campaigns/{demo.campaign_id}/").status_code == 404
    assert "Диагностика" not in client.get("/staff/campaigns/").text
