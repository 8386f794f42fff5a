"""Staff sign-in (session based) and the role decorator that guards every staff endpoint."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from surveys import access, audit
from surveys import models as m
from surveys.access import can_read_audit, manageable_roles
from surveys.audit import login_throttled
from surveys.users import ROLE_NAMES, authenticate
from web.db import get_session

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])

ROLE_LABELS = ROLE_NAMES


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин."), Length(max=100)])
    password = PasswordField(
        "Пароль", validators=[DataRequired("Введите пароль."), Length(max=200)]
    )


def current_user() -> m.User | None:
    """The signed-in account, or None: also when it was deactivated or its password changed
    since this session signed in (its number is older than the account's session_version)."""
    if "user" not in g:
        user_id = session.get("user_id")
        user = get_session().get(m.User, user_id) if user_id else None
        valid = (
            user is not None
            and user.is_active
            and session.get("session_version", 0) == user.session_version
        )
        g.user = user if valid else None
    return g.user  # type: ignore[no-any-return]


def start_session(user: m.User) -> None:
    """Sign ``user`` in on this browser (a fresh session: no fixation), with the account's
    current session_version. After a password change the changing session calls it again so
    that it alone stays signed in."""
    session.clear()
    session["user_id"] = user.id
    session["session_version"] = user.session_version
    g.user = user


def requires_role(*roles: str) -> Callable[[F], F]:
    """Let in signed-in staff with one of ``roles`` (any role if none given); 403 otherwise.

    The view is handed the signed-in account as its ``user`` keyword argument (never None),
    so no staff view reads the session or handles an anonymous user itself. What the user
    may do beyond the role is asked of :mod:`surveys.access`.
    """

    def decorator(view: F) -> F:
        if "user" not in inspect.signature(view).parameters:
            raise TypeError(f"{view.__name__}: a staff view takes the signed-in `user`")

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, user=user, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our address.
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("staff.schools")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("staff.schools")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        db = get_session()
        login_name = (form.login.data or "").strip()
        if login_throttled(db, login_name):
            # Recorded under its own action: it must not itself count as a failure.
            audit.record(db, "login_throttled", target=login_name)
            db.commit()
            form.password.errors = [
                "Слишком много неудачных попыток входа. Попробуйте через 15 минут."
            ]
            return render_template("login.html", form=form), 429
        user = authenticate(db, login_name, form.password.data or "")
        if user is not None:
            audit.record(db, "login", user_id=user.id, target=user.login)
            db.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        audit.record(db, audit.LOGIN_FAILED, target=login_name)
        db.commit()
        form.password.errors = ["Неверный логин или пароль."]
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    user = current_user()
    if user is not None:
        audit.record(get_session(), "logout", user_id=user.id, target=user.login)
        get_session().commit()
    session.clear()
    flash("Вы вышли из системы.")
    return redirect(url_for("public.index"))


# The account pages (own password, set-password links) register their routes on ``bp``.
from web import account  # noqa: E402, F401


def init_app(app: Flask) -> None:
    @app.context_processor
    def _inject() -> dict[str, Any]:
        user = current_user()
        return {
            "current_user": user,
            "role_labels": ROLE_LABELS,
            "may_manage_users": user is not None and bool(manageable_roles(user)),
            "may_read_audit": user is not None and can_read_audit(user),
            "may_design": user is not None and access.can_design(user),
            "may_import_results": user is not None and access.can_import_results(user),
        }
