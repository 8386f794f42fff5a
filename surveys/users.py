"""Staff accounts, password checks and what each account may see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from surveys import models as m
from surveys.access import can_see_school, visible_schools
from surveys.errors import Conflict, InvalidInput, NotFound

__all__ = ["authenticate", "can_see_school", "create_user", "visible_schools"]

MIN_PASSWORD_LENGTH = 8


def create_user(
    session: Session,
    *,
    login: str,
    password: str,
    role: str,
    school_code: str | None = None,
    district_name: str | None = None,
    full_name: str = "",
) -> m.User:
    """Create a staff account scoped as its role requires.

    A deputy director belongs to one school; a coordinator or psychologist to a district
    (given directly or through a school); an administrator to neither.
    """
    login = login.strip()
    if not login:
        raise InvalidInput("Логин не может быть пустым.")
    if role not in m.Role.__members__:
        raise InvalidInput(f"Неизвестная роль {role!r}: допустимы {', '.join(m.Role)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов.")
    if session.scalar(select(m.User.id).where(m.User.login == login)) is not None:
        raise Conflict(f"Пользователь {login!r} уже существует.")
    school = district = None
    if school_code:
        school = session.scalar(select(m.School).where(m.School.code == school_code))
        if school is None:
            raise NotFound(f"Школа с кодом {school_code!r} не найдена.")
    if district_name:
        district = session.scalar(select(m.District).where(m.District.name == district_name))
        if district is None:
            raise NotFound(f"Район {district_name!r} не найден.")
    if role == m.Role.deputy and school is None:
        raise InvalidInput("Для заместителя директора укажите школу (--school).")
    if role in (m.Role.coordinator, m.Role.psychologist) and district is None and school is None:
        raise InvalidInput("Для координатора и психолога укажите район (--district) или школу.")
    if role == m.Role.admin and (school or district):
        raise InvalidInput("Администратор не привязывается к школе или району.")
    district_id = district.id if district else (school.district_id if school else None)
    user = m.User(
        login=login,
        password_hash=generate_password_hash(password),
        role=role,
        full_name=full_name,
        school_id=school.id if school and role == m.Role.deputy else None,
        district_id=district_id,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, login: str, password: str) -> m.User | None:
    user = session.scalar(select(m.User).where(m.User.login == login.strip()))
    if user is None or not user.is_active:
        # Same work either way, so response time does not reveal which logins exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not-a-real-password")
