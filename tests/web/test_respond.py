"""The respondent's page through the Flask test client: CSRF, validation, idempotency."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from tests.conftest import csrf_token
from tests.factories import TODAY, link_for, make_campaign, make_school


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(m.Response)) or 0


def _open(db: Session, **campaign: object) -> str:
    school = make_school(db, name="МБОУ «Школа № 5»")
    link = link_for(db, make_campaign(db, [school], **campaign), school)
    db.commit()
    return link.code


def _form(page: str) -> dict[str, str]:
    sid = re.search(r'name="submission_id" type="hidden" value="([^"]+)"', page)
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
    assert sid and started
    return {
        "csrf_token": csrf_token(page),
        "submission_id": sid.group(1),
        "started": started.group(1),
    }


def test_questionnaire_page_is_russian_accessible_and_not_cached(
    client: FlaskClient, db: Session
) -> None:
    code = _open(db)
    page = client.get(f"/s/{code}")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="ru">' in html
    assert "МБОУ «Школа № 5»" in html
    assert "<fieldset" in html and "<legend>" in html
    assert 'for="q-grade"' in html and 'id="q-grade"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script" not in html  # works without JavaScript


def test_submit_stores_one_response_and_thanks(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    fields = _form(client.get(f"/s/{code}").text)
    answers = {"grade": "8", "mot_int_1": "4", "bul_2": "2"}
    response = client.post(f"/s/{code}", data={**fields, **answers})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{code}/thanks")
    assert "Спасибо" in client.get(response.headers["Location"]).text
    assert _count(db) == 1
    stored = db.scalars(select(m.Response)).one()
    assert stored.answers == {"grade": 8, "mot_int_1": 4, "bul_2": 2}
    assert stored.submitted_on == TODAY


def test_the_same_form_posted_twice_stores_one_row(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    fields = _form(client.get(f"/s/{code}").text)
    data = {**fields, "grade": "5", "mot_int_2": "3"}
    first = client.post(f"/s/{code}", data=data)
    second = client.post(f"/s/{code}", data=data)  # double click, or a retry after a timeout
    assert first.status_code == second.status_code == 303
    assert _count(db) == 1


def test_each_new_page_is_a_new_submission(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    for _ in range(2):
        fields = _form(client.get(f"/s/{code}").text)
        assert client.post(f"/s/{code}", data={**fields, "grade": "9"}).status_code == 303
    assert _count(db) == 2


def test_invalid_answers_get_russian_messages_and_store_nothing(
    client: FlaskClient, db: Session
) -> None:
    code = _open(db)
    fields = _form(client.get(f"/s/{code}").text)
    response = client.post(f"/s/{code}", data={**fields, "mot_int_1": "7", "bogus": "x"})
    assert response.status_code == 400
    html = response.text
    assert "это обязательный вопрос" in html  # grade missing
    assert "выбран вариант, которого нет в списке" in html
    assert "В анкете нет вопросов: bogus" in html
    assert 'value="7"' not in html or "checked" not in html.split('value="7"')[1][:20]
    assert _count(db) == 0


def test_missing_or_wrong_csrf_is_refused(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    fields = _form(client.get(f"/s/{code}").text)
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert client.post(f"/s/{code}", data={**no_token, "grade": "7"}).status_code == 400
    bad = {**fields, "csrf_token": "forged"}
    assert client.post(f"/s/{code}", data={**bad, "grade": "7"}).status_code == 400
    assert _count(db) == 0


def test_closed_campaign_says_so(client: FlaskClient, db: Session) -> None:
    code = _open(db, opens_on=TODAY - dt.timedelta(days=20), closes_on=TODAY - dt.timedelta(days=1))
    page = client.get(f"/s/{code}")
    assert page.status_code == 410
    assert "Опрос завершился" in page.text
    assert client.post(f"/s/{code}", data={"grade": "7"}).status_code in (400, 410)
    assert _count(db) == 0


def test_unknown_link_is_404_in_russian(client: FlaskClient, db: Session) -> None:
    page = client.get("/s/doesnotexist")
    assert page.status_code == 404
    assert "Ссылка не найдена" in page.text


def test_huge_payload_is_refused(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    fields = _form(client.get(f"/s/{code}").text)
    response = client.post(f"/s/{code}", data={**fields, "grade": "7", "mot_int_1": "1" * 400_000})
    assert response.status_code == 413
    assert _count(db) == 0
