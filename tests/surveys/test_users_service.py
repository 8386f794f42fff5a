"""Staff accounts as a service: who may create and change which accounts, password hashing and
rehashing, set-password tokens (once, expiring, revoked by a newer one, stored as hashes)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveys import models as m
from surveys.errors import Forbidden, InvalidInput, NotFound
from surveys.password_links import INVALID_LINK, LIFETIME, issue_token, redeem, reset_password
from surveys.users import (
    AccountFields,
    authenticate,
    change_own_password,
    create_account,
    create_user,
    edit_user,
    find_user,
    list_accounts,
    set_active,
)
from tests.factories import PASSWORD, make_district, make_school, make_user


def _district_with_coordinator(db: Session):  # type: ignore[no-untyped-def]
    north = make_district(db, name="Северный")
    south = make_district(db, name="Южный")
    make_school(db, north, code="N01")
    make_school(db, south, code="S01")
    coordinator = make_user(db, "coordinator", login="coord", district_name="Северный")
    return north, south, coordinator


def test_new_hashes_are_scrypt_and_pbkdf2_is_rehashed_at_sign_in(db: Session) -> None:
    user = make_user(db, "admin", login="boss")
    assert user.password_hash.startswith("scrypt:")
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256")
    db.flush()
    assert authenticate(db, "boss", "wrong-password") is None
    assert user.password_hash.startswith("pbkdf2:")  # a failed attempt changes nothing
    assert authenticate(db, "boss", PASSWORD) is user
    assert user.password_hash.startswith("scrypt:")
    assert authenticate(db, "boss", PASSWORD) is user


def test_account_without_password_never_signs_in(db: Session) -> None:
    user = create_user(db, login="new", role="admin")
    assert user.password_hash == ""
    assert authenticate(db, "new", "") is None
    assert authenticate(db, "new", "anything-at-all") is None


def test_coordinator_creates_deputies_and_psychologists_of_own_district_only(
    db: Session,
) -> None:
    _, _, coordinator = _district_with_coordinator(db)
    deputy = create_account(
        db, coordinator, login="zam", fields=AccountFields(role="deputy", school_code="N01")
    )
    assert deputy.district_id == coordinator.district_id
    create_account(
        db, coordinator, login="psy", fields=AccountFields("psychologist", district_name="Северный")
    )
    for role in ("admin", "coordinator"):
        with pytest.raises(Forbidden):
            create_account(
                db,
                coordinator,
                login=f"x-{role}",
                fields=AccountFields(role, district_name="Северный"),
            )
    with pytest.raises(NotFound):
        create_account(
            db, coordinator, login="far", fields=AccountFields("deputy", school_code="S01")
        )
    with pytest.raises(NotFound):
        create_account(
            db,
            coordinator,
            login="far2",
            fields=AccountFields("psychologist", district_name="Южный"),
        )
    assert db.scalar(select(m.User).where(m.User.login.in_(["far", "far2"]))) is None
    assert [r.user.login for r in list_accounts(db, coordinator)] == ["psy", "zam"]


def test_coordinator_cannot_touch_another_districts_accounts(db: Session) -> None:
    _, _, coordinator = _district_with_coordinator(db)
    other = make_user(db, "deputy", login="south-zam", school_code="S01")
    admin = make_user(db, "admin", login="boss")
    for target in (other, admin):
        with pytest.raises(NotFound):
            find_user(db, coordinator, target.id)
        with pytest.raises(NotFound):
            set_active(db, target, False, actor=coordinator)
        with pytest.raises(NotFound):
            edit_user(
                db, target, AccountFields(role="deputy", school_code="N01"), actor=coordinator
            )
    # Nor move a deputy of theirs to another district, nor promote them.
    mine = make_user(db, "deputy", login="north-zam", school_code="N01")
    with pytest.raises(NotFound):
        edit_user(db, mine, AccountFields(role="deputy", school_code="S01"), actor=coordinator)
    with pytest.raises(Forbidden):
        edit_user(
            db, mine, AccountFields(role="coordinator", district_name="Северный"), actor=coordinator
        )
    assert mine.role == "deputy" and mine.school_id is not None
    changes = edit_user(
        db,
        mine,
        AccountFields(role="deputy", school_code="N01", full_name="Иванова И. И."),
        actor=coordinator,
    )
    assert changes == {"full_name": ("", "Иванова И. И.")}


def test_admin_edits_every_role_but_not_own_role(db: Session) -> None:
    _district_with_coordinator(db)
    admin = make_user(db, "admin", login="boss")
    coordinator = find_user(db, admin, db.scalar(select(m.User.id).where(m.User.login == "coord")))
    edit_user(
        db, coordinator, AccountFields(role="psychologist", district_name="Южный"), actor=admin
    )
    assert coordinator.role == "psychologist"
    with pytest.raises(InvalidInput):
        edit_user(db, admin, AccountFields(role="deputy", school_code="N01"), actor=admin)
    with pytest.raises(InvalidInput):
        set_active(db, admin, False, actor=admin)


def test_changing_password_needs_the_current_one_and_bumps_the_session_version(
    db: Session,
) -> None:
    user = make_user(db, "admin", login="boss")
    version = user.session_version
    with pytest.raises(InvalidInput, match="Текущий пароль"):
        change_own_password(db, user, "not-it-at-all", "new-password-1")
    with pytest.raises(InvalidInput, match="не короче"):
        change_own_password(db, user, PASSWORD, "short")
    change_own_password(db, user, PASSWORD, "new-password-1")
    assert user.session_version == version + 1
    assert authenticate(db, "boss", PASSWORD) is None
    assert authenticate(db, "boss", "new-password-1") is user


def test_deactivation_blocks_sign_in_and_bumps_the_session_version(db: Session) -> None:
    user = make_user(db, "admin", login="boss")
    token = issue_token(db, user)
    set_active(db, user, False)
    assert user.session_version == 1
    assert authenticate(db, "boss", PASSWORD) is None
    with pytest.raises(InvalidInput):
        redeem(db, token, "brand-new-password")
    set_active(db, user, True)
    assert authenticate(db, "boss", PASSWORD) is user


def test_set_password_token_works_once_expires_and_is_stored_as_a_hash(db: Session) -> None:
    user = create_user(db, login="new", role="admin")
    now = dt.datetime.now(dt.UTC)
    token = issue_token(db, user, now=now)
    assert len(token) >= 43  # 256 bits in URL-safe base64
    stored = db.scalars(select(m.PasswordToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    with pytest.raises(InvalidInput, match="не короче"):
        redeem(db, token, "short")
    redeem(db, token, "first-password-1")
    assert authenticate(db, "new", "first-password-1") is user
    with pytest.raises(InvalidInput) as used:
        redeem(db, token, "second-password-2")
    assert used.value.message == INVALID_LINK
    late = issue_token(db, user, now=now - LIFETIME - dt.timedelta(minutes=1))
    with pytest.raises(InvalidInput) as expired:
        redeem(db, late, "third-password-3")
    assert expired.value.message == INVALID_LINK
    with pytest.raises(InvalidInput) as unknown:
        redeem(db, "no-such-token", "third-password-3")
    assert unknown.value.message == INVALID_LINK


def test_a_new_token_revokes_older_unused_ones(db: Session) -> None:
    user = create_user(db, login="new", role="admin")
    first = issue_token(db, user)
    second = issue_token(db, user)
    with pytest.raises(InvalidInput):
        redeem(db, first, "first-password-1")
    redeem(db, second, "second-password-2")


def test_reset_ends_the_old_password_and_sessions(db: Session) -> None:
    user = make_user(db, "deputy", school_code=make_school(db).code)
    token = reset_password(db, user)
    assert user.session_version == 1
    assert authenticate(db, user.login, PASSWORD) is None
    redeem(db, token, "after-reset-1")
    assert authenticate(db, user.login, "after-reset-1") is user
