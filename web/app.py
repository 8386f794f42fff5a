"""The Flask application factory and its helpers (``web.create_app``, ``web.csrf``).

Apart from the package's ``__init__`` so that importing ``web`` (as the command line does)
loads neither Flask nor SQLAlchemy; ``web`` hands these names out on first use.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf import CSRFProtect

from surveys.db import database_url, make_engine, make_sessionmaker
from web import SECURITY_HEADERS, _secret_key, instance_path
from web.appstate import per_app

csrf = CSRFProtect()


@cache
def _static_version(path: str) -> str:
    content = (Path(__file__).parent / "static" / path).read_bytes()
    return hashlib.sha256(content).hexdigest()[:12]


def _static_url(filename: str) -> str:
    # Built once per application and file: every respondent page asks for the same two.
    urls: dict[str, str] = per_app("rootcause.static_urls", dict)
    url = urls.get(filename)
    if url is None:
        url = urls[filename] = url_for("static", filename=filename, v=_static_version(filename))
    return url


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened without building its signer when the request
    carries no session cookie: every respondent's request (respondents have no session, see
    web.respond_csrf), where the signer was a noticeable part of a page's cost."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    path = instance_path()
    # Named after the package, as when this lived in web/__init__: the name is the root of
    # the templates and static folder and the application's logger.
    app = Flask("web", instance_path=str(path), instance_relative_config=True)
    app.session_interface = SessionInterface()
    config = dict(config or {})
    app.config.update(
        DATABASE_URL=database_url(path),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A respondent may take a long break in the middle of a questionnaire.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_FORM_MEMORY_SIZE=256 * 1024,
        MAX_FORM_PARTS=2000,
    )
    # Static files carry a content hash in their URL (see static_url), so phones may keep
    # them for a long time and still never see a stale stylesheet.
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 86400
    # Operators may tune the per-link limit of respondents' posts per minute and worker.
    if os.environ.get("ROOTCAUSE_LINK_POSTS_PER_MINUTE"):
        app.config["LINK_POSTS_PER_MINUTE"] = int(os.environ["ROOTCAUSE_LINK_POSTS_PER_MINUTE"])
    app.config.update(config)
    if "SECRET_KEY" not in config:
        app.config["SECRET_KEY"] = _secret_key(path)
    engine = config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])
    app.extensions["rootcause.engine"] = engine
    app.extensions["rootcause.sessionmaker"] = make_sessionmaker(engine)

    # Imported here, not with the module: the CLI imports this package, and its start-up
    # must not pay for pandas (the report's number format) or the instrument models.
    from analysis.report.html import ru_number
    from instruments.answers import too_many_choices

    # "5–11": keep a range on one line in headings on narrow screens.
    app.jinja_env.filters["nobreak"] = lambda text: str(text).replace("–", "–\u2060")
    app.jinja_env.filters["ru_num"] = ru_number
    app.jinja_env.globals["static_url"] = _static_url
    app.jinja_env.filters["too_many_choices"] = too_many_choices
    csrf.init_app(app)
    from web import auth, chart_assets, db, designer, errors, public, respond, staff

    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    for module in (public, respond, staff, designer, chart_assets):
        app.register_blueprint(module.bp)
    # The respondent's pages carry a session-free token of their own (web.respond_csrf).
    csrf.exempt(respond.bp)
    app.register_blueprint(auth.bp)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        return response

    if app.config.get("RESPONDENT_FAST_PATH", True):
        from web.respond_fast import RespondentFastPath

        app.wsgi_app = RespondentFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


#: what the staff pages import on first use (the analysis, pandas, the report's formats),
#: imported up front by a serving process: see prepare_for_serving
SERVED_MODULES = (
    "web.reporting",
    "web.reference_files",
    "analysis.report.html",
    "analysis.report.docx",
    "web.staff.factor_table",
)


def prepare_for_serving() -> None:
    """Ready a process that will serve requests, once its application exists (``rootcause
    serve``, each gunicorn worker: web.gunicorn_config.post_worker_init).

    The libraries of the staff pages are imported now rather than by the first request that
    needs them (a second of imports), and the built-in risk-factor catalogue is read and
    checked against the built-in instruments (their YAML files: some 30 ms that no answer
    changes, which the first reference would pay). Then everything alive is frozen out of
    the cyclic garbage collector (``gc.freeze``, after a collection): modules, the app and
    the libraries live as long as the process, and without the freeze each full collection
    walks all of them again. A reference computed with nothing cached spent some 0.15 s of
    its second in the collector, 0.02 s with it. Not done by create_app itself: the tests
    create hundreds of applications in one process.
    """
    import gc
    import importlib

    from instruments.risk_factors import builtin_risk_factors

    for name in SERVED_MODULES:
        importlib.import_module(name)
    builtin_risk_factors()
    gc.collect()
    gc.freeze()
