"""The request handler of ``rootcause serve`` (Flask's development server).

Apart from :mod:`web.cli`, which hands it out as ``web.cli.AnonymousRequestHandler``:
``werkzeug.serving`` is imported only by the command that serves, not by ``rootcause --help``
(tests/web/test_cli_startup.py).
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

from web.logprivacy import scrub


class AnonymousRequestHandler(WSGIRequestHandler):
    """The development server's log without client addresses or query strings: respondents
    are anonymous, an IP address beside a time would identify a household, and a personal
    token comes in the query string of its QR link (/s/<code>/token?t=...)."""

    def address_string(self) -> str:
        return "-"

    def log(self, type: str, message: str, *args: object) -> None:
        # Every line (requests, and errors that quote a bad request line) passes here.
        super().log(type, "%s", scrub(message % args if args else message))
