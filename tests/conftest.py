"""Fixtures: the whole suite runs once on SQLite and once on PostgreSQL (a fresh database).

Without a reachable PostgreSQL its half is skipped with the reason printed, except under
CI=true, where it fails: CI must prove both back ends.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.db import make_engine, make_sessionmaker, upgrade
from surveys.models import Base

PG_SERVER_ENV = "ROOTCAUSE_TEST_POSTGRES_URL"
PG_SERVER_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing component fails the run)", pytrace=False)
    pytest.skip(reason)


def _create_pg_database() -> tuple[str, Engine]:
    server_url = os.environ.get(PG_SERVER_ENV, PG_SERVER_DEFAULT)
    try:
        admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = f"rootcause_test_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        _missing(f"PostgreSQL not reachable at {server_url}: {type(exc).__name__}: {exc}")
        raise  # unreachable: _missing raises
    # A plain postgresql:// URL, as users write it in ROOTCAUSE_DATABASE_URL.
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return url, admin


@pytest.fixture(scope="session", autouse=True)
def _analysis_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The district analyses kept on disk (``web.reference_cache``) go to a folder of this
    session, for the commands run in subprocesses too, never to ``./instance``."""
    from web.disk_cache import CACHE_DIR_ENV

    path = tmp_path_factory.mktemp("analysis-cache")
    before = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = before


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database of each back end, for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    url, admin = _create_pg_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on an empty database; every table is emptied again afterwards."""
    _empty_all_tables(engine)
    session = make_sessionmaker(engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        _empty_all_tables(engine)


@pytest.fixture
def instance_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "instance"
    monkeypatch.setenv("ROOTCAUSE_INSTANCE_PATH", str(path))
    return path


@pytest.fixture
def app(db: Session, engine: Engine, database_url: str, instance_dir: Path) -> Flask:
    return make_app(engine, database_url)


def make_app(engine: Engine, database_url: str, **config: object) -> Flask:
    from web import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "ENGINE": engine,
            "DATABASE_URL": database_url,
            **config,
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli_env(
    database_url: str, monkeypatch: pytest.MonkeyPatch, instance_dir: Path, db: Session
) -> str:
    """Environment for CLI commands: they find the test database through the variable."""
    monkeypatch.setenv("ROOTCAUSE_DATABASE_URL", database_url)
    return database_url


CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


def hidden_field(page: str, name: str) -> str:
    """The value of a form's hidden field ``name``."""
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    if match is None:
        raise AssertionError(f"no hidden {name}")
    return match.group(1)


CHART_RE = re.compile(r'(<figure class="chart" id="[^"]+">).*?</figure>', re.S)
CHART_SCRIPT_RE = re.compile(r'<script src="[^"]+" defer></script>\n?')


def without_charts(html: str) -> str:
    """A reference page with each chart reduced to its place (``<figure … id="chart-…">``):
    the web page draws a chart with the app's plotly.js over its table, the standalone file
    shows its PNG, and the rest of the two must be the same text."""
    return CHART_SCRIPT_RE.sub("", CHART_RE.sub(r"\1</figure>", html))


def response_count(db: Session, status: str | None = None) -> int:
    """Stored responses (of one status), as another connection sees them now."""
    db.expire_all()
    query = select(func.count()).select_from(m.Response)
    if status:
        query = query.where(m.Response.status == status)
    return db.scalar(query) or 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres_only`` (what SQLite cannot have, such as a server restart) run
    on PostgreSQL only: their SQLite variants are deselected, not skipped."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("database_url") == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly how much of the suite ran on each database back end."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for backend in ("sqlite", "postgresql"):
                if re.search(rf"\[(.*-)?{backend}(-.*)?\]", nodeid):
                    counts.setdefault(backend, {}).setdefault(outcome, 0)
                    counts[backend][outcome] += 1
    if counts:
        terminalreporter.section("database back ends")
        for backend, by_outcome in sorted(counts.items()):
            line = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items()))
            terminalreporter.write_line(f"{backend}: {line}")
