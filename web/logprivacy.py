"""Server log lines without what could identify a respondent: no query strings (personal
tokens travel in QR links as ``/s/<code>/token?t=...``) and no client addresses. Used by the
development server (web.cli) and gunicorn (web.gunicorn_config)."""

from __future__ import annotations

import logging
import re

# A query string: from "?" to the end of the URL (white space or a quote ends it).
_QUERY = re.compile(r"\?[^\s\"'<>]*")
# gunicorn's "Invalid request from ip=203.0.113.5: ..."
_IP_FIELD = re.compile(r"\bip=\S*?(?=:?\s|$)")


def scrub(text: str) -> str:
    """``text`` without query strings and ``ip=`` fields."""
    return _IP_FIELD.sub("ip=-", _QUERY.sub("", text))


class ScrubFilter(logging.Filter):
    """Rewrites each record's message with :func:`scrub` (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
