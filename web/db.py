"""One SQLAlchemy session per request, closed (and rolled back if not committed) at teardown;
the respondent's pages use a plain autocommit connection instead (surveys.responses)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["rootcause.sessionmaker"]()
    session: Session = g.db_session
    return session


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["rootcause.engine"]
    return engine


def autocommit_connection(engine: Engine) -> Connection:
    """A connection in autocommit mode for the respondent's hot path: each statement is its
    own transaction, so a page post makes no BEGIN or COMMIT round trips. Closing it gives it
    back to the pool at the engine's default isolation level."""
    connection = engine.connect()
    connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def get_respondent_connection() -> Connection:
    """The request's autocommit connection (:func:`autocommit_connection`), closed at teardown."""
    if "respondent_connection" not in g:
        g.respondent_connection = autocommit_connection(get_engine())
    connection: Connection = g.respondent_connection
    return connection


def _close(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    connection = g.pop("respondent_connection", None)
    if connection is not None:
        connection.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
