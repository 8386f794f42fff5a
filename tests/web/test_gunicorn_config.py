"""The production server's access log keeps no respondent address, agent or query string."""

from __future__ import annotations

import re

from web import gunicorn_config


def test_access_log_has_no_address_agent_or_query() -> None:
    fields = set(re.findall(r"%\((\w+)\)s", gunicorn_config.access_log_format))
    # h: remote address, a: user agent, q / r: query string (personal tokens in QR links)
    assert not fields & {"h", "a", "q", "r", "f"}
    assert {"s", "U"} <= fields
