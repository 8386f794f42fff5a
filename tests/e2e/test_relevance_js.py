"""With JavaScript, a question whose condition depends on the same page appears and
disappears as the respondent answers; the server applies the same rule on submit."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.io.yaml_io import load_yaml
from surveys import models as m
from surveys.instrument_store import store_instrument
from tests.e2e.conftest import PHONE
from tests.factories import link_for, make_campaign, make_school

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

DEFINITION = """
code: exams
title: Экзамены
audience: student
grades: [5, 11]
sections:
  - code: main
    title: Раздел
    items:
      - {code: grade, type: grade, required: true, text: "Класс"}
      - code: exam
        type: single_choice
        required: true
        relevant: "grade >= 9"
        text: "Какой экзамен ты сдаёшь?"
        options: [{value: 1, label: "ОГЭ"}, {value: 2, label: "ЕГЭ"}]
"""


def test_a_same_page_condition_applies_as_the_student_answers(
    new_page: Callable[..., Page], db: Session
) -> None:
    store_instrument(db, load_yaml(DEFINITION))
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"student": "exams"})
    code = link_for(db, campaign, school).code
    db.commit()

    page = new_page(PHONE)
    page.goto(f"/s/{code}")
    exam = page.locator(".q", has=page.locator('input[name="exam"]'))
    expect(exam).to_be_hidden()
    page.select_option("#q-grade", "9")
    expect(exam).to_be_visible()
    page.select_option("#q-grade", "7")
    expect(exam).to_be_hidden()
    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.locator("h1")).to_contain_text("Спасибо")
    db.expire_all()
    assert db.scalars(select(m.Response)).one().answers == {"grade": 7}


def test_without_javascript_the_question_is_shown_and_the_server_decides(
    new_page: Callable[..., Page], db: Session
) -> None:
    store_instrument(db, load_yaml(DEFINITION))
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"student": "exams"})
    code = link_for(db, campaign, school).code
    db.commit()

    page = new_page(PHONE, java_script_enabled=False)
    page.goto(f"/s/{code}")
    page.select_option("#q-grade", "10")
    page.locator("label.opt", has=page.locator('input[name="exam"][value="2"]')).click()
    page.get_by_role("button", name="Отправить ответы").click()
    expect(page.locator("h1")).to_contain_text("Спасибо")
    db.expire_all()
    assert db.scalars(select(m.Response)).one().answers == {"grade": 10, "exam": 2}
