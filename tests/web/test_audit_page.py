"""The audit log page: administrators only, filters by user, action, object and dates, newest
first, pages, Russian action names, and a CSV download that is itself audited and neutralises
formula cells."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import audit
from surveys import models as m
from surveys.audit_log import PAGE_SIZE
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_district, make_user


def _login(client: FlaskClient, login: str) -> None:
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})


def _event(db: Session, action: str, user: m.User | None, target: str, day: dt.date) -> None:
    event = audit.record(db, action, user_id=user.id if user else None, target=target)
    event.at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _world(db: Session) -> tuple[m.User, m.User]:
    admin = make_user(db, "admin", login="boss")
    coordinator = make_user(
        db, "coordinator", login="coord", district_name=make_district(db, name="Северный").name
    )
    _event(db, "campaign_created", coordinator, "Осенняя волна", dt.date(2026, 9, 1))
    _event(db, "school_edited", coordinator, "школа N01", dt.date(2026, 10, 5))
    _event(db, "mystery_action", admin, "что-то", dt.date(2026, 10, 6))
    _event(db, "user_created", admin, '=HYPERLINK("http://evil")', dt.date(2026, 11, 1))
    db.commit()
    return admin, coordinator


def test_only_administrators_see_the_log(client: FlaskClient, db: Session) -> None:
    _world(db)
    assert client.get("/staff/audit/").status_code == 302
    _login(client, "coord")
    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/staff/audit/audit.csv").status_code == 403
    assert "/staff/audit/" not in client.get("/staff/").text


def test_filters_and_russian_action_names(client: FlaskClient, db: Session) -> None:
    _world(db)
    _login(client, "boss")
    page = client.get("/staff/audit/").text
    assert "Журнал аудита" in page
    assert "создание кампании" in page and "изменение школы" in page
    assert "mystery_action" in page  # an unknown action is shown as recorded
    assert "вход" in page  # the administrator's own sign-in
    # Newest first.
    assert page.index("HYPERLINK") < page.index("Осенняя волна")
    by_user = client.get("/staff/audit/?login=coord").text
    assert "Осенняя волна" in by_user and "школа N01" in by_user and "HYPERLINK" not in by_user
    by_action = client.get("/staff/audit/?action=school_edited").text
    assert "школа N01" in by_action and "Осенняя волна" not in by_action
    by_target = client.get("/staff/audit/?target=енняя вол").text
    assert "Осенняя волна" in by_target and "школа N01" not in by_target
    by_target_ascii = client.get("/staff/audit/?target=n01").text
    assert "школа N01" in by_target_ascii and "Осенняя волна" not in by_target_ascii
    by_dates = client.get("/staff/audit/?date_from=2026-10-01&date_to=2026-10-05").text
    assert "школа N01" in by_dates
    assert "Осенняя волна" not in by_dates and "что-то" not in by_dates
    bad = client.get("/staff/audit/?date_from=вчера")
    assert bad.status_code == 200 and "не дата" in bad.text


def test_pages_newest_first(client: FlaskClient, db: Session) -> None:
    admin, _ = _world(db)
    for n in range(PAGE_SIZE + 5):
        _event(db, "draft_saved", admin, f"version {n:03d}", dt.date(2025, 1, 1) + dt.timedelta(n))
    db.commit()
    _login(client, "boss")
    first = client.get("/staff/audit/?action=draft_saved").text
    assert "Страница 1 из 2" in first
    assert f"version {PAGE_SIZE + 4:03d}" in first and "version 000" not in first
    second = client.get("/staff/audit/?action=draft_saved&page=2").text
    assert "version 000" in second and f"version {PAGE_SIZE + 4:03d}" not in second


def test_csv_download_is_filtered_neutralised_and_audited(client: FlaskClient, db: Session) -> None:
    _world(db)
    _login(client, "boss")
    response = client.get("/staff/audit/audit.csv?date_from=2026-10-06")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Время (UTC)", "Пользователь", "Действие"]
    targets = [r[4] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in targets
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert "что-то" in targets and "Осенняя волна" not in targets
    labels = {r[3]: r[2] for r in rows[1:]}
    assert labels["user_created"] == "создание учётной записи"
    db.expire_all()
    exported = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "audit_exported")).all()
    assert len(exported) == 1
    assert exported[0].details == {"date_from": "2026-10-06"}


def test_every_recorded_action_has_a_russian_name() -> None:
    """Each action the code records (a literal name in an audit call) is named in Russian on
    the page: a new action without a label fails here rather than showing raw."""
    import re
    from pathlib import Path

    from surveys.audit_log import ACTION_LABELS

    root = Path(__file__).resolve().parents[2]
    calls = (
        re.compile(r"audit\.record\(\s*[^,()]+(?:\(\))?,\s*\"([a-z_]+)\""),
        re.compile(r"record_and_commit\(\s*\"([a-z_]+)\""),
        re.compile(r"_record\(\s*\w+,\s*\"([a-z_]+)\""),
    )
    # An action named by a constant (LOGIN_FAILED = "login_failed") in a module that audits.
    constant = re.compile(r"^[A-Z_]+ = \"([a-z]+_[a-z_]+)\"\s*$", re.M)
    found: set[str] = set()
    for package in ("surveys", "web"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in calls:
                found.update(pattern.findall(text))
            if "audit.record(" in text:
                found.update(constant.findall(text))
    assert {"login", "user_created", "responses_exported"} <= found
    missing = sorted(found - set(ACTION_LABELS))
    assert not missing, f"actions without a Russian name in surveys.audit_log: {missing}"
    # Named otherwise: built at run time (web.staff.campaigns), chosen by a condition
    # (surveys.schools), a constant of surveys.audit itself.
    assert {
        "campaign_open",
        "campaign_closed",
        "school_edited",
        "school_deactivated",
        "login_failed",
    } <= set(ACTION_LABELS)
