"""Objects kept per application, and so per worker process: caches and counters that live
in memory (link cache, page markup, static URLs, the per-link post limiter)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from flask import Flask, current_app

T = TypeVar("T")
V = TypeVar("V")


def per_app(key: str, factory: Callable[[], T], app: Flask | None = None) -> T:
    """The object stored under ``key`` for ``app`` (the current application by default), made
    by ``factory`` on first use (two threads racing on the first use keep the first one
    stored)."""
    extensions: dict[str, Any] = (app or current_app).extensions
    value = extensions.get(key)
    if value is None:
        value = extensions.setdefault(key, factory())
    return value  # type: ignore[no-any-return]


class KeptMarkup(Generic[V]):
    """Markup rendered once and kept per worker, at most ``size`` pieces, the least recently
    used forgotten first (a whole region's campaign may use more pieces than a worker keeps)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        value = self.peek(key)
        if value is not None:
            return value
        value = make()  # outside the lock: rendering takes a while
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> V | None:
        """The piece kept under ``key``, or None when it is not kept (nothing is rendered)."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def __len__(self) -> int:
        return len(self._items)
