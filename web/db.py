"""One SQLAlchemy session per request, closed (and rolled back if not committed) at teardown;
the respondent's pages use a plain autocommit connection instead (surveys.responses), kept
between requests (surveys.db.HeldConnections)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from surveys.db import autocommit_connection, held_connections

log = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., Any])


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["rootcause.sessionmaker"]()
    session: Session = g.db_session
    return session


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["rootcause.engine"]
    return engine


def take_respondent_connection(engine: Engine) -> Connection:
    """An autocommit connection for the respondent's hot path: one kept from an earlier
    request if there is one (surveys.db.HeldConnections). Hand it to
    :func:`give_back_respondent_connection` when done."""
    held = held_connections(engine)
    return autocommit_connection(engine) if held is None else held.take()


def give_back_respondent_connection(
    engine: Engine, connection: Connection, *, failed: bool = False
) -> None:
    """Keep the connection for the next request, or close it (after a failure, among others)."""
    held = held_connections(engine)
    if held is None:
        connection.close()
    else:
        held.give_back(connection, failed=failed)


def get_respondent_connection() -> Connection:
    """The request's autocommit connection (:func:`take_respondent_connection`), given back
    at teardown."""
    if "respondent_connection" not in g:
        g.respondent_connection = take_respondent_connection(get_engine())
    connection: Connection = g.respondent_connection
    return connection


def _close(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    connection = g.pop("respondent_connection", None)
    if connection is not None:
        give_back_respondent_connection(get_engine(), connection, failed=exc is not None)


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` came from a database connection of this request that was lost (a
    server restart): SQLAlchemy says so on its errors; the driver's own (surveys.db's
    DriverStatement) leave the respondent's connection invalidated."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    connection: Connection | None = g.get("respondent_connection")
    return connection is not None and connection.invalidated


def again_after_lost_connection(view: View) -> View:
    """Run the view once more, on new connections, when a connection it used was lost.

    For the respondent's pages only, which are safe to repeat (a page post is stored once
    however often it arrives): after a database restart the connections kept from earlier
    requests are all broken, and the first request on each would otherwise fail. Staff
    requests get a connection tested on checkout instead (surveys.db.make_engine)."""

    @functools.wraps(view)
    def again(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            if not connection_lost(exc):
                raise
            log.warning("database connection lost; the request is run once more", exc_info=True)
            _close(exc)
        return view(*args, **kwargs)

    return again  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
