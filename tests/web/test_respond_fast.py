"""The respondent's fast path (web.respond_fast) gives the replies Flask gives, and steps aside
whenever anything but the plain case is asked for."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session
from werkzeug.http import dump_cookie
from werkzeug.test import TestResponse

from surveys import models as m
from surveys.tokens import token_link
from tests.conftest import csrf_token, hidden_field, make_app, response_count
from tests.factories import link_for, make_campaign, make_school
from web import csrf, respond, respond_csrf, respond_fast
from web import db as web_db
from web.respond_fast import RespondentFastPath

IN_PLACE = {"X-Rootcause-In-Place": "1"}
PAGES = 6  # sections of student_5_11
# What a page of student_5_11 needs to go on (the first page: the grade).
FIRST_PAGE = {"grade": "8"}


@pytest.fixture
def plain(engine: Engine, database_url: str, app: Flask) -> Flask:
    """The same application without the fast path: Flask answers everything."""
    return make_app(engine, database_url, RESPONDENT_FAST_PATH=False)


def _fast(app: Flask) -> RespondentFastPath:
    middleware = app.wsgi_app
    assert isinstance(middleware, RespondentFastPath)
    return middleware


def _code(db: Session, *, tokens: bool = False) -> str:
    school = make_school(db, name="МБОУ «Школа № 5» <и филиал>")
    link = link_for(db, make_campaign(db, [school]), school)
    if tokens:
        link = token_link(db, link)
    db.commit()
    return link.code


def _fields(page: str, **answers: str) -> dict[str, str]:
    fields = {n: hidden_field(page, n) for n in ("submission_id", "started", "page")}
    return {"csrf_token": csrf_token(page), **fields, **answers, "direction": "next"}


def _stored(db: Session, submission_id: str) -> m.Response:
    db.expire_all()
    response = db.scalar(select(m.Response).where(m.Response.submission_id == submission_id))
    assert response is not None
    return response


# The parts of a reply that differ by design between two replies: the respondent's own
# random values and the times.
_VARYING = (
    (
        re.compile(r'(name="(?:csrf_token|submission_id|started)" type="hidden" value=")[^"]*'),
        r"\1…",
    ),
    (re.compile(r"(rc_csrf=)[A-Za-z0-9_-]+"), r"\1…"),
    (re.compile(r"(rc_[A-Za-z0-9_-]+=)[0-9a-f-]{36}\.\d*"), r"\1…"),
    (re.compile(r"Expires=[^;]+"), "Expires=…"),
)


def _normal(text: str) -> str:
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return text


def _same_reply(fast: TestResponse, flask: TestResponse) -> None:
    assert fast.status == flask.status
    headers = sorted((k, _normal(v)) for k, v in fast.headers.items())
    assert headers == sorted((k, _normal(v)) for k, v in flask.headers.items())
    assert _normal(fast.text) == _normal(flask.text)


def _answered(app: Flask, call: Callable[[], TestResponse]) -> tuple[TestResponse, int]:
    before = _fast(app).answered
    reply = call()
    return reply, _fast(app).answered - before


def test_the_flask_hooks_it_stands_in_for_are_the_ones_it_knows(app: Flask) -> None:
    """The fast path does what these hooks do for its two requests (the CSRF check, the
    cookie of new tokens, the security headers, closing the connection). A new hook must be
    done there too, or the request left to Flask: this test is the reminder."""

    def names(funcs: dict[str | None, list[Callable[..., object]]]) -> dict[str | None, list[str]]:
        return {bp: [f.__qualname__ for f in fs] for bp, fs in funcs.items() if fs}

    assert names(app.before_request_funcs) == {
        "respond": ["_csrf"],
        # Flask-WTF's check, which leaves the respondent's pages to web.respond_csrf:
        None: ["CSRFProtect.init_app.<locals>.csrf_protect"],
    }
    assert respond.bp in csrf._exempt_blueprints
    assert names(app.after_request_funcs) == {
        "respond": ["set_cookie"],
        None: ["create_app.<locals>.security_headers"],
    }
    assert [f.__qualname__ for f in app.teardown_appcontext_funcs] == ["_close"]
    assert app.teardown_appcontext_funcs[0] is web_db._close
    assert not any(app.teardown_request_funcs.values())
    assert not any(app.url_value_preprocessors.values())
    assert not any(app.url_default_functions.values())
    # The two requests are these views' (and nothing else claims the address).
    rules = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule == "/s/<code>"
        for method in rule.methods or ()
    }
    assert rules >= {("respond.questionnaire", "GET"), ("respond.submit", "POST")}
    assert {endpoint for endpoint, _ in rules} == {"respond.questionnaire", "respond.submit"}


def test_a_new_respondent_gets_the_page_flask_gives(app: Flask, plain: Flask, db: Session) -> None:
    code = _code(db)
    first, n = _answered(app, lambda: app.test_client().get(f"/s/{code}"))
    assert n == 0, "the link and the page are not kept yet: Flask answers and keeps them"
    fast, n = _answered(app, lambda: app.test_client().get(f"/s/{code}"))
    assert n == 1
    flask_first = plain.test_client().get(f"/s/{code}")
    _same_reply(first, flask_first)
    _same_reply(fast, plain.test_client().get(f"/s/{code}"))
    assert "МБОУ «Школа №\u00a05» &lt;и филиал&gt;" in fast.text  # the school's name, escaped
    assert "rc_csrf=" in fast.headers["Set-Cookie"]
    # A browser that has its CSRF cookie already keeps it: no new cookie.
    client = app.test_client()
    client.get(f"/s/{code}")
    again, n = _answered(app, lambda: client.get(f"/s/{code}"))
    assert n == 1 and "Set-Cookie" not in again.headers
    assert response_count(db) == 0  # opening a link stores nothing


def test_a_page_post_gets_the_reply_flask_gives_and_is_stored_once(
    app: Flask, plain: Flask, db: Session
) -> None:
    code = _code(db)
    warm = app.test_client()  # keeps this worker's pieces of pages 1-3
    page = warm.get(f"/s/{code}").text
    page = warm.post(f"/s/{code}", data=_fields(page, **FIRST_PAGE), headers=IN_PLACE).text
    warm.post(f"/s/{code}", data=_fields(page), headers=IN_PLACE)

    client = app.test_client()
    page = client.get(f"/s/{code}").text
    fast, n = _answered(
        app, lambda: client.post(f"/s/{code}", data=_fields(page, **FIRST_PAGE), headers=IN_PLACE)
    )
    assert n == 1 and fast.status_code == 200
    assert fast.headers["X-Rootcause-Location"] == f"/s/{code}?p=2"
    fields = _fields(fast.text, mot_int_1="4")
    fast, n = _answered(app, lambda: client.post(f"/s/{code}", data=fields, headers=IN_PLACE))
    assert n == 1
    # The same post once more through Flask alone, from the same browser: a post is
    # idempotent, so the reply is the same and nothing more is stored.
    _warm_client(plain, code)
    flask = plain.test_client()
    for cookie in client._cookies.values():
        flask.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    _same_reply(fast, flask.post(f"/s/{code}", data=fields, headers=IN_PLACE))
    assert fast.headers["X-Rootcause-Location"] == f"/s/{code}?p=3"
    stored = _stored(db, fields["submission_id"])
    assert stored.status == "partial" and stored.progress == 2
    assert stored.answers["grade"] == 8 and stored.answers["mot_int_1"] == 4
    assert response_count(db) == 4  # two respondents on each application, the repeated post none


def test_a_whole_questionnaire_through_the_fast_path(
    app: Flask, plain: Flask, db: Session, engine: Engine
) -> None:
    """Every request of a respondent is answered by the fast path once the pieces are kept,
    the last page (all answers checked again, quality flags) included, on a database
    connection kept from the requests before (surveys.db.HeldConnections)."""
    code = _code(db)

    def complete(app: Flask) -> tuple[FlaskClient, dict[str, str], TestResponse]:
        client = app.test_client()
        reply = client.get(f"/s/{code}")
        reply = client.post(f"/s/{code}", data=_fields(reply.text, **FIRST_PAGE), headers=IN_PLACE)
        for _ in range(2, PAGES):
            reply = client.post(f"/s/{code}", data=_fields(reply.text), headers=IN_PLACE)
        last = _fields(reply.text)
        return client, last, client.post(f"/s/{code}", data=last, headers=IN_PLACE)

    _, n = _answered(app, lambda: complete(app)[2])
    assert n < PAGES + 1
    answered = _fast(app).answered
    checkouts: list[object] = []

    def checkout(*args: object) -> None:
        checkouts.append(args)

    event.listen(engine, "checkout", checkout)
    try:
        client, last, reply = complete(app)
    finally:
        event.remove(engine, "checkout", checkout)
    assert _fast(app).answered - answered == PAGES + 1  # the first GET and six page posts
    assert checkouts == []  # no checkout from the pool: the kept connection each time
    assert reply.headers["X-Rootcause-Location"] == f"/s/{code}/thanks"
    assert "Спасибо" in reply.text and f"rc_{code}=;" in reply.headers["Set-Cookie"]
    stored = _stored(db, last["submission_id"])
    assert stored.status == "complete" and stored.progress == PAGES
    assert response_count(db, "complete") == 2 and response_count(db) == 2
    # The last post once more through Flask alone (a double click): the same thank-you page.
    complete(plain)
    flask = plain.test_client()
    for cookie in client._cookies.values():
        flask.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    _same_reply(reply, flask.post(f"/s/{code}", data=last, headers=IN_PLACE))
    assert response_count(db, "complete") == 3 and response_count(db) == 3


def test_behind_a_prefix_and_https(app: Flask, plain: Flask, db: Session) -> None:
    code = _code(db)
    base = "https://localhost/opros"
    app.test_client().get(f"/s/{code}", base_url=base)
    fast, n = _answered(app, lambda: app.test_client().get(f"/s/{code}", base_url=base))
    assert n == 1
    plain.test_client().get(f"/s/{code}", base_url=base)
    _same_reply(fast, plain.test_client().get(f"/s/{code}", base_url=base))
    assert f'action="/opros/s/{code}"' in fast.text
    assert "Path=/opros/s/" in fast.headers["Set-Cookie"]
    assert "Secure" in fast.headers["Set-Cookie"]


def _warm_client(app: Flask, code: str) -> tuple[FlaskClient, str]:
    """A respondent on page 2 after the worker has kept the pieces of pages 1-3."""
    warm = app.test_client()
    page = warm.get(f"/s/{code}").text
    page = warm.post(f"/s/{code}", data=_fields(page, **FIRST_PAGE), headers=IN_PLACE).text
    warm.post(f"/s/{code}", data=_fields(page), headers=IN_PLACE)
    client = app.test_client()
    page = client.get(f"/s/{code}").text
    reply = client.post(f"/s/{code}", data=_fields(page, **FIRST_PAGE), headers=IN_PLACE)
    return client, reply.text


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no in-place header", 303),
        ("query string", 200),
        ("forged token", 400),
        ("no CSRF cookie", 400),
        ("answers out of range", 400),
        ("going back", 200),
        ("not a form", 400),
        ("too large", 413),
        ("not UTF-8", 400),
    ],
)
def test_anything_else_is_left_to_flask(app: Flask, db: Session, case: str, status: int) -> None:
    code = _code(db)
    client, page = _warm_client(app, code)
    fields = _fields(page)
    path, headers, data = f"/s/{code}", dict(IN_PLACE), fields
    kwargs: dict[str, object] = {}
    if case == "no in-place header":
        headers = {}
    elif case == "query string":
        path += "?p=2"
    elif case == "forged token":
        data = {**fields, "csrf_token": fields["csrf_token"][:-4] + "0000"}
    elif case == "no CSRF cookie":
        client.delete_cookie(respond_csrf.COOKIE, path="/s/")
    elif case == "answers out of range":
        data = {**fields, "mot_int_1": "9"}
    elif case == "going back":
        data = {**fields, "direction": "back"}
    elif case == "not a form":
        kwargs = {"data": '{"page": "2"}', "content_type": "application/json"}
    elif case == "too large":
        data = {**fields, "extra": "x" * 300_000}
    elif case == "not UTF-8":
        kwargs = {
            "data": "csrf_token=x&grade=\xe9".encode("latin-1"),
            "content_type": "application/x-www-form-urlencoded",
        }
    reply, n = _answered(
        app, lambda: client.post(path, headers=headers, **(kwargs or {"data": data}))
    )
    assert n == 0
    assert reply.status_code == status, reply.text[:500]
    stored = _stored(db, fields["submission_id"])
    if status >= 400:
        assert stored.progress == 1 and "mot_int_1" not in stored.answers


def test_a_device_continuing_a_response_and_a_token_link_are_left_to_flask(
    app: Flask, db: Session
) -> None:
    code = _code(db)
    client, _ = _warm_client(app, code)
    reply, n = _answered(app, lambda: client.get(f"/s/{code}"))
    assert n == 0 and "Раздел 2 из 6" in reply.text  # resumed where it stopped
    token_code = _code(db, tokens=True)
    reply, n = _answered(app, lambda: app.test_client().get(f"/s/{token_code}"))
    reply, n = _answered(app, lambda: app.test_client().get(f"/s/{token_code}"))
    assert n == 0 and reply.status_code == 302 and "/token" in reply.headers["Location"]


def test_a_closed_link_is_left_to_flask_even_when_cached(
    app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    code = _code(db)
    app.test_client().get(f"/s/{code}")
    later = dt.date.today() + dt.timedelta(days=400)
    monkeypatch.setattr(respond, "current_date", lambda: later)
    reply, n = _answered(app, lambda: app.test_client().get(f"/s/{code}"))
    assert n == 0 and reply.status_code == 410


def test_a_failure_in_the_fast_path_is_logged_and_flask_answers(
    app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    code = _code(db)
    client, page = _warm_client(app, code)
    calls = []

    def broken(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise RuntimeError("broken")

    monkeypatch.setattr(respond_fast, "save_page", broken)
    fields = _fields(page, mot_int_1="2")
    with caplog.at_level(logging.WARNING, logger="web.respond_fast"):
        reply, n = _answered(app, lambda: client.post(f"/s/{code}", data=fields, headers=IN_PLACE))
    assert calls and n == 0
    assert reply.status_code == 200 and "Раздел 3 из 6" in reply.text
    assert "Flask answers instead" in caplog.text
    assert _stored(db, fields["submission_id"]).answers["mot_int_1"] == 2


@pytest.mark.parametrize(("started", "secure"), [("1764000000", False), ("", True)])
def test_the_resume_cookie_is_the_one_werkzeug_writes(started: str, secure: bool) -> None:
    """resume_cookie builds its attributes once a second; the header is dump_cookie's."""
    submission_id = "0b7c7f55-4c3e-4f43-9a5e-2a3a4b1c9d10"
    for _ in range(5):  # the same second for both (the Expires attribute)
        second = int(time.time())
        ours = respond.resume_cookie("Ab_9-x", submission_id, started, "/pre", secure)
        theirs = dump_cookie(
            "rc_Ab_9-x",
            f"{submission_id}.{started}",
            max_age=respond.RESUME_DAYS * 86400,
            path="/pre/s/Ab_9-x",
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
        if int(time.time()) == second:
            break
    assert ours == theirs
    assert ("Secure" in ours) is secure
