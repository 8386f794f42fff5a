"""Objects kept per application, and so per worker process: caches and counters that live
in memory (link cache, page markup, static URLs, the per-link post limiter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")


def per_app(key: str, factory: Callable[[], T]) -> T:
    """The object stored under ``key`` for the current application, made by ``factory`` on
    first use (two threads racing on the first use keep the first one stored)."""
    extensions: dict[str, Any] = current_app.extensions
    value = extensions.get(key)
    if value is None:
        value = extensions.setdefault(key, factory())
    return value  # type: ignore[no-any-return]
