"""The respondent's questionnaire at /s/<code>: server-rendered, works without JavaScript."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField

from instruments.schema import Instrument, ItemType
from surveys.campaigns import resolve_link
from surveys.errors import AnswersInvalid
from surveys.instrument_store import instrument_of
from surveys.responses import new_submission_id, submit_response
from web.db import get_session

bp = Blueprint("respond", __name__, url_prefix="/s")

# Form fields that are not answers.
CONTROL_FIELDS = frozenset({"csrf_token", "submission_id", "started"})


class RespondForm(FlaskForm):
    submission_id = HiddenField()
    started = HiddenField()


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


@bp.route("/<code>", methods=["GET", "POST"])
def questionnaire(code: str):  # type: ignore[no-untyped-def]
    db = get_session()
    opened = resolve_link(db, code, today=_today())
    instrument = instrument_of(opened.version)
    form = RespondForm()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        values = _answers_from(request.form, instrument)
        if not form.validate_on_submit():
            errors = {"_form": "Срок действия формы истёк. Обновите страницу и ответьте ещё раз."}
            status = 400
        else:
            try:
                started = float(form.started.data or 0)
            except ValueError:
                started = 0
            duration = int(time.time() - started) if started else None
            try:
                submit_response(
                    db,
                    opened,
                    submission_id=form.submission_id.data or "",
                    answers=values,
                    today=_today(),
                    duration_seconds=duration,
                )
            except AnswersInvalid as exc:
                db.rollback()
                errors, status = exc.errors, 400
            else:
                db.commit()
                # Post/redirect/get: a reload of the thank-you page cannot resubmit.
                return redirect(url_for("respond.thanks", code=code), code=303)
    else:
        form.submission_id.data = new_submission_id()
        form.started.data = str(int(time.time()))
    page = render_template(
        "respond/form.html",
        opened=opened,
        instrument=instrument,
        form=form,
        errors=errors,
        values=values,
        lang="ru",
    )
    return _no_store(make_response(page, status))


@bp.route("/<code>/thanks")
def thanks(code: str):  # type: ignore[no-untyped-def]
    opened = resolve_link(get_session(), code, today=_today())
    return _no_store(make_response(render_template("respond/thanks.html", opened=opened)))
