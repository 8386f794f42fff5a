"""CSRF protection of the respondent's pages: a signed double-submit token, without a session.

Staff pages use Flask-WTF, which keeps its token in Flask's signed session cookie. The
respondent's pages are posted page after page by whole classes at once, and there the session
(decoded, checked and its signer built on every request) was a noticeable part of the cost of
a page. They use the same idea without it (OWASP's "signed double-submit cookie"):

- a random value in a cookie of its own (``rc_csrf``: HttpOnly, SameSite=Lax, path ``/s/``
  under the application's prefix, gone when the browser closes, like Flask's session cookie);
- in every form, a token ``<time>.<HMAC-SHA256(key, value | time)>``, the key derived from
  the application's secret key.

A post is accepted only when its token was made for the cookie the browser sends and is at most
``WTF_CSRF_TIME_LIMIT`` seconds old (the same limit as staff forms). Another site can neither
read the cookie nor compute a token for it; a page left open too long, or a cookie lost, gets
the same Russian message as an expired staff form (web.errors).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Any

from flask import Flask, current_app, g, request
from flask_wtf.csrf import CSRFError
from werkzeug.http import dump_cookie

from web.appstate import per_app

COOKIE = "rc_csrf"
FIELD = "csrf_token"
_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_TOKEN = re.compile(r"(\d{1,12})\.([0-9a-f]{64})")


def key(app: Flask | None = None) -> bytes:
    """The signing key of ``app`` (the current application by default)."""
    return per_app(
        "rootcause.respond_csrf_key",
        lambda: hashlib.sha256(
            b"rootcause respondent csrf\0" + str((app or current_app).config["SECRET_KEY"]).encode()
        ).digest(),
        app,
    )


def time_limit(app: Flask | None = None) -> int:
    return int((app or current_app).config.get("WTF_CSRF_TIME_LIMIT") or 3600)


def _signature(signing_key: bytes, value: str, issued: str) -> str:
    return hmac.digest(signing_key, f"{value}|{issued}".encode(), "sha256").hex()


def well_formed(value: str | None) -> str | None:
    """The cookie's value if it is one this module could have made."""
    return value if value and _VALUE.fullmatch(value) else None


def new_value() -> str:
    return secrets.token_urlsafe(32)


def make_token(signing_key: bytes, value: str, now: float) -> str:
    issued = str(int(now))
    return f"{issued}.{_signature(signing_key, value, issued)}"


def verify(signing_key: bytes, token_field: str, value: str | None, limit: int, now: float) -> None:
    """Raise CSRFError unless ``token_field`` was made for the cookie ``value`` at most
    ``limit`` seconds ago."""
    match = _TOKEN.fullmatch(token_field)
    if match is None or value is None:
        raise CSRFError("The respondent's CSRF token or cookie is missing.")
    issued, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(signing_key, value, issued)):
        raise CSRFError("The respondent's CSRF token does not match the cookie.")
    if not 0 <= now - int(issued) <= limit:
        raise CSRFError("The respondent's CSRF token has expired.")


def cookie_header(value: str, script_root: str, secure: bool) -> str:
    """The Set-Cookie value that gives a browser its cookie."""
    return dump_cookie(
        COOKIE, value, path=f"{script_root}/s/", httponly=True, samesite="Lax", secure=secure
    )


def token() -> str:
    """A token for the form being rendered; a browser without the cookie gets one with the
    reply (:func:`set_cookie`)."""
    value = g.get("respond_csrf_value") or well_formed(request.cookies.get(COOKIE))
    if value is None:
        value = g.respond_csrf_value = g.respond_csrf_new = new_value()
    return make_token(key(), value, time.time())


def check() -> None:
    """Refuse a post whose token does not belong to the browser's cookie or has expired."""
    value = well_formed(request.cookies.get(COOKIE))
    verify(key(), request.form.get(FIELD, ""), value, time_limit(), time.time())
    g.respond_csrf_value = value


def set_cookie(response: Any) -> Any:
    """Give the browser the cookie its new tokens were made for."""
    value = g.get("respond_csrf_new")
    if value is not None:
        response.headers.add(
            "Set-Cookie", cookie_header(value, request.script_root, request.is_secure)
        )
    return response
