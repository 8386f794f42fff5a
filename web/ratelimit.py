"""A per-link limit on respondents' posts, kept in each worker's memory.

A whole school often shares one address, so limits are per survey link, never per address.
The counter lives in the worker (no database write on the respondent's hot path); with W
workers the link may take up to W times the limit, which is what it is for: stopping a
runaway script or a flood, not metering people. Personal-token entry is limited in the
database instead (surveys.tokens), where guessing must be bounded exactly.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from flask import Flask, current_app

from surveys.throttle import TooManyAttempts
from web.appstate import per_app

DEFAULT_POSTS_PER_MINUTE = 1200


class LinkLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._hits.setdefault(key, deque())
            while window and now - window[0] > 60:
                window.popleft()
            if len(window) >= self.per_minute:
                raise TooManyAttempts(
                    "Сейчас по этой ссылке отвечает очень много людей. "
                    "Подождите минуту и отправьте страницу ещё раз: ответы сохранятся."
                )
            window.append(now)
            if len(self._hits) > 10_000:  # forget idle links
                for stale in [k for k, v in self._hits.items() if not v or now - v[-1] > 60]:
                    del self._hits[stale]


def link_limiter(app: Flask | None = None) -> LinkLimiter:
    """The limiter of ``app`` (the current application by default)."""
    return per_app(
        "rootcause.link_limiter",
        lambda: LinkLimiter(
            (app or current_app).config.get("LINK_POSTS_PER_MINUTE", DEFAULT_POSTS_PER_MINUTE)
        ),
        app,
    )
