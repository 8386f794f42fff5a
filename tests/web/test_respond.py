"""The respondent's pages through the Flask test client: one section per page, CSRF,
validation, save and resume, idempotency, and a fresh form for the next person."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveys import models as m
from tests.conftest import csrf_token, hidden_field, response_count
from tests.factories import TODAY, link_for, make_campaign, make_district, make_school
from web import respond

PAGES = 6  # sections of student_5_11


def _open(db: Session, **campaign: object) -> str:
    school = make_school(db, name="МБОУ «Школа № 5»")
    link = link_for(db, make_campaign(db, [school], **campaign), school)
    db.commit()
    return link.code


def _fields(page: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token(page),
        **{n: hidden_field(page, n) for n in ("submission_id", "started", "page")},
    }


def _post(
    client: FlaskClient, code: str, p: int, answers: dict[str, str], direction: str = "next"
) -> TestResponse:
    page = client.get(f"/s/{code}?p={p}").text
    return client.post(f"/s/{code}", data={**_fields(page), **answers, "direction": direction})


def _finish(client: FlaskClient, code: str, first: dict[str, str]) -> TestResponse:
    response = _post(client, code, 1, first)
    for p in range(2, PAGES + 1):
        assert response.status_code == 303, response.text
        assert response.headers["Location"].endswith(f"?p={p}")
        response = _post(client, code, p, {})
    return response


def test_the_introduction_opens_the_first_page_then_one_section_per_page(
    client: FlaskClient, db: Session
) -> None:
    code = _open(db)
    first = client.get(f"/s/{code}")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    # The introduction and consent open page 1 (no separate page: one round trip less).
    page = first.text
    assert page.index("анонимная") < page.index("Раздел 1 из 6") < page.index('id="q-grade"')
    assert "Разделов: 6" in page
    old_introduction = client.get(f"/s/{code}?p=0").text  # an address of the former page 0
    assert "анонимная" in old_introduction and "Раздел 1 из 6" in old_introduction
    second = client.get(f"/s/{code}?p=2").text
    assert "анонимная" not in second and "Разделов:" not in second
    assert '<html lang="ru">' in page and "МБОУ «Школа №\u00a05»" in page
    assert "Раздел 1 из 6" in page and "<progress" in page
    assert 'id="q-grade"' in page and "mot_int_1" not in page  # only this section
    assert "<fieldset" in page and "<legend>" in page
    # The grade (a select, required): its label says so to a screen reader too.
    label = re.search(r'<label for="q-grade">(.*?)</label>', page, re.S)
    assert label is not None and "(обязательный вопрос)" in label.group(1)
    # Works without JavaScript: an ordinary form post; the script only enhances it.
    assert f'<form method="post" action="/s/{code}" autocomplete="off" novalidate' in page
    assert re.search(r'<script src="/static/respond\.js\?v=\w+" defer></script>', page)
    assert "<script>" not in page and " on" + "click=" not in page  # nothing inline


def test_pages_are_kept_and_the_last_one_completes(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    response = _post(client, code, 1, {"grade": "8"})
    assert response.status_code == 303
    assert response_count(db, "partial") == 1
    response = _post(client, code, 2, {"mot_int_1": "4"})
    for p in range(3, PAGES + 1):
        response = _post(client, code, p, {"bul_2": "2"} if p == 5 else {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{code}/thanks")
    assert "Спасибо" in client.get(response.headers["Location"]).text
    assert response_count(db) == 1
    stored = db.scalars(select(m.Response)).one()
    assert stored.status == "complete" and stored.progress == PAGES
    assert stored.answers == {"grade": 8, "mot_int_1": 4, "bul_2": 2}
    assert stored.submitted_on == TODAY  # a date, never a time of day


def test_a_respondent_who_leaves_resumes_where_they_stopped(
    client: FlaskClient, db: Session
) -> None:
    code = _open(db)
    _post(client, code, 1, {"grade": "6"})
    _post(client, code, 2, {"mot_int_2": "3"})
    resumed = client.get(f"/s/{code}")  # back later on the same device
    assert "Раздел 3 из 6" in resumed.text
    back = client.get(f"/s/{code}?p=2").text
    assert re.search(r'name="mot_int_2" value="3" checked', back)


def test_back_keeps_answers_without_requiring(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    _post(client, code, 1, {"grade": "7"})
    response = _post(client, code, 2, {"mot_int_1": "2"}, direction="back")
    assert response.headers["Location"].endswith("?p=1")
    assert db.scalars(select(m.Response)).one().answers == {"grade": 7, "mot_int_1": 2}


def test_after_finishing_the_next_person_gets_a_fresh_form(
    client: FlaskClient, db: Session
) -> None:
    code = _open(db)
    _finish(client, code, {"grade": "9"})
    fresh = client.get(f"/s/{code}?p=1").text
    assert "checked" not in fresh and "selected>" not in fresh
    _finish(client, code, {"grade": "10"})
    assert response_count(db, "complete") == 2


def test_posting_the_last_page_twice_stores_one_response(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    _post(client, code, 1, {"grade": "5"})
    for p in range(2, PAGES):
        _post(client, code, p, {})
    page = client.get(f"/s/{code}?p={PAGES}").text
    data = {**_fields(page), "direction": "next", "home_1": "3"}
    first = client.post(f"/s/{code}", data=data)
    second = client.post(f"/s/{code}", data=data)  # double click, or a retry after a timeout
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"].endswith("/thanks")
    assert response_count(db) == 1 and response_count(db, "complete") == 1


def test_invalid_answers_get_russian_messages_and_store_nothing(
    client: FlaskClient, db: Session
) -> None:
    code = _open(db)
    page = client.get(f"/s/{code}?p=1").text
    response = client.post(
        f"/s/{code}",
        data={**_fields(page), "grade": "", "home_language": "7", "bogus": "x"},
    )
    assert response.status_code == 400
    html = response.text
    assert "это обязательный вопрос" in html  # grade missing
    assert "выбран вариант, которого нет в списке" in html
    assert "В анкете нет вопросов: bogus" in html
    # Shown again, page 1 leaves the introduction out: the messages come first.
    assert "анонимная" in page and "анонимная" not in html
    assert html.index("Раздел 1 из 6") < html.index('id="errors"') < html.index('id="q-grade"')
    assert response_count(db) == 0


def test_questions_of_another_page_are_refused(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    page = client.get(f"/s/{code}?p=1").text
    response = client.post(f"/s/{code}", data={**_fields(page), "grade": "7", "bul_1": "1"})
    assert response.status_code == 400
    assert response_count(db) == 0


def test_missing_or_wrong_csrf_is_refused(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    fields = _fields(client.get(f"/s/{code}?p=1").text)
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert client.post(f"/s/{code}", data={**no_token, "grade": "7"}).status_code == 400
    bad = {**fields, "csrf_token": "forged"}
    assert client.post(f"/s/{code}", data={**bad, "grade": "7"}).status_code == 400
    assert response_count(db) == 0


def test_the_csrf_token_belongs_to_this_browser_and_expires(
    app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Respondents' posts carry a signed double-submit token (web.respond_csrf): valid only
    with the cookie it was made for, and only for WTF_CSRF_TIME_LIMIT seconds."""
    code = _open(db)
    first, second = app.test_client(), app.test_client()
    reply = first.get(f"/s/{code}")
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("rc_csrf=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/s/" in cookie and "Expires" not in cookie  # gone with the browser session
    assert "session=" not in ",".join(reply.headers.getlist("Set-Cookie"))  # no Flask session
    fields = _fields(reply.text)
    second.get(f"/s/{code}")  # a cookie of its own
    stolen = second.post(f"/s/{code}", data={**fields, "grade": "7", "direction": "next"})
    assert stolen.status_code == 400 and "Обновите страницу" in stolen.text
    no_cookie = app.test_client().post(f"/s/{code}", data={**fields, "grade": "7"})
    assert no_cookie.status_code == 400
    issued = int(fields["csrf_token"].split(".")[0])
    later = issued + app.config["WTF_CSRF_TIME_LIMIT"] + 1
    monkeypatch.setattr("web.respond_csrf.time.time", lambda: later)
    expired = first.post(f"/s/{code}", data={**fields, "grade": "7", "direction": "next"})
    assert expired.status_code == 400
    assert response_count(db) == 0
    monkeypatch.undo()
    kept = first.post(f"/s/{code}", data={**fields, "grade": "7", "direction": "next"})
    assert kept.status_code == 303 and response_count(db) == 1


def test_served_under_a_prefix_the_form_and_cookies_follow_it(
    client: FlaskClient, db: Session
) -> None:
    """Behind a proxy at /opros (SCRIPT_NAME), the form posts there and the cookies are kept
    for that path."""
    code = _open(db)
    prefix = "http://localhost/opros"
    page = client.get(f"/s/{code}", base_url=prefix)
    assert f'<form method="post" action="/opros/s/{code}"' in page.text
    assert "Path=/opros/s/" in page.headers["Set-Cookie"]
    fields = _fields(page.text)
    reply = client.post(
        f"/s/{code}", data={**fields, "grade": "7", "direction": "next"}, base_url=prefix
    )
    assert reply.status_code == 303
    assert f"Path=/opros/s/{code}" in reply.headers["Set-Cookie"]
    second = client.get(f"/s/{code}?p=2", base_url=prefix).text
    in_place = client.post(f"/s/{code}", data=_fields(second), headers=IN_PLACE, base_url=prefix)
    assert in_place.headers["X-Rootcause-Location"] == f"/opros/s/{code}?p=3"


def test_closed_campaign_says_so(client: FlaskClient, db: Session) -> None:
    code = _open(db, opens_on=TODAY - dt.timedelta(days=20), closes_on=TODAY - dt.timedelta(days=1))
    page = client.get(f"/s/{code}")
    assert page.status_code == 410
    assert "Опрос завершился" in page.text
    # Without a CSRF token: refused before the link is looked at.
    assert client.post(f"/s/{code}", data={"grade": "7"}).status_code == 400
    assert response_count(db) == 0


@pytest.mark.parametrize("in_place", [False, True], ids=["no-js", "in-place"])
def test_a_page_sent_after_the_campaign_closed_is_refused(
    app: Flask, client: FlaskClient, db: Session, in_place: bool
) -> None:
    """A respondent whose page was open when the coordinator closed the campaign: a valid
    post (CSRF and all) gets the Russian "closed" page with 410, and nothing more is
    stored."""
    code = _open(db)
    first = client.get(f"/s/{code}")
    assert first.status_code == 200
    # The first page once, so that the worker keeps the link and the fast path is in play.
    done = client.post(
        f"/s/{code}",
        data={**_fields(first.text), "grade": "7", "direction": "next"},
        headers=IN_PLACE,
    )
    assert done.status_code == 200 and response_count(db) == 1
    campaign = db.scalars(select(m.Campaign)).one()
    campaign.status = m.CampaignStatus.closed.value
    db.commit()
    with app.app_context():
        respond.forget_links()  # what the status change does in this worker
    reply = client.post(
        f"/s/{code}",
        data={**_fields(done.text), "mot_int_1": "3", "direction": "next"},
        headers=IN_PLACE if in_place else {},
    )
    assert reply.status_code == 410
    assert "Приём ответов по этой ссылке закрыт" in reply.text
    stored = db.scalars(select(m.Response)).one()
    db.refresh(stored)
    assert "mot_int_1" not in stored.answers and stored.progress == 1


def test_unknown_link_is_404_in_russian(client: FlaskClient, db: Session) -> None:
    page = client.get("/s/doesnotexist")
    assert page.status_code == 404
    assert "Ссылка не найдена" in page.text


def test_huge_payload_is_refused(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    fields = _fields(client.get(f"/s/{code}?p=1").text)
    response = client.post(f"/s/{code}", data={**fields, "grade": "7", "x": "1" * 400_000})
    assert response.status_code == 413
    assert response_count(db) == 0


def test_a_straight_lined_response_is_kept_but_flagged_and_can_be_excluded(
    client: FlaskClient, db: Session
) -> None:
    from surveys.dataset import audience_data

    code = _open(db)
    response = _post(client, code, 1, {"grade": "8"})
    same = {
        2: {f"mot_{k}": "3" for k in ("int_1", "int_2", "int_3", "int_4", "ext_1", "ext_2")},
        3: {"bel_1": "3", "bel_2": "3", "tsup_1": "3"},
    }
    for p in range(2, PAGES + 1):
        response = _post(client, code, p, same.get(p, {}))
    assert response.headers["Location"].endswith("/thanks")
    stored = db.scalars(select(m.Response)).one()
    assert "straight_lining" in stored.flags
    campaign = db.get(m.Campaign, stored.campaign_id)
    assert campaign is not None
    assert len(audience_data(db, campaign.id, "student").answers) == 1
    campaign.exclude_flagged = True
    db.commit()
    assert len(audience_data(db, campaign.id, "student").answers) == 0


@pytest.mark.parametrize(
    ("audience", "form", "items"), [("student", "student_5_11", 35), ("teacher", "teacher", 50)]
)
def test_every_page_is_light_for_a_weak_connection(
    client: FlaskClient, db: Session, audience: str, form: str, items: int
) -> None:
    """HTML + CSS of each page, compressed as any proxy sends them, stays under 30 KB; so
    does the whole questionnaire (every page, the stylesheet and the page script once) of
    the teacher's 50 items, more than the 40 of the issue. The stylesheet is cached for long
    under a content-hashed URL."""
    import gzip

    from instruments.library import builtin

    instrument = builtin(form)
    assert sum(len(i.rows or ()) or 1 for s in instrument.sections for i in s.items) == items
    school = make_school(db, name="МБОУ «Школа № 5»")
    code = link_for(
        db, make_campaign(db, [school], audiences={audience: form}), school, audience
    ).code
    db.commit()
    pages = len(instrument.sections)
    css_url = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', client.get(f"/s/{code}").text)
    assert css_url, "stylesheet URL carries a content hash"
    with client.get(css_url.group(1)) as css:
        assert "max-age=31536000" in css.headers["Cache-Control"]
        css_bytes = len(gzip.compress(css.data))
    script_url = re.search(
        r'src="(/static/respond\.js\?v=[0-9a-f]+)"', client.get(f"/s/{code}").text
    )
    assert script_url
    with client.get(script_url.group(1)) as script:
        script_bytes = len(gzip.compress(script.data))
    whole = css_bytes + script_bytes
    for p in range(1, pages + 1):
        html = client.get(f"/s/{code}?p={p}").data
        total = len(gzip.compress(html)) + css_bytes
        assert total <= 30 * 1024, (p, total)
        whole += len(gzip.compress(html))
    assert whole <= 30 * 1024, whole


def test_a_flood_on_one_link_is_limited_per_link_not_per_address(
    app,
    client: FlaskClient,
    db: Session,  # type: ignore[no-untyped-def]
) -> None:
    code = _open(db)
    other = link_for(
        db,
        make_campaign(db, [make_school(db, code="R2")]),
        db.scalars(select(m.School).where(m.School.code == "R2")).one(),
    ).code
    db.commit()
    app.config["LINK_POSTS_PER_MINUTE"] = 3
    app.extensions.pop("rootcause.link_limiter", None)
    for _ in range(3):
        assert _post(client, code, 1, {"grade": "7"}).status_code == 303
    limited = _post(client, code, 1, {"grade": "7"})
    assert limited.status_code == 429
    assert "Подождите минуту" in limited.text
    # Another school's link, from the same address, is not affected.
    assert _post(client, other, 1, {"grade": "7"}).status_code == 303


IN_PLACE = {"X-Rootcause-In-Place": "1"}


def test_the_page_script_gets_the_next_page_in_the_same_reply(
    client: FlaskClient, db: Session
) -> None:
    """respond.js posts with a header and gets the next page at once (no redirect and second
    request on a slow connection), then the thank-you page; what is stored is the same."""
    code = _open(db)
    page = client.get(f"/s/{code}?p=1").text
    reply = client.post(
        f"/s/{code}", data={**_fields(page), "grade": "8", "direction": "next"}, headers=IN_PLACE
    )
    assert reply.status_code == 200
    assert reply.headers["X-Rootcause-Location"] == f"/s/{code}?p=2"
    assert reply.headers["Cache-Control"] == "no-store"
    assert "Раздел 2 из 6" in reply.text and "mot_int_1" in reply.text
    assert f"rc_{code}=" in reply.headers["Set-Cookie"]  # the device can resume
    assert response_count(db, "partial") == 1
    for p in range(2, PAGES + 1):
        assert f"Раздел {p} из {PAGES}" in reply.text
        fields = _fields(reply.text)
        assert fields["page"] == str(p)
        reply = client.post(f"/s/{code}", data={**fields, "direction": "next"}, headers=IN_PLACE)
    assert reply.status_code == 200
    assert reply.headers["X-Rootcause-Location"] == f"/s/{code}/thanks"
    assert "Спасибо" in reply.text
    assert f"rc_{code}=;" in reply.headers["Set-Cookie"]  # the next person starts afresh
    assert response_count(db, "complete") == 1 and response_count(db) == 1
    # The device forgot the response: the questionnaire starts again, empty.
    fresh = client.get(f"/s/{code}?p=1").text
    assert hidden_field(fresh, "submission_id") != fields["submission_id"]


def test_in_place_errors_and_back_keep_the_same_rules(client: FlaskClient, db: Session) -> None:
    code = _open(db)
    page = client.get(f"/s/{code}?p=1").text
    missing = client.post(
        f"/s/{code}", data={**_fields(page), "direction": "next"}, headers=IN_PLACE
    )
    assert missing.status_code == 400 and "X-Rootcause-Location" not in missing.headers
    assert "Проверьте ответы" in missing.text and response_count(db) == 0
    forged = client.post(
        f"/s/{code}", data={**_fields(page), "grade": "7", "csrf_token": "x"}, headers=IN_PLACE
    )
    assert forged.status_code == 400 and response_count(db) == 0
    second = client.post(
        f"/s/{code}", data={**_fields(page), "grade": "7", "direction": "next"}, headers=IN_PLACE
    )
    back = client.post(
        f"/s/{code}",
        data={**_fields(second.text), "mot_int_1": "3", "direction": "back"},
        headers=IN_PLACE,
    )
    assert back.headers["X-Rootcause-Location"] == f"/s/{code}?p=1"
    # Page 1 comes back with its stored answer selected.
    assert re.search(r'<option value="7" selected', back.text) or 'value="7" checked' in back.text


def test_kept_pages_hold_nothing_of_one_respondent(app: Flask, db: Session) -> None:
    """Pages are put together from pieces rendered once per worker (web.respond._frame,
    _sections_html): nothing of one respondent (answers, errors, their submission, CSRF token,
    a message flashed into their session) may reach another's page."""
    code = _open(db)
    first, second = app.test_client(), app.test_client()
    with first.session_transaction() as session:
        session["_flashes"] = [("message", "Сообщение для первого")]
    page = first.get(f"/s/{code}").text
    assert "Сообщение для первого" not in page  # respondents' pages show no flashes
    assert "Сообщение для первого" not in first.get(f"/s/{code}/thanks").text
    wrong = first.post(
        f"/s/{code}", data={**_fields(page), "grade": "99", "direction": "next"}, headers=IN_PLACE
    )
    assert wrong.status_code == 400 and "Проверьте ответы" in wrong.text
    answered = first.post(
        f"/s/{code}", data={**_fields(page), "grade": "9", "direction": "next"}, headers=IN_PLACE
    )
    back = first.post(
        f"/s/{code}",
        data={**_fields(answered.text), "mot_int_1": "3", "direction": "back"},
        headers=IN_PLACE,
    )
    assert re.search(r'<option value="9" selected', back.text)

    other = second.get(f"/s/{code}").text
    assert "Проверьте ответы" not in other and "Сообщение для первого" not in other
    assert not re.search(r"selected|checked", other)
    assert hidden_field(other, "submission_id") != hidden_field(page, "submission_id")
    assert csrf_token(other) != csrf_token(page)
    # The same kept pieces, the respondent's own form tag: the second respondent goes on.
    reply = second.post(
        f"/s/{code}", data={**_fields(other), "grade": "6", "direction": "next"}, headers=IN_PLACE
    )
    assert reply.status_code == 200 and "Раздел 2 из 6" in reply.text
    assert not re.search(r'value="3" checked', reply.text)  # the first one's answer on page 2
    assert response_count(db, "partial") == 2


def test_schools_share_kept_pages_and_each_shows_its_own_name(
    client: FlaskClient, db: Session
) -> None:
    """The kept frame of a page is the same for every link to a version; the school's name
    (escaped) and the link's form address are put in for each page."""
    district = make_district(db)
    first = make_school(db, district, name='Школа <№ 1> & "Дом"')
    second = make_school(db, district, name="Школа № 2")
    campaign = make_campaign(db, [first, second])
    codes = [link_for(db, campaign, school).code for school in (first, second)]
    db.commit()
    one, two = (client.get(f"/s/{code}").text for code in codes)
    assert "Школа &lt;№\u00a01&gt; &amp; &#34;Дом&#34;" in one and "Школа №\u00a02" not in one
    assert "Школа №\u00a02" in two and "Дом" not in two
    assert f'action="/s/{codes[0]}"' in one and f'action="/s/{codes[1]}"' in two
    # Apart from the name and the respondent's own fields, the two pages are the same.
    strip = re.compile(r'<span>[^<]*</span>|<form [^>]*>|value="[^"]*"')
    assert strip.sub(
        "", one.replace("Школа &lt;№\u00a01&gt; &amp; &#34;Дом&#34;", "")
    ) == strip.sub("", two.replace("Школа №\u00a02", ""))
