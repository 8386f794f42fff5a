"""Staff pages: sign-in, role and school scoping, the school page and its reference."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_campaign, make_district, make_school, make_user


def _login(
    client: FlaskClient, login: str, password: str = PASSWORD, *, path: str = "/login"
) -> TestResponse:
    token = csrf_token(client.get("/login").text)
    return client.post(path, data={"login": login, "password": password, "csrf_token": token})


def _two_schools(db: Session):  # type: ignore[no-untyped-def]
    district = make_district(db, name="Северный район")
    mine = make_school(db, district, code="A01", name="Школа Альфа")
    other = make_school(db, district, code="B02", name="Школа Бета")
    make_campaign(db, [mine, other])
    return district, mine, other


def test_landing_page_lists_schools(client: FlaskClient, db: Session) -> None:
    _two_schools(db)
    db.commit()
    page = client.get("/")
    assert page.status_code == 200
    assert "Школа Альфа" in page.text and "Школа Бета" in page.text


def test_staff_pages_need_sign_in(client: FlaskClient, db: Session) -> None:
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused_in_russian(client: FlaskClient, db: Session) -> None:
    make_user(db, "admin", login="boss")
    db.commit()
    page = _login(client, "boss", "nope-nope")
    assert page.status_code == 400
    assert "Неверный логин или пароль" in page.text
    assert client.get("/staff/").status_code == 302


def test_login_without_csrf_is_refused(client: FlaskClient, db: Session) -> None:
    make_user(db, "admin", login="boss")
    db.commit()
    response = client.post("/login", data={"login": "boss", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_deputy_sees_only_own_school(client: FlaskClient, db: Session) -> None:
    _, mine, _other = _two_schools(db)
    make_user(db, "deputy", login="zam", school_code=mine.code)
    db.commit()
    assert _login(client, "zam").status_code == 302
    listing = client.get("/staff/").text
    assert "Школа Альфа" in listing and "Школа Бета" not in listing
    assert client.get("/staff/schools/A01").status_code == 200
    assert client.get("/staff/schools/B02").status_code == 404
    assert client.get("/staff/campaigns/1/schools/B02/reference.html").status_code == 404


def test_coordinator_sees_district_only(client: FlaskClient, db: Session) -> None:
    district, _, _ = _two_schools(db)
    elsewhere = make_school(
        db, make_district(db, name="Южный район"), code="C03", name="Школа Гамма"
    )
    make_user(db, "coordinator", login="coord", district_name=district.name)
    db.commit()
    _login(client, "coord")
    listing = client.get("/staff/").text
    assert "Школа Альфа" in listing and "Школа Бета" in listing and "Школа Гамма" not in listing
    assert client.get(f"/staff/schools/{elsewhere.code}").status_code == 404


def test_school_page_and_reference_show_scales_with_n(client: FlaskClient, db: Session) -> None:
    _two_schools(db)
    make_user(db, "admin", login="boss")
    db.commit()
    _login(client, "boss")
    page = client.get("/staff/schools/A01")
    assert page.status_code == 200
    assert "Подверженность травле" in page.text
    assert "скрыто: меньше 5 ответов" in page.text  # no answers yet: nothing shown
    reference = client.get("/staff/campaigns/1/schools/A01/reference.html")
    assert reference.status_code == 200
    assert "Аналитическая справка" in reference.text
    assert "style-src 'unsafe-inline'" in reference.headers["Content-Security-Policy"]


def test_login_redirect_stays_on_site(client: FlaskClient, db: Session) -> None:
    make_user(db, "admin", login="boss")
    db.commit()
    response = _login(client, "boss", path="/login?next=//evil.example/x")
    assert response.headers["Location"] == "/staff/"


def test_logout_is_a_csrf_protected_post(client: FlaskClient, db: Session) -> None:
    make_user(db, "admin", login="boss")
    db.commit()
    _login(client, "boss")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token
    page = client.get("/staff/").text
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert client.get("/staff/").status_code == 302


def test_repeated_failed_logins_are_throttled_and_audited(client: FlaskClient, db: Session) -> None:
    from sqlalchemy import select

    from surveys import models as m
    from surveys.audit import LOGIN_MAX_FAILURES

    make_user(db, "admin", login="boss")
    db.commit()
    for _ in range(LOGIN_MAX_FAILURES):
        assert _login(client, "boss", "guess-guess").status_code == 400
    page = _login(client, "boss")
    assert page.status_code == 429
    assert "Слишком много неудачных попыток" in page.text
    db.expire_all()
    actions = db.scalars(select(m.AuditEvent.action)).all()
    assert actions.count("login_failed") == LOGIN_MAX_FAILURES
    assert "login" not in actions
