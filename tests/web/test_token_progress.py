"""Anonymity once answering is over: a personal token stops pointing at its holder's
unfinished questionnaire when the campaign is closed on its page, and for campaigns that are
closed or past their close date by ``rootcause campaigns forget-token-progress``."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.tokens import issue_tokens, redeem, token_link
from tests.conftest import csrf_token, hidden_field, response_count
from tests.factories import PASSWORD, TODAY, link_for, make_campaign, make_school, make_user
from web.cli import main


def _campaign_with_tokens(
    db: Session, *, closes_on: dt.date | None = None, title: str = "Кампания"
) -> tuple[m.Campaign, m.SurveyLink, list[str]]:
    school = make_school(db)
    campaign = make_campaign(db, [school], closes_on=closes_on, title=title)
    link = token_link(db, link_for(db, campaign, school))
    return campaign, link, issue_tokens(db, link, 3)


def _pointers(db: Session, link: m.SurveyLink) -> list[tuple[str | None, dt.date | None]]:
    db.expire_all()
    rows = db.execute(
        select(m.PersonalToken.resume_submission_id, m.PersonalToken.used_on)
        .where(m.PersonalToken.link_id == link.id)
        .order_by(m.PersonalToken.id)
    ).all()
    return [(submission, used_on) for submission, used_on in rows]


def _enter_and_answer_one_page(client: FlaskClient, code: str, token: str) -> None:
    page = client.get(f"/s/{code}/token").text
    entered = client.post(f"/s/{code}/token", data={"token": token, "csrf_token": csrf_token(page)})
    assert entered.status_code == 303
    page = client.get(f"/s/{code}").text
    posted = client.post(
        f"/s/{code}",
        data={
            "csrf_token": csrf_token(page),
            "submission_id": hidden_field(page, "submission_id"),
            "started": hidden_field(page, "started"),
            "page": "1",
            "grade": "7",
            "direction": "next",
        },
    )
    assert posted.headers["Location"].endswith("?p=2")


def test_closing_a_campaign_unties_tokens_from_unfinished_answers(
    app,  # type: ignore[no-untyped-def]
    db: Session,
) -> None:
    campaign, link, tokens = _campaign_with_tokens(db)
    _, other_link, other_tokens = _campaign_with_tokens(db, title="Другая")
    make_user(db, "admin", login="coord")
    db.commit()
    respondent = app.test_client()
    _enter_and_answer_one_page(respondent, link.code, tokens[0])
    _enter_and_answer_one_page(app.test_client(), other_link.code, other_tokens[0])
    assert response_count(db, "partial") == 2
    assert _pointers(db, link)[0][0] is not None

    staff = app.test_client()
    form = csrf_token(staff.get("/login").text)
    staff.post("/login", data={"login": "coord", "password": PASSWORD, "csrf_token": form})
    page = staff.get(f"/staff/campaigns/{campaign.id}/").text
    closed = staff.post(
        f"/staff/campaigns/{campaign.id}/status",
        data={"csrf_token": csrf_token(page), "status": "closed"},
    )
    assert closed.status_code == 302

    # The abandoned partial response stays (it is data), but no token points at it; the
    # token stays spent (used_on kept). The other campaign is still open: untouched.
    assert _pointers(db, link) == [(None, TODAY), (None, None), (None, None)]
    assert _pointers(db, other_link)[0][0] is not None
    assert response_count(db, "partial") == 2
    # Opened again, the token lets nobody into the old answers.
    page = staff.get(f"/staff/campaigns/{campaign.id}/").text
    staff.post(
        f"/staff/campaigns/{campaign.id}/status",
        data={"csrf_token": csrf_token(page), "status": "open"},
    )
    again = app.test_client()
    page = again.get(f"/s/{link.code}/token").text
    reply = again.post(
        f"/s/{link.code}/token", data={"token": tokens[0], "csrf_token": csrf_token(page)}
    )
    assert reply.status_code == 409


def test_the_command_forgets_progress_in_campaigns_that_are_over(cli_env: str, db: Session) -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    _, ran_out_link, ran_out_tokens = _campaign_with_tokens(db, closes_on=yesterday)
    closed, closed_link, closed_tokens = _campaign_with_tokens(db, title="Закрыта")
    _, running_link, running_tokens = _campaign_with_tokens(db, title="Идёт")
    _, today_link, today_tokens = _campaign_with_tokens(db, closes_on=TODAY)
    for link, tokens in (
        (ran_out_link, ran_out_tokens),
        (closed_link, closed_tokens),
        (running_link, running_tokens),
        (today_link, today_tokens),
    ):
        redeem(db, link, tokens[1], today=yesterday)
    closed.status = m.CampaignStatus.closed.value
    db.commit()

    result = CliRunner().invoke(main, ["campaigns", "forget-token-progress"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": 2.")
    assert _pointers(db, ran_out_link)[1] == (None, yesterday)
    assert _pointers(db, closed_link)[1] == (None, yesterday)
    assert _pointers(db, running_link)[1][0] is not None
    assert _pointers(db, today_link)[1][0] is not None  # answers are taken all of its last day
    again = CliRunner().invoke(main, ["campaigns", "forget-token-progress"])
    assert again.exit_code == 0 and again.output.strip().endswith(": 0.")
    db.expire_all()
    recorded = db.scalars(
        select(m.AuditEvent.details).where(m.AuditEvent.action == "token_progress_forgotten")
    ).all()
    assert recorded == [{"tokens": 2}, {"tokens": 0}]
