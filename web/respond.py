"""The respondent's questionnaire at /s/<code>: one section per page, server-rendered, works
without JavaScript; finished pages are kept, so a respondent can leave and come back."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from instruments.schema import Instrument, ItemType
from surveys import models as m
from surveys.campaigns import OpenLink, resolve_link
from surveys.errors import AnswersInvalid, SurveysError
from surveys.instrument_store import instrument_of
from surveys.responses import find_response, new_submission_id, save_page
from surveys.tokens import redeem
from web.db import get_session
from web.ratelimit import link_limiter

bp = Blueprint("respond", __name__, url_prefix="/s")

# Form fields that are not answers.
CONTROL_FIELDS = frozenset({"csrf_token", "submission_id", "started", "page", "direction"})
RESUME_DAYS = 30


class RespondForm(FlaskForm):
    submission_id = HiddenField()
    started = HiddenField()
    page = HiddenField()


def _answers_from(form: MultiDict[str, str], instrument: Instrument) -> dict[str, Any]:
    multiple = {i.code for i in instrument.items() if i.type is ItemType.multiple_choice}
    answers: dict[str, Any] = {}
    for key in form:
        if key in CONTROL_FIELDS:
            continue
        values = form.getlist(key)
        answers[key] = values if key in multiple or len(values) > 1 else values[0]
    return answers


def _no_store(response: Any) -> Any:
    # A shared school PC: the back button must never bring back someone else's answers.
    response.headers["Cache-Control"] = "no-store"
    return response


def _today() -> dt.date:
    return dt.date.today()


def _cookie(code: str) -> str:
    return f"rc_{code}"


def _resume_state(code: str) -> tuple[str | None, str | None]:
    """(submission id, start time) kept on this device for this link, if any."""
    value = request.cookies.get(_cookie(code), "")
    submission_id, _, started = value.partition(".")
    return (submission_id or None), (started or None)


def _current(opened: OpenLink, code: str) -> m.Response | None:
    submission_id, _ = _resume_state(code)
    response = find_response(get_session(), submission_id)
    if (
        response is None
        or response.status != m.ResponseStatus.partial.value
        or response.link_id != opened.link.id
        or response.instrument_version_id != opened.version.id
    ):
        return None
    return response


def _render(
    opened: OpenLink,
    instrument: Instrument,
    form: RespondForm,
    page: int,
    *,
    values: dict[str, Any],
    earlier: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    pending = instrument.section_codes(page - 1) if page else frozenset()
    # Conditions on answers of this same page are applied in the browser as well.
    dynamic = any(
        condition.referenced & pending
        for code in pending
        if (condition := instrument.conditions.get(code)) is not None
    )
    body = render_template(
        "respond/form.html",
        dynamic=dynamic,
        opened=opened,
        instrument=instrument,
        form=form,
        page=page,
        pages=len(instrument.sections),
        values=values,
        earlier=earlier,
        pending=pending,
        errors=errors or {},
        lang="ru",
        preview=False,
    )
    return _no_store(make_response(body, status))


def _earlier(instrument: Instrument, stored: dict[str, Any], page: int) -> dict[str, Any]:
    codes = set().union(*(instrument.section_codes(i) for i in range(page - 1)))
    return {k: v for k, v in stored.items() if k in codes}


class TokenForm(FlaskForm):
    token = StringField(
        "Личный код с листка",
        validators=[DataRequired("Введите код с листка."), Length(max=20)],
    )


def _admitted(opened: OpenLink, code: str) -> str | None:
    """For a token link: the submission id this device was let in with (None: not let in)."""
    submission_id, _ = _resume_state(code)
    if not submission_id:
        return None
    db = get_session()
    started = db.scalar(
        select(m.PersonalToken.id).where(
            m.PersonalToken.link_id == opened.link.id,
            m.PersonalToken.resume_submission_id == submission_id,
        )
    )
    return submission_id if started is not None else None


@bp.route("/<code>/token", methods=["GET", "POST"])
def token(code: str):  # type: ignore[no-untyped-def]
    db = get_session()
    opened = resolve_link(db, code, today=_today())
    if not opened.link.requires_token:
        return redirect(url_for("respond.questionnaire", code=code))
    form = TokenForm()
    status = 200
    if request.method == "GET":
        form.token.data = request.args.get("t", "")
    elif form.validate_on_submit():
        try:
            submission_id = redeem(db, opened.link, form.token.data or "", today=_today())
        except SurveysError as exc:
            db.commit()  # the attempt counts even when it fails
            form.token.errors = [exc.message]
            status = exc.status
        else:
            db.commit()
            reply = redirect(url_for("respond.questionnaire", code=code), code=303)
            _remember(reply, code, submission_id, "")
            return reply
    else:
        status = 400
    page = render_template("respond/token.html", opened=opened, form=form, lang="ru")
    return _no_store(make_response(page, status))


def _remember(reply: Any, code: str, submission_id: str, started: str) -> None:
    reply.set_cookie(
        _cookie(code),
        f"{submission_id}.{started}",
        max_age=RESUME_DAYS * 86400,
        path=f"/s/{code}",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )


@bp.route("/<code>", methods=["GET"])
def questionnaire(code: str):  # type: ignore[no-untyped-def]
    opened = resolve_link(get_session(), code, today=_today())
    instrument = instrument_of(opened.version)
    pages = len(instrument.sections)
    response = _current(opened, code)
    admitted = _admitted(opened, code) if opened.link.requires_token else None
    if opened.link.requires_token and response is None and admitted is None:
        return redirect(url_for("respond.token", code=code, t=request.args.get("t")))
    has_intro = bool(instrument.introduction or instrument.consent)
    page = request.args.get("p", type=int)
    if page is None:
        page = min(response.progress + 1, pages) if response else (0 if has_intro else 1)
    page = max(0 if has_intro else 1, min(page, pages))
    form = RespondForm()
    _, started = _resume_state(code)
    form.submission_id.data = (
        response.submission_id if response else admitted or new_submission_id()
    )
    form.started.data = started or str(int(time.time()))
    form.page.data = str(page)
    stored = dict(response.answers) if response else {}
    return _render(
        opened, instrument, form, page, values=stored, earlier=_earlier(instrument, stored, page)
    )


@bp.route("/<code>", methods=["POST"])
def submit(code: str):  # type: ignore[no-untyped-def]
    db = get_session()
    opened = resolve_link(db, code, today=_today())
    link_limiter().hit(code)
    instrument = instrument_of(opened.version)
    form = RespondForm()
    try:
        page = int(form.page.data or 1)
    except ValueError:
        page = 1
    page = max(1, min(page, len(instrument.sections)))
    values = _answers_from(request.form, instrument)
    stored = (
        dict(response.answers) if (response := find_response(db, form.submission_id.data)) else {}
    )
    earlier = _earlier(instrument, stored, page)
    if not form.validate_on_submit():
        errors = {"_form": "Срок действия формы истёк. Обновите страницу и ответьте ещё раз."}
        return _render(
            opened,
            instrument,
            form,
            page,
            values=values,
            earlier=earlier,
            errors=errors,
            status=400,
        )
    try:
        started = float(form.started.data or 0)
    except ValueError:
        started = 0
    forward = request.form.get("direction", "next") != "back"
    if (
        opened.link.requires_token
        and response is None
        and _admitted(opened, code) != (form.submission_id.data or None)
    ):
        return _render(
            opened,
            instrument,
            form,
            page,
            values=values,
            earlier=earlier,
            errors={"_form": "Для этой анкеты нужен личный код с листка."},
            status=403,
        )
    try:
        result = save_page(
            db,
            opened,
            submission_id=form.submission_id.data or "",
            page=page,
            answers=values,
            forward=forward,
            today=_today(),
            duration_seconds=int(time.time() - started) if started else None,
            known=response,
        )
    except AnswersInvalid as exc:
        db.rollback()
        return _render(
            opened,
            instrument,
            form,
            page,
            values=values,
            earlier=earlier,
            errors=exc.errors,
            status=400,
        )
    db.commit()
    if result.next_page is None:
        # Post/redirect/get: a reload of the thank-you page cannot resubmit; and the next
        # person on this device starts afresh.
        reply = redirect(url_for("respond.thanks", code=code), code=303)
        reply.delete_cookie(_cookie(code), path=f"/s/{code}")
        return reply
    reply = redirect(url_for("respond.questionnaire", code=code, p=result.next_page), code=303)
    _remember(reply, code, result.response.submission_id, str(int(started)) if started else "")
    return reply


@bp.route("/<code>/thanks")
def thanks(code: str):  # type: ignore[no-untyped-def]
    opened = resolve_link(get_session(), code, today=_today())
    return _no_store(make_response(render_template("respond/thanks.html", opened=opened)))
