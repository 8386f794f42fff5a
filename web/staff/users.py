"""Staff pages of accounts: the list an administrator or coordinator manages, creating and
editing accounts, deactivating them and resetting passwords with one-time links."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from surveys import access, audit
from surveys import models as m
from surveys.access import manageable_roles, visible_districts, visible_schools
from surveys.errors import SurveysError
from surveys.password_links import LIFETIME, issue_token, link_url, reset_password
from surveys.users import (
    ROLE_NAMES,
    AccountFields,
    create_account,
    edit_user,
    find_user,
    list_accounts,
    set_active,
)
from web.auth import requires_role
from web.db import get_session
from web.staff import bp


class AccountForm(FlaskForm):
    login = StringField(
        "Логин",
        validators=[
            DataRequired("Введите логин."),
            Length(max=100, message="Не длиннее 100 символов."),
        ],
    )
    full_name = StringField("ФИО", validators=[Length(max=300)])
    position = StringField("Должность", validators=[Length(max=200)])
    role = SelectField("Роль", validate_choice=True)
    school = SelectField("Школа (для заместителя директора)", validate_choice=True)
    district = SelectField("Район (для координатора и психолога)", validate_choice=True)


def _account_form(user: m.User, account: m.User | None = None) -> AccountForm:
    db = get_session()
    form = AccountForm()
    form.role.choices = [(r, ROLE_NAMES.get(r, r)) for r in manageable_roles(user)]
    form.school.choices = [("", "—")] + [
        (s.code, f"{s.code} · {s.short_name or s.name}") for s in db.scalars(visible_schools(user))
    ]
    form.district.choices = [("", "—")] + [
        (d.name, d.name) for d in db.scalars(visible_districts(user))
    ]
    if account is not None and request.method == "GET":
        form.login.data = account.login
        form.full_name.data = account.full_name
        form.position.data = account.position
        form.role.data = account.role
        school = db.get(m.School, account.school_id) if account.school_id else None
        district = db.get(m.District, account.district_id) if account.district_id else None
        form.school.data = school.code if school else ""
        # A deputy's district follows from the school.
        form.district.data = district.name if district and not school else ""
    return form


def _fields(form: AccountForm) -> AccountFields:
    return AccountFields(
        role=form.role.data or "",
        full_name=form.full_name.data or "",
        position=form.position.data or "",
        school_code=form.school.data or None,
        district_name=form.district.data or None,
    )


def _link_page(account: m.User, token: str, *, created: bool) -> Any:
    url = link_url(request.url_root, token)
    page = render_template(
        "staff/user_link.html",
        account=account,
        url=url,
        created=created,
        hours=int(LIFETIME.total_seconds() // 3600),
    )
    # The link is shown this once: no cache, no history copy.
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/users/")
@requires_role(*access.MANAGERS)
def users(user: m.User):  # type: ignore[no-untyped-def]
    rows = list_accounts(get_session(), user)
    return render_template("staff/users.html", rows=rows, role_names=ROLE_NAMES)


@bp.route("/users/new", methods=["GET", "POST"])
@requires_role(*access.MANAGERS)
def user_new(user: m.User):  # type: ignore[no-untyped-def]
    form = _account_form(user)
    errors: list[str] = []
    if form.validate_on_submit():
        db = get_session()
        fields = _fields(form)
        try:
            account = create_account(db, user, login=form.login.data or "", fields=fields)
            token = issue_token(db, account, created_by=user)
        except SurveysError as exc:
            db.rollback()
            errors.append(exc.message)
        else:
            audit.record(
                db,
                "user_created",
                user_id=user.id,
                target=account.login,
                details={"role": account.role, "via": "web"},
            )
            db.commit()
            return _link_page(account, token, created=True)
    elif request.method == "POST":
        errors.append("Проверьте поля формы.")
    status = 400 if request.method == "POST" else 200
    return render_template("staff/user_form.html", form=form, account=None, errors=errors), status


@bp.route("/users/<int:user_id>/", methods=["GET", "POST"])
@requires_role(*access.MANAGERS)
def user_edit(user: m.User, user_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    account = find_user(db, user, user_id)
    form = _account_form(user, account)
    form.login.data = account.login  # the login does not change: it is how people sign in
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            changes = edit_user(db, account, _fields(form), actor=user)
        except SurveysError as exc:
            db.rollback()
            errors.append(exc.message)
        else:
            if changes:
                audit.record(
                    db,
                    "user_edited",
                    user_id=user.id,
                    target=account.login,
                    details={k: [old, new] for k, (old, new) in changes.items()},
                )
                db.commit()
                flash(f"Учётная запись {account.login} сохранена.")
            else:
                flash("Ничего не изменилось.")
            return redirect(url_for("staff.users"))
    elif request.method == "POST":
        errors.append("Проверьте поля формы.")
    status = 400 if request.method == "POST" else 200
    return (
        render_template("staff/user_form.html", form=form, account=account, errors=errors),
        status,
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires_role(*access.MANAGERS)
def user_active(user: m.User, user_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    account = find_user(db, user, user_id)
    if not FlaskForm().validate_on_submit():
        flash("Срок действия формы истёк: обновите страницу и повторите.")
        return redirect(url_for("staff.users"))
    active = request.form.get("active") == "1"
    set_active(db, account, active, actor=user)
    audit.record(
        db,
        "user_reactivated" if active else "user_deactivated",
        user_id=user.id,
        target=account.login,
    )
    db.commit()
    flash(
        f"Учётная запись {account.login} "
        + ("снова включена." if active else "отключена: её сеансы завершены.")
    )
    return redirect(url_for("staff.users"))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@requires_role(*access.MANAGERS)
def user_reset_password(user: m.User, user_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    account = find_user(db, user, user_id)
    if not FlaskForm().validate_on_submit():
        flash("Срок действия формы истёк: обновите страницу и повторите.")
        return redirect(url_for("staff.users"))
    token = reset_password(db, account, created_by=user)
    audit.record(db, "password_reset", user_id=user.id, target=account.login)
    db.commit()
    return _link_page(account, token, created=False)
