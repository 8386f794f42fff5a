"""Staff accounts: creating, editing and deactivating them, passwords and signing in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from surveys import models as m
from surveys.access import (
    can_manage_district,
    can_manage_user,
    can_see_school,
    manageable_roles,
    visible_schools,
    visible_users,
)
from surveys.districts import find_district
from surveys.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "AccountFields",
    "AccountRow",
    "authenticate",
    "can_see_school",
    "change_own_password",
    "check_password_length",
    "clear_password",
    "create_account",
    "create_user",
    "edit_user",
    "end_sessions",
    "find_user",
    "hash_password",
    "list_accounts",
    "needs_rehash",
    "resolve_scope",
    "set_active",
    "set_password",
    "user_by_login",
    "visible_schools",
]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
#: werkzeug 3's default, named so that a change of its default never changes ours unnoticed
PASSWORD_METHOD = "scrypt"  # noqa: S105 (a scheme, not a password)
#: an account created with a set-password link has no password until the link is used;
#: no password ever matches it (see :func:`authenticate`)
NO_PASSWORD = ""

ROLE_NAMES = {
    m.Role.admin.value: "администратор",
    m.Role.coordinator.value: "муниципальный координатор",
    m.Role.psychologist.value: "педагог-психолог",
    m.Role.deputy.value: "заместитель директора",
}


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with an older scheme (pbkdf2, or scrypt with other
    parameters than today's) and should be replaced at the next successful sign-in."""
    return bool(password_hash) and password_hash.split("$", 1)[0] != _CURRENT_PREFIX


