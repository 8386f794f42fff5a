"""Autocommit connections kept between the respondent's requests (surveys.db.HeldConnections)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text

from surveys.db import HeldConnections, held_connections, make_engine


@pytest.fixture
def own_engine(database_url: str) -> Iterator[Engine]:
    """An engine of its own: the tests count its pool's checkouts and dispose of it."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _checkouts(engine: Engine) -> list[int]:
    """A list that grows by one at every checkout from the engine's pool."""
    seen: list[int] = []

    def checkout(*_args: Any) -> None:
        seen.append(1)

    event.listen(engine, "checkout", checkout)
    return seen


def _driver(connection: Connection) -> Any:
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _is_closed(driver: Any) -> bool:
    """Whether a DBAPI connection (psycopg or sqlite3) is closed for good."""
    if hasattr(driver, "closed"):
        return bool(driver.closed)
    try:
        driver.execute("SELECT 1")
    except Exception:  # sqlite3.ProgrammingError: Cannot operate on a closed database
        return True
    return False


def test_one_engine_one_holder_kept_as_many_as_the_pool_holds(own_engine: Engine) -> None:
    held = held_connections(own_engine)
    assert held is not None
    assert held_connections(own_engine) is held
    assert held.keep == own_engine.pool.size()  # type: ignore[attr-defined]


def test_a_connection_is_kept_in_autocommit_and_reused(own_engine: Engine) -> None:
    held = held_connections(own_engine)
    assert held is not None
    checkouts = _checkouts(own_engine)
    first = held.take()
    assert first.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
    first.execute(text("CREATE TABLE IF NOT EXISTS held_probe (n INTEGER)"))
    first.execute(text("DELETE FROM held_probe"))
    first.execute(text("INSERT INTO held_probe VALUES (1)"))
    # SQLAlchemy's autobegun block is ended on the way back; nothing was left uncommitted.
    held.give_back(first)
    assert not first.in_transaction()
    with own_engine.connect() as other:
        assert other.scalar(text("SELECT count(*) FROM held_probe")) == 1
        other.execute(text("DROP TABLE held_probe"))
        other.commit()
    again = held.take()
    assert again is first
    held.give_back(again)
    assert len(checkouts) == 2  # the kept one once, the other reader once


def test_no_more_are_kept_than_keep(own_engine: Engine) -> None:
    held = HeldConnections(own_engine, keep=2)
    taken = [held.take() for _ in range(3)]
    drivers = [_driver(c) for c in taken]
    for connection in taken:
        held.give_back(connection)
    assert [c.closed for c in taken] == [False, False, True]
    assert not any(_is_closed(d) for d in drivers[:2])
    held.close()
    assert all(c.closed for c in taken)


@pytest.mark.parametrize("how", ["failed", "invalidated", "not autocommit", "closed"])
def test_a_connection_in_doubt_is_closed_not_kept(own_engine: Engine, how: str) -> None:
    held = HeldConnections(own_engine, keep=5)
    connection = held.take()
    if how == "invalidated":
        connection.invalidate()
    elif how == "not autocommit":
        connection.execution_options(isolation_level=connection.default_isolation_level)
    elif how == "closed":
        connection.close()
    held.give_back(connection, failed=how == "failed")
    assert connection.closed
    fresh = held.take()
    assert fresh is not connection
    held.give_back(fresh)


def test_dispose_closes_the_kept_connections_and_those_in_use(own_engine: Engine) -> None:
    held = HeldConnections(own_engine, keep=5)
    kept, in_use = held.take(), held.take()
    kept_driver, in_use_driver = _driver(kept), _driver(in_use)
    held.give_back(kept)
    own_engine.dispose()
    assert kept.closed
    assert _is_closed(kept_driver)  # closed for real, not parked in the old pool
    held.give_back(in_use)  # taken before the dispose: closed, not kept
    assert in_use.closed
    assert _is_closed(in_use_driver)
    fresh = held.take()
    assert fresh is not in_use
    assert not _is_closed(_driver(fresh))
    held.give_back(fresh)


def test_a_lost_connection_retires_the_others(own_engine: Engine) -> None:
    """After a connection was lost (a database restart), the kept ones are not trusted."""
    held = HeldConnections(own_engine, keep=5)
    lost, kept, in_use = held.take(), held.take(), held.take()
    held.give_back(kept)
    kept_driver = _driver(kept)
    lost.invalidate(RuntimeError("server closed the connection unexpectedly"))
    held.give_back(lost)
    held.give_back(in_use)
    assert in_use.closed
    fresh = held.take()
    assert fresh not in (kept, in_use, lost)
    assert kept.closed and _is_closed(kept_driver)
    held.give_back(fresh)
    assert held.take() is fresh  # the new generation is kept as before
    held.give_back(fresh)


def test_a_connection_older_than_max_age_is_replaced(own_engine: Engine) -> None:
    held = HeldConnections(own_engine, keep=5, max_age=0.0)
    first = held.take()
    held.give_back(first)
    assert first.closed
    assert held.take() is not first


def test_a_forked_child_leaves_the_parents_connections_alone(own_engine: Engine) -> None:
    held = HeldConnections(own_engine, keep=5)
    parents = held.take()
    held.give_back(parents)
    held._forked()  # what os.register_at_fork runs in the child
    mine = held.take()
    assert mine is not parents
    assert not parents.closed  # the parent's socket: never used or closed by the child
    held.give_back(mine)
    held._inherited.clear()  # (here the "parent" is this process: close it after all)
    parents.close()


def test_an_in_memory_sqlite_database_is_not_held() -> None:
    engine = make_engine("sqlite:///:memory:")
    assert held_connections(engine) is None
    engine.dispose()
