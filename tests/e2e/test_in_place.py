"""With JavaScript, a page is sent and the next one shown in the same reply; a lost
connection leaves the page as it is with a message, and sending again stores it once."""

from __future__ import annotations

import contextlib
import re
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
    from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e


def test_a_lost_connection_keeps_the_page_and_a_retry_stores_it_once(
    new_page: Callable[..., Page], db: Session
) -> None:
    school = make_school(db)
    code = link_for(db, make_campaign(db, [school]), school).code
    db.commit()
    page = new_page(PHONE)
    page.goto(f"/s/{code}?p=1")
    page.select_option("#q-grade", "6")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    def offline(route: Route) -> None:
        route.abort("internetdisconnected")

    page.route(re.compile(rf".*/s/{code}$"), offline)
    page.get_by_role("button", name="Далее →").click()
    expect(page.locator(".lost")).to_contain_text("Нет связи с сервером")
    expect(page.locator("#q-grade")).to_have_value("6")  # the answer is still there
    expect(page.locator(".progress-line")).to_contain_text("Раздел 1 из 6")
    db.expire_all()
    assert db.scalars(select(m.Response)).all() == []

    page.unroute(re.compile(rf".*/s/{code}$"))
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Далее →").click()
    expect(page.locator(".progress-line")).to_contain_text("Раздел 2 из 6")
    assert page.url.endswith(f"/s/{code}?p=2")  # the address follows the page shown
    expect(page.locator(".lost")).to_have_count(0)
    assert len(posts) == 2  # one lost, one delivered: no full-page post behind the script
    db.expire_all()
    stored = db.scalars(select(m.Response)).one()
    assert stored.answers == {"grade": 6} and stored.progress == 1

    # "Back" in the browser reloads page 1 from the server, with the stored answer.
    page.go_back()
    expect(page.locator(".progress-line")).to_contain_text("Раздел 1 из 6")
    expect(page.locator("#q-grade")).to_have_value("6")


STAFFING = """
code: staffing
title: Кадры
audience: administration
sections:
  - code: one
    title: Школа
    items:
      - {code: classes, type: number, min: 1, max: 100, required: true, text: "Сколько классов?"}
  - code: two
    title: Кадры
    items:
      - {code: vacancies, type: number, min: 0, max: 50, required: true, text: "Сколько вакансий?"}
"""


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_enter_in_a_number_field_goes_forward_not_back(
    new_page: Callable[..., Page], db: Session, javascript: bool
) -> None:
    """Enter presses a form's first submit button; on page 2 that must not be "Назад"."""
    store_instrument(db, load_yaml(STAFFING))
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"administration": "staffing"})
    code = link_for(db, campaign, school, audience="administration").code
    db.commit()
    page = new_page(PHONE, java_script_enabled=javascript)
    page.goto(f"/s/{code}?p=1")
    page.fill("#q-classes", "11")
    page.press("#q-classes", "Enter")
    expect(page.locator(".progress-line")).to_contain_text("Раздел 2 из 2")
    page.fill("#q-vacancies", "3")
    page.press("#q-vacancies", "Enter")
    expect(page.locator("h1")).to_contain_text("Спасибо")
    db.expire_all()
    assert db.scalars(select(m.Response)).one().answers == {"classes": 11, "vacancies": 3}
