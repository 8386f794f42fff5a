"""The respondent's questionnaire at /s/<code>: one section per page, server-rendered, works
without JavaScript; finished pages are kept, so a respondent can leave and come back.

A new respondent's first page and the pages posted by the page script are usually answered
in front of Flask by web.respond_fast, with the functions below and the same reply."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
from dataclasses import dataclass
from typing import Any, overload

from flask import (
    Blueprint,
    Flask,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.http import dump_cookie
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from instruments.schema import Instrument
from surveys import models as m
from surveys.campaigns import OpenLink, check_accepting, load_link, resolve_link
from surveys.errors import AnswersInvalid, SurveysError
from surveys.responses import Progress, find_response, new_submission_id, save_page
from surveys.tokens import redeem
from web import respond_csrf
from web.appstate import KeptMarkup, per_app
from web.db import again_after_lost_connection, get_respondent_connection, get_session
from web.ratelimit import link_limiter

bp = Blueprint("respond", __name__, url_prefix="/s")
# Posts here are checked by a session-free CSRF token (web.respond_csrf), not Flask-WTF's.
bp.after_request(respond_csrf.set_cookie)


@bp.before_request
def _csrf() -> None:
    if request.method == "POST":
        respond_csrf.check()


# Form fields that are not answers.
CONTROL_FIELDS = frozenset({"csrf_token", "submission_id", "started", "page", "direction"})
RESUME_DAYS = 30
# respond.js posts a page with this header and gets the next page (or the thank-you page) in
# the same reply, with its address in the second header, instead of a redirect.
IN_PLACE_HEADER = "X-Rootcause-In-Place"
IN_PLACE_HEADER_LOCATION = "X-Rootcause-Location"


@dataclass(frozen=True)
class PageState:
    """The hidden fields of a questionnaire page. Its CSRF token is checked for every post
    before the view runs (web.respond_csrf)."""

    submission_id: str
    started: str
    page: int


def answers_from(form: MultiDict[str, str], instrument: Instrument) -> dict[str, Any]:
    multiple = instrument.multiple_choice_codes
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


def current_date() -> dt.date:
    """Today (local time), asked of the C library at most once a second: ``date.today()``
    converts to local time on every call, and every respondent's request asks."""
    global _today
    second = int(time.time())
    if _today[0] != second:
        _today = (second, dt.date.today())
    return _today[1]


_today: tuple[int, dt.date] = (0, dt.date.min)


class LinkCache:
    """Recently opened links, kept in the worker for ``seconds`` (5 by default).

    Every respondent request needs the link, its campaign, school and instrument; a class
    answering at once would otherwise repeat the same five-table query hundreds of times a
    minute. The dates are checked on every request; a change of status (a campaign closed, a
    link switched off) reaches other workers within ``seconds`` and this one at once
    (:func:`forget_links`).
    """

    MAX_ENTRIES = 10_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, OpenLink]] = {}

    def peek(self, code: str) -> OpenLink | None:
        """The link if it is kept and fresh; nothing is loaded."""
        entry = self._entries.get(code)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def get(self, code: str) -> OpenLink:
        opened = self.peek(code)
        if opened is not None:
            return opened
        now = time.monotonic()
        opened = load_link(get_session(), code)
        if self.seconds > 0:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[code] = (now + self.seconds, opened)
        return opened

    def clear(self) -> None:
        self._entries.clear()


def link_cache(app: Flask | None = None) -> LinkCache:
    """The link cache of ``app`` (the current application by default)."""
    return per_app(
        "rootcause.link_cache",
        lambda: LinkCache(float((app or current_app).config.get("LINK_CACHE_SECONDS", 5))),
        app,
    )


def forget_links() -> None:
    """Drop this worker's cached links (after a campaign or link changes status)."""
    link_cache().clear()


def _open(code: str) -> OpenLink:
    """The link behind ``code`` if it accepts answers today (NotFound / LinkClosed if not)."""
    return check_accepting(link_cache().get(code), today=current_date())


def resume_cookie_name(code: str) -> str:
    return f"rc_{code}"


def _cookie_path(code: str, script_root: str | None = None) -> str:
    """The link's address, under the prefix the application is served at, if any (SCRIPT_NAME
    behind a proxy): the path of its cookies and of the pages shown in place."""
    return f"{request.script_root if script_root is None else script_root}/s/{code}"


