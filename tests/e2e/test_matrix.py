"""A matrix question (rows sharing one answer scale) in a real Chromium: one card per row
with big stacked options on a phone, one grid under a header of options on a desktop, and
the required rows checked in Russian before the page is sent."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from instruments.schema import parse_instrument
from surveys import models as m
from surveys.instrument_store import store_instrument
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import link_for, make_campaign, make_school

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ROWS = [
    ("cl_1", "Коллеги помогают друг другу, когда у кого-то трудности с классом"),
    ("cl_2", "Администрация прислушивается к учителям"),
    ("cl_3", "У меня хватает времени на подготовку к урокам"),
    ("cl_4", "Я могу обсудить трудный случай с психологом"),
    ("cl_5", "Родители поддерживают требования школы"),
]
FORM: dict[str, Any] = {
    "code": "climate_pilot",
    "version": 1,
    "title": "Климат в коллективе",
    "audience": "teacher",
    "response_scales": [
        {
            "code": "agree5",
            "options": [
                {"value": 1, "label": "Совсем не согласен"},
                {"value": 2, "label": "Скорее не согласен"},
                {"value": 3, "label": "Трудно сказать"},
                {"value": 4, "label": "Скорее согласен"},
                {"value": 5, "label": "Полностью согласен"},
            ],
        }
    ],
    "sections": [
        {
            "code": "climate",
            "title": "Коллектив",
            "items": [
                {
                    "code": "climate",
                    "type": "matrix",
                    "response_scale": "agree5",
                    "required": True,
                    "text": "Насколько вы согласны с утверждениями?",
                    "rows": [{"code": c, "text": t} for c, t in ROWS],
                }
            ],
        }
    ],
}


def _matrix_link(db: Session) -> str:
    store_instrument(db, parse_instrument(FORM))
    school = make_school(db, name="МБОУ «Школа № 3»")
    campaign = make_campaign(db, [school], audiences={"teacher": "climate_pilot"})
    code = link_for(db, campaign, school, audience="teacher").code
    db.commit()
    return code


def _box(page: Page, selector: str) -> list[dict[str, float]]:
    return [
        page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())
    ]  # type: ignore[misc]


def test_a_matrix_is_a_card_per_row_on_a_phone_and_a_grid_on_a_desktop(
    new_page: Callable[..., Page], db: Session, engine: Engine, screenshot_dir: Path
) -> None:
    code = _matrix_link(db)
    backend = engine.dialect.name
    phone = new_page(PHONE)
    phone.goto(f"/s/{code}")
    rows = phone.locator("fieldset.mrow")
    expect(rows).to_have_count(len(ROWS))
    cards = _box(phone, "fieldset.mrow")
    for upper, lower in itertools.pairwise(cards):
        assert lower["y"] >= upper["y"] + upper["height"] + 4  # apart, one below the other
    for i in range(len(ROWS)):
        style = rows.nth(i).evaluate(
            "e => { const s = getComputedStyle(e); return [s.borderTopWidth, s.borderRadius,"
            " s.backgroundColor]; }"
        )
        assert style[0] != "0px" and style[1] != "0px", style  # a card of its own
        assert style[2] == "rgb(255, 255, 255)", style
        # The row's statement is read first, then five options, each a big target.
        expect(rows.nth(i).locator("legend")).to_be_visible()
        options = _box(phone, f"fieldset.mrow:nth-of-type({i + 1}) label.opt")
        assert len(options) == 5
        assert all(o["height"] >= 44 for o in options)
        assert options[0]["y"] < options[1]["y"]  # stacked, not squeezed into one line
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=screenshot_dir / f"matrix_phone_{backend}.png", full_page=True)

    # Two rows answered, the page sent: the three others are marked, nothing is posted.
    posts: list[str] = []
    phone.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    phone.locator('label[for="q-cl_1-4"]').click()
    phone.locator('label[for="q-cl_3-2"]').click()
    phone.get_by_role("button", name="Отправить ответы").click()
    expect(phone.locator("fieldset.mrow.invalid")).to_have_count(3)
    expect(phone.locator("fieldset.mrow.invalid .err").first).to_have_text(
        "это обязательный вопрос"
    )
    expect(phone.locator("#q-cl_2-1")).to_be_focused()
    assert posts == []
    phone.screenshot(path=screenshot_dir / f"matrix_phone_invalid_{backend}.png", full_page=True)
    for row in ("cl_2", "cl_4", "cl_5"):
        phone.locator(f'label[for="q-{row}-3"]').click()
    with phone.expect_response(lambda r: r.request.method == "POST"):
        phone.get_by_role("button", name="Отправить ответы").click()
    expect(phone.locator("h1")).to_contain_text("Спасибо")
    db.expire_all()
    stored = db.scalars(select(m.Response)).one()
    assert stored.answers == {"cl_1": 4, "cl_2": 3, "cl_3": 2, "cl_4": 3, "cl_5": 3}

    desktop = new_page(DESKTOP)
    desktop.goto(f"/s/{code}")
    expect(desktop.locator(".matrix .mhead")).to_be_visible()
    first_row = _box(desktop, "fieldset.mrow:nth-of-type(1) label.opt")
    assert len({round(o["y"]) for o in first_row}) == 1  # the options side by side
    desktop.screenshot(path=screenshot_dir / f"matrix_desktop_{backend}.png", full_page=True)


@pytest.mark.parametrize(
    ("audience", "form"), [("student", "student_5_11"), ("teacher", "teacher")]
)
def test_every_page_fits_a_320_px_phone(
    new_page: Callable[..., Page],
    db: Session,
    engine: Engine,
    screenshot_dir: Path,
    audience: str,
    form: str,
) -> None:
    """The narrowest phones in use: no page scrolls sideways, every option is a big target."""
    school = make_school(db, name="МБОУ «Средняя общеобразовательная школа № 12 имени героев»")
    campaign = make_campaign(db, [school], audiences={audience: form})
    code = link_for(db, campaign, school, audience=audience).code
    db.commit()
    page = new_page({"width": 320, "height": 568})
    page.goto(f"/s/{code}")
    pages = int(page.locator("progress").get_attribute("max") or 0)
    assert pages >= 6
    for p in range(1, pages + 1):
        page.goto(f"/s/{code}?p={p}")
        expect(page.locator(".progress-line")).to_contain_text(f"Раздел {p} из {pages}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, p
        heights = page.locator("label.opt").evaluate_all(
            "labels => labels.map(l => l.getBoundingClientRect().height)"
        )
        assert all(h >= 44 for h in heights), (p, min(heights))
    page.goto(f"/s/{code}")
    page.screenshot(
        path=screenshot_dir / f"phone_320_{form}_{engine.dialect.name}.png", full_page=True
    )
