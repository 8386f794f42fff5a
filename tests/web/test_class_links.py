"""Class links on the campaign page: shown as soon as they exist (not only once answered),
the number expected to answer (response rate per class), its editing and scoping, and the
class printed on the slips of a class link."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.campaigns import class_link, resolve_link
from surveys.rates import RateRow, class_sort_key, response_rates
from surveys.responses import new_submission_id, submit_response
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_campaign, make_response, make_school, make_user


def _sign_in(client: FlaskClient, login: str) -> None:
    client.get("/logout")
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})


def _setup(db: Session) -> tuple[m.Campaign, m.School, m.School]:
    """Two schools of a district fielding the student and parent forms, and staff: the
    district's coordinator, a deputy of each school, a psychologist."""
    own = make_school(db, code="K01", name="Школа «Первая»")
    district = db.get(m.District, own.district_id)
    assert district is not None
    other = make_school(db, district, code="K02", name="Школа «Вторая»")
    campaign = make_campaign(
        db, [own, other], audiences={"student": "student_5_11", "parent": "parent"}
    )
    make_user(db, "coordinator", login="coord", district_name=district.name)
    make_user(db, "deputy", login="zam", school_code="K01")
    make_user(db, "deputy", login="zam2", school_code="K02")
    make_user(db, "psychologist", login="psy", district_name=district.name)
    db.commit()
    return campaign, own, other


def _open_link(db: Session, campaign: m.Campaign, school: m.School, audience: str) -> m.SurveyLink:
    return db.scalars(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.school_id == school.id,
            m.SurveyLink.audience == audience,
            m.SurveyLink.class_name.is_(None),
            m.SurveyLink.requires_token.is_(False),
        )
    ).one()


def _class_row(
    db: Session,
    campaign: m.Campaign,
    class_name: str,
    audience: str = "student",
    school_code: str = "K01",
) -> RateRow:
    db.expire_all()
    rows = [
        r
        for r in response_rates(db, campaign)
        if (r.class_name, r.audience, r.school_code) == (class_name, audience, school_code)
    ]
    assert len(rows) == 1, rows
    return rows[0]


def test_a_class_link_is_listed_before_anyone_answers(db: Session) -> None:
    """Rows come from the links: a fresh class link has a row with zero counts."""
    campaign, own, _ = _setup(db)
    made = class_link(db, campaign, own, "student", "7б")
    db.commit()
    row = _class_row(db, campaign, "7Б")
    assert (row.school_code, row.complete, row.partial, row.flagged) == ("K01", 0, 0, 0)
    assert row.eligible is None and row.rate is None
    made.enrolment = 20
    db.commit()
    assert _class_row(db, campaign, "7Б").eligible == 20
    assert _class_row(db, campaign, "7Б").rate == 0.0


def test_classes_are_in_school_order_and_answer_only_classes_are_kept(db: Session) -> None:
    campaign, own, _ = _setup(db)
    for name in ("10А", "7Б", "5А"):
        class_link(db, campaign, own, "student", name)
    # a class seen only in responses (e.g. typed in from paper): still a row, no denominator
    link = _open_link(db, campaign, own, "student")
    make_response(db, link, class_name="6В", flags=["too_fast"], source="import")
    db.commit()
    rows = [
        r
        for r in response_rates(db, campaign)
        if r.school_code == "K01" and r.audience == "student"
    ]
    assert [r.class_name for r in rows] == [None, "5А", "6В", "7Б", "10А"]
    only_answered = rows[2]
    assert (only_answered.complete, only_answered.flagged, only_answered.eligible) == (1, 1, None)
    assert rows[0].complete == 1 and rows[0].flagged == 1
    assert sorted(["11", "1А", "9Б", "10Б"], key=class_sort_key) == ["1А", "9Б", "10Б", "11"]


def test_a_schools_rows_are_the_same_asked_alone(db: Session) -> None:
    """A school's reference counts its own responses only (school_ids): the rows of each
    school are those of the whole campaign's table."""
    campaign, own, other = _setup(db)
    for school, name in ((own, "5А"), (other, "6Б"), (other, "5А")):
        class_link(db, campaign, school, "student", name)
    for school, name, flags in ((own, "5А", []), (other, "6Б", ["too_fast"]), (other, None, [])):
        make_response(db, _open_link(db, campaign, school, "student"), class_name=name, flags=flags)
    make_response(
        db, _open_link(db, campaign, other, "parent"), status=m.ResponseStatus.partial.value
    )
    db.commit()
    everyone = response_rates(db, campaign)
    for school in (own, other):
        alone = response_rates(db, campaign, [school.id])
        assert alone == [r for r in everyone if r.school_code == school.code]
        assert any(r.complete for r in alone)
    assert response_rates(db, campaign, []) == []


