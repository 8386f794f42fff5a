"""Database plumbing: URL handling, migrations in step with the models, both back ends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from surveys.db import check, normalize_url
from surveys.errors import InvalidInput
from surveys.models import Base


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/db",
            "postgresql+psycopg://postgres@127.0.0.1:5432/db",
        ),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite:///instance/x.db", "sqlite:///instance/x.db"),
    ],
)
def test_plain_urls_are_accepted(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize("bad", ["mysql://root@localhost/db", "not a url"])
def test_other_databases_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_url(bad)


def test_alembic_check_models_and_migrations_agree(engine: Engine) -> None:
    check(engine)  # raises if autogenerate would produce any operation


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_upgrading_a_database_with_data_keeps_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every migration runs on a database that already holds a district's answers."""
    import datetime as dt

    from sqlalchemy import func, select

    from surveys import models as m
    from surveys.db import make_engine, session_scope, upgrade
    from surveys.demo import generate_demo

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO district (name) VALUES ('Старый район')")
        conn.exec_driver_sql(
            "INSERT INTO instrument (code, audience, title) VALUES ('old', 'student', 'Старая')"
        )
        conn.exec_driver_sql(
            "INSERT INTO instrument_version (instrument_id, version, definition, checksum) "
            "VALUES (1, 1, '{}', 'x')"
        )
        conn.exec_driver_sql(
            "INSERT INTO campaign (district_id, title, opens_on, closes_on) "
            "VALUES (1, 'Волна', '2026-01-01', '2026-02-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO school (district_id, code, name) VALUES (1, 'OLD', 'Школа')"
        )
        conn.exec_driver_sql(
            "INSERT INTO response (submission_id, campaign_id, school_id, audience, "
            "instrument_version_id, answers, submitted_on) "
            "VALUES ('11111111-1111-4111-8111-111111111111', 1, 1, 'student', 1, '{}', "
            "'2026-01-10')"
        )
    upgrade(engine)
    check(engine)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.Response)) == 1
        assert session.scalars(select(m.Response)).one().progress == 0
        generate_demo(session, n_schools=2, with_users=False, today=dt.date(2026, 11, 1))
    engine.dispose()


def test_a_failed_migration_leaves_nothing_half_done(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """In migration mode SQLite runs DDL inside the transaction: a failure rolls it back."""
    from sqlalchemy import inspect, text

    from surveys.db import make_engine, sqlite_migration_mode

    engine = make_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    with (
        engine.connect() as conn,
        sqlite_migration_mode(conn),
        pytest.raises(RuntimeError, match="boom"),
        conn.begin(),
    ):
        conn.execute(text("CREATE TABLE half (id INTEGER)"))
        raise RuntimeError("boom")
    assert "half" not in inspect(engine).get_table_names()
    engine.dispose()


def test_class_link_enrolment_migrates_down_and_up(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """0007 (survey_link.enrolment) goes down to 0006 and up again on both back ends, keeping
    the links; the column refuses a number below 1."""
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from surveys.db import alembic_config, make_engine, upgrade
    from tests.conftest import _create_pg_database

    if database_url.startswith("sqlite"):
        url, admin = f"sqlite:///{tmp_path / 'migrate.db'}", None
    else:
        url, admin = _create_pg_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO district (name) VALUES ('Район')")
            conn.exec_driver_sql(
                "INSERT INTO school (district_id, code, name) VALUES (1, 'M01', 'Школа')"
            )
            conn.exec_driver_sql(
                "INSERT INTO campaign (district_id, title, opens_on, closes_on) "
                "VALUES (1, 'Волна', '2026-01-01', '2026-02-01')"
            )
            _insert_form(conn)
            conn.exec_driver_sql(
                "INSERT INTO survey_link (code, campaign_id, school_id, audience, class_name, "
                "enrolment, fielding_id) VALUES ('abc', 1, 1, 'student', '7Б', 25, 1)"
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE survey_link SET enrolment = 0")
        command.downgrade(alembic_config(engine), "0006")
        columns = {c["name"] for c in inspect(engine).get_columns("survey_link")}
        assert "enrolment" not in columns and "class_name" in columns
        upgrade(engine)
        check(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT class_name, enrolment FROM survey_link")).all() == [
                ("7Б", None)
            ]
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{engine.url.database}" WITH (FORCE)'
                )
            admin.dispose()


def _insert_form(conn) -> None:  # type: ignore[no-untyped-def]
    """Campaign 1 fields a student form (instrument 1, version 1) as fielding 1."""
    conn.exec_driver_sql(
        "INSERT INTO instrument (code, audience, title) VALUES ('old', 'student', 'Анкета')"
    )
    conn.exec_driver_sql(
        "INSERT INTO instrument_version (instrument_id, version, definition, checksum) "
        "VALUES (1, 1, '{}', 'x')"
    )
    conn.exec_driver_sql(
        "INSERT INTO fielding (campaign_id, audience, instrument_version_id) "
        "VALUES (1, 'student', 1)"
    )


def test_every_link_opens_a_form_after_0009(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """0009 fills a link's form from its audience's one form and then makes it required (on
    both back ends); a link whose form cannot be told stops the migration with its id."""
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from surveys.db import alembic_config, make_engine, upgrade
    from tests.conftest import _create_pg_database

    if database_url.startswith("sqlite"):
        url, admin = f"sqlite:///{tmp_path / 'forms.db'}", None
    else:
        url, admin = _create_pg_database()
    engine = make_engine(url)
    try:
        upgrade(engine, "0008")
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO district (name) VALUES ('Район')")
            conn.exec_driver_sql(
                "INSERT INTO school (district_id, code, name) VALUES (1, 'M01', 'Школа')"
            )
            conn.exec_driver_sql(
                "INSERT INTO campaign (district_id, title, opens_on, closes_on) "
                "VALUES (1, 'Волна', '2026-01-01', '2026-02-01')"
            )
            _insert_form(conn)
            conn.exec_driver_sql(
                "INSERT INTO survey_link (code, campaign_id, school_id, audience) "
                "VALUES ('abc', 1, 1, 'student')"
            )
            conn.exec_driver_sql(
                "INSERT INTO survey_link (code, campaign_id, school_id, audience) "
                "VALUES ('orphan', 1, 1, 'teacher')"
            )
        with pytest.raises(RuntimeError, match="orphan"):
            upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM survey_link WHERE code = 'orphan'")
        upgrade(engine)
        check(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT code, fielding_id FROM survey_link")).all() == [
                ("abc", 1)
            ]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE survey_link SET fielding_id = NULL")
        command.downgrade(alembic_config(engine), "0008")
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE survey_link SET fielding_id = NULL")
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT fielding_id FROM survey_link")).scalar() == 1
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{engine.url.database}" WITH (FORCE)'
                )
            admin.dispose()
