"""One SQLAlchemy session per request, closed (and rolled back if not committed) at teardown;
the respondent's pages use a plain autocommit connection instead (surveys.responses), kept
between requests (surveys.db.HeldConnections)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from surveys.db import autocommit_connection, held_connections


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


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
