"""Fixed-window attempt counters in the database, shared by every worker of the web tier."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.errors import SurveysError


class TooManyAttempts(SurveysError):
    status = 429


def hit(
    session: Session,
    key: str,
    *,
    limit: int,
    window: dt.timedelta,
    now: dt.datetime | None = None,
    message: str = "Слишком много попыток. Подождите несколько минут и попробуйте снова.",
) -> int:
    """Count one attempt for ``key``; raise TooManyAttempts past ``limit`` in the window.

    The count is committed by the caller's transaction, and an attempt over the limit still
    counts, so hammering does not reopen the window.
    """
    now = now or dt.datetime.now(dt.UTC)
    seconds = int(window.total_seconds())
    start = dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, dt.UTC)
    row = session.get(m.Throttle, (key, start))
    if row is None:
        row = m.Throttle(key=key, window_start=start, hits=0)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another worker created the window first
            row = session.scalars(
                select(m.Throttle).where(m.Throttle.key == key, m.Throttle.window_start == start)
            ).one()
    row.hits += 1
    session.flush()
    if row.hits > limit:
        raise TooManyAttempts(message)
    return row.hits
