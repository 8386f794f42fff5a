"""A psychologist, in a real Chromium, creates an instrument, sees the live validation,
previews it, publishes it and fields it in a campaign; a parent then answers it by link."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from surveys import models as m
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD, make_campaign, make_district, make_school, make_user

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

QUESTION = "Ребёнок охотно рассказывает о школе."


def test_psychologist_designs_publishes_and_fields_an_instrument(
    db: Session,
    engine: Engine,
    new_page: Callable[..., Page],
    screenshot_dir: Path,
) -> None:
    district = make_district(db, name="Район e2e")
    school = make_school(db, district, code="E01", name="Школа e2e")
    campaign = make_campaign(db, [school], title="Весенняя волна")
    make_user(db, "psychologist", login="psy", district_name=district.name)
    db.commit()
    backend = engine.dialect.name

    page = new_page(DESKTOP)
    page.goto("/login")
    page.fill("#login", "psy")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Методики")
    expect(page.locator("h1")).to_have_text("Методики")

    page.fill("#code", "parent_voice")
    page.fill("#title", "Голос родителей")
    page.select_option("#audience", "parent")
    page.click("text=Создать черновик")
    expect(page.locator(".tag").first).to_have_text("черновик")

    source = page.locator("#source")
    template = source.input_value()
    # Live validation: a broken reference shows up without saving.
    source.fill(template.replace("items: [q1, q2]", "items: [q1, q7]"))
    expect(page.locator("#problems")).to_contain_text("неизвестный вопрос 'q7'")
    source.fill(template.replace("Первое утверждение.", QUESTION))
    expect(page.locator("#problems li")).to_have_count(0)
    page.click("text=Сохранить черновик")
    expect(page.locator(".flash")).to_contain_text("Черновик сохранён")
    page.screenshot(path=str(screenshot_dir / f"designer_draft_{backend}.png"), full_page=True)

    page.click("text=Предпросмотр (телефон и компьютер)")
    frames = page.locator("iframe")
    expect(frames).to_have_count(2)
    phone = page.frame_locator("iframe.phone")
    expect(phone.locator("legend").first).to_contain_text(QUESTION)
    page.screenshot(path=str(screenshot_dir / f"designer_preview_{backend}.png"))
    page.go_back()

    page.click("text=Опубликовать версию 1")
    expect(page.locator(".flash")).to_contain_text("Версия 1 опубликована")
    page.select_option("select[name=campaign_id]", label="Весенняя волна")
    page.click("text=Включить в кампанию")
    expect(page.locator(".flash")).to_contain_text("включена в кампанию «Весенняя волна»")

    db.expire_all()
    link = db.scalars(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == campaign.id, m.SurveyLink.audience == "parent"
        )
    ).one()
    parent = new_page(PHONE)
    parent.goto(f"/s/{link.code}")
    expect(parent.locator("h1")).to_have_text("Голос родителей")
    parent.locator("label.opt", has=parent.locator('input[name="q1"][value="4"]')).click()
    parent.click("text=Отправить ответы")
    expect(parent.locator("h1")).to_contain_text("Спасибо")
    db.expire_all()
    response = db.scalars(select(m.Response).where(m.Response.audience == "parent")).one()
    assert response.answers == {"q1": 4}
