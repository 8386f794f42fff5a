"""Storing respondents' submissions: validated against the pinned version, idempotent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from instruments.answers import validate_answers
from instruments.errors import AnswerErrors
from surveys import models as m
from surveys.campaigns import OpenLink
from surveys.errors import AnswersInvalid, InvalidInput
from surveys.instrument_store import instrument_of

MAX_PLAUSIBLE_DURATION = 6 * 3600


def new_submission_id() -> str:
    return str(uuid.uuid4())


def _checked_submission_id(value: str) -> str:
    try:
        return str(uuid.UUID(value, version=4))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput("Неверный идентификатор отправки анкеты.") from None


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
    try:
        clean = validate_answers(instrument_of(opened.version), answers)
    except AnswerErrors as exc:
        raise AnswersInvalid(exc.errors) from None
    if duration_seconds is not None and not 0 <= duration_seconds <= MAX_PLAUSIBLE_DURATION:
        duration_seconds = None
    response = m.Response(
        submission_id=submission_id,
        campaign_id=opened.campaign.id,
        school_id=opened.school.id,
        # Anonymous campaigns keep no link to the token or the exact time: the open link
        # (shared by the whole school and audience) and the date only.
        link_id=opened.link.id,
        audience=opened.link.audience,
        class_name=opened.link.class_name,
        instrument_version_id=opened.version.id,
        answers=clean,
        status=m.ResponseStatus.complete.value,
        submitted_on=today,
        duration_seconds=duration_seconds,
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
