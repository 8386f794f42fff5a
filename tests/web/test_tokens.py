"""Personal one-time tokens: slips, entry, resume with the token, single use, throttling of
failed attempts (right tokens never wait), and no way round the token."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.errors import InvalidInput
from surveys.throttle import TooManyAttempts, record, recorded, refuse_past
from surveys.tokens import (
    FAILURES_PER_WINDOW,
    WINDOW,
    issue_tokens,
    normalise,
    redeem,
    token_link,
)
from tests.conftest import csrf_token
from tests.factories import PASSWORD, link_for, make_campaign, make_school, make_user
from web.pdf import chromium_path

PAGES = 6


def _token_link(db: Session, count: int = 3) -> tuple[str, list[str]]:
    school = make_school(db)
    campaign = make_campaign(db, [school])
    link = token_link(db, link_for(db, campaign, school))
    tokens = issue_tokens(db, link, count)
    db.commit()
    return link.code, tokens


def _enter(client: FlaskClient, code: str, token: str) -> int:
    page = client.get(f"/s/{code}/token").text
    reply = client.post(f"/s/{code}/token", data={"token": token, "csrf_token": csrf_token(page)})
    return reply.status_code


def _post_page(client: FlaskClient, code: str, p: int, answers: dict[str, str]) -> str:
    page = client.get(f"/s/{code}?p={p}").text
    fields = {
        n: re.search(rf'name="{n}" type="hidden" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
        for n in ("submission_id", "started", "page")
    }
    reply = client.post(
        f"/s/{code}",
        data={**fields, **answers, "csrf_token": csrf_token(page), "direction": "next"},
    )
    return reply.headers.get("Location", str(reply.status_code))


def test_tokens_are_readable_and_stored_only_as_hashes(db: Session) -> None:
    _, tokens = _token_link(db, 50)
    assert len(set(tokens)) == 50
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", t) for t in tokens)
    hashes = db.scalars(select(m.PersonalToken.token_hash)).all()
    assert not set(tokens) & set(hashes)
    assert normalise(" ab-cd КМ") == "ABCDKM"  # Cyrillic look-alikes typed by mistake


def test_a_token_link_asks_for_the_token_first(client: FlaskClient, db: Session) -> None:
    code, tokens = _token_link(db)
    reply = client.get(f"/s/{code}")
    assert reply.status_code == 302 and f"/s/{code}/token" in reply.headers["Location"]
    prefilled = client.get(f"/s/{code}/token?t={tokens[0]}").text
    assert f'value="{tokens[0]}"' in prefilled
    assert _enter(client, code, "ZZZZZZZZ") == 400
    assert _enter(client, code, tokens[0].lower()[:4] + "-" + tokens[0][4:]) == 303


def test_the_token_resumes_on_another_device_and_is_spent_when_finished(
    app,
    db: Session,  # type: ignore[no-untyped-def]
) -> None:
    code, tokens = _token_link(db)
    first = app.test_client()
    assert _enter(first, code, tokens[0]) == 303
    assert _post_page(first, code, 1, {"grade": "7"}).endswith("?p=2")
    token_row = db.scalars(select(m.PersonalToken)).first()
    db.expire_all()
    assert token_row is not None

    second = app.test_client()  # the same student at home, another day
    assert _enter(second, code, tokens[0]) == 303
    assert "Раздел 2 из 6" in second.get(f"/s/{code}").text
    for p in range(2, PAGES + 1):
        location = _post_page(second, code, p, {})
    assert location.endswith("/thanks")
    db.expire_all()
    response = db.scalars(select(m.Response)).one()
    assert response.status == "complete" and response.answers == {"grade": 7}
    # Nothing ties the finished response to the token any more, and the token is spent.
    assert (
        db.scalar(select(func.count()).where(m.PersonalToken.resume_submission_id.is_not(None)))
        == 0
    )
    assert _enter(app.test_client(), code, tokens[0]) == 409


def test_no_way_round_the_token(client: FlaskClient, db: Session) -> None:
    code, _ = _token_link(db)
    page = client.get(f"/s/{code}/token").text
    forged = {
        "csrf_token": csrf_token(page),
        "submission_id": "11111111-1111-4111-8111-111111111111",
        "page": "1",
        "grade": "7",
        "direction": "next",
    }
    assert client.post(f"/s/{code}", data=forged).status_code == 403
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(m.Response)) == 0


def test_a_token_entered_just_after_the_campaign_closed_is_refused(
    client: FlaskClient, db: Session
) -> None:
    """The worker keeps links for a few seconds; a token is checked against the campaign as
    stored, so none is tied to answers once the campaign is closed (in another worker)."""
    code, tokens = _token_link(db)
    page = client.get(f"/s/{code}/token").text  # the link is kept by this worker now
    campaign = db.scalars(select(m.Campaign)).one()
    campaign.status = m.CampaignStatus.closed.value
    db.commit()  # closed elsewhere: this worker's kept link still says open
    reply = client.post(
        f"/s/{code}/token", data={"token": tokens[0], "csrf_token": csrf_token(page)}
    )
    assert reply.status_code == 410
    db.expire_all()
    assert (
        db.scalar(
            select(func.count())
            .select_from(m.PersonalToken)
            .where(m.PersonalToken.resume_submission_id.is_not(None))
        )
        == 0
    )


def _failures(db: Session, code: str) -> int:
    """Failed attempts on the link in this window, as another transaction sees them."""
    db.rollback()
    link = db.scalars(select(m.SurveyLink).where(m.SurveyLink.code == code)).one()
    return recorded(db, f"token:{link.id}", window=WINDOW)


def test_guessing_is_throttled_per_link(client: FlaskClient, db: Session) -> None:
    code, tokens = _token_link(db)
    # The view rolls its transaction back after a failure: the failures stay counted.
    for n in range(1, FAILURES_PER_WINDOW):
        assert _enter(client, code, "AAAAAAAA") == 400
        assert _failures(db, code) == n
    assert _enter(client, code, "12") == 400  # malformed (0, 1 are not in the alphabet): a failure
    assert _failures(db, code) == FAILURES_PER_WINDOW
    # The limit is reached: every attempt on the link waits, a right token too (or a guesser
    # would learn which guesses were right), and refusals are not counted on.
    assert _enter(client, code, "BBBBBBBB") == 429
    assert _enter(client, code, tokens[1]) == 429
    assert _failures(db, code) == FAILURES_PER_WINDOW
    # Another link of the same school (here: a class's) is not held up.
    other, more = _token_link(db)
    assert _enter(client, other, more[0]) == 303


def test_right_tokens_never_count_towards_the_limit(app, db: Session) -> None:  # type: ignore[no-untyped-def]
    # A parents' meeting of 60 entering their slips in the same ten minutes, with typos.
    code, tokens = _token_link(db, 60)
    for n, token in enumerate(tokens):
        if n < FAILURES_PER_WINDOW - 1:
            assert _enter(app.test_client(), code, token[:-1] + "-") == 400  # a typo
        assert _enter(app.test_client(), code, token) == 303
    assert _failures(db, code) == FAILURES_PER_WINDOW - 1
    db.expire_all()
    assert db.scalar(select(func.count()).where(m.PersonalToken.used_on.is_not(None))) == 60


def test_a_failure_is_counted_even_when_the_caller_rolls_back(db: Session) -> None:
    code, tokens = _token_link(db)
    link = db.scalars(select(m.SurveyLink).where(m.SurveyLink.code == code)).one()
    for _ in range(2):
        with pytest.raises(InvalidInput):
            redeem(db, link, "ZZZZZZZZ", today=dt.date.today())
        db.rollback()
    assert recorded(db, f"token:{link.id}", window=WINDOW) == 2
    assert redeem(db, link, tokens[0], today=dt.date.today())  # a right one adds nothing
    db.rollback()
    assert recorded(db, f"token:{link.id}", window=WINDOW) == 2


def test_throttle_windows(db: Session) -> None:
    now = dt.datetime(2026, 11, 23, 10, 0, 5, tzinfo=dt.UTC)
    window = dt.timedelta(minutes=10)
    for n in range(1, 4):
        refuse_past(db, "k", limit=3, window=window, now=now)
        assert record(db, "k", window=window, now=now) == n
    with pytest.raises(TooManyAttempts):
        refuse_past(db, "k", limit=3, window=window, now=now + dt.timedelta(minutes=9))
    later = now + dt.timedelta(minutes=10)
    assert recorded(db, "k", window=window, now=later) == 0
    assert record(db, "k", window=window, now=later) == 1
    assert record(db, "other", window=window, now=later) == 1


def test_slips_pdf_for_staff_of_the_school(client: FlaskClient, db: Session) -> None:
    if chromium_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required for PDF slips under CI=true", pytrace=False)
        pytest.skip("Chromium (package chromium) is not installed: PDF slips not tested")
    school = make_school(db, code="Q01", name="Школа для листков")
    campaign = make_campaign(db, [school])
    link = link_for(db, campaign, school)
    make_user(db, "deputy", login="zam", school_code="Q01")
    db.commit()
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": "zam", "password": PASSWORD, "csrf_token": token})
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert "Листки с личными кодами" in page
    reply = client.post(
        f"/staff/campaigns/{campaign.id}/links/{link.code}/slips",
        data={"count": "8", "csrf_token": csrf_token(page)},
    )
    assert reply.status_code == 200, reply.text[:500]
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.data.startswith(b"%PDF")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(m.PersonalToken)) == 8
    assert "tokens_issued" in db.scalars(select(m.AuditEvent.action)).all()
