"""The campaign's data-quality setting on the campaign page: flagged responses counted per
school × audience, and "exclude flagged responses from analysis" changed by coordinators
(audited), which the analysis then honours."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.dataset import audience_data
from surveys.rates import response_rates
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_campaign, make_response, make_school, make_user


def _sign_in(client: FlaskClient, login: str) -> None:
    client.get("/logout")
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})


def _respond(
    db: Session, campaign: m.Campaign, school: m.School, flags: list[str], status: str = "complete"
) -> None:
    link = db.scalars(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.school_id == school.id,
            m.SurveyLink.audience == "student",
            m.SurveyLink.class_name.is_(None),
        )
    ).one()
    make_response(db, link, answers={"grade": 7}, status=status, flags=flags)


def _setup(db: Session) -> tuple[m.Campaign, m.School, m.School]:
    own = make_school(db, code="Q01")
    district = db.get(m.District, own.district_id)
    assert district is not None
    other = make_school(db, district, code="Q02")
    campaign = make_campaign(db, [own, other])
    for flags in ([], [], ["too_fast"], ["too_fast", "straight_lining"], ["straight_lining"]):
        _respond(db, campaign, own, flags)
    _respond(db, campaign, own, [], status="partial")
    _respond(db, campaign, other, [])
    _respond(db, campaign, other, ["too_fast"])
    make_user(db, "coordinator", login="coord", district_name=district.name)
    make_user(db, "admin", login="root")
    make_user(db, "deputy", login="zam", school_code="Q01")
    make_user(db, "psychologist", login="psy", district_name=district.name)
    far = make_school(db, code="Z09")
    make_user(
        db, "coordinator", login="far", district_name=db.get(m.District, far.district_id).name
    )  # type: ignore[union-attr]
    db.commit()
    return campaign, own, other


def test_flagged_complete_responses_are_counted_per_school_and_audience(db: Session) -> None:
    campaign, _, _ = _setup(db)
    rows = {r.school_code: r for r in response_rates(db, campaign) if r.class_name is None}
    assert (rows["Q01"].complete, rows["Q01"].partial, rows["Q01"].flagged) == (5, 1, 3)
    assert (rows["Q02"].complete, rows["Q02"].flagged) == (2, 1)


def test_a_coordinator_excludes_flagged_responses_and_the_analysis_follows(
    client: FlaskClient, db: Session
) -> None:
    campaign, _, _ = _setup(db)
    assert len(audience_data(db, campaign.id, "student").answers) == 7
    _sign_in(client, "coord")
    page = client.get(f"/staff/campaigns/{campaign.id}/")
    assert page.status_code == 200
    text = page.text
    assert "С признаками" in text and "слишком быстро для прочтения вопросов" in text
    assert "<strong>учитываются</strong> в анализе" in text
    assert f'action="/staff/campaigns/{campaign.id}/quality"' in text
    # no CSRF token: refused, nothing changed
    url = f"/staff/campaigns/{campaign.id}/quality"
    assert client.post(url, data={"exclude_flagged": "y"}).status_code == 400
    db.expire_all()
    assert not db.get(m.Campaign, campaign.id).exclude_flagged  # type: ignore[union-attr]

    saved = client.post(url, data={"csrf_token": csrf_token(text), "exclude_flagged": "y"})
    assert saved.status_code == 302
    db.expire_all()
    assert db.get(m.Campaign, campaign.id).exclude_flagged  # type: ignore[union-attr]
    event = db.scalars(
        select(m.AuditEvent).where(m.AuditEvent.action == "campaign_exclude_flagged")
    ).one()
    assert event.details == {"campaign": campaign.id, "exclude_flagged": True}
    assert event.user_id is not None
    # the analysis leaves the 4 flagged complete responses out
    assert len(audience_data(db, campaign.id, "student").answers) == 3
    text = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert "теперь не учитываются в анализе" in text
    assert "<strong>не учитываются</strong> в анализе" in text
    # the counts on the page stay all responses: the flagged ones are still shown
    assert '<td class="n">3</td>' in text

    # unticked: included again, recorded again
    client.post(url, data={"csrf_token": csrf_token(text)})
    db.expire_all()
    assert not db.get(m.Campaign, campaign.id).exclude_flagged  # type: ignore[union-attr]
    assert len(audience_data(db, campaign.id, "student").answers) == 7
    events = db.scalars(
        select(m.AuditEvent).where(m.AuditEvent.action == "campaign_exclude_flagged")
    ).all()
    assert len(events) == 2

    _sign_in(client, "root")
    text = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert (
        client.post(url, data={"csrf_token": csrf_token(text), "exclude_flagged": "y"}).status_code
        == 302
    )


def test_only_coordinators_of_the_district_and_admins_change_it(
    client: FlaskClient, db: Session
) -> None:
    campaign, _, _ = _setup(db)
    url = f"/staff/campaigns/{campaign.id}/quality"
    for login, status in (("zam", 403), ("psy", 403)):
        _sign_in(client, login)
        page = client.get(f"/staff/campaigns/{campaign.id}/")
        assert page.status_code == 200
        assert 'name="exclude_flagged"' not in page.text
        assert "С признаками" in page.text  # the count is shown to every staff member
        refused = client.post(
            url, data={"csrf_token": csrf_token(page.text), "exclude_flagged": "y"}
        )
        assert refused.status_code == status
    _sign_in(client, "far")  # a coordinator of another district
    page = client.get("/staff/campaigns/").text
    refused = client.post(url, data={"csrf_token": csrf_token(page), "exclude_flagged": "y"})
    assert refused.status_code == 404
    db.expire_all()
    assert not db.get(m.Campaign, campaign.id).exclude_flagged  # type: ignore[union-attr]
    assert not db.scalars(
        select(m.AuditEvent).where(m.AuditEvent.action == "campaign_exclude_flagged")
    ).all()
