"""One-time set-password links: for a new account, or a password reset by whoever manages it.

The link carries a random token of 256 bits; only its SHA-256 is stored, so the table cannot
be used to sign anyone in. A token works once, for :data:`LIFETIME`, and only while its
account is active; making a new one revokes the account's earlier unused ones. The link is
shown once, to whoever made it, and it travels in a query string (``/set-password?t=...``)
because the server's logs drop query strings but keep paths (web.logprivacy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.errors import InvalidInput
from surveys.users import check_password_length, clear_password, set_password

LIFETIME = dt.timedelta(hours=72)
TOKEN_BYTES = 32
#: the one message for an unknown, used or expired token: the page tells nobody which
INVALID_LINK = (
    "Ссылка для установки пароля недействительна: она уже использована, устарела или "
    "набрана с ошибкой. Попросите администратора или координатора выдать новую."
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def issue_token(
    session: Session,
    user: m.User,
    *,
    created_by: m.User | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A new set-password token for ``user`` (returned once, never stored); their earlier
    unused tokens stop working."""
    if not user.is_active:
        raise InvalidInput("Учётная запись отключена: сначала включите её.")
    session.execute(
        delete(m.PasswordToken).where(
            m.PasswordToken.user_id == user.id, m.PasswordToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        m.PasswordToken(
            user_id=user.id,
            token_hash=_digest(token),
            expires_at=(now or _now()) + LIFETIME,
            created_by=created_by.id if created_by else None,
        )
    )
    session.flush()
    return token


def link_url(base_url: str, token: str) -> str:
    """The link as a full address: ``base_url`` is the public address of the site."""
    return f"{base_url.rstrip('/')}/set-password?t={token}"


def _usable(
    session: Session, token: str, now: dt.datetime
) -> tuple[m.PasswordToken, m.User] | None:
    if not token or len(token) > 100:
        return None
    row = session.scalar(
        select(m.PasswordToken).where(
            m.PasswordToken.token_hash == _digest(token),
            m.PasswordToken.used_at.is_(None),
            m.PasswordToken.expires_at > now,
        )
    )
    if row is None:
        return None
    user = session.get(m.User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def token_account(session: Session, token: str, *, now: dt.datetime | None = None) -> m.User | None:
    """The account a usable token sets the password of (None for any unusable token)."""
    found = _usable(session, token, now or _now())
    return found[1] if found else None


def redeem(
    session: Session, token: str, password: str, *, now: dt.datetime | None = None
) -> m.User:
    """Set the password through a token and use the token up; the account's sessions end.

    Raises InvalidInput with :data:`INVALID_LINK` for a token that cannot be used, whatever
    the reason, and with the length rule for a password that is too short.
    """
    now = now or _now()
    found = _usable(session, token, now)
    if found is None:
        raise InvalidInput(INVALID_LINK)
    row, user = found
    check_password_length(password)  # a too short password leaves the link usable
    # Used up in one statement that only one of two simultaneous posts can win.
    used = session.execute(
        update(m.PasswordToken)
        .where(m.PasswordToken.id == row.id, m.PasswordToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise InvalidInput(INVALID_LINK)
    set_password(session, user, password)
    return user


def reset_password(session: Session, user: m.User, *, created_by: m.User | None = None) -> str:
    """A reset: the old password and every session end, and a new set-password token is
    returned (shown once to whoever reset it)."""
    if not user.is_active:
        raise InvalidInput("Учётная запись отключена: сначала включите её.")
    clear_password(session, user)
    return issue_token(session, user, created_by=created_by)
