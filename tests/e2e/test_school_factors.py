"""The school page's empirical factor table in a real Chromium, on a desktop and on a phone:
visible, and never wider than the screen (wide tables scroll inside their own box)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from surveys.demo import generate_demo
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD, make_user
from web.staff import factor_cache

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

HEADING = "Эмпирические факторы (по ответам всех школ кампании)"


def test_factor_table_fits_desktop_and_phone(
    db: Session, engine: Engine, new_page: Callable[..., Page], screenshot_dir: Path
) -> None:
    factor_cache.clear()
    generate_demo(db, n_schools=3, seed=7, with_users=False, today=dt.date(2026, 11, 1))
    make_user(db, "admin", login="boss")
    db.commit()
    backend = engine.dialect.name

    page = new_page(DESKTOP)
    page.goto("/login")
    page.fill("#login", "boss")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/staff/")
    page.goto("/staff/schools/S001", timeout=90_000)  # the reference behind it is slow
    heading = page.get_by_role("heading", name=HEADING).first
    expect(heading).to_be_visible()
    table = page.locator("table.factors").first
    expect(table).to_contain_text("Подверженность травле")
    expect(page.get_by_role("link", name="Эмпирические факторы (CSV)").first).to_be_visible()
    expect(page.get_by_role("link", name="Эмпирические факторы (XLSX)").first).to_be_visible()
    page.screenshot(path=screenshot_dir / f"school_factors_1280_{backend}.png", full_page=True)
    table.screenshot(path=screenshot_dir / f"school_factors_table_1280_{backend}.png")

    phone = new_page(PHONE, storage_state=page.context.storage_state())
    phone.goto("/staff/schools/S001", timeout=90_000)
    factors = phone.locator("table.factors").first
    expect(factors).to_be_visible()
    # The page itself never scrolls sideways; a wide table scrolls in its .table-scroll box.
    widths = phone.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    factors.scroll_into_view_if_needed()
    phone.screenshot(path=screenshot_dir / f"school_factors_360_{backend}.png", full_page=True)
    factors.screenshot(path=screenshot_dir / f"school_factors_table_360_{backend}.png")
    factor_cache.clear()
