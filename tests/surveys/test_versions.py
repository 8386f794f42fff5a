"""Instrument versions: immutable once stored or published; drafts; fielding rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from instruments.library import builtin
from surveys import drafts
from surveys import models as m
from surveys.campaigns import resolve_link
from surveys.errors import Conflict, InvalidInput
from surveys.instrument_store import load_builtin_instruments, store_instrument
from surveys.responses import new_submission_id, submit_response
from tests.factories import TODAY, link_for, make_campaign, make_school


def test_reloading_the_library_is_a_no_op_and_a_changed_definition_needs_a_new_number(
    db: Session,
) -> None:
    first = load_builtin_instruments(db)
    again = load_builtin_instruments(db)
    assert [v.id for v in first] == [v.id for v in again]
    student = builtin("student_5_11")
    changed = student.model_copy(update={"title": {"ru": "Другое название"}})
    with pytest.raises(Conflict, match="уже сохранена с другим содержанием"):
        store_instrument(db, changed)
    number = student.version + 1
    bumped = store_instrument(db, changed.model_copy(update={"version": number}))
    assert bumped.version == number and bumped.status == "published"


def test_a_published_version_cannot_be_edited_and_a_draft_is_checked(db: Session) -> None:
    version = drafts.new_instrument(db, code="pilot", title="Пилот", audience="teacher")
    assert version.status == "draft"
    problems = drafts.save_draft(
        db, version, version.source_text.replace("audience: teacher", "audience: parent")
    )
    assert [str(p) for p in problems] == ["audience: группа респондентов должна быть «teacher»"]
    assert version.definition["audience"] == "teacher"  # the last valid state is kept
    with pytest.raises(InvalidInput, match="Черновик содержит ошибки"):
        drafts.publish(db, version)
    drafts.save_draft(
        db, version, version.source_text.replace("audience: parent", "audience: teacher")
    )
    drafts.publish(db, version)
    with pytest.raises(Conflict):
        drafts.save_draft(db, version, version.source_text)
    with pytest.raises(Conflict):
        drafts.delete_draft(db, version)


def test_fielding_cannot_swap_a_version_once_answers_exist(db: Session) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school])
    opened = resolve_link(db, link_for(db, campaign, school).code, today=TODAY)
    submit_response(
        db, opened, submission_id=new_submission_id(), answers={"grade": "7"}, today=TODAY
    )
    next_draft = drafts.start_draft(db, "student_5_11")
    drafts.publish(db, next_draft)
    with pytest.raises(Conflict, match=r"уже есть версия .* анкеты"):
        drafts.field_version(db, campaign, next_draft)
    assert drafts.is_in_use(db, opened.version)
    fielded = db.scalar(select(func.count()).select_from(m.Fielding))
    assert fielded == 1
