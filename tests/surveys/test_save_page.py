"""Page-by-page storage on the respondent's hot path (surveys.responses.save_page): plain
statements on an autocommit connection, idempotent under retries and races, nothing written for
a bad page, and a complete response is final."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys import responses
from surveys.campaigns import OpenLink, resolve_link
from surveys.errors import AnswersInvalid, InvalidInput
from surveys.responses import new_submission_id, save_page
from tests.factories import TODAY, link_for, make_campaign, make_school

PAGES = 6  # sections of student_5_11; page 1 requires the grade


@pytest.fixture
def opened(db: Session) -> OpenLink:
    school = make_school(db)
    code = link_for(db, make_campaign(db, [school]), school).code
    db.commit()
    return resolve_link(db, code, today=TODAY)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def _stored(db: Session) -> list[m.Response]:
    db.expire_all()
    return list(db.scalars(select(m.Response)))


def _post(
    conn: Connection, opened: OpenLink, sid: str, page: int, **answers: str
) -> responses.PageResult:
    return save_page(
        conn, opened, submission_id=sid, page=page, answers=answers, forward=True, today=TODAY
    )


def test_pages_are_kept_one_statement_at_a_time_and_the_last_completes(
    conn: Connection, opened: OpenLink, db: Session
) -> None:
    sid = new_submission_id()
    first = save_page(
        conn, opened, submission_id=sid, page=1, answers={"grade": "8"}, forward=True, today=TODAY
    )
    assert first.next_page == 2 and first.response.partial
    (row,) = _stored(db)  # visible to another connection at once: autocommit
    assert row.status == "partial" and row.progress == 1 and row.answers == {"grade": 8}
    assert row.submitted_on == TODAY and row.source == "web" and row.flags == []
    for page in range(2, PAGES + 1):
        result = save_page(
            conn,
            opened,
            submission_id=sid,
            page=page,
            answers={"mot_int_1": "4"} if page == 2 else {},
            forward=True,
            today=TODAY,
            duration_seconds=600,
        )
    assert result.next_page is None and result.response.complete
    (row,) = _stored(db)
    assert row.status == "complete" and row.progress == PAGES
    assert row.answers == {"grade": 8, "mot_int_1": 4} and row.duration_seconds == 600


def test_a_page_that_does_not_fit_writes_nothing(
    conn: Connection, opened: OpenLink, db: Session
) -> None:
    with pytest.raises(AnswersInvalid) as info:
        save_page(
            conn,
            opened,
            submission_id=new_submission_id(),
            page=1,
            answers={},
            forward=True,
            today=TODAY,
        )
    assert "grade" in info.value.errors
    with pytest.raises(InvalidInput):
        save_page(
            conn, opened, submission_id="forged", page=1, answers={}, forward=True, today=TODAY
        )
    assert _stored(db) == []


def test_a_retried_first_page_is_merged_in_one_statement(
    conn: Connection, opened: OpenLink, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two posts of the first page (a double tap, a retry): the second INSERT … ON CONFLICT
    finds the row and the page is merged into it by the database, without reading it."""
    sid = new_submission_id()
    _post(conn, opened, sid, 1, grade="8")
    monkeypatch.setattr(responses, "find_response", _no_reads)
    again = _post(conn, opened, sid, 1, grade="9", home_language="2")
    assert again.next_page == 2 and again.response.answers == {"grade": 9, "home_language": 2}
    # Page 2 changes only page 2's answers; page 1 again drops an answer left out now.
    _post(conn, opened, sid, 2, mot_int_1="4")
    _post(conn, opened, sid, 1, grade="9")
    (row,) = _stored(db)
    assert row.answers == {"grade": 9, "mot_int_1": 4} and row.progress == 2


def _no_reads(*_args: object) -> None:
    raise AssertionError("the row was read before the page was stored")


def test_the_read_first_path_applies_a_page_that_lost_the_race_to_insert(
    conn: Connection, opened: OpenLink, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a page needs the stored answers (conditions on earlier pages, the last page), the
    row is read first; a first post that read nothing but lost the race to insert is applied
    to the row the other post created."""
    sid = new_submission_id()
    _post(conn, opened, sid, 1, grade="8")
    monkeypatch.setattr(responses, "_save_in_one_statement", lambda *_args: None)
    real = responses.find_response
    looks: list[str | None] = []

    def before_the_insert(connection: Connection, submission_id: str | None) -> object:
        looks.append(submission_id)
        return None if len(looks) == 1 else real(connection, submission_id)

    monkeypatch.setattr(responses, "find_response", before_the_insert)
    again = _post(conn, opened, sid, 1, grade="9")
    assert len(looks) == 2  # looked again after the conflict
    assert again.next_page == 2 and again.response.answers == {"grade": 9}
    (row,) = _stored(db)
    assert row.answers == {"grade": 9} and row.progress == 1


def test_a_complete_response_is_final(conn: Connection, opened: OpenLink, db: Session) -> None:
    sid = new_submission_id()
    save_page(
        conn, opened, submission_id=sid, page=1, answers={"grade": "8"}, forward=True, today=TODAY
    )
    # A post that read the row while it was still partial, arriving after the last page.
    stale = responses.find_response(conn, sid)
    assert stale is not None and stale.partial
    for page in range(2, PAGES + 1):
        save_page(conn, opened, submission_id=sid, page=page, answers={}, forward=True, today=TODAY)
    late = save_page(
        conn,
        opened,
        submission_id=sid,
        page=2,
        answers={"mot_int_1": "1"},
        forward=True,
        today=TODAY,
        known=stale,
    )
    assert late.next_page is None and late.response.complete
    again = save_page(
        conn, opened, submission_id=sid, page=6, answers={}, forward=False, today=TODAY
    )
    assert again.next_page is None
    (row,) = _stored(db)
    assert row.status == "complete" and row.answers == {"grade": 8}


def test_a_response_of_another_link_or_version_is_refused(
    conn: Connection, opened: OpenLink, db: Session
) -> None:
    sid = new_submission_id()
    save_page(
        conn, opened, submission_id=sid, page=1, answers={"grade": "8"}, forward=True, today=TODAY
    )
    other_link = dataclasses.replace(opened, link=dataclasses.replace(opened.link, id=-1))
    with pytest.raises(InvalidInput):
        save_page(
            conn, other_link, submission_id=sid, page=2, answers={}, forward=True, today=TODAY
        )
    (row,) = _stored(db)
    assert row.progress == 1
    assert db.scalar(select(func.count()).select_from(m.Response)) == 1


def test_a_page_with_conditions_on_earlier_pages_reads_them(
    conn: Connection, opened: OpenLink, db: Session
) -> None:
    """The last page of student_5_11 asks about tutoring only of those who said on page 1
    that they study outside school: its answers are checked against the stored ones."""
    assert [opened.instrument.needs_earlier(i) for i in range(PAGES)] == [False] * 5 + [True]
    for extra_classes, kept in (("1", {}), ("3", {"tutor_subjects": [2]})):
        sid = new_submission_id()
        _post(conn, opened, sid, 1, grade="8", extra_classes=extra_classes)
        for page in range(2, PAGES):
            _post(conn, opened, sid, page)
        last = save_page(
            conn,
            opened,
            submission_id=sid,
            page=PAGES,
            answers={"tutor_subjects": ["2"]},
            forward=True,
            today=TODAY,
        )
        assert last.next_page is None
        assert last.response.answers == {"grade": 8, "extra_classes": int(extra_classes), **kept}
