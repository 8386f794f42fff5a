"""Storing respondents' submissions: validated against the pinned version, idempotent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from instruments.answers import validate_answers, validate_section
from instruments.errors import AnswerErrors
from instruments.quality import quality_flags
from surveys import models as m
from surveys.campaigns import OpenLink
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


@dataclass(frozen=True)
class PageResult:
    response: m.Response
    #: the page to show next (1-based section number), or None when the response is complete
    next_page: int | None


def find_response(session: Session, submission_id: str | None) -> m.Response | None:
    """The response a device or form is working on, if the id is well formed and known."""
    if not submission_id:
        return None
    try:
        checked = _checked_submission_id(submission_id)
    except InvalidInput:
        return None
    return session.scalar(select(m.Response).where(m.Response.submission_id == checked))


def save_page(
    session: Session,
    opened: OpenLink,
    *,
    submission_id: str,
    page: int,
    answers: Mapping[str, Any],
    forward: bool,
    today: dt.date,
    duration_seconds: int | None = None,
    known: m.Response | None = None,
) -> PageResult:
    """Keep one page's answers in the respondent's partial response; finish after the last.

    ``page`` is the 1-based section number. Going ``forward`` requires the page's required
    items (those that apply); going back keeps what is there without requiring anything. The
    answers of a page replace what that page held before, so a retried post changes nothing.
    A response that is already complete is returned as it is (a double click on "Отправить").

    Raises
    ------
    AnswersInvalid
        With a Russian message per offending item; nothing is stored.
    """
    submission_id = _checked_submission_id(submission_id)
    instrument = opened.instrument
    if not 1 <= page <= len(instrument.sections):
        raise InvalidInput("Такой страницы в анкете нет.")
    # The caller may have loaded the response already (it shows the stored answers).
    response = (
        known
        if known is not None and known.submission_id == submission_id
        else session.scalar(select(m.Response).where(m.Response.submission_id == submission_id))
    )
    if response is not None and (
        response.link_id != opened.link.id or response.instrument_version_id != opened.version.id
    ):
        raise InvalidInput("Эта анкета относится к другой ссылке.")
    if response is not None and response.status == m.ResponseStatus.complete.value:
        return PageResult(response, None)
    stored: dict[str, Any] = dict(response.answers) if response is not None else {}
    section = instrument.sections[page - 1]
    page_codes = {a.code for item in section.items for a in instrument.answerable(item)}
    earlier = {
        a.code: stored[a.code]
        for other in instrument.sections[: page - 1]
        for item in other.items
        for a in instrument.answerable(item)
        if a.code in stored
    }
    try:
        clean = validate_section(instrument, page - 1, answers, earlier, require=forward)
    except AnswerErrors as exc:
        raise AnswersInvalid(exc.errors) from None
    merged = {k: v for k, v in stored.items() if k not in page_codes}
    merged.update(clean)
    last = page == len(instrument.sections)
    complete = forward and last
    if complete:
        try:
            # Later pages may depend on earlier ones: the whole response must still fit.
            merged = validate_answers(instrument, merged)
        except AnswerErrors as exc:
            raise AnswersInvalid(exc.errors) from None
    if response is None:
        response = _new_response(
            opened, submission_id, merged, status=m.ResponseStatus.partial.value, today=today
        )
        try:
            with session.begin_nested():
                session.add(response)
        except IntegrityError:
            # A concurrent retry created it first: apply this page to that one.
            return save_page(
                session,
                opened,
                submission_id=submission_id,
                page=page,
                answers=answers,
                forward=forward,
                today=today,
                duration_seconds=duration_seconds,
            )
    response.answers = merged
    response.submitted_on = today
    if forward:
        response.progress = max(response.progress or 0, page)
    if complete:
        response.status = m.ResponseStatus.complete.value
        if duration_seconds is not None and 0 <= duration_seconds <= MAX_PLAUSIBLE_DURATION:
            response.duration_seconds = duration_seconds
        response.flags = quality_flags(instrument, merged, response.duration_seconds)
        # Finished: the personal token that started it no longer points at it.
        session.execute(
            update(m.PersonalToken)
            .where(m.PersonalToken.resume_submission_id == submission_id)
            .values(resume_submission_id=None)
        )
    session.flush()
    if complete:
        return PageResult(response, None)
    return PageResult(response, page + 1 if forward else max(page - 1, 1))
