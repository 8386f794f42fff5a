"""analysis.memo: district-wide results shared by a campaign's references, and never a
different text for it (every school's reference with and without a shared store)."""

from __future__ import annotations

import datetime as dt
import gc

import pandas as pd
import pytest

from analysis import memo
from analysis.memo import MemoStore, memo_scope, memoized
from analysis.report import build_school_reference
from analysis.report.html import render_html
from instruments.risk_factors import builtin_risk_factors
from surveys.dataset import assessment_frame, form_data, school_status_frame
from surveys.db import make_engine, session_scope, upgrade
from surveys.demo import generate_demo

CALLS: list[str] = []


@memoized
def _total(frame: pd.DataFrame, column: str, *, scale: float = 1.0) -> float:
    CALLS.append(column)
    return float(frame[column].sum()) * scale


@pytest.fixture(autouse=True)
def _no_calls() -> None:
    CALLS.clear()


def test_outside_a_scope_every_call_runs() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3]})
    assert _total(frame, "a") == _total(frame, "a") == 6.0
    assert CALLS == ["a", "a"]


def test_in_a_scope_a_call_with_the_same_arguments_runs_once() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]})
    with memo_scope() as store:
        assert _total(frame, "a") == 6.0
        assert _total(frame, "a") == 6.0
        assert _total(frame, "b") == 15.0
        assert _total(frame, "a", scale=2.0) == 12.0
    assert CALLS == ["a", "b", "a"]
    assert (store.hits, store.misses) == (1, 3)


def test_a_small_table_read_again_is_known_by_its_content() -> None:
    with memo_scope():
        _total(pd.DataFrame({"a": [1, 2, 3]}), "a")
        _total(pd.DataFrame({"a": [1, 2, 3]}), "a")  # another object, same content
        _total(pd.DataFrame({"a": [1, 2, 4]}), "a")  # one value differs
        _total(pd.DataFrame({"a": [1, 2, 3]}, index=[0, 1, 5]), "a")  # the index differs
        _total(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "a")  # the dtype differs
    assert len(CALLS) == 4


def test_text_and_list_cells_are_known_by_their_content() -> None:
    """The object columns are hashed together (:func:`analysis.memo._digest`): a value moved
    to another column or row, a missing one, a list answer are each another table."""
    tables = [
        pd.DataFrame({"a": ["x", "y"], "b": ["z", None]}),
        pd.DataFrame({"a": ["x", "y"], "b": ["z", None]}),  # the same content
        pd.DataFrame({"a": ["x", "z"], "b": ["y", None]}),  # values moved between columns
        pd.DataFrame({"a": ["y", "x"], "b": ["z", None]}),  # between rows
        pd.DataFrame({"a": ["x", "y"], "b": ["z", "w"]}),  # nothing missing
        pd.DataFrame({"a": ["x", "y"], "b": ["z", None]}, index=["p", "q"]),  # a text index
        pd.DataFrame({"a": ["x", "y"], "b": [["z"], ["z", "w"]]}),  # multiple choices
        pd.DataFrame({"a": ["x", "y"], "b": [["z"], ["z", "w"]]}),
        pd.DataFrame({"a": ["x", "y"], "b": [["z"], ["w", "z"]]}),
    ]

    @memoized
    def rows(frame: pd.DataFrame) -> int:
        CALLS.append("rows")
        return len(frame)

    with memo_scope():
        for table in tables:
            rows(table)
    assert len(CALLS) == 7


