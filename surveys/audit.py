"""The audit trail: who did what to which object, and sign-in throttling built on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m

LOGIN_FAILED = "login_failed"
LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_MAX_FAILURES = 10


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> m.AuditEvent:
    """Add an audit event to the session (committed with the caller's transaction).

    Never put a respondent's IP address, token or answers here: staff actions only.
    """
    event = m.AuditEvent(action=action, user_id=user_id, target=target[:200], details=details or {})
    session.add(event)
    return event


def login_throttled(session: Session, login: str, *, now: dt.datetime | None = None) -> bool:
    """Whether ``login`` has failed too often lately to be tried again now.

    Counted per login, not per address: a whole school may sit behind one address, and an
    attacker may have many.
    """
    now = now or dt.datetime.now(dt.UTC)
    failures = session.scalar(
        select(func.count())
        .select_from(m.AuditEvent)
        .where(
            m.AuditEvent.action == LOGIN_FAILED,
            m.AuditEvent.target == login[:200],
            m.AuditEvent.at >= now - LOGIN_WINDOW,
        )
    )
    return (failures or 0) >= LOGIN_MAX_FAILURES
