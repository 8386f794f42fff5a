"""The respondent's questionnaire at /s/<code>: one section per page, server-rendered, works
without JavaScript; finished pages are kept, so a respondent can leave and come back."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField

from instruments.schema import Instrument, ItemType
from surveys import models as m
from surveys.campaigns import OpenLink, resolve_link
from surveys.errors import AnswersInvalid
from surveys.instrument_store import instrument_of
from surveys.responses import find_response, new_submission_id, save_page
from web.db import get_session

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
    body = render_template(
        "respond/form.html",
        opened=opened,
        instrument=instrument,
        form=form,
        page=page,
        pages=len(instrument.sections),
        values=values,
        earlier=earlier,
        pending=instrument.section_codes(page - 1) if page else frozenset(),
        errors=errors or {},
        lang="ru",
        preview=False,
    )
    return _no_store(make_response(body, status))


def _earlier(instrument: Instrument, stored: dict[str, Any], page: int) -> dict[str, Any]:
    codes = set().union(*(instrument.section_codes(i) for i in range(page - 1)))
    return {k: v for k, v in stored.items() if k in codes}


@bp.route("/<code>", methods=["GET"])
def questionnaire(code: str):  # type: ignore[no-untyped-def]
    opened = resolve_link(get_session(), code, today=_today())
    instrument = instrument_of(opened.version)
    pages = len(instrument.sections)
    response = _current(opened, code)
    has_intro = bool(instrument.introduction or instrument.consent)
    page = request.args.get("p", type=int)
    if page is None:
        page = min(response.progress + 1, pages) if response else (0 if has_intro else 1)
    page = max(0 if has_intro else 1, min(page, pages))
    form = RespondForm()
    _, started = _resume_state(code)
    form.submission_id.data = response.submission_id if response else new_submission_id()
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
    reply.set_cookie(
        _cookie(code),
        f"{result.response.submission_id}.{int(started) if started else ''}",
        max_age=RESUME_DAYS * 86400,
        path=f"/s/{code}",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return reply


@bp.route("/<code>/thanks")
def thanks(code: str):  # type: ignore[no-untyped-def]
    opened = resolve_link(get_session(), code, today=_today())
    return _no_store(make_response(render_template("respond/thanks.html", opened=opened)))
