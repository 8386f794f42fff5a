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
- a frame or series a caller hands to :meth:`MemoStore.pin` (a cached campaign's answers), by
  identity;
- a small pandas frame or series (up to ``CONTENT_CELLS`` cells) by its content: index,
  columns, dtypes and a hash of every value, so a table re-read from the database for each
  request (assessment results, school status) still finds its result; the frames a memoized
  function returned are hashed once (they are never modified, by the rule below), and two
  equal results of different calls (a school's table that is the same for every school)
  still share what is computed from them;
- a pydantic model (an instrument, an indicator of the catalogue) by a digest of its JSON,
  computed once per object and store: equal definitions read anew in another process find
  the results;
- anything else (a large answers frame, a result passed on to another function) by identity.
  The store keeps a reference to each such object, so its ``id`` cannot be reused by another
  object while the store lives. A caller gets the benefit only by passing the *same* objects
  again, which is what a cached campaign's answers are.

A store can be carried to another process (:meth:`MemoStore.snapshot` and
:meth:`MemoStore.restore`, pickled by ``web.reference_cache`` together with the answers it was
computed from): identity keys become positions in the list of the objects they name, and the
objects travel in the same pickle as the answers that hold them, so after loading they are
again the very objects the caller passes.

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

import numpy as np
import pandas as pd
from pydantic import BaseModel

#: frames and series up to this many cells are keyed by content, larger ones by identity
CONTENT_CELLS = 20_000
#: objects a store keeps alive (keyed by identity) before it starts afresh: a bound for tables
#: too large to key by content that a caller reads anew for every reference
MAX_PINNED = 10_000

P = ParamSpec("P")
R = TypeVar("R")

_SCALARS = (str, bytes, int, float, bool, type(None), dt.date, dt.datetime, enum.Enum)


@dataclass
class MemoStore:
    """The results of one family of computations (e.g. one campaign's answers)."""

    results: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    #: objects keyed by identity, kept alive so that their ids stay theirs
    pinned: dict[int, Any] = field(default_factory=dict)
    #: objects whose key is computed once, by identity: the object (kept alive) and its key
    #: (None until first needed): pydantic models, the frames of results
    known: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def pin(self, obj: Any) -> None:
        """Key ``obj`` by identity from now on, whatever its size: the caller promises never
        to modify it and to pass this very object again."""
        with self.lock:
            self.pinned.setdefault(id(obj), obj)

    def snapshot(self) -> tuple[dict[Any, Any], list[Any]]:
        """The results with identity keys made portable, and the objects they name: pickle
        both together with whatever holds those objects (see the module's docstring)."""
        with self.lock:
            objects = list(self.pinned.values())
            position = {id(obj): n for n, obj in enumerate(objects)}
            return {_portable(k, position): v for k, v in self.results.items()}, objects

    @classmethod
    def restore(cls, results: dict[Any, Any], objects: list[Any]) -> MemoStore:
        """A store holding a :meth:`snapshot`'s results, keyed by the objects as loaded."""
        ids = [id(obj) for obj in objects]
        store = cls(
            results={_local(k, ids): v for k, v in results.items()},
            pinned={id(obj): obj for obj in objects},
        )
        for result in store.results.values():
            store.remember(result)
        return store

    def remember(self, result: Any) -> None:
        """Key the frames of a memoized function's result once, when first passed on."""
        for frame in _frames(result):
            self.known.setdefault(id(frame), (frame, None))


def _portable(key: Any, position: dict[int, int]) -> Any:
    if isinstance(key, tuple):
        if len(key) == 2 and key[0] == "id" and type(key[1]) is int:
            return ("ref", position[key[1]])
        return tuple(_portable(part, position) for part in key)
    return key


def _local(key: Any, ids: list[int]) -> Any:
    if isinstance(key, tuple):
        if len(key) == 2 and key[0] == "ref" and type(key[1]) is int:
            return ("id", ids[key[1]])
        return tuple(_local(part, ids) for part in key)
    return key


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


def remember(frame: pd.DataFrame | pd.Series) -> None:
    """Key ``frame`` by its content once in the current scope's store, as a memoized
    function's result is: the caller promises never to modify it. For a table a caller
    derives and hands to several memoized functions (each would hash it again)."""
    store = _current.get()
    if store is not None:
        with store.lock:
            store.remember(frame)


def _content(obj: pd.DataFrame | pd.Series) -> tuple[Any, ...] | None:
    if obj.size > CONTENT_CELLS:
        return None
    if isinstance(obj, pd.Series):
        columns: tuple[str, ...] = ()
        dtypes: tuple[str, ...] = (str(obj.dtype),)
        arrays = [obj.to_numpy()]
    else:
        columns = tuple(map(str, obj.columns))
        dtypes = tuple(map(str, obj.dtypes))
        arrays = [column.to_numpy() for _, column in obj.items()]
    index = obj.index
    if isinstance(index, pd.RangeIndex):
        rows: tuple[Any, ...] = ("range", index.start, index.stop, index.step)
    else:
        rows = (str(index.dtype), _digest([index.to_numpy()]))
    return (
        type(obj).__name__,
        obj.shape,
        columns,
        dtypes,
        obj.name if isinstance(obj, pd.Series) else None,
        rows,
        _digest(arrays),
    )


def _digest(arrays: list[np.ndarray]) -> str:
    """A digest of the arrays' values in order (their lengths and types are in the key):
    numbers, booleans and dates by their bytes, every other value by pandas' 64-bit hash of
    it, all the object columns in one call (hashed column by column, a small frame's
    columns cost more than its values: ~2.9 → ~0.4 ms for a school's 3 × 34 answers)."""
    digest = hashlib.blake2b(digest_size=16)
    objects = []
    for values in arrays:
        if values.dtype.kind in "biufcmM":
            digest.update(np.ascontiguousarray(values).tobytes())
        else:
            objects.append(np.asarray(values, dtype=object))
    if objects:
        joined = np.concatenate(objects)
        try:
            hashed = pd.util.hash_array(joined)
        except TypeError:  # unhashable cells (a multiple choice's list): hashed as their repr
            hashed = pd.util.hash_array(np.array([repr(v) for v in joined], dtype=object))
        digest.update(hashed)
    return digest.hexdigest()


def _key(obj: Any, store: MemoStore) -> Any:
    if isinstance(obj, _SCALARS):
        return (type(obj).__name__, obj)
    if store.pinned.get(id(obj)) is obj:
        return ("id", id(obj))
    seen = store.known.get(id(obj))
    if seen is not None and seen[0] is obj:
        if seen[1] is None:
            seen = store.known[id(obj)] = (obj, _fresh_key(obj, store))
        return seen[1]
    return _fresh_key(obj, store)


def _fresh_key(obj: Any, store: MemoStore) -> Any:
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
    if isinstance(obj, BaseModel):
        digest = hashlib.blake2b(obj.model_dump_json().encode(), digest_size=16).hexdigest()
        key = ("model", type(obj).__qualname__, digest)
        store.known[id(obj)] = (obj, key)
        return key
    store.pinned.setdefault(id(obj), obj)
    return ("id", id(obj))


def _frames(result: Any) -> Iterator[pd.DataFrame | pd.Series]:
    """The frames and series a result is or holds (in a tuple, list, dict or dataclass, one
    level deep): callers pass them on to other memoized functions."""
    if isinstance(result, (pd.DataFrame, pd.Series)):
        yield result
        return
    if isinstance(result, (tuple, list)):
        parts: Any = result
    elif isinstance(result, dict):
        parts = result.values()
    elif hasattr(result, "__dataclass_fields__"):
        parts = (getattr(result, name, None) for name in result.__dataclass_fields__)
    else:
        return
    for part in parts:
        if isinstance(part, (pd.DataFrame, pd.Series)):
            yield part


def memoized(fn: Callable[P, R]) -> Callable[P, R]:
    """Share ``fn``'s results within a :func:`memo_scope` (see the module's docstring)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        store = _current.get()
        if store is None:
            return fn(*args, **kwargs)
        with store.lock:
            if len(store.pinned) + len(store.known) >= MAX_PINNED:  # (before a key is made)
                store.results.clear()
                store.pinned.clear()
                store.known.clear()
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
            kept = store.results.setdefault(key, result)
            store.remember(kept)
            return kept

    return wrapper