def test_a_remembered_table_is_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`analysis.memo.remember`: a table a caller derives and passes to several
    memoized functions is keyed by its content once, as a result is."""
    hashed: list[object] = []
    content = memo._content

    def counted(obj: pd.DataFrame | pd.Series) -> tuple[object, ...] | None:
        hashed.append(obj)
        return content(obj)

    monkeypatch.setattr(memo, "_content", counted)
    kept, passed = pd.DataFrame({"a": [1, 2, 3]}), pd.DataFrame({"a": [1, 2, 3]})
    with memo_scope():
        memo.remember(kept)
        _total(kept, "a")
        _total(kept, "a", scale=2.0)
        _total(passed, "a")  # the same content: the first result
        _total(passed, "a", scale=3.0)
    assert [obj is kept for obj in hashed] == [True, False, False]
    assert CALLS == ["a", "a", "a"]
    memo.remember(kept)  # outside a scope: nothing to remember in


def test_a_large_table_is_known_by_identity_and_kept_alive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memo, "CONTENT_CELLS", 2)
    store = MemoStore()
    with memo_scope(store):
        frame = pd.DataFrame({"a": [1, 2, 3]})
        _total(frame, "a")
        _total(frame, "a")
        _total(pd.DataFrame({"a": [1, 2, 3]}), "a")  # same content, another object
    assert CALLS == ["a", "a"]
    # The store holds the objects it keyed by identity, so no later object takes their id.
    del frame
    gc.collect()
    assert len(store.pinned) == 2
    assert all(isinstance(o, pd.DataFrame) for o in store.pinned.values())


def test_scopes_do_not_share_and_nest() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3]})
    first, second = MemoStore(), MemoStore()
    with memo_scope(first):
        _total(frame, "a")
        with memo_scope(second):
            _total(frame, "a")
        _total(frame, "a")
    assert CALLS == ["a", "a"]
    assert (first.hits, second.hits) == (1, 0)


# The demo district: every school's reference with a store shared between schools is the
# reference computed alone, so no shared result is altered by a later school's build.

FORMS = ("student_2_4", "student_5_11", "parent", "teacher", "administration")


@pytest.fixture(scope="module")
def district():  # type: ignore[no-untyped-def]
    engine = make_engine("sqlite://")
    upgrade(engine)
    with session_scope(engine) as session:
        demo = generate_demo(session, seed=7, today=dt.date(2026, 11, 1))
        codes = sorted(demo.truth["risks"])
        data = []
        for code in FORMS:
            loaded = form_data(session, demo.campaign_id, code)
            data.append((code, loaded.instrument, loaded.answers))
        results = assessment_frame(session, codes)
        status = school_status_frame(session, codes)
    engine.dispose()
    return codes, data, results, status


def _html(district, school: str) -> str:  # type: ignore[no-untyped-def]
    _codes, data, results, status = district
    return render_html(
        build_school_reference(
            school_code=school,
            school_name=f"Школа {school}",
            district_name="Район",
            campaign_title="Волна",
            period="2026",
            min_group_size=5,
            audiences=data,
            generated_on=dt.date(2026, 11, 20),
            catalogue=builtin_risk_factors(),
            # read "again" for every school, as the web does: known by content
            results=results.copy(),
            status=status.copy(),
        )
    )


def test_a_shared_store_changes_no_schools_reference(district) -> None:  # type: ignore[no-untyped-def]
    codes = district[0]
    chosen = [codes[0], codes[len(codes) // 2], codes[-1]]
    alone = {code: _html(district, code) for code in chosen}
    store = MemoStore()
    for code in reversed(chosen):
        with memo_scope(store):
            assert _html(district, code) == alone[code], code
    # the second and third school reuse the district's computations
    assert store.hits > 2 * store.misses / 3


def test_sets_are_known_by_their_elements() -> None:
    @memoized
    def size(items: set[str]) -> int:
        CALLS.append("size")
        return len(items)

    with memo_scope():
        assert size({"a", "b"}) == size({"b", "a"}) == 2
        assert size({"a"}) == 1
    assert CALLS == ["size", "size"]


def test_a_store_keeps_a_bounded_number_of_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "CONTENT_CELLS", 0)
    monkeypatch.setattr(memo, "MAX_PINNED", 3)
    store = MemoStore()
    with memo_scope(store):
        for value in range(10):
            _total(pd.DataFrame({"a": [value]}), "a")
            assert len(store.pinned) <= 3
            assert len(store.results) <= 3
    assert len(CALLS) == 10
