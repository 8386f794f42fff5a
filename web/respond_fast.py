"""The respondent's two most frequent requests, answered in front of Flask.

A class filling in a questionnaire makes two kinds of request nearly all the time: a new
respondent opening the link (``GET /s/<code>``), and a page posted by the page script
(``POST /s/<code>`` with ``X-Rootcause-In-Place: 1``), answered with the next page or, after
the last one, the thank-you page. Flask's request handling (contexts, routing, hooks, the response
object) was about a fifth of the CPU such a request costs in a worker (bench/RESULTS.md); this
WSGI middleware answers them with the same functions the views use (web.respond,
web.respond_csrf, surveys.responses) and the same headers, and gives everything else to Flask.

It answers only the plain case and steps aside whenever anything else is needed, before or
after storing a page, and Flask then answers the request as if this module did not exist:
a page post is idempotent (the page's answers replace what the page held), so a post stored
here and repeated by Flask changes nothing. Flask answers, among others:

- anything that is not a GET or an in-place POST of ``/s/<code>``, or carries a query string;
- a device continuing a response (its ``rc_<code>`` cookie), a link with personal tokens;
- a link not yet in this worker's link cache, or not accepting answers today (Flask shows why);
- a post whose CSRF token fails, over the size limit, not UTF-8, over the per-link limit;
- answers that fail the checks (Flask shows the page again with the messages);
- a page whose markup this worker has not kept yet (Flask renders and keeps it).

tests/web/test_respond_fast.py checks that the replies are the ones Flask gives, header by
header and byte by byte apart from the random parts, and that the Flask hooks this module
stands in for are still the ones it knows.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Flask
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_cookie

from surveys.campaigns import OpenLink, check_accepting
from surveys.errors import SurveysError
from surveys.responses import new_submission_id, save_page
from surveys.throttle import TooManyAttempts
from web import SECURITY_HEADERS, respond, respond_csrf
from web.db import give_back_respondent_connection, take_respondent_connection
from web.ratelimit import link_limiter

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

_PATH = re.compile(r"/s/([A-Za-z0-9_-]{1,64})")
_FORM = "application/x-www-form-urlencoded"
Reply = tuple[str, list[tuple[str, str]], bytes]


class RespondentFastPath:
    """WSGI middleware: ``app.wsgi_app = RespondentFastPath(app, app.wsgi_app)``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        #: requests answered here (for tests and the benchmark's check)
        self.answered = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
        reply: Reply | None = None
        if match is not None and not environ.get("QUERY_STRING"):
            method = environ.get("REQUEST_METHOD")
            if method == "GET":
                reply = self._guarded(self._first_page, environ, match.group(1))
            elif method == "POST" and environ.get("HTTP_X_ROOTCAUSE_IN_PLACE") == "1":
                reply = self._guarded(self._page_post, environ, match.group(1))
        if reply is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = reply
        start_response(status, headers)
        self.answered += 1
        return [body]

    def _guarded(
        self, answer: Callable[[WSGIEnvironment, str], Reply | None], environ: Any, code: str
    ) -> Reply | None:
        try:
            return answer(environ, code)
        except Exception:
            # Flask answers instead, with its own error handling (repeating a page post there
            # is safe); the failure here is worth a line in the log all the same.
            log.warning("respondent fast path failed; Flask answers instead", exc_info=True)
            return None

    # --- what both requests need ----------------------------------------------------------

    def _accepting(self, code: str) -> OpenLink | None:
        """The link if this worker has it cached, it accepts answers today and needs no token."""
        opened = respond.link_cache(self.app).peek(code)
        if opened is None or opened.link.requires_token:
            return None
        try:
            return check_accepting(opened, today=respond.current_date())
        except SurveysError:
            return None

    def _reply(
        self, status: str, body: str, cookies: list[str], location: str | None = None
    ) -> Reply:
        """The reply with the headers Flask's views and hooks would give it."""
        data = body.encode()
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
        ]
        if location is not None:
            headers.append((respond.IN_PLACE_HEADER_LOCATION, location))
        headers.extend(("Set-Cookie", cookie) for cookie in cookies)
        headers.extend(SECURITY_HEADERS)
        return status, headers, data

    # --- a new respondent opens the link ----------------------------------------------------

    def _first_page(self, environ: WSGIEnvironment, code: str) -> Reply | None:
        script_root = _script_root(environ)
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if script_root is None or cookies.get(respond.resume_cookie_name(code)):
            return None  # a device that may be continuing a response: Flask looks it up
        opened = self._accepting(code)
        if opened is None:
            return None
        value = respond_csrf.well_formed(cookies.get(respond_csrf.COOKIE))
        new_cookies = []
        if value is None:
            value = respond_csrf.new_value()
            new_cookies.append(respond_csrf.cookie_header(value, script_root, _secure(environ)))
        now = time.time()
        body = respond.page_markup(
            opened,
            respond.PageState(new_submission_id(), str(int(now)), 1),
            values={},
            earlier={},
            script_root=script_root,
            csrf_token=respond_csrf.make_token(respond_csrf.key(self.app), value, now),
            kept_only=self.app,
        )
        return None if body is None else self._reply("200 OK", body, new_cookies)

    # --- a page posted by the page script ---------------------------------------------------

    def _page_post(self, environ: WSGIEnvironment, code: str) -> Reply | None:
        script_root = _script_root(environ)
        form = self._form(environ)
        if script_root is None or form is None:
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        value = respond_csrf.well_formed(cookies.get(respond_csrf.COOKIE))
        if value is None:
            return None
        try:
            respond_csrf.verify(
                respond_csrf.key(self.app),
                form.get(respond_csrf.FIELD, ""),
                value,
                respond_csrf.time_limit(self.app),
                time.time(),
            )
        except CSRFError:
            return None
        opened = self._accepting(code)
        if opened is None:
            return None
        instrument = opened.instrument
        try:
            link_limiter(self.app).hit(code)
        except TooManyAttempts:
            return None  # refused without counting: Flask refuses it the same way
        # The same reading of the form as web.respond.submit.
        try:
            page = int(form.get("page") or 1)
        except ValueError:
            page = 1
        page = max(1, min(page, len(instrument.sections)))
        forward = form.get("direction", "next") != "back"
        started_field = form.get("started", "")
        try:
            started = float(started_field or 0)
        except ValueError:
            started = 0
        engine = self.app.extensions["rootcause.engine"]
        connection = take_respondent_connection(engine)
        failed = True
        try:
            result = save_page(
                connection,
                opened,
                submission_id=form.get("submission_id", ""),
                page=page,
                answers=respond.answers_from(form, instrument),
                forward=forward,
                today=respond.current_date(),
                duration_seconds=int(time.time() - started) if started else None,
            )
            failed = False
        except SurveysError:
            failed = False  # the answers, not the connection: it is kept
            return None  # nothing stored: Flask shows the page again with the messages
        finally:
            give_back_respondent_connection(engine, connection, failed=failed)
        if result.next_page is None:
            return self._finished(opened, code, script_root)
        answers_now = result.response.answers
        submission_id = result.response.submission_id
        started_text = str(int(started)) if started else ""
        now = time.time()
        body = respond.page_markup(
            opened,
            respond.PageState(submission_id, started_text or str(int(now)), result.next_page),
            values=answers_now,
            earlier=respond.earlier_answers(instrument, answers_now, result.next_page),
            script_root=script_root,
            csrf_token=respond_csrf.make_token(respond_csrf.key(self.app), value, now),
            kept_only=self.app,
        )
        if body is None:
            return None
        cookie = respond.resume_cookie(
            code, submission_id, started_text, script_root, _secure(environ)
        )
        location = f"{script_root}/s/{code}?p={result.next_page}"
        return self._reply("200 OK", body, [cookie], location)

    def _finished(self, opened: OpenLink, code: str, script_root: str) -> Reply | None:
        """The thank-you page, and the device forgets the response (web.respond.submit)."""
        body = respond.thanks_markup(opened, kept_only=self.app)
        if body is None:
            return None
        forget = respond.forget_cookie(code, script_root)
        return self._reply("200 OK", body, [forget], f"{script_root}/s/{code}/thanks")

    def _form(self, environ: WSGIEnvironment) -> MultiDict[str, str] | None:
        """The posted form, read as werkzeug reads it; the body is put back for Flask."""
        if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != _FORM:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if length < 0 or (limit is not None and length > limit):
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        if len(body) != length:
            return None
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return None
        items = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
        parts = self.app.config.get("MAX_FORM_PARTS")
        if parts is not None and len(items) > parts:
            return None
        return MultiDict(items)


def _script_root(environ: WSGIEnvironment) -> str | None:
    """The application's prefix as Flask's ``request.script_root`` has it (None: not ASCII,
    left to Flask's decoding)."""
    root: str = environ.get("SCRIPT_NAME") or ""
    return root.rstrip("/") if root.isascii() else None


def _secure(environ: WSGIEnvironment) -> bool:
    return environ.get("wsgi.url_scheme") in {"https", "wss"}