def resume_cookie(
    code: str, submission_id: str, started: str, script_root: str, secure: bool
) -> str:
    """The Set-Cookie value that lets this device continue the response (a new person on the
    device after the last page gets none: the cookie is deleted). Werkzeug's ``dump_cookie``
    output; its attributes are the same for every respondent of the link within a second, and
    are built once a second (the respondent's hot path sends this cookie with every page)."""
    value = f"{submission_id}.{started}"
    path = _cookie_path(code, script_root)
    if not _PLAIN_COOKIE_VALUE.fullmatch(value):  # pragma: no cover - ids are checked before
        return dump_cookie(resume_cookie_name(code), value, **_resume_attributes(path, secure))
    suffix = _resume_cookie_suffix(path, secure, int(time.time()))
    return f"{resume_cookie_name(code)}={value}{suffix}"


#: a cookie value dump_cookie writes as it is (no quotes, no escapes)
_PLAIN_COOKIE_VALUE = re.compile(r"[0-9A-Za-z.-]*")


def _resume_attributes(path: str, secure: bool) -> dict[str, Any]:
    return {
        "max_age": RESUME_DAYS * 86400,
        "path": path,
        "httponly": True,
        "samesite": "Lax",
        "secure": secure,
    }


@functools.lru_cache(maxsize=256)
def _resume_cookie_suffix(path: str, secure: bool, _second: int) -> str:
    """What dump_cookie writes after the value (Expires, Max-Age, flags, Path) this second."""
    return dump_cookie("x", "", **_resume_attributes(path, secure)).removeprefix("x=")


def _resume_state(code: str) -> tuple[str | None, str | None]:
    """(submission id, start time) kept on this device for this link, if any."""
    value = request.cookies.get(resume_cookie_name(code), "")
    submission_id, _, started = value.partition(".")
    return (submission_id or None), (started or None)


def _current(opened: OpenLink, code: str) -> Progress | None:
    submission_id, _ = _resume_state(code)
    if submission_id is None:  # a new respondent: nothing to look up
        return None
    response = find_response(get_respondent_connection(), submission_id)
    if (
        response is None
        or not response.partial
        or response.link_id != opened.link.id
        or response.instrument_version_id != opened.version.id
    ):
        return None
    return response


def forget_cookie(code: str, script_root: str) -> str:
    """The Set-Cookie value that makes the device forget the response (after the last page)."""
    return dump_cookie(
        resume_cookie_name(code), expires=0, max_age=0, path=_cookie_path(code, script_root)
    )


def _form_open(
    opened: OpenLink,
    state: PageState,
    earlier: dict[str, Any],
    dynamic: bool,
    script_root: str,
    csrf_token: str,
) -> str:
    """The page's <form> tag and hidden fields: the part of a page that is the respondent's
    own (their submission, start time and CSRF token, and the earlier answers that conditions
    on this page read in the browser)."""
    attributes = ""
    if dynamic:
        attributes = f' data-earlier="{escape(json.dumps(earlier, ensure_ascii=False))}"'
    return (
        f'<form method="post" action="{escape(script_root)}/s/{escape(opened.link.code)}"'
        ' autocomplete="off" novalidate'
        f" data-in-place{attributes}>\n"
        f'<input id="csrf_token" name="csrf_token" type="hidden" '
        f'value="{escape(csrf_token)}">\n'
        f'<input id="submission_id" name="submission_id" type="hidden" '
        f'value="{escape(state.submission_id)}">\n'
        f'<input id="started" name="started" type="hidden" value="{escape(state.started)}">\n'
        f'<input id="page" name="page" type="hidden" value="{state.page}">'
    )


PAGE_CACHE_ENTRIES = 2_000
# Stand-ins for the respondent's and the link's own parts while a page is rendered to be kept.
_SCHOOL_SLOT = Markup("<!--rootcause:school-->")
_FORM_SLOT = Markup("<!--rootcause:form-->")
_SECTIONS_SLOT = Markup("<!--rootcause:sections-->")


def _kept(name: str, app: Flask | None = None) -> KeptMarkup[Any]:
    return per_app(f"rootcause.kept.{name}", lambda: KeptMarkup[Any](PAGE_CACHE_ENTRIES), app)