def campaign_version(db: Session, campaign: m.Campaign, audience: str) -> int:
    version = db.scalar(
        select(m.Fielding.instrument_version_id).where(
            m.Fielding.campaign_id == campaign.id, m.Fielding.audience == audience
        )
    )
    assert version is not None
    return version


def test_creating_a_class_link_on_the_page_shows_its_url_qr_poster_and_rate(
    client: FlaskClient, db: Session
) -> None:
    """The deputy creates 7Б with the number of students; the page shows the class row with
    its link, QR code, poster and slips at once, and the rate once someone answers."""
    campaign, own, _ = _setup(db)
    school_link = _open_link(db, campaign, own, "student")
    _sign_in(client, "zam")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert "Учащихся в классе" in page
    made = client.post(
        f"/staff/campaigns/{campaign.id}/links/{school_link.code}/class",
        data={"csrf_token": csrf_token(page), "class_name": "7б", "enrolment": "25"},
    )
    assert made.status_code == 302
    link = db.scalars(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == campaign.id, m.SurveyLink.class_name == "7Б"
        )
    ).one()
    assert link.enrolment == 25 and link.school_id == own.id and link.audience == "student"
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert "Ссылка для класса 7Б готова." in page
    assert f"/s/{link.code}" in page
    assert f"/staff/links/{link.code}/qr.svg" in page
    assert f"/staff/campaigns/{campaign.id}/links/{link.code}/poster.pdf" in page
    assert f"/staff/campaigns/{campaign.id}/links/{link.code}/slips" in page
    assert f"/staff/campaigns/{campaign.id}/links/{link.code}/enrolment" in page
    assert 'value="25"' in page
    created = db.scalars(
        select(m.AuditEvent).where(m.AuditEvent.action == "class_link_created")
    ).one()
    assert created.details == {"campaign": campaign.id, "enrolment": 25}
    opened = resolve_link(db, link.code, today=dt.date.today())
    submit_response(
        db, opened, submission_id=new_submission_id(), answers={"grade": "7"}, today=dt.date.today()
    )
    db.commit()
    row = _class_row(db, campaign, "7Б")
    assert (row.complete, row.eligible, row.rate) == (1, 25, 0.04)
    assert "4 %" in client.get(f"/staff/campaigns/{campaign.id}/").text
    # a parent class link asks for families
    parent_link = _open_link(db, campaign, own, "parent")
    assert "Семей в классе" in page
    made = client.post(
        f"/staff/campaigns/{campaign.id}/links/{parent_link.code}/class",
        data={"csrf_token": csrf_token(page), "class_name": "7Б", "enrolment": ""},
    )
    assert made.status_code == 302
    assert _class_row(db, campaign, "7Б", "parent").eligible is None


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "2001", "1.5", "25 учеников"])
def test_a_bad_number_is_refused_in_russian(client: FlaskClient, db: Session, bad: str) -> None:
    campaign, own, _ = _setup(db)
    school_link = _open_link(db, campaign, own, "student")
    class_link(db, campaign, own, "student", "8А")
    db.commit()
    class_code = db.scalars(select(m.SurveyLink.code).where(m.SurveyLink.class_name == "8А")).one()
    _sign_in(client, "coord")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    created = client.post(
        f"/staff/campaigns/{campaign.id}/links/{school_link.code}/class",
        data={"csrf_token": csrf_token(page), "class_name": "9В", "enrolment": bad},
    )
    assert created.status_code == 400
    assert "целое число от 1 до 2000" in created.text
    edited = client.post(
        f"/staff/campaigns/{campaign.id}/links/{class_code}/enrolment",
        data={"csrf_token": csrf_token(page), "enrolment": bad},
    )
    assert edited.status_code == 400
    assert "целое число от 1 до 2000" in edited.text
    db.expire_all()
    assert db.scalar(select(m.SurveyLink.id).where(m.SurveyLink.class_name == "9В")) is None
    assert (
        db.scalars(select(m.SurveyLink.enrolment).where(m.SurveyLink.code == class_code)).one()
        is None
    )


