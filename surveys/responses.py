"""Storing respondents' submissions: validated against the pinned version, idempotent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, Table, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from instruments.answers import validate_answers, validate_section
from instruments.errors import AnswerErrors
from instruments.quality import quality_flags
from surveys import models as m
from surveys.campaigns import OpenLink
from surveys.db import DriverStatement
from surveys.errors import AnswersInvalid, InvalidInput

MAX_PLAUSIBLE_DURATION = 6 * 3600


def new_submission_id() -> str:
    return str(uuid.uuid4())


def _checked_submission_id(value: str) -> str:
    try:
        return str(uuid.UUID(value, version=4))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput("Неверный идентификатор отправки анкеты.") from None


def _new_response(
    opened: OpenLink,
    submission_id: str,
    answers: dict[str, Any],
    *,
    status: str,
    today: dt.date,
    **extra: Any,
) -> m.Response:
    # Anonymous campaigns keep no link to the token or the exact time: the link (shared by the
    # whole school and audience, or a class) and the date only.
    return m.Response(
        submission_id=submission_id,
        campaign_id=opened.campaign.id,
        school_id=opened.school.id,
        link_id=opened.link.id,
        audience=opened.link.audience,
        class_name=opened.link.class_name,
        instrument_version_id=opened.version.id,
        answers=answers,
        status=status,
        submitted_on=today,
        **extra,
    )


def submit_response(
    session: Session,
    opened: OpenLink,
    *,
    submission_id: str,
    answers: Mapping[str, Any],
    today: dt.date,
    duration_seconds: int | None = None,
) -> tuple[m.Response, bool]:
    """Validate and store one submission; a repeated ``submission_id`` returns the stored one.

    Returns the response and whether it was created now. Nothing is stored when the answers
    do not fit the instrument version the link fields.

    Raises
    ------
    AnswersInvalid
        With a Russian message per offending item.
    """
    submission_id = _checked_submission_id(submission_id)
    existing = session.scalar(select(m.Response).where(m.Response.submission_id == submission_id))
    if existing is not None:
        return existing, False
    instrument = opened.instrument
    try:
        clean = validate_answers(instrument, answers)
    except AnswerErrors as exc:
        raise AnswersInvalid(exc.errors) from None
    if duration_seconds is not None and not 0 <= duration_seconds <= MAX_PLAUSIBLE_DURATION:
        duration_seconds = None
    response = _new_response(
        opened,
        submission_id,
        clean,
        status=m.ResponseStatus.complete.value,
        today=today,
        duration_seconds=duration_seconds,
        flags=quality_flags(instrument, clean, duration_seconds),
    )
    try:
        # A concurrent retry may insert the same submission between our check and insert.
        with session.begin_nested():
            session.add(response)
    except IntegrityError:
        existing = session.scalar(
            select(m.Response).where(m.Response.submission_id == submission_id)
        )
        if existing is None:
            raise
        return existing, False
    return response, True


# --- the respondent's hot path: a page at a time, on SQLAlchemy Core ---------------------------
#
# Every page a respondent finishes is one post. The statements below run on a connection in
# autocommit mode: a post is one SELECT of the respondent's row and one INSERT or UPDATE, with no
# BEGIN/COMMIT round trips and no ORM unit of work (bench/load_respondents.py). Every statement
# is atomic on its own; the last page of a token link, which also releases the token, is the
# only post that needs two statements in one transaction.

RESPONSE: Table = m.Response.__table__  # type: ignore[assignment]
_TOKEN: Table = m.PersonalToken.__table__  # type: ignore[assignment]
_PROGRESS_COLUMNS = (
    RESPONSE.c.submission_id,
    RESPONSE.c.link_id,
    RESPONSE.c.instrument_version_id,
    RESPONSE.c.status,
    RESPONSE.c.progress,
    RESPONSE.c.answers,
    RESPONSE.c.duration_seconds,
)
_SELECT_PROGRESS = select(*_PROGRESS_COLUMNS).where(
    RESPONSE.c.submission_id == bindparam("submission_id")
)


def _update_statement(*columns: str) -> Any:
    """UPDATE of ``columns`` of a response that is still partial, built once (bound names
    ``of_submission`` and ``new_<column>``)."""
    return (
        update(RESPONSE)
        .where(
            RESPONSE.c.submission_id == bindparam("of_submission"),
            RESPONSE.c.status == m.ResponseStatus.partial.value,
        )
        .values({c: bindparam(f"new_{c}", type_=RESPONSE.c[c].type) for c in columns})
        # A row comes back only when one was updated (the response was still partial).
        .returning(RESPONSE.c.id)
    )


_UPDATE_PAGE = _update_statement("answers", "submitted_on", "progress")
_UPDATE_LAST_PAGE = _update_statement(
    "answers", "submitted_on", "progress", "status", "duration_seconds", "flags"
)
_RELEASE_TOKEN = (
    update(_TOKEN)
    .where(_TOKEN.c.resume_submission_id == bindparam("of_submission"))
    .values(resume_submission_id=None)
)


@dataclass(frozen=True)
class Progress:
    """Where a respondent is: the stored row of a (partial or complete) response."""

    submission_id: str
    link_id: int | None
    instrument_version_id: int
    status: str
    progress: int
    answers: dict[str, Any]
    duration_seconds: int | None

    @property
    def partial(self) -> bool:
        return self.status == m.ResponseStatus.partial.value

    @property
    def complete(self) -> bool:
        return self.status == m.ResponseStatus.complete.value


@dataclass(frozen=True)
class PageResult:
    #: the response as stored after the post
    response: Progress
    #: the page to show next (1-based section number), or None when the response is complete
    next_page: int | None


def find_response(conn: Connection, submission_id: str | None) -> Progress | None:
    """The response a device or form is working on, if the id is well formed and known."""
    if not submission_id:
        return None
    try:
        checked = _checked_submission_id(submission_id)
    except InvalidInput:
        return None
    row = _driver("select progress", conn, lambda: _SELECT_PROGRESS).first(
        conn, {"submission_id": checked}
    )
    return Progress(*row) if row is not None else None


def save_page(
    conn: Connection,
    opened: OpenLink,
    *,
    submission_id: str,
    page: int,
    answers: Mapping[str, Any],
    forward: bool,
    today: dt.date,
    duration_seconds: int | None = None,
    known: Progress | None = None,
) -> PageResult:
    """Keep one page's answers in the respondent's partial response; finish after the last.

    ``conn`` is a connection in autocommit mode (``web.db.get_respondent_connection``).
    ``page`` is the 1-based section number. Going ``forward`` requires the page's required
    items (those that apply); going back keeps what is there without requiring anything. The
    answers of a page replace what that page held before, so a retried post changes nothing.
    A response that is already complete is returned as it is (a double click on "Отправить"),
    and no statement can change it afterwards.

    Raises
    ------
    AnswersInvalid
        With a Russian message per offending item; nothing is stored.
    """
    submission_id = _checked_submission_id(submission_id)
    instrument = opened.instrument
    if not 1 <= page <= len(instrument.sections):
        raise InvalidInput("Такой страницы в анкете нет.")
    last = page == len(instrument.sections)
    if known is None and not (forward and last) and not instrument.needs_earlier(page - 1):
        # The page's answers can be checked on their own: the database merges them into the
        # stored ones in one statement, without reading the row first. Anything else (no
        # partial response of this link yet, a finished one) takes the path below.
        try:
            clean = validate_section(instrument, page - 1, answers, {}, require=forward)
        except AnswerErrors as exc:
            raise AnswersInvalid(exc.errors) from None
        saved = _save_in_one_statement(conn, opened, submission_id, page, clean, forward, today)
        if saved is not None:
            return PageResult(saved, page + 1 if forward else max(page - 1, 1))
    # The caller may have loaded the response already (it shows the stored answers).
    response = (
        known
        if known is not None and known.submission_id == submission_id
        else find_response(conn, submission_id)
    )
    if response is not None and (
        response.link_id != opened.link.id or response.instrument_version_id != opened.version.id
    ):
        raise InvalidInput("Эта анкета относится к другой ссылке.")
    if response is not None and response.complete:
        return PageResult(response, None)
    stored: dict[str, Any] = dict(response.answers) if response is not None else {}
    page_codes = instrument.section_codes(page - 1)
    earlier_codes = instrument.codes_before(page - 1)
    earlier = {code: value for code, value in stored.items() if code in earlier_codes}
    try:
        clean = validate_section(instrument, page - 1, answers, earlier, require=forward)
    except AnswerErrors as exc:
        raise AnswersInvalid(exc.errors) from None
    merged = {k: v for k, v in stored.items() if k not in page_codes}
    merged.update(clean)
    complete = forward and page == len(instrument.sections)
    if complete:
        try:
            # Later pages may depend on earlier ones: the whole response must still fit.
            merged = validate_answers(instrument, merged)
        except AnswerErrors as exc:
            raise AnswersInvalid(exc.errors) from None
    progress = (response.progress if response is not None else 0) or 0
    if forward:
        progress = max(progress, page)
    values: dict[str, Any] = {"answers": merged, "submitted_on": today, "progress": progress}
    duration = response.duration_seconds if response is not None else None
    if complete:
        if duration_seconds is not None and 0 <= duration_seconds <= MAX_PLAUSIBLE_DURATION:
            duration = duration_seconds
        values.update(
            status=m.ResponseStatus.complete.value,
            duration_seconds=duration,
            flags=quality_flags(instrument, merged, duration),
        )
    if response is None:
        if not _insert_first(conn, opened, submission_id, values, today):
            # A concurrent retry created it first: apply this page to that one.
            return save_page(
                conn,
                opened,
                submission_id=submission_id,
                page=page,
                answers=answers,
                forward=forward,
                today=today,
                duration_seconds=duration_seconds,
            )
    elif complete and opened.link.requires_token:
        # Finished: the personal token that started it no longer points at it. Both
        # statements in one transaction, so a token never points at a finished response.
        with _transaction(conn):
            if not _update_partial(conn, submission_id, values, in_transaction=True):
                return _stored(conn, submission_id)
            conn.execute(_RELEASE_TOKEN, {"of_submission": submission_id})
    elif not _update_partial(conn, submission_id, values):
        # Finished by a concurrent post in the meantime (a double click on the last page).
        return _stored(conn, submission_id)
    saved = Progress(
        submission_id=submission_id,
        link_id=opened.link.id,
        instrument_version_id=opened.version.id,
        status=values.get("status", m.ResponseStatus.partial.value),
        progress=progress,
        answers=merged,
        duration_seconds=duration,
    )
    if complete:
        return PageResult(saved, None)
    return PageResult(saved, page + 1 if forward else max(page - 1, 1))


def _merge_expression(dialect: str, patch: Any) -> Any:
    """The stored answers with this page's replaced, computed by the database from a merge
    patch (RFC 7396: the page's answers, and null for its codes left unanswered): SQLite's
    ``json_patch``; on PostgreSQL ``jsonb_strip_nulls(answers || patch)``, the same for answers,
    which never hold a null themselves (a question left out has no key)."""
    if dialect == "postgresql":
        return func.jsonb_strip_nulls(RESPONSE.c.answers.op("||")(patch))
    return func.json_patch(RESPONSE.c.answers, patch)


_UPDATE_IN_PLACE: dict[tuple[str, bool], Any] = {}  # per dialect and direction, built once


def _update_in_place_statement(dialect: str, forward: bool) -> Any:
    key = (dialect, forward)
    statement = _UPDATE_IN_PLACE.get(key)
    if statement is None:
        patch = bindparam("patch", type_=RESPONSE.c.answers.type)
        values: dict[str, Any] = {
            "answers": _merge_expression(dialect, patch),
            "submitted_on": bindparam("today", type_=RESPONSE.c.submitted_on.type),
        }
        if forward:
            page = bindparam("page", type_=Integer)
            values["progress"] = case((RESPONSE.c.progress < page, page), else_=RESPONSE.c.progress)
        statement = _UPDATE_IN_PLACE[key] = (
            update(RESPONSE)
            .where(
                RESPONSE.c.submission_id == bindparam("of_submission"),
                RESPONSE.c.status == m.ResponseStatus.partial.value,
                RESPONSE.c.link_id == bindparam("of_link"),
                RESPONSE.c.instrument_version_id == bindparam("of_version"),
            )
            .values(values)
            .returning(RESPONSE.c.answers, RESPONSE.c.progress, RESPONSE.c.duration_seconds)
        )
    return statement


def _save_in_one_statement(
    conn: Connection,
    opened: OpenLink,
    submission_id: str,
    page: int,
    clean: dict[str, Any],
    forward: bool,
    today: dt.date,
) -> Progress | None:
    """Store a page (checked already) in one statement: the first page going forward as a new
    response, any page as a merge into the respondent's partial response. None when neither
    applies (no partial response of this link and version, or a finished one)."""
    progress_now = page if forward else 0
    if page == 1 and forward:
        values = {"answers": clean, "submitted_on": today, "progress": progress_now}
        if _insert_first(conn, opened, submission_id, values, today):
            return _partial(opened, submission_id, progress_now, clean, None)
    page_codes = opened.instrument.section_codes(page - 1)
    parameters: dict[str, Any] = {
        "of_submission": submission_id,
        "of_link": opened.link.id,
        "of_version": opened.version.id,
        "today": today,
        "page": page,
        "patch": {**dict.fromkeys(page_codes), **clean},
    }
    dialect = conn.dialect.name
    statement = _driver(
        f"update in place {forward}", conn, lambda: _update_in_place_statement(dialect, forward)
    )
    row = statement.first(conn, parameters)
    if row is None:
        return None
    answers, progress, duration = row
    return _partial(opened, submission_id, progress, answers, duration)


def _partial(
    opened: OpenLink,
    submission_id: str,
    progress: int,
    answers: dict[str, Any],
    duration_seconds: int | None,
) -> Progress:
    """A partial response of this link as stored now."""
    return Progress(
        submission_id=submission_id,
        link_id=opened.link.id,
        instrument_version_id=opened.version.id,
        status=m.ResponseStatus.partial.value,
        progress=progress,
        answers=answers,
        duration_seconds=duration_seconds,
    )


def _stored(conn: Connection, submission_id: str) -> PageResult:
    response = find_response(conn, submission_id)
    if response is None:  # pragma: no cover - rows are never deleted while a link is open
        raise InvalidInput("Анкета не найдена.")
    return PageResult(response, None if response.complete else response.progress + 1)


@contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    """One real transaction on an autocommit connection (the two statements of a token link's
    last page), then back to autocommit, as SQLAlchemy documents for changing the level."""
    conn.commit()  # ends SQLAlchemy's own autobegun block; nothing is pending in autocommit
    conn.execution_options(isolation_level=conn.default_isolation_level)
    try:
        with conn.begin():
            yield
    finally:
        conn.execution_options(isolation_level="AUTOCOMMIT")


def _update_partial(
    conn: Connection, submission_id: str, values: dict[str, Any], *, in_transaction: bool = False
) -> bool:
    """Apply ``values`` to the partial response; False if it is no longer partial. On the
    driver's cursor (autocommit), or through SQLAlchemy ``in_transaction``
    (:func:`_transaction`)."""
    last = "status" in values
    statement = _UPDATE_LAST_PAGE if last else _UPDATE_PAGE
    parameters = {"of_submission": submission_id}
    parameters.update((f"new_{column}", value) for column, value in values.items())
    if in_transaction:
        return conn.execute(statement, parameters).first() is not None
    driver = _driver("update last page" if last else "update page", conn, lambda: statement)
    return driver.first(conn, parameters) is not None


_INSERT_COLUMNS = (
    "submission_id",
    "campaign_id",
    "school_id",
    "link_id",
    "audience",
    "class_name",
    "instrument_version_id",
    "status",
    "flags",
    "source",
    "answers",
    "submitted_on",
    "progress",
    "duration_seconds",
)
_INSERT_FIRST: dict[str, Any] = {}  # per dialect, built once


def _insert_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT (submission_id) DO NOTHING, in the dialect's own syntax."""
    statement = _INSERT_FIRST.get(dialect)
    if statement is None:
        insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = _INSERT_FIRST[dialect] = (
            insert_(RESPONSE)
            .values({c: bindparam(f"new_{c}", type_=RESPONSE.c[c].type) for c in _INSERT_COLUMNS})
            .on_conflict_do_nothing(index_elements=[RESPONSE.c.submission_id])
            # A row comes back only when one was inserted. (Not rowcount: with an implicit
            # RETURNING of the key, psycopg reports -1 whether a row was inserted or not.)
            .returning(RESPONSE.c.id)
        )
    return statement


def _insert_first(
    conn: Connection, opened: OpenLink, submission_id: str, values: dict[str, Any], today: dt.date
) -> bool:
    """Create the response with its first page; False if the submission exists already."""
    # Anonymous campaigns keep no link to the token or the exact time: the link (shared by the
    # whole school and audience, or a class) and the date only.
    row = {
        "submission_id": submission_id,
        "campaign_id": opened.campaign.id,
        "school_id": opened.school.id,
        "link_id": opened.link.id,
        "audience": opened.link.audience,
        "class_name": opened.link.class_name,
        "instrument_version_id": opened.version.id,
        "status": m.ResponseStatus.partial.value,
        "flags": [],
        "source": "web",
        "duration_seconds": None,
        **values,
    }
    parameters = {f"new_{column}": row[column] for column in _INSERT_COLUMNS}
    dialect = conn.dialect.name
    statement = _driver("insert first", conn, lambda: _insert_statement(dialect))
    return statement.first(conn, parameters) is not None


_DRIVER_STATEMENTS: dict[tuple[str, str, str], DriverStatement] = {}


def _driver(name: str, conn: Connection, build: Callable[[], Any]) -> DriverStatement:
    """The statement ``name`` compiled for the connection's dialect and driver, once."""
    key = (name, conn.dialect.name, conn.dialect.driver)
    statement = _DRIVER_STATEMENTS.get(key)
    if statement is None:
        statement = _DRIVER_STATEMENTS[key] = DriverStatement(build(), conn)
    return statement
