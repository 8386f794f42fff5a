"""Server logs keep no personal token (it comes in the query string of its QR link) and no
client address: the development server's (``rootcause serve``) and gunicorn's error log."""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from gunicorn.config import Config
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from surveys.tokens import issue_tokens, token_link
from tests.factories import link_for, make_campaign, make_school
from web import gunicorn_config
from web.cli import AnonymousRequestHandler
from web.logprivacy import scrub


@pytest.fixture
def dev_server(app: Flask) -> Iterator[BaseWSGIServer]:
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=AnonymousRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)


def test_the_development_server_logs_no_token_and_no_address(
    dev_server: BaseWSGIServer, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    school = make_school(db)
    link = token_link(db, link_for(db, make_campaign(db, [school]), school))
    token = issue_tokens(db, link, 1)[0]
    db.commit()
    base = f"http://127.0.0.1:{dev_server.port}"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        with urllib.request.urlopen(f"{base}/s/{link.code}/token?t={token}") as reply:
            assert reply.status == 200
            assert token in reply.read().decode()  # the form is filled in
        # A malformed request line is logged as an error quoting it.
        with socket.create_connection(("127.0.0.1", dev_server.port)) as raw:
            raw.sendall(f"GET /s/{link.code}/token?t={token} HTTP/1.1 x\r\n\r\n".encode())
            raw.recv(4096)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(f"/s/{link.code}/token" in line and " 200 " in line for line in lines), lines
    assert any("Bad request" in line for line in lines), lines
    assert not [line for line in lines if token in line or "?t=" in line]
    assert not [line for line in lines if "127.0.0.1" in line]


def test_gunicorn_logs_no_token_and_no_address() -> None:
    config = Config()
    for name, value in vars(gunicorn_config).items():
        if name in config.settings:
            config.set(name, value)
    assert config.logger_class is gunicorn_config.PrivateLogger
    logger = config.logger_class(config)
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    keep = Keep()
    logger.error_log.addHandler(keep)
    try:
        # What gunicorn's worker logs for a request that fails in front of Flask, and for a
        # malformed one (gunicorn/workers/base.py, handle_error).
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("Error handling request %s %s", "GET", "/s/abc/token?t=K7M2P9QX")
        logger.warning(
            "Invalid request from ip=203.0.113.7: Invalid HTTP request line: "
            "'GET /s/abc/token?t=K7M2P9QX HTTP/1.1 x'"
        )
    finally:
        logger.error_log.removeHandler(keep)
    assert seen[0] == "Error handling request GET /s/abc/token"
    assert "203.0.113.7" not in seen[1] and "K7M2P9QX" not in seen[1]
    assert seen[1].startswith("Invalid request from ip=-:")
    # (The access log's format has neither: tests/web/test_gunicorn_config.py.)


def test_scrub() -> None:
    line = '"GET /s/abc/token?t=K7M2P9QX HTTP/1.1" 303 -'
    assert scrub(line) == '"GET /s/abc/token HTTP/1.1" 303 -'
    assert scrub("from ip=::1: bad 'GET /?a=1'") == "from ip=-: bad 'GET /'"
    assert scrub("nothing to hide") == "nothing to hide"
