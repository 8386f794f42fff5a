"""A database restart (every server connection ended) costs respondents and staff nothing:
the next request of each is answered, and each page is stored once.

PostgreSQL only: SQLite has no server whose connections could end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.db import held_connections, make_engine
from tests.conftest import PG_SERVER_DEFAULT, PG_SERVER_ENV, make_app, response_count
from tests.factories import make_user
from tests.web.test_respond_fast import FIRST_PAGE, IN_PLACE, _code, _fields, _stored
from tests.web.test_staff import _login

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def restart(engine: Engine) -> Iterator[Callable[[], int]]:
    """What a restart does to the application: the server ends every connection to the test
    database (``pg_terminate_backend``, the same "terminating connection due to administrator
    command" clients see when the server shuts down)."""
    assert engine.dialect.name == "postgresql"
    admin = make_engine(os.environ.get(PG_SERVER_ENV, PG_SERVER_DEFAULT))
    name = make_url(engine.url).database

    def terminate() -> int:
        with admin.connect() as conn:
            ended = conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.commit()
        return int(ended or 0)

    yield terminate
    admin.dispose()


def test_nothing_is_lost_when_the_database_restarts(
    app: Flask, db: Session, engine: Engine, database_url: str, restart: Callable[[], int]
) -> None:
    code = _code(db)
    make_user(db, "admin", login="boss")
    db.commit()
    staff = app.test_client()
    assert _login(staff, "boss").status_code == 302
    # A respondent with JavaScript (the fast path) and one without (Flask), each on page 2.
    scripted = app.test_client()
    page = scripted.get(f"/s/{code}").text
    scripted_page = scripted.post(
        f"/s/{code}", data=_fields(page, **FIRST_PAGE), headers=IN_PLACE
    ).text
    plain = make_app(engine, database_url, RESPONDENT_FAST_PATH=False).test_client()
    page = plain.get(f"/s/{code}").text
    reply = plain.post(f"/s/{code}", data=_fields(page, **FIRST_PAGE))
    assert reply.status_code == 303
    plain_page = plain.get(reply.headers["Location"]).text
    assert "Раздел 2 из 6" in plain_page
    # Idle connections in the pool and kept ones (HeldConnections) alike.
    opened = [engine.connect() for _ in range(3)]
    for connection in opened:
        connection.close()
    held = held_connections(engine)
    assert held is not None and held._free
    db.rollback()

    assert restart() >= 3

    fields = _fields(scripted_page, mot_int_1="2")
    reply = scripted.post(f"/s/{code}", data=fields, headers=IN_PLACE)
    assert reply.status_code == 200 and "Раздел 3 из 6" in reply.text
    assert _stored(db, fields["submission_id"]).answers["mot_int_1"] == 2

    fields = _fields(plain_page, mot_int_1="4")
    reply = plain.post(f"/s/{code}", data=fields)
    assert reply.status_code == 303 and reply.headers["Location"].endswith("?p=3")
    assert _stored(db, fields["submission_id"]).answers["mot_int_1"] == 4

    assert staff.get("/staff/campaigns/").status_code == 200
    assert app.test_client().get(f"/s/{code}").status_code == 200
    assert response_count(db) == 2
    assert db.scalar(select(func.count()).select_from(m.User)) == 1
