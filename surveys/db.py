"""Engine, sessions and migrations: SQLite by default, PostgreSQL via ROOTCAUSE_DATABASE_URL."""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from surveys.errors import InvalidInput

if TYPE_CHECKING:
    from alembic.config import Config

ENV_URL = "ROOTCAUSE_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
#: PostgreSQL connections older than this are replaced (the pool's and HeldConnections')
RECYCLE_SECONDS = 1800


def default_url(instance_path: str | Path = "instance") -> str:
    return f"sqlite:///{Path(instance_path).resolve() / 'rootcause.db'}"


def database_url(instance_path: str | Path = "instance") -> str:
    """The configured URL: ``ROOTCAUSE_DATABASE_URL`` or the embedded SQLite file."""
    return normalize_url(os.environ.get(ENV_URL) or default_url(instance_path))


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` / ``postgres://`` URLs and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput(f"Неверный адрес базы данных: {url!r}") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        raise InvalidInput(
            f"Поддерживаются только PostgreSQL и SQLite, а не {parsed.get_backend_name()!r}"
        )
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers (staff pages) run while respondents write.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@contextmanager
def sqlite_migration_mode(connection: Connection) -> Iterator[None]:
    """Make one SQLite connection fit for a migration, and restore it afterwards.

    The driver's own transaction handling leaves DDL outside transactions, so a failed
    migration would leave half a schema behind: here transactions are begun explicitly and
    include DDL. Foreign keys are off while batch mode rebuilds tables (a referenced table is
    dropped and recreated), and checked before they are switched on again.
    """
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("no driver connection")
    previous = driver.isolation_level
    driver.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
    driver.isolation_level = None

    def begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    event.listen(connection, "begin", begin)
    try:
        yield
    finally:
        event.remove(connection, "begin", begin)
        driver.isolation_level = previous
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        driver.execute("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = normalize_url(url) if url else database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Pre-ping: a connection checked out of the pool is tested first, and one broken by a
    # server restart is replaced (with every other pooled connection as old) before a staff
    # request uses it. The round trip costs the respondent's pages nothing: they keep their
    # connections out of the pool (HeldConnections) and retry once after a lost one
    # (web.db.again_after_lost_connection).
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_recycle", RECYCLE_SECONDS)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with make_sessionmaker(engine)() as session, session.begin():
        yield session


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration built in code: no alembic.ini to keep in step."""
    # Alembic (with Mako and Pygments) is imported only to migrate: it would add a fifth of
    # a second to every start of the CLI.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def check(engine: Engine) -> None:
    """Raise if the models and the migrations have drifted apart (``alembic check``)."""
    from alembic import command

    command.check(alembic_config(engine))


_CURSOR = "rootcause.driver_cursor"


class DriverStatement:
    """A Core statement compiled once for a dialect and run straight on the driver's cursor.

    For the respondent's hot path (surveys.responses), where SQLAlchemy's execution of an
    already compiled statement (cache key, execution context, result object) cost about as
    much CPU as the driver itself. The statement is still written and compiled by SQLAlchemy,
    and its parameters and results go through the same type processors (JSON, dates) as
    ``Connection.execute`` would apply; what is skipped is the machinery around them, and
    with it the engine's execution events. Run only on a connection in autocommit mode (each
    statement its own transaction). A driver error on a lost connection invalidates it, as
    SQLAlchemy does, so the pool does not hand it out again.
    """

    def __init__(self, statement: Any, engine_or_connection: Engine | Connection) -> None:
        dialect = engine_or_connection.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        # Values the statement binds itself (literals such as a status), then the caller's.
        self._defaults: dict[str, Any] = dict(compiled.params)
        self._processors: dict[str, Any] = {}
        for name in self._defaults:
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor
        self._positions: list[str] | None = compiled.positiontup
        columns = getattr(statement, "returning_column_descriptions", None) or [
            {"type": column.type} for column in statement.selected_columns
        ]
        self._results = [
            c["type"].dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]

    def first(self, connection: Connection, parameters: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement returns (None: no row)."""
        values = {**self._defaults, **parameters}
        for name, processor in self._processors.items():
            values[name] = processor(values[name])
        arguments: Any = values if self._positions is None else [values[n] for n in self._positions]
        dbapi_connection = connection.connection
        # One cursor per driver connection, kept in the pool record's info (cleared when the
        # driver connection is replaced); taken out while in use.
        cursor = dbapi_connection.info.pop(_CURSOR, None) or dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, arguments)
            # To the end: SQLite finishes (commits) a statement only when it is done.
            rows = cursor.fetchall()
        except connection.dialect.loaded_dbapi.Error as exc:
            lost = connection.dialect.is_disconnect(exc, dbapi_connection, cursor)
            cursor.close()
            if lost:
                connection.invalidate(exc)
            raise
        except BaseException:
            cursor.close()
            raise
        dbapi_connection.info[_CURSOR] = cursor
        if not rows:
            return None
        row = rows[0]
        return tuple(
            value if processor is None or value is None else processor(value)
            for processor, value in zip(self._results, row, strict=True)
        )


def autocommit_connection(engine: Engine) -> Connection:
    """A connection in autocommit mode: each statement is its own transaction, so the
    respondent's page post makes no BEGIN or COMMIT round trips. Closing it gives it back to
    the pool at the engine's default isolation level."""
    connection = engine.connect()
    connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


class HeldConnections:
    """Autocommit connections kept out of an engine's pool between the respondent's requests.

    Checking a connection out of SQLAlchemy's pool and back in (the pool's lock, the checkout
    and reset events, autocommit switched on and off again) cost about a tenth of a server
    worker's CPU on a page post (bench/RESULTS.md). Here a request takes a connection already in
    autocommit mode from a free list (:meth:`take`) and puts it back when done
    (:meth:`give_back`), as Django keeps a connection per thread with ``CONN_MAX_AGE``. As many
    connections stay open as requests used one at the same time (one per server thread at
    most), up to ``keep``; more are closed. The held connections count against the pool's own
    limits, as any checked-out connection does.

    A connection is closed instead of kept when the request failed (``failed=True``), when it
    was invalidated, when it is no longer in autocommit mode, and when it is older than
    ``max_age`` seconds (the pool's recycle time). All of them, kept or in use, are closed on
    their way in or out after ``engine.dispose()`` (which closes the kept ones at once) and
    after any connection of the engine was lost (SQLAlchemy's ``invalidate`` event with an
    error, as a database restart gives: the others are most likely broken too, and SQLAlchemy
    recycles its pool for the same reason). A process forked with connections held
    (gunicorn's ``preload_app``) leaves them to the parent and opens its own.
    """

    def __init__(self, engine: Engine, keep: int, max_age: float = RECYCLE_SECONDS) -> None:
        # Weakly: the registry (held_connections) maps the engine to this object.
        self._engine = weakref.ref(engine)
        self.keep = keep
        self.max_age = max_age
        self._free: list[Connection] = []
        self._generation = 0
        #: (generation, time opened) of each open connection; a new generation drops them all
        self._born: weakref.WeakKeyDictionary[Connection, tuple[int, float]] = (
            weakref.WeakKeyDictionary()
        )
        self._inherited: list[Connection] = []  # a forked child's: never used, never closed
        event.listen(engine, "engine_disposed", self._disposed)
        event.listen(engine, "invalidate", self._invalidated)

    def take(self) -> Connection:
        """A kept connection, or a new one (list.pop is atomic: no lock needed)."""
        while True:
            try:
                connection = self._free.pop()
            except IndexError:
                break
            if self._current(connection):
                return connection
            self._discard(connection)
        engine = self._engine()
        if engine is None:  # pragma: no cover - a caller holds the engine
            raise RuntimeError("the engine is gone")
        connection = autocommit_connection(engine)
        self._born[connection] = (self._generation, time.monotonic())
        return connection

    def give_back(self, connection: Connection, *, failed: bool = False) -> None:
        """Keep ``connection`` for the next request, or close it (see the class)."""
        if connection.closed:
            return
        if not self._current(connection):
            self._discard(connection)
            return
        if connection.in_transaction():
            connection.rollback()  # SQLAlchemy's autobegun block: nothing pending in autocommit
        if (
            failed
            or connection.invalidated
            or connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"
            or len(self._free) >= self.keep
        ):
            connection.close()
            return
        self._free.append(connection)

    def close(self) -> None:
        """Close the kept connections; those in use are closed when given back."""
        self._generation += 1
        while self._free:
            self._discard(self._free.pop())

    def _current(self, connection: Connection) -> bool:
        generation, opened = self._born.get(connection, (-1, 0.0))
        return generation == self._generation and time.monotonic() - opened <= self.max_age

    @staticmethod
    def _discard(connection: Connection) -> None:
        """Close the driver's connection for real: after engine.dispose() the engine has a new
        pool, and the old one would keep it open; after a lost connection it is suspect."""
        if connection.closed:
            return
        if not connection.invalidated:  # (an invalidated one has its driver connection closed)
            connection.detach()
        connection.close()

    def _disposed(self, _engine: Engine) -> None:
        self.close()

    def _invalidated(self, _dbapi_connection: Any, _record: Any, exception: Any) -> None:
        if exception is not None:  # lost, not closed on purpose
            self._generation += 1

    def _forked(self) -> None:
        self._inherited.extend(self._free)
        self._free = []
        self._generation += 1


_HELD: weakref.WeakKeyDictionary[Engine, HeldConnections] = weakref.WeakKeyDictionary()
_HELD_LOCK = threading.Lock()


def held_connections(engine: Engine) -> HeldConnections | None:
    """The engine's :class:`HeldConnections` (None for a pool that is not a queue of
    connections, such as SQLite in memory, where every connection is its own database)."""
    held = _HELD.get(engine)
    if held is None:
        if not isinstance(engine.pool, QueuePool):
            return None
        with _HELD_LOCK:  # one per engine (each listens to the engine's events)
            held = _HELD.get(engine)
            if held is None:
                held = _HELD[engine] = HeldConnections(engine, keep=engine.pool.size())
    return held


def _close_held() -> None:
    for held in list(_HELD.values()):
        held.close()


def _forked() -> None:
    for held in list(_HELD.values()):
        held._forked()


atexit.register(_close_held)
os.register_at_fork(after_in_child=_forked)