def _render(
    opened: OpenLink,
    instrument: Instrument,
    state: PageState,
    *,
    values: dict[str, Any],
    earlier: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    """A questionnaire page as Flask's reply."""
    body = page_markup(
        opened,
        state,
        values=values,
        earlier=earlier,
        errors=errors,
        script_root=request.script_root,
        csrf_token=respond_csrf.token(),
    )
    return _no_store(make_response(body, status))


@overload
def page_markup(
    opened: OpenLink,
    state: PageState,
    *,
    values: dict[str, Any],
    earlier: dict[str, Any],
    script_root: str,
    csrf_token: str,
    errors: dict[str, str] | None = None,
    kept_only: None = None,
) -> str: ...


@overload
def page_markup(
    opened: OpenLink,
    state: PageState,
    *,
    values: dict[str, Any],
    earlier: dict[str, Any],
    script_root: str,
    csrf_token: str,
    errors: dict[str, str] | None = None,
    kept_only: Flask,
) -> str | None: ...


def page_markup(
    opened: OpenLink,
    state: PageState,
    *,
    values: dict[str, Any],
    earlier: dict[str, Any],
    script_root: str,
    csrf_token: str,
    errors: dict[str, str] | None = None,
    kept_only: Flask | None = None,
) -> str | None:
    """A questionnaire page. Without errors the page is put together from two pieces rendered
    once per worker (the frame of this link's page, and the questions when shown empty) and
    the respondent's own form tag; with errors it is rendered whole.

    ``kept_only``: the application whose kept pieces to use, rendering nothing (outside a
    request, web.respond_fast); None when a piece is not kept or the page must be rendered.
    """
    instrument = opened.instrument
    page = state.page
    pending = instrument.section_codes(page - 1)
    # Conditions on answers of this same page are applied in the browser as well.
    dynamic = any(
        condition.referenced & pending
        for code in pending
        if (condition := instrument.conditions.get(code)) is not None
    )
    context: dict[str, Any] = {
        "instrument": instrument,
        "page": page,
        "values": values,
        "earlier": earlier,
        "pending": pending,
        "errors": errors or {},
        "lang": "ru",
        "preview": False,
        "version_checksum": opened.version.checksum,
    }
    if errors and kept_only is not None:
        return None
    form_open = _form_open(opened, state, earlier, dynamic, script_root, csrf_token)
    sections_html = _sections_html(opened, context, kept_only)
    if errors:
        return render_template(
            "respond/form.html",
            form_open=Markup(form_open),  # noqa: S704 - built from escaped parts above
            sections_html=sections_html,
            school_name=_school_name(opened.school.name),
            pages=len(instrument.sections),
            **context,
        )
    frame = _frame(context, kept_only)
    if frame is None or sections_html is None:
        return None
    head, before_form, before_sections, tail = frame
    school = _school_name(opened.school.name)
    return "".join((head, school, before_form, form_open, before_sections, sections_html, tail))


def _school_name(name: str) -> Markup:
    """The school's name, escaped, its number kept on the line of "№" on a narrow phone."""
    return escape(name).replace("№ ", Markup("№\u00a0"))


def _frame(
    context: dict[str, Any], kept_only: Flask | None = None
) -> tuple[str, str, str, str] | None:
    """A questionnaire page without errors, cut where the school's name, the respondent's form
    tag and the questions go: the same for every link to this version, so rendered once per
    worker."""
    instrument: Instrument = context["instrument"]
    key = (context["version_checksum"], context["page"], context["lang"])
    if kept_only is not None:
        kept: tuple[str, str, str, str] | None = _kept("frames", kept_only).peek(key)
        return kept

    def render() -> tuple[str, str, str, str]:
        markup = render_template(
            "respond/form.html",
            school_name=_SCHOOL_SLOT,
            form_open=_FORM_SLOT,
            sections_html=_SECTIONS_SLOT,
            pages=len(instrument.sections),
            **context,
        )
        head, rest = markup.split(_SCHOOL_SLOT)
        before_form, rest = rest.split(_FORM_SLOT)
        before_sections, tail = rest.split(_SECTIONS_SLOT)
        return head, before_form, before_sections, tail

    parts: tuple[str, str, str, str] = _kept("frames").get(key, render)
    return parts


def _render_sections(context: dict[str, Any]) -> Markup:
    # The template is autoescaped (a .html file): its output is markup already.
    return Markup(render_template("respond/_sections.html", **context))  # noqa: S704


def _sections_html(
    opened: OpenLink, context: dict[str, Any], kept_only: Flask | None = None
) -> Markup | None:
    """The questions of a page. A page shown empty (no answers on it yet, no errors) is the
    same markup for every respondent who sees the same questions, so it is rendered once per
    worker and instrument version; a page with answers or errors is rendered each time."""
    instrument: Instrument = context["instrument"]
    page: int = context["page"]
    if context["errors"] or any(code in context["values"] for code in context["pending"]):
        return None if kept_only is not None else _render_sections(context)
    shown = tuple(
        item.code
        for item in instrument.sections[page - 1].items
        if instrument.is_shown(item, context["earlier"], context["pending"])
    )
    key = (opened.version.checksum, page, context["lang"], shown)
    if kept_only is not None:
        kept: Markup | None = _kept("sections", kept_only).peek(key)
        return kept
    html: Markup = _kept("sections").get(key, lambda: _render_sections(context))
    return html


def earlier_answers(instrument: Instrument, stored: dict[str, Any], page: int) -> dict[str, Any]:
    codes = instrument.codes_before(page - 1)
    return {k: v for k, v in stored.items() if k in codes}


class TokenForm(FlaskForm):
    class Meta:
        csrf = False  # checked for the whole blueprint (web.respond_csrf)

    token = StringField(
        "Личный код с листка",
        validators=[DataRequired("Введите код с листка."), Length(max=20)],
    )


def _admitted(opened: OpenLink, code: str) -> str | None:
    """For a token link: the submission id this device was let in with (None: not let in)."""
    submission_id, _ = _resume_state(code)
    if not submission_id:
        return None
    started = get_respondent_connection().scalar(
        select(m.PersonalToken.id).where(
            m.PersonalToken.link_id == opened.link.id,
            m.PersonalToken.resume_submission_id == submission_id,
        )
    )
    return submission_id if started is not None else None


@bp.route("/<code>/token", methods=["GET", "POST"])
def token(code: str):  # type: ignore[no-untyped-def]
    db = get_session()
    # A token is let in only on the link's state as stored now, not as this worker kept it
    # for a few seconds: a campaign closed meanwhile unties its tokens from their answers
    # (surveys.tokens.forget_progress), and no token may be tied to one again afterwards.
    opened = (
        resolve_link(db, code, today=current_date()) if request.method == "POST" else _open(code)
    )
    if not opened.link.requires_token:
        return redirect(url_for("respond.questionnaire", code=code))
    form = TokenForm()
    status = 200
    if request.method == "GET":
        form.token.data = request.args.get("t", "")
    elif form.validate_on_submit():
        try:
            submission_id = redeem(db, opened.link, form.token.data or "", today=current_date())
        except SurveysError as exc:
            db.rollback()  # a failure is counted on its own (surveys.throttle.record)
            form.token.errors = [exc.message]
            status = exc.status
        else:
            db.commit()
            reply = redirect(url_for("respond.questionnaire", code=code), code=303)
            _remember(reply, code, submission_id, "")
            return reply
    else:
        status = 400
    page = render_template(
        "respond/token.html", opened=opened, form=form, csrf=respond_csrf.token(), lang="ru"
    )
    return _no_store(make_response(page, status))


def _remember(reply: Any, code: str, submission_id: str, started: str) -> None:
    reply.headers.add(
        "Set-Cookie",
        resume_cookie(code, submission_id, started, request.script_root, request.is_secure),
    )


@bp.route("/<code>", methods=["GET"])
@again_after_lost_connection
def questionnaire(code: str):  # type: ignore[no-untyped-def]
    opened = _open(code)
    instrument = opened.instrument
    pages = len(instrument.sections)
    response = _current(opened, code)
    admitted = _admitted(opened, code) if opened.link.requires_token else None
    if opened.link.requires_token and response is None and admitted is None:
        return redirect(url_for("respond.token", code=code, t=request.args.get("t")))
    page = request.args.get("p", type=int)
    if page is None:
        page = min(response.progress + 1, pages) if response else 1
    page = max(1, min(page, pages))
    _, started = _resume_state(code)
    state = PageState(
        submission_id=response.submission_id if response else admitted or new_submission_id(),
        started=started or str(int(time.time())),
        page=page,
    )
    stored = dict(response.answers) if response else {}
    return _render(
        opened, instrument, state, values=stored, earlier=earlier_answers(instrument, stored, page)
    )


@bp.route("/<code>", methods=["POST"])
@again_after_lost_connection
def submit(code: str):  # type: ignore[no-untyped-def]
    db = get_respondent_connection()
    opened = _open(code)
    link_limiter().hit(code)
    instrument = opened.instrument
    try:
        page = int(request.form.get("page") or 1)
    except ValueError:
        page = 1
    page = max(1, min(page, len(instrument.sections)))
    submission_id = request.form.get("submission_id", "")
    started_field = request.form.get("started", "")
    # Shown again (with the errors) if the page cannot be kept.
    state = PageState(submission_id, started_field, page)
    values = answers_from(request.form, instrument)
    # A token link checks that this device was let in; an open link reads nothing first (the
    # page is merged into the stored answers by the database, surveys.responses.save_page).
    response = find_response(db, submission_id) if opened.link.requires_token else None

    def earlier_kept() -> dict[str, Any]:
        """For a page shown again with a message: the answers of earlier pages as kept."""
        kept = response or find_response(db, submission_id)
        return earlier_answers(instrument, dict(kept.answers) if kept else {}, page)

    try:
        started = float(started_field or 0)
    except ValueError:
        started = 0
    forward = request.form.get("direction", "next") != "back"
    if (
        opened.link.requires_token
        and response is None
        and _admitted(opened, code) != (submission_id or None)
    ):
        return _render(
            opened,
            instrument,
            state,
            values=values,
            earlier=earlier_kept(),
            errors={"_form": "Для этой анкеты нужен личный код с листка."},
            status=403,
        )
    try:
        result = save_page(
            db,
            opened,
            submission_id=submission_id,
            page=page,
            answers=values,
            forward=forward,
            today=current_date(),
            duration_seconds=int(time.time() - started) if started else None,
            known=response,
        )
    except AnswersInvalid as exc:
        return _render(
            opened,
            instrument,
            state,
            values=values,
            earlier=earlier_kept(),
            errors=exc.errors,
            status=400,
        )
    # What the next page shows: the answers as stored now.
    answers_now = result.response.answers
    submission_id = result.response.submission_id
    in_place = request.headers.get(IN_PLACE_HEADER) == "1"
    if result.next_page is None:
        # The next person on this device starts afresh. Without JavaScript: post/redirect/get,
        # so a reload of the thank-you page cannot resubmit.
        if in_place:
            reply = _no_store(make_response(_thanks_page(opened)))
            reply.headers[IN_PLACE_HEADER_LOCATION] = f"{_cookie_path(code)}/thanks"
        else:
            reply = redirect(url_for("respond.thanks", code=code), code=303)
        reply.headers.add("Set-Cookie", forget_cookie(code, request.script_root))
        return reply
    started_text = str(int(started)) if started else ""
    if in_place:
        # The page script asked for the next page in the same reply: one round trip instead
        # of two on a slow connection; the address bar follows through the history API.
        reply = _render(
            opened,
            instrument,
            PageState(submission_id, started_text or str(int(time.time())), result.next_page),
            values=answers_now,
            earlier=earlier_answers(instrument, answers_now, result.next_page),
        )
        # The link's code is URL-safe (surveys.campaigns): no url_for on every post.
        reply.headers[IN_PLACE_HEADER_LOCATION] = f"{_cookie_path(code)}?p={result.next_page}"
    else:
        reply = redirect(url_for("respond.questionnaire", code=code, p=result.next_page), code=303)
    _remember(reply, code, submission_id, started_text)
    return reply


def _thanks_key(opened: OpenLink) -> tuple[str, str]:
    return (opened.link.code, opened.school.name)


def _thanks_page(opened: OpenLink) -> str:
    """The thank-you page of a link: the same for everyone, so rendered once per worker."""
    page: str = _kept("thanks").get(
        _thanks_key(opened), lambda: render_template("respond/thanks.html", opened=opened)
    )
    return page


def thanks_markup(opened: OpenLink, kept_only: Flask) -> str | None:
    """The thank-you page if ``kept_only``'s worker keeps it (nothing is rendered)."""
    page: str | None = _kept("thanks", kept_only).peek(_thanks_key(opened))
    return page


@bp.route("/<code>/thanks")
@again_after_lost_connection
def thanks(code: str):  # type: ignore[no-untyped-def]
    opened = _open(code)
    return _no_store(make_response(_thanks_page(opened)))