def test_the_number_is_edited_by_staff_of_the_school_only(client: FlaskClient, db: Session) -> None:
    campaign, own, other = _setup(db)
    class_link(db, campaign, own, "student", "7Б")
    class_link(db, campaign, other, "student", "7Б")
    db.commit()
    query = select(m.SurveyLink.school_id, m.SurveyLink.code).where(m.SurveyLink.class_name == "7Б")
    codes = {row[0]: row[1] for row in db.execute(query)}
    url = f"/staff/campaigns/{campaign.id}/links/{codes[own.id]}/enrolment"

    _sign_in(client, "zam")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert codes[own.id] in page and codes[other.id] not in page
    assert client.post(url, data={"enrolment": "30"}).status_code == 400  # no CSRF token
    saved = client.post(url, data={"csrf_token": csrf_token(page), "enrolment": "30"})
    assert saved.status_code == 302
    assert _class_row(db, campaign, "7Б").eligible == 30
    event = db.scalars(
        select(m.AuditEvent).where(m.AuditEvent.action == "class_link_enrolment")
    ).one()
    assert event.details == {"campaign": campaign.id, "enrolment": 30}
    assert "7Б" in event.target and "K01" in event.target
    # the other school's class link: not found for this deputy, even with a valid form
    foreign = f"/staff/campaigns/{campaign.id}/links/{codes[other.id]}/enrolment"
    refused = client.post(foreign, data={"csrf_token": csrf_token(page), "enrolment": "5"})
    assert refused.status_code == 404
    # a school-wide link takes its figures from the school
    whole = _open_link(db, campaign, own, "student")
    wrong = client.post(
        f"/staff/campaigns/{campaign.id}/links/{whole.code}/enrolment",
        data={"csrf_token": csrf_token(page), "enrolment": "5"},
    )
    assert wrong.status_code == 400 and "только для ссылки класса" in wrong.text
    # cleared: no denominator, no rate
    cleared = client.post(url, data={"csrf_token": csrf_token(page), "enrolment": ""})
    assert cleared.status_code == 302
    assert _class_row(db, campaign, "7Б").eligible is None

    _sign_in(client, "zam2")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert (
        client.post(url, data={"csrf_token": csrf_token(page), "enrolment": "5"}).status_code == 404
    )
    create_elsewhere = client.post(
        f"/staff/campaigns/{campaign.id}/links/{whole.code}/class",
        data={"csrf_token": csrf_token(page), "class_name": "5А", "enrolment": "5"},
    )
    assert create_elsewhere.status_code == 404

    _sign_in(client, "psy")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert "/enrolment" not in page
    assert (
        client.post(url, data={"csrf_token": csrf_token(page), "enrolment": "5"}).status_code == 403
    )

    _sign_in(client, "coord")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert (
        client.post(url, data={"csrf_token": csrf_token(page), "enrolment": "28"}).status_code
        == 302
    )
    assert _class_row(db, campaign, "7Б").eligible == 28


def test_slips_of_a_class_link_print_the_class(
    client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slips' HTML (what goes to print) names the class; the school-wide slips do not."""
    printed: list[str] = []

    def fake_pdf(html: str) -> bytes:
        printed.append(html)
        return b"%PDF-1.4 fake"

    monkeypatch.setattr("web.staff.links.html_to_pdf", fake_pdf)
    campaign, own, _ = _setup(db)
    made = class_link(db, campaign, own, "student", "7Б")
    whole = _open_link(db, campaign, own, "student")
    db.commit()
    _sign_in(client, "zam")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    reply = client.post(
        f"/staff/campaigns/{campaign.id}/links/{made.code}/slips",
        data={"csrf_token": csrf_token(page), "count": "2"},
    )
    assert reply.status_code == 200 and reply.data.startswith(b"%PDF")
    assert printed[-1].count("7Б класс") >= 3  # the title and each of the two slips
    reply = client.post(
        f"/staff/campaigns/{campaign.id}/links/{whole.code}/slips",
        data={"csrf_token": csrf_token(page), "count": "1"},
    )
    assert reply.status_code == 200
    assert "7Б" not in printed[-1]
    # the tokens of the class slips lead to a token link of the same class
    tokened = db.scalars(
        select(m.SurveyLink).where(
            m.SurveyLink.requires_token.is_(True), m.SurveyLink.class_name == "7Б"
        )
    ).one()
    assert tokened.school_id == own.id


def test_teachers_and_the_administration_get_no_class_links(
    client: FlaskClient, db: Session
) -> None:
    """A class groups students and their parents; teachers answer for the school."""
    school = make_school(db, code="K09", name="Школа «Девятая»")
    campaign = make_campaign(
        db, [school], audiences={"student": "student_5_11", "teacher": "teacher"}
    )
    make_user(db, "deputy", login="zam9", school_code="K09")
    db.commit()
    teacher_link = _open_link(db, campaign, school, "teacher")
    student_link = _open_link(db, campaign, school, "student")
    _sign_in(client, "zam9")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert f"/links/{student_link.code}/class" in page  # offered for students
    assert f"/links/{teacher_link.code}/class" not in page  # not for teachers
    assert f"/links/{teacher_link.code}/slips" in page  # their personal codes still are
    refused = client.post(
        f"/staff/campaigns/{campaign.id}/links/{teacher_link.code}/class",
        data={"csrf_token": csrf_token(page), "class_name": "7Б", "enrolment": ""},
    )
    assert refused.status_code == 400
    assert "только для обучающихся и родителей" in refused.text
    db.expire_all()
    assert db.scalars(select(m.SurveyLink).where(m.SurveyLink.class_name.is_not(None))).all() == []
