"""Account pages: creating, editing, deactivating accounts and resetting passwords as an
administrator or a coordinator; set-password links; changing one's own password; sessions
that end when the password changes or the account is switched off."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveys import models as m
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_district, make_school, make_user

LINK_RE = re.compile(r'value="(http://localhost/set-password\?t=([A-Za-z0-9_-]+))"')


def _login(client: FlaskClient, login: str, password: str = PASSWORD) -> TestResponse:
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/staff/").status_code == 200


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None) -> TestResponse:
    token = csrf_token(client.get("/staff/users/").text)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _world(db: Session) -> None:
    north = make_district(db, name="Северный")
    south = make_district(db, name="Южный")
    make_school(db, north, code="N01", name="Школа Север")
    make_school(db, south, code="S01", name="Школа Юг")
    make_user(db, "admin", login="boss")
    make_user(db, "coordinator", login="coord", district_name="Северный")
    make_user(db, "deputy", login="south-zam", school_code="S01")
    make_user(db, "deputy", login="north-zam", school_code="N01")
    db.commit()


def _user(db: Session, login: str) -> m.User:
    db.expire_all()
    user = db.scalar(select(m.User).where(m.User.login == login))
    assert user is not None
    return user


def _create(client: FlaskClient, **fields: str) -> TestResponse:
    token = csrf_token(client.get("/staff/users/new").text)
    data = {"school": "", "district": "", "full_name": "", "position": "", **fields}
    return client.post("/staff/users/new", data={"csrf_token": token, **data})


def test_admin_creates_an_account_and_its_link_sets_the_password_once(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    _world(db)
    _login(client, "boss")
    page = _create(
        client,
        login="new-coord",
        role="coordinator",
        district="Южный",
        full_name="Петрова Анна",
        position="методист",
    )
    assert page.status_code == 200, page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "показывается только один раз" in page.text
    url, token = LINK_RE.search(page.text).groups()  # type: ignore[union-attr]
    account = _user(db, "new-coord")
    assert account.role == "coordinator" and account.position == "методист"
    assert account.password_hash == ""
    assert token not in str(db.scalars(select(m.AuditEvent.details)).all())

    visitor = app.test_client()
    form = visitor.get(url.removeprefix("http://localhost"))
    assert form.status_code == 200 and "new-coord" in form.text
    assert token not in form.text.split("<form")[0]  # only in the form's hidden field
    short = visitor.post(
        "/set-password",
        data={
            "csrf_token": csrf_token(form.text),
            "t": token,
            "password": "short",
            "confirm": "short",
        },
    )
    assert short.status_code == 400 and "не короче 8" in short.text
    done = visitor.post(
        "/set-password",
        data={
            "csrf_token": csrf_token(form.text),
            "t": token,
            "password": "my-own-pass-1",
            "confirm": "my-own-pass-1",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert _login(visitor, "new-coord", "my-own-pass-1").status_code == 302
    assert _signed_in(visitor)
    again = app.test_client().get(url.removeprefix("http://localhost"))
    assert again.status_code == 404
    assert "недействительна" in again.text
    unknown = app.test_client().get("/set-password?t=nonsense")
    assert unknown.status_code == 404 and "недействительна" in unknown.text


def test_set_password_form_needs_csrf(app: Flask, client: FlaskClient, db: Session) -> None:
    _world(db)
    _login(client, "boss")
    token = LINK_RE.search(_create(client, login="x1", role="admin").text).group(2)  # type: ignore[union-attr]
    visitor = app.test_client()
    visitor.get(f"/set-password?t={token}")
    refused = visitor.post(
        "/set-password", data={"t": token, "password": "my-own-pass-1", "confirm": "my-own-pass-1"}
    )
    assert refused.status_code == 400
    assert _user(db, "x1").password_hash == ""


def test_coordinator_manages_own_districts_deputies_and_psychologists_only(
    client: FlaskClient, db: Session
) -> None:
    _world(db)
    _login(client, "coord")
    listing = client.get("/staff/users/").text
    assert "north-zam" in listing and "south-zam" not in listing and "boss" not in listing
    new_page = client.get("/staff/users/new").text
    assert 'value="admin"' not in new_page and 'value="coordinator"' not in new_page
    assert "S01" not in new_page and "Южный" not in new_page
    created = _create(client, login="psy", role="psychologist", district="Северный")
    assert created.status_code == 200 and _user(db, "psy").district_id is not None
    # Roles and places outside the coordinator's reach are refused, nothing is created.
    assert _create(client, login="c2", role="coordinator", district="Северный").status_code == 400
    assert _create(client, login="z2", role="deputy", school="S01").status_code == 400
    assert db.scalar(select(m.User).where(m.User.login.in_(["c2", "z2"]))) is None
    for login in ("south-zam", "boss"):
        target = _user(db, login)
        assert client.get(f"/staff/users/{target.id}/").status_code == 404
        assert _post(client, f"/staff/users/{target.id}/active", {"active": "0"}).status_code == 404
        assert _post(client, f"/staff/users/{target.id}/reset-password").status_code == 404
        assert _user(db, login).is_active and _user(db, login).password_hash
    mine = _user(db, "north-zam")
    edited = _post(
        client,
        f"/staff/users/{mine.id}/",
        {
            "role": "deputy",
            "school": "N01",
            "district": "",
            "full_name": "Сидорова",
            "position": "",
        },
    )
    assert edited.status_code == 302
    assert _user(db, "north-zam").full_name == "Сидорова"


def test_account_pages_are_forbidden_to_deputies_and_psychologists(
    client: FlaskClient, db: Session
) -> None:
    _world(db)
    make_user(db, "psychologist", login="psy", district_name="Северный")
    db.commit()
    for login in ("north-zam", "psy"):
        _login(client, login)
        assert client.get("/staff/users/").status_code == 403
        assert client.get("/staff/users/new").status_code == 403
        assert client.get("/staff/audit/").status_code == 403
        page = client.get("/staff/").text
        assert "/staff/users/" not in page and "/account/password" in page


def test_changing_own_password_ends_other_sessions_but_not_this_one(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    _world(db)
    other = app.test_client()
    _login(client, "north-zam")
    _login(other, "north-zam")
    assert _signed_in(client) and _signed_in(other)
    form = client.get("/account/password")
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(form.text),
            "current": "not-my-password",
            "password": "brand-new-pass",
            "confirm": "brand-new-pass",
        },
    )
    assert wrong.status_code == 400 and "Текущий пароль введён неверно" in wrong.text
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(form.text),
            "current": PASSWORD,
            "password": "brand-new-pass",
            "confirm": "brand-new-pass",
        },
    )
    assert changed.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other)
    assert _login(other, "north-zam", PASSWORD).status_code == 400
    assert _login(other, "north-zam", "brand-new-pass").status_code == 302
    actions = db.scalars(select(m.AuditEvent.action).order_by(m.AuditEvent.id)).all()
    assert "password_changed" in actions


def test_deactivation_ends_sessions_and_blocks_sign_in(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    _world(db)
    victim = app.test_client()
    _login(victim, "north-zam")
    assert _signed_in(victim)
    _login(client, "coord")
    target = _user(db, "north-zam")
    assert _post(client, f"/staff/users/{target.id}/active", {"active": "0"}).status_code == 302
    assert not _signed_in(victim)
    assert _login(victim, "north-zam").status_code == 400
    assert "отключена" in client.get("/staff/users/").text
    assert _post(client, f"/staff/users/{target.id}/active", {"active": "1"}).status_code == 302
    assert not _signed_in(victim)  # the old session stays over after reactivation
    assert _login(victim, "north-zam").status_code == 302
    actions = db.scalars(select(m.AuditEvent.action)).all()
    assert "user_deactivated" in actions and "user_reactivated" in actions


def test_reset_password_shows_a_link_and_ends_the_old_password(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    _world(db)
    victim = app.test_client()
    _login(victim, "north-zam")
    _login(client, "boss")
    target = _user(db, "north-zam")
    page = _post(client, f"/staff/users/{target.id}/reset-password")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert LINK_RE.search(page.text)
    assert not _signed_in(victim)
    assert _login(victim, "north-zam").status_code == 400
    assert client.post(f"/staff/users/{target.id}/reset-password").status_code == 400  # no CSRF
    db.expire_all()
    assert len(db.scalars(select(m.PasswordToken)).all()) == 1
    assert "password_reset" in db.scalars(select(m.AuditEvent.action)).all()


def test_old_pbkdf2_hash_is_rehashed_at_web_sign_in(client: FlaskClient, db: Session) -> None:
    from werkzeug.security import generate_password_hash

    _world(db)
    user = _user(db, "boss")
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256")
    db.commit()
    assert _login(client, "boss").status_code == 302
    assert _user(db, "boss").password_hash.startswith("scrypt:")


def test_sign_in_failures_and_sign_out_are_audited_and_throttled(
    client: FlaskClient, db: Session
) -> None:
    _world(db)
    assert _login(client, "boss", "wrong-one").status_code == 400
    assert _login(client, "boss").status_code == 302
    token = csrf_token(client.get("/staff/").text)
    client.post("/logout", data={"csrf_token": token})
    db.expire_all()
    events = db.execute(select(m.AuditEvent.action, m.AuditEvent.target)).all()
    assert ("login_failed", "boss") in events
    assert ("login", "boss") in events and ("logout", "boss") in events
    for _ in range(10):
        _login(client, "coord", "wrong-one")
    assert _login(client, "coord").status_code == 429
    db.expire_all()
    actions = db.scalars(select(m.AuditEvent.action).where(m.AuditEvent.target == "coord")).all()
    # The refused attempt is recorded, and not as one more failure.
    assert actions.count("login_failed") == 10 and actions.count("login_throttled") == 1
    assert client.get("/set-password?t=made-up").status_code == 404
    db.expire_all()
    refused = db.scalars(
        select(m.AuditEvent.target).where(m.AuditEvent.action == "password_link_refused")
    ).all()
    assert refused == [""]  # the token itself is never kept


def test_the_token_travels_where_server_logs_do_not_keep_it() -> None:
    """Server logs keep paths but drop query strings (web.logprivacy, gunicorn's %U): the
    set-password token must be in the query string, and the form posts it in its body."""
    from urllib.parse import urlsplit

    from surveys.password_links import link_url
    from web import gunicorn_config
    from web.logprivacy import scrub

    url = link_url("https://example.ru/", "SECRET-TOKEN")
    parts = urlsplit(url)
    assert parts.path == "/set-password" and parts.query == "t=SECRET-TOKEN"
    line = f'127.0.0.1 - - "GET {parts.path}?{parts.query} HTTP/1.1" 200 -'
    assert "SECRET-TOKEN" not in scrub(line)
    assert "%(U)s" in gunicorn_config.access_log_format
    assert "%(r)s" not in gunicorn_config.access_log_format
    assert "%(q)s" not in gunicorn_config.access_log_format