def check_password_length(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Пароль должен быть не длиннее {MAX_PASSWORD_LENGTH} символов.")


@dataclass(frozen=True)
class AccountFields:
    """What an account's form or a row of a users file says about it."""

    role: str
    full_name: str = ""
    position: str = ""
    school_code: str | None = None
    district_name: str | None = None


def resolve_scope(
    session: Session, fields: AccountFields
) -> tuple[m.School | None, m.District | None]:
    """The school and district the fields name, checked against the role."""
    if fields.role not in m.Role.__members__:
        raise InvalidInput(f"Неизвестная роль {fields.role!r}: допустимы {', '.join(m.Role)}.")
    school = district = None
    if fields.school_code:
        school = session.scalar(select(m.School).where(m.School.code == fields.school_code))
        if school is None:
            raise NotFound(f"Школа с кодом «{fields.school_code}» не найдена.")
    if fields.district_name:
        district = find_district(session, fields.district_name)
        if district is None:
            raise NotFound(f"Район «{fields.district_name}» не найден.")
    if school is not None and district is not None and school.district_id != district.id:
        raise InvalidInput(f"Школа {school.code} не относится к району «{district.name}».")
    if fields.role == m.Role.deputy and school is None:
        raise InvalidInput("Для заместителя директора укажите школу.")
    if fields.role in (m.Role.coordinator, m.Role.psychologist) and not (district or school):
        raise InvalidInput("Для координатора и психолога укажите район или школу.")
    if fields.role == m.Role.admin and (school or district):
        raise InvalidInput("Администратор не привязывается к школе или району.")
    return school, district


def _apply(
    user: m.User, fields: AccountFields, school: m.School | None, district: m.District | None
) -> None:
    user.role = fields.role
    user.full_name = fields.full_name.strip()[:300]
    user.position = fields.position.strip()[:200]
    # A deputy belongs to one school (and so to its district); a coordinator or a
    # psychologist to a district, given directly or through a school.
    user.school_id = school.id if school is not None and fields.role == m.Role.deputy else None
    user.district_id = district.id if district else (school.district_id if school else None)


def _check_actor(session: Session, actor: m.User | None, user: m.User) -> None:
    """Whether ``actor`` (None: the command line, which may do anything) may give ``user``
    this role and scope."""
    if actor is None:
        return
    if user.role not in manageable_roles(actor):
        raise Forbidden("Вы не можете назначать эту роль.")
    if user.district_id is not None and not can_manage_district(actor, user.district_id):
        raise NotFound("Школа или район не найдены.")
    if not can_manage_user(session, actor, user):
        raise Forbidden("Вы не можете управлять этой учётной записью.")


def create_user(
    session: Session,
    *,
    login: str,
    role: str,
    password: str | None = None,
    school_code: str | None = None,
    district_name: str | None = None,
    full_name: str = "",
    position: str = "",
) -> m.User:
    """Create a staff account scoped as its role requires (the command line, the demo: no
    access check; a staff member's request goes through :func:`create_account`).

    A deputy director belongs to one school; a coordinator or psychologist to a district
    (given directly or through a school); an administrator to neither. Without ``password``
    the account cannot sign in until a set-password link (:mod:`surveys.password_links`) is
    used.
    """
    fields = AccountFields(role, full_name, position, school_code, district_name)
    return _create(session, None, login, password, fields)


def create_account(session: Session, actor: m.User, *, login: str, fields: AccountFields) -> m.User:
    """Create an account on ``actor``'s request, without a password, if :mod:`surveys.access`
    lets ``actor`` manage such an account (Forbidden for a role they never give, NotFound for
    a school or district outside their scope)."""
    return _create(session, actor, login, None, fields)


def _create(
    session: Session,
    actor: m.User | None,
    login: str,
    password: str | None,
    fields: AccountFields,
) -> m.User:
    role = fields.role
    login = login.strip()
    if not login:
        raise InvalidInput("Логин не может быть пустым.")
    if len(login) > 100 or any(c.isspace() for c in login):
        raise InvalidInput("Логин — без пробелов, не длиннее 100 символов.")
    if password is not None:
        check_password_length(password)
    if actor is not None and role not in manageable_roles(actor):
        raise Forbidden("Вы не можете назначать эту роль.")
    school, district = resolve_scope(session, fields)
    user = m.User(login=login, password_hash=NO_PASSWORD, session_version=0, is_active=True)
    _apply(user, fields, school, district)
    _check_actor(session, actor, user)
    if session.scalar(select(m.User.id).where(m.User.login == login)) is not None:
        raise Conflict(f"Пользователь «{login}» уже существует.")
    if password is not None:
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def edit_user(
    session: Session, user: m.User, fields: AccountFields, *, actor: m.User | None = None
) -> dict[str, tuple[object, object]]:
    """Change an account's name, position, role and scope; returns what changed (old, new)
    for the audit log. ``actor`` must manage the account both before and after."""
    if actor is not None and not can_manage_user(session, actor, user):
        raise NotFound("Учётная запись не найдена.")
    if actor is not None and actor.id == user.id and fields.role != user.role:
        raise InvalidInput("Свою роль изменить нельзя: попросите другого администратора.")
    if actor is not None and fields.role not in manageable_roles(actor):
        raise Forbidden("Вы не можете назначать эту роль.")
    school, district = resolve_scope(session, fields)
    before = {k: getattr(user, k) for k in _EDITABLE}
    _apply(user, fields, school, district)
    try:
        _check_actor(session, actor, user)
    except Exception:
        for key, value in before.items():
            setattr(user, key, value)
        raise
    session.flush()
    return {k: (before[k], getattr(user, k)) for k in _EDITABLE if before[k] != getattr(user, k)}


_EDITABLE = ("role", "full_name", "position", "school_id", "district_id")


def end_sessions(user: m.User) -> None:
    """Every signed-in session of ``user`` is over from its next request (web.auth compares
    the number a session was opened with against this one)."""
    user.session_version = (user.session_version or 0) + 1


def set_active(
    session: Session, user: m.User, active: bool, *, actor: m.User | None = None
) -> None:
    """Deactivate (sessions end, set-password links stop working; data and history stay) or
    reactivate an account."""
    if actor is not None and not can_manage_user(session, actor, user):
        raise NotFound("Учётная запись не найдена.")
    if actor is not None and actor.id == user.id and not active:
        raise InvalidInput("Свою учётную запись отключить нельзя.")
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        end_sessions(user)
        session.execute(
            delete(m.PasswordToken).where(
                m.PasswordToken.user_id == user.id, m.PasswordToken.used_at.is_(None)
            )
        )
    session.flush()


def set_password(session: Session, user: m.User, password: str) -> None:
    """Give ``user`` a new password (length checked) and end their other sessions."""
    check_password_length(password)
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.flush()


def change_own_password(session: Session, user: m.User, current: str, new: str) -> None:
    """The signed-in user's change of their own password: the current one is required."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise InvalidInput("Текущий пароль введён неверно.")
    if new == current:
        raise InvalidInput("Новый пароль совпадает с текущим.")
    set_password(session, user, new)


def authenticate(session: Session, login: str, password: str) -> m.User | None:
    """The active account with this login and password, or None. A hash of an older scheme
    is replaced with a current one (flushed; the caller commits with its audit entry)."""
    user = session.scalar(select(m.User).where(m.User.login == login.strip()))
    if user is None or not user.is_active or not user.password_hash:
        # Same work either way, so response time does not reveal which logins exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


_DUMMY_HASH = hash_password("not-a-real-password")
_CURRENT_PREFIX = _DUMMY_HASH.split("$", 1)[0]


@dataclass(frozen=True)
class AccountRow:
    """One account as the staff list shows it."""

    user: m.User
    #: the school (code and name) or the district the account works in; "" for an admin
    scope: str
    has_password: bool
    last_sign_in: dt.datetime | None


def list_accounts(session: Session, actor: m.User) -> list[AccountRow]:
    """The accounts ``actor`` manages, by login, with their scope and last sign-in."""
    users = list(session.scalars(visible_users(session, actor)))
    schools = {
        s.id: f"{s.code} · {s.short_name or s.name}"
        for s in session.scalars(
            select(m.School).where(m.School.id.in_({u.school_id for u in users if u.school_id}))
        )
    }
    districts: dict[int, str] = {
        # (not dict(result): a Result has keys(), so dict() would take it for a mapping)
        row[0]: row[1]
        for row in session.execute(select(m.District.id, m.District.name))
    }
    # One grouped query over the indexed action column: cheap enough for a list page.
    last: dict[int | None, dt.datetime] = {
        row[0]: row[1]
        for row in session.execute(
            select(m.AuditEvent.user_id, func.max(m.AuditEvent.at))
            .where(m.AuditEvent.action == "login", m.AuditEvent.user_id.in_([u.id for u in users]))
            .group_by(m.AuditEvent.user_id)
        )
    }
    rows = []
    for user in users:
        if user.school_id is not None:
            scope = schools.get(user.school_id, "")
        elif user.district_id is not None:
            scope = districts.get(user.district_id, "")
        else:
            scope = ""
        rows.append(AccountRow(user, scope, bool(user.password_hash), last.get(user.id)))
    return rows


def find_user(session: Session, actor: m.User | None, user_id: int) -> m.User:
    """The account ``actor`` may manage (NotFound for one outside their scope, as for none)."""
    user = session.get(m.User, user_id)
    if user is None or (actor is not None and not can_manage_user(session, actor, user)):
        raise NotFound("Учётная запись не найдена.")
    return user


def user_by_login(session: Session, login: str) -> m.User:
    user = session.scalar(select(m.User).where(m.User.login == login.strip()))
    if user is None:
        raise NotFound(f"Пользователь «{login}» не найден.")
    return user


def clear_password(session: Session, user: m.User) -> None:
    """A password reset: the old password stops working and every session ends; the account
    signs in again once a new set-password link is used."""
    user.password_hash = NO_PASSWORD
    end_sessions(user)
    session.flush()
