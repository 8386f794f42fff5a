"""The campaign page: response counts and rates by school and audience, links and QR codes,
scoped to what the account may see."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import func, select
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
    assert {r.audience for r in rows} == {
        "student",
        "parent",
        "teacher",
        "specialist",
        "administration",
    }
    admin = [r for r in rows if r.audience == "administration"]
    assert all(r.complete == 1 and r.eligible == 1 and r.rate == 1.0 for r in admin)
    # Specialists: one expected per post on the school card (none: no rate), and the demo's
    # specialists on the card all answer.
    cards = {s.code: s for s in db.scalars(select(m.School))}
    for row in (r for r in rows if r.audience == "specialist" and r.class_name is None):
        school = cards[row.school_code]
        posts = sum(
            (school.has_psychologist, school.has_speech_specialist, school.has_social_pedagogue)
        )
        assert row.eligible == (posts or None) and row.complete == posts, row
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


def test_class_links_count_per_class_and_posters_print(client: FlaskClient, db: Session) -> None:
    import os

    import pytest

    from surveys.campaigns import class_link, resolve_link
    from surveys.errors import InvalidInput
    from surveys.responses import new_submission_id, submit_response
    from web.pdf import chromium_path

    demo = generate_demo(db, n_schools=2, with_users=False)
    campaign = db.get(m.Campaign, demo.campaign_id)
    school = db.scalars(select(m.School).where(m.School.code == "S001")).one()
    assert campaign is not None
    link = class_link(db, campaign, school, "student", " 7б ")
    assert link.class_name == "7Б"
    assert class_link(db, campaign, school, "student", "7Б").id == link.id
    with pytest.raises(InvalidInput):
        class_link(db, campaign, school, "student", "седьмой")
    # listed at once, before anyone has answered through it
    rows = [r for r in response_rates(db, campaign) if r.class_name == "7Б"]
    assert len(rows) == 1 and (rows[0].complete, rows[0].partial) == (0, 0)
    opened = resolve_link(db, link.code, today=dt.date.today())
    submit_response(
        db,
        opened,
        submission_id=new_submission_id(),
        answers={"grade": "7"},
        today=dt.date.today(),
    )
    make_user(db, "coordinator", login="coord", district_name=demo_district_name(db))
    db.commit()
    rows = [r for r in response_rates(db, campaign) if r.class_name == "7Б"]
    assert len(rows) == 1 and rows[0].complete == 1 and rows[0].eligible is None

    _sign_in(client, "coord")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert "7Б" in page and f"/s/{link.code}" in page
    if chromium_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required for posters under CI=true", pytrace=False)
        pytest.skip("Chromium (package chromium) is not installed: posters not tested")
    poster = client.get(f"/staff/campaigns/{campaign.id}/links/{link.code}/poster.pdf")
    assert poster.status_code == 200 and poster.data.startswith(b"%PDF")


def demo_district_name(db: Session) -> str:
    return db.scalars(select(m.District.name)).one()


def test_a_coordinator_creates_and_closes_a_campaign(client: FlaskClient, db: Session) -> None:
    from surveys.instrument_store import latest_version

    demo = generate_demo(db, n_schools=3, with_users=False)
    district = db.get(m.District, demo.district_id)
    assert district is not None
    make_user(db, "coordinator", login="coord", district_name=district.name)
    student = latest_version(db, "student_5_11")
    db.commit()
    _sign_in(client, "coord")
    page = client.get("/staff/campaigns/new")
    assert page.status_code == 200 and "S003" in page.text
    token = csrf_token(page.text)
    bad = client.post(
        "/staff/campaigns/new",
        data={
            "csrf_token": token,
            "title": "Весна",
            "opens_on": "2027-03-01",
            "closes_on": "2027-02-01",
            "min_group_size": "5",
            "school": [],
            "form": str(student.id),
        },
    )
    assert bad.status_code == 400
    assert "Выберите хотя бы одну школу" in bad.text
    schools = db.scalars(select(m.School.id).where(m.School.code.in_(["S001", "S002"]))).all()
    made = client.post(
        "/staff/campaigns/new",
        data={
            "csrf_token": token,
            "title": "Весна",
            "period": "2026/27",
            "opens_on": "2027-03-01",
            "closes_on": "2027-04-01",
            "min_group_size": "7",
            "school": [str(s) for s in schools],
            "form": str(student.id),
        },
    )
    assert made.status_code == 302, made.text[:300]
    db.expire_all()
    campaign = db.scalars(select(m.Campaign).where(m.Campaign.title == "Весна")).one()
    assert campaign.min_group_size == 7 and campaign.anonymous
    links = db.scalars(select(m.SurveyLink).where(m.SurveyLink.campaign_id == campaign.id)).all()
    assert len(links) == 2 and {link.audience for link in links} == {"student"}
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    closed = client.post(
        f"/staff/campaigns/{campaign.id}/status",
        data={"csrf_token": csrf_token(page), "status": "closed"},
    )
    assert closed.status_code == 302
    db.expire_all()
    assert db.get(m.Campaign, campaign.id).status == "closed"  # type: ignore[union-attr]


def test_a_deputy_cannot_create_campaigns(client: FlaskClient, db: Session) -> None:
    generate_demo(db, n_schools=2, with_users=False)
    make_user(db, "deputy", login="zam", school_code="S001")
    db.commit()
    _sign_in(client, "zam")
    assert client.get("/staff/campaigns/new").status_code == 403


def test_a_coordinator_uploads_results_checked_first(client: FlaskClient, db: Session) -> None:
    import io

    demo = generate_demo(db, n_schools=2, with_users=False)
    district = db.get(m.District, demo.district_id)
    assert district is not None
    other = make_school(db, code="ELSEWHERE")
    make_user(db, "coordinator", login="coord", district_name=district.name)
    db.commit()
    _sign_in(client, "coord")
    page = client.get("/staff/results")
    assert page.status_code == 200
    token = csrf_token(page.text)
    table = "school_code,year,assessment,subject,grade,participants,mean_score,share_failing\n"
    good = table + "S001,2027,ВПР,Математика,6,30,3.5,0.1\n"
    checked = client.post(
        "/staff/results",
        content_type="multipart/form-data",
        data={
            "csrf_token": token,
            "dry_run": "y",
            "file": (io.BytesIO(good.encode()), "r.csv"),
        },
    )
    assert checked.status_code == 200 and "Строк: 1" in checked.text
    db.expire_all()
    assert db.scalar(select(func.count()).where(m.AssessmentResult.year == 2027)) == 0
    stored = client.post(
        "/staff/results",
        content_type="multipart/form-data",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(good.encode()), "r.csv"),
        },
    )
    assert stored.status_code == 200 and "загружено новых: 1" in stored.text
    db.expire_all()
    assert db.scalar(select(func.count()).where(m.AssessmentResult.year == 2027)) == 1
    foreign = table + f"{other.code},2027,ВПР,Математика,6,30,3.5,0.1\n"
    refused = client.post(
        "/staff/results",
        content_type="multipart/form-data",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(foreign.encode()), "f.csv"),
        },
    )
    assert refused.status_code == 400
    assert f"нет школы с кодом «{other.code}»" in refused.text  # not of this district


def test_closing_a_campaign_stops_answers_at_once_despite_the_link_cache(
    client: FlaskClient, db: Session
) -> None:
    """Respondent pages keep a link for a few seconds per worker; closing the campaign in this
    worker drops them, so the very next post is refused (other workers: within seconds)."""
    demo = generate_demo(db, n_schools=2, with_users=False)
    district = db.get(m.District, demo.district_id)
    assert district is not None
    make_user(db, "coordinator", login="coord", district_name=district.name)
    db.commit()
    link = db.scalars(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == demo.campaign_id, m.SurveyLink.audience == "student"
        )
    ).first()
    assert link is not None
    respondent = client.application.test_client()
    form = respondent.get(f"/s/{link.code}?p=1")
    assert form.status_code == 200  # the link is now in this worker's cache
    _sign_in(client, "coord")
    page = client.get(f"/staff/campaigns/{demo.campaign_id}/").text
    closed = client.post(
        f"/staff/campaigns/{demo.campaign_id}/status",
        data={"csrf_token": csrf_token(page), "status": "closed"},
    )
    assert closed.status_code == 302
    again = respondent.get(f"/s/{link.code}?p=1")
    assert again.status_code == 410 and "закрыт" in again.text
