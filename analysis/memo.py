"""Results of the district-wide computations, shared by the references of one campaign.

A school's reference compares the school with every school of its campaign, so most of what
it computes (scale scores, indicators of every school, their shrinkage, the factor profiles,
the district model of causes) is the same for every school of the campaign. A caller that
builds several references from the same answers opens a :func:`memo_scope` with a store it
keeps (the web keeps one per campaign and state of its answers: ``web.reference_cache``); the
functions marked :func:`memoized` then compute once per store and return the same result to
every later call with the same arguments. Outside a scope they simply run.

How arguments are told apart (the key of a call):

- numbers, strings, dates, ``None`` and enums by value; tuples, lists, dicts and sets by
  their elements;
- a small pandas frame or series (up to ``CONTENT_CELLS`` cells) by its content: index,
  columns, dtypes and a hash of every value, so a table re-read from the database for each
  request (assessment results, school status) still finds its result;
- anything else (a large answers frame, an instrument, an indicator) by identity. The store
  keeps a reference to each such object, so its ``id`` cannot be reused by another object
  while the store lives. A caller gets the benefit only by passing the *same* objects again,
  which is what a cached campaign's answers are.

Memoized functions must be pure, and their results are shared: callers must not modify a
result in place (the reference builders only select and copy). ``tests/analysis/test_memo.py``
renders every school's reference with and without a shared store and requires the same text.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import pandas as pd

#: frames and series up to this many cells are keyed by content, larger ones by identity
CONTENT_CELLS = 20_000
#: objects a store keeps alive (keyed by identity) before it starts afresh: a bound for tables
#: too large to key by content that a caller reads anew for every reference
MAX_PINNED = 1_000

P = ParamSpec("P")
R = TypeVar("R")

_SCALARS = (str, bytes, int, float, bool, type(None), dt.date, dt.datetime, enum.Enum)


@dataclass
class MemoStore:
    """The results of one family of computations (e.g. one campaign's answers)."""

    results: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    #: objects keyed by identity, kept alive so that their ids stay theirs
    pinned: dict[int, Any] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)


_current: ContextVar[MemoStore | None] = ContextVar("rootcause_memo", default=None)


@contextmanager
def memo_scope(store: MemoStore | None = None) -> Iterator[MemoStore]:
    """Within the block, :func:`memoized` functions share ``store`` (a new one by default)."""
    store = store if store is not None else MemoStore()
    token = _current.set(store)
    try:
        yield store
    finally:
        _current.reset(token)


def _content(obj: pd.DataFrame | pd.Series) -> tuple[Any, ...] | None:
    frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
    if frame.size > CONTENT_CELLS:
        return None
    try:
        hashed = pd.util.hash_pandas_object(frame, index=True)
    except TypeError:  # unhashable cells (lists): identity
        return None
    digest = hashlib.blake2b(hashed.to_numpy().tobytes(), digest_size=16).hexdigest()
    return (
        type(obj).__name__,
        frame.shape,
        tuple(map(str, frame.columns)),
        tuple(map(str, frame.dtypes)),
        getattr(obj, "name", None) if isinstance(obj, pd.Series) else None,
        digest,
    )


def _key(obj: Any, store: MemoStore) -> Any:
    if isinstance(obj, _SCALARS):
        return (type(obj).__name__, obj)
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, tuple(_key(x, store) for x in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((_key(k, store), _key(v, store)) for k, v in obj.items()))
    if isinstance(obj, (set, frozenset)):
        return ("set", tuple(sorted((_key(x, store) for x in obj), key=repr)))
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        content = _content(obj)
        if content is not None:
            return ("content", content)
    store.pinned.setdefault(id(obj), obj)
    return ("id", id(obj))


def memoized(fn: Callable[P, R]) -> Callable[P, R]:
    """Share ``fn``'s results within a :func:`memo_scope` (see the module's docstring)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        store = _current.get()
        if store is None:
            return fn(*args, **kwargs)
        with store.lock:
            if len(store.pinned) >= MAX_PINNED:  # (before a key is made: its objects stay)
                store.results.clear()
                store.pinned.clear()
            key = (
                fn.__module__,
                fn.__qualname__,
                tuple(_key(a, store) for a in args),
                tuple(sorted((k, _key(v, store)) for k, v in kwargs.items())),
            )
            if key in store.results:
                store.hits += 1
                return store.results[key]
        result = fn(*args, **kwargs)
        with store.lock:
            store.misses += 1
            return store.results.setdefault(key, result)

    return wrapper
