"""Fixed-window attempt counters in the database, shared by every worker of the web tier."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.errors import SurveysError

TOO_MANY = "Слишком много попыток. Подождите несколько минут и попробуйте снова."


class TooManyAttempts(SurveysError):
    status = 429


def window_start(window: dt.timedelta, now: dt.datetime | None = None) -> dt.datetime:
    """The start of the fixed window (UTC) that ``now`` falls in."""
    now = now or dt.datetime.now(dt.UTC)
    seconds = int(window.total_seconds())
    return dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, dt.UTC)


def recorded(
    session: Session, key: str, *, window: dt.timedelta, now: dt.datetime | None = None
) -> int:
    """Attempts recorded for ``key`` in the current window (nothing is written)."""
    hits = session.scalar(
        select(m.Throttle.hits).where(
            m.Throttle.key == key, m.Throttle.window_start == window_start(window, now)
        )
    )
    return hits or 0


def refuse_past(
    session: Session,
    key: str,
    *,
    limit: int,
    window: dt.timedelta,
    now: dt.datetime | None = None,
    message: str = TOO_MANY,
) -> None:
    """Raise TooManyAttempts when ``limit`` attempts are already recorded in the window."""
    if recorded(session, key, window=window, now=now) >= limit:
        raise TooManyAttempts(message)


def record(
    session: Session, key: str, *, window: dt.timedelta, now: dt.datetime | None = None
) -> int:
    """Count one attempt for ``key`` and return the window's count so far.

    The count is committed at once on a connection of its own (one atomic upsert), not in
    ``session``'s transaction: a failed attempt usually ends in an exception, and a rollback
    of the caller's work must not take the count with it, or the limit would never be
    reached. Concurrent workers add up exactly. On SQLite call it before ``session`` has
    written anything (its write lock would make this connection wait).
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(m.Throttle)
        .values(key=key, window_start=window_start(window, now), hits=1)
        .on_conflict_do_update(
            index_elements=[m.Throttle.key, m.Throttle.window_start],
            set_={"hits": m.Throttle.hits + 1},
        )
        .returning(m.Throttle.hits)
    )
    with engine.connect() as connection:
        hits = connection.execute(statement).scalar_one()
        connection.commit()
    return int(hits)
