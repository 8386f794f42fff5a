"""The page stops a choice beyond an item's max_choices (the teachers' «не более трёх») at once,
with the server's Russian message next to the question, read out as an alert."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from tests.e2e.conftest import PHONE
from tests.factories import link_for, make_campaign, make_school

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PAGES = 8  # sections of the teacher form; main_obstacles is on the last
MESSAGE = "можно выбрать не больше трёх вариантов"


def test_a_fourth_choice_is_stopped_with_a_russian_message(
    new_page: Callable[..., Page], db: Session, screenshot_dir: Path
) -> None:
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"teacher": "teacher"})
    code = link_for(db, campaign, school, "teacher").code
    db.commit()
    page = new_page(PHONE)
    page.goto(f"/s/{code}")
    for p in range(2, PAGES + 1):
        page.get_by_role("button", name="Далее →").click()
        expect(page.locator(".progress-line")).to_contain_text(f"Раздел {p} из {PAGES}")

    question = page.get_by_role("group", name="Что, по-вашему, больше всего мешает")
    boxes = question.get_by_role("checkbox")
    for label in ("Пробелы в знаниях", "Низкая учебная мотивация", "Пропуски уроков"):
        question.get_by_label(label).check()
    expect(page.get_by_role("alert")).to_have_count(0)
    question.get_by_label("Большая наполняемость классов").click()
    expect(question.get_by_label("Большая наполняемость классов")).not_to_be_checked()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(MESSAGE)
    described = "q-main_obstacles-help q-main_obstacles-limit"
    expect(question).to_have_attribute("aria-describedby", described)
    expect(boxes.and_(page.locator(":checked"))).to_have_count(3)
    page.locator(".q").filter(has=question).screenshot(
        path=str(screenshot_dir / "max_choices_phone.png")
    )
    # The other boxes stay enabled: unchecking one lets another be chosen, and the message goes.
    expect(question.get_by_label("Другое")).to_be_enabled()
    question.get_by_label("Пропуски уроков").uncheck()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(question).to_have_attribute("aria-describedby", "q-main_obstacles-help")
    question.get_by_label("Большая наполняемость классов").check()

    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Спасибо")
    db.expire_all()
    stored = db.scalars(select(m.Response)).one()
    assert stored.status == "complete"
    assert stored.answers == {"main_obstacles": [1, 2, 7]}
