"""A staff member's own account: changing one's password, and setting it through a one-time
link (a new account, or a reset). Routes on the ``auth`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from surveys import audit
from surveys import models as m
from surveys.errors import InvalidInput
from surveys.password_links import INVALID_LINK, redeem, token_account
from surveys.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, change_own_password
from web.auth import bp, requires_role, start_session
from web.db import get_session

_LENGTH = Length(
    min=MIN_PASSWORD_LENGTH,
    max=MAX_PASSWORD_LENGTH,
    message=f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов.",
)


class NewPasswordForm(FlaskForm):
    password = PasswordField("Новый пароль", validators=[DataRequired("Введите пароль."), _LENGTH])
    confirm = PasswordField(
        "Новый пароль ещё раз",
        validators=[DataRequired("Повторите пароль."), EqualTo("password", "Пароли не совпадают.")],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Текущий пароль",
        validators=[DataRequired("Введите текущий пароль."), Length(max=MAX_PASSWORD_LENGTH)],
    )


class SetPasswordForm(NewPasswordForm):
    # The token moves from the link's query string into the form, so the post's address
    # carries none.
    t = HiddenField()


def _page(template: str, status: int, **context: Any) -> tuple[str, int, dict[str, str]]:
    # Pages with password fields or a set-password token are kept in no cache.
    return render_template(template, **context), status, {"Cache-Control": "no-store"}


@bp.route("/account/password", methods=["GET", "POST"])
@requires_role()
def change_password(user: m.User):  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        db = get_session()
        try:
            change_own_password(db, user, form.current.data or "", form.password.data or "")
        except InvalidInput as exc:
            form.current.errors = [exc.message]
            status = 400
        else:
            audit.record(db, "password_changed", user_id=user.id, target=user.login)
            db.commit()
            # This browser stays signed in; every other session of the account is over.
            start_session(user)
            flash("Пароль изменён. На других устройствах войдите заново.")
            return redirect(url_for("staff.schools"))
    elif request.method == "POST":
        status = 400
    return _page("account/password.html", status, form=form, min_length=MIN_PASSWORD_LENGTH)


@bp.route("/set-password", methods=["GET", "POST"])
def set_password_by_link():  # type: ignore[no-untyped-def]
    """The public page of a set-password link: the token comes as ``?t=`` in the link and
    goes back in the form's hidden field; unknown, used and expired tokens get one message."""
    form = SetPasswordForm()
    db = get_session()
    if request.method == "GET":
        form.t.data = request.args.get("t", "")
    token = form.t.data or ""
    account = token_account(db, token)
    if account is None:
        # Recorded without the token: a run of these is someone guessing links.
        audit.record(db, "password_link_refused")
        db.commit()
        return _page("account/set_password.html", 404, invalid=INVALID_LINK)
    status = 200
    if form.validate_on_submit():
        try:
            user = redeem(db, token, form.password.data or "")
        except InvalidInput as exc:
            if exc.message == INVALID_LINK:
                db.rollback()
                return _page("account/set_password.html", 404, invalid=INVALID_LINK)
            form.password.errors = [exc.message]
            status = 400
        else:
            audit.record(db, "password_set_by_link", user_id=user.id, target=user.login)
            db.commit()
            flash("Пароль установлен. Войдите с новым паролем.")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400
    return _page(
        "account/set_password.html",
        status,
        form=form,
        account=account,
        min_length=MIN_PASSWORD_LENGTH,
    )
