"""A respondent on a phone and a staff member on a desktop, in a real Chromium.

Screenshots go to tests/e2e/screenshots/ (git-ignored) for a human look at the layout.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.demo import generate_demo
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD, link_for, make_campaign, make_school, make_user

# Without playwright the `chromium` fixture skips (or fails under CI=true) with the reason.
with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SCHOOL_NAME = "МБОУ «Средняя общеобразовательная школа № 7»"
# Likert answers given by clicking the option labels: item code -> option value.
LIKERT = {"mot_int_1": 4, "mot_int_2": 3, "mot_amot_1": 1, "bel_1": 3, "bel_3": 2}


def _open_campaign(db: Session) -> str:
    school = make_school(db, name=SCHOOL_NAME)
    campaign = make_campaign(db, [school])
    code = link_for(db, campaign, school).code
    db.commit()
    return code


def _responses(db: Session) -> list[m.Response]:
    db.expire_all()
    return list(db.scalars(select(m.Response)))


def _option(page: Page, item: str, value: int):  # type: ignore[no-untyped-def]
    """The clickable label wrapping the radio of ``item`` with ``value``."""
    return page.locator("label.opt", has=page.locator(f'input[name="{item}"][value="{value}"]'))


def _next(page: Page) -> None:
    """Send the page and wait for the server's reply (respond.js shows it in place)."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=re.compile("Далее|Отправить ответы")).click()
    page.wait_for_load_state()


def test_student_answers_on_a_phone_leaves_returns_and_the_next_one_starts_afresh(
    new_page: Callable[..., Page], db: Session, engine: Engine, screenshot_dir: Path
) -> None:
    backend = engine.dialect.name
    code = _open_campaign(db)
    page = new_page(PHONE)

    response = page.goto(f"/s/{code}")
    assert response is not None and response.status == 200
    assert page.get_attribute("html", "lang") == "ru"
    expect(page.locator("header.top")).to_contain_text(SCHOOL_NAME)
    # A word joiner keeps "5–11" on one line on narrow screens.
    expect(page.locator("h1")).to_have_text("Анкета для обучающихся 5–\u206011 классов")
    # The introduction opens the first page: no separate page to load on a slow connection.
    expect(page.locator("main p").first).to_contain_text("анонимная")
    expect(page.locator(".progress-line")).to_contain_text("Раздел 1 из 6")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.select_option("#q-grade", "8")
    _option(page, "extra_classes", 3).click()  # outside school: a later question applies
    page.screenshot(path=screenshot_dir / f"respondent_phone_{backend}.png", full_page=True)
    _next(page)

    expect(page.locator(".progress-line")).to_contain_text("Раздел 2 из 6")
    for item, value in list(LIKERT.items())[:3]:
        label = _option(page, item, value)
        # A comfortable touch target (WCAG 2.5.5 suggests 44 CSS px).
        box = label.bounding_box()
        assert box is not None and box["height"] >= 44, (item, box)
        label.click()
        expect(page.locator(f'input[name="{item}"][value="{value}"]')).to_be_checked()
    _next(page)

    # The student is called away, and comes back to the link later on the same phone.
    page.goto("about:blank")
    page.goto(f"/s/{code}")
    expect(page.locator(".progress-line")).to_contain_text("Раздел 3 из 6")
    for item, value in list(LIKERT.items())[3:]:
        _option(page, item, value).click()
    _next(page)
    _next(page)
    _next(page)

    expect(page.locator(".progress-line")).to_contain_text("Раздел 6 из 6")
    tutor = page.locator(".q", has=page.locator('input[name="tutor_subjects"]'))
    expect(tutor).to_be_visible()  # relevant: extra classes outside school on page 1
    page.locator("label.opt", has=page.locator('input[name="tutor_subjects"][value="2"]')).click()
    _next(page)

    page.wait_for_url(f"**/s/{code}/thanks")
    expect(page.locator("h1")).to_contain_text("Спасибо")
    page.screenshot(path=screenshot_dir / f"thanks_{backend}.png", full_page=True)
    stored = _responses(db)
    assert len(stored) == 1
    assert stored[0].answers == {"grade": 8, "extra_classes": 3, **LIKERT, "tutor_subjects": [2]}
    assert stored[0].status == m.ResponseStatus.complete.value

    # The next student on the same school PC presses "back": no answers of the previous one.
    page.go_back()
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    expect(page.locator("input[type=checkbox]:checked")).to_have_count(0)
    page.goto(f"/s/{code}")
    expect(page.locator(".progress-line")).to_contain_text("Раздел 1 из 6")  # not resumed
    expect(page.locator("#q-grade")).to_have_value("")
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    assert len(_responses(db)) == 1  # going back and reloading stored nothing new

    desktop = new_page(DESKTOP)
    desktop.goto(f"/s/{code}?p=2")
    expect(desktop.locator("form")).to_be_visible()
    desktop.screenshot(path=screenshot_dir / f"respondent_desktop_{backend}.png", full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_missing_grade_is_explained_in_russian_and_nothing_is_stored(
    new_page: Callable[..., Page],
    db: Session,
    engine: Engine,
    screenshot_dir: Path,
    javascript: bool,
) -> None:
    """The message is the server's, in Russian, next to the question: checked in the page
    before anything is sent (with JavaScript), or by the server (without); never the
    browser's own bubble (the form has novalidate)."""
    code = _open_campaign(db)
    page = new_page(PHONE, java_script_enabled=javascript)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"/s/{code}?p=1")
    expect(page.locator("form[novalidate]")).to_have_count(1)
    _option(page, "home_language", 2).click()
    page.get_by_role("button", name="Далее").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Проверьте ответы")
    grade = page.locator(".q.invalid", has=page.locator("#q-grade"))
    expect(grade).to_have_count(1)
    expect(grade.locator(".err")).to_have_text(re.compile("обязательный вопрос", re.IGNORECASE))
    expect(page.locator("#q-grade")).to_have_attribute("aria-describedby", "q-grade-err")
    # What the student already answered is kept.
    expect(page.locator('input[name="home_language"][value="2"]')).to_be_checked()
    page.screenshot(
        path=screenshot_dir / f"validation_phone_{'js' if javascript else 'nojs'}_"
        f"{engine.dialect.name}.png",
        full_page=True,
    )
    if javascript:
        expect(page.locator("#q-grade")).to_be_focused()
        assert posts == []  # checked in the page: no round trip on a slow connection
        # Answered, the message goes and the page is sent.
        page.select_option("#q-grade", "8")
        _next(page)
        expect(page.locator(".progress-line")).to_contain_text("Раздел 2 из 6")
    else:
        assert len(posts) == 1
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(m.Response)) == (1 if javascript else 0)


def test_staff_member_signs_in_and_sees_the_school_page(
    new_page: Callable[..., Page], db: Session, engine: Engine, screenshot_dir: Path
) -> None:
    backend = engine.dialect.name
    demo = generate_demo(db, n_schools=3, with_users=False)
    make_user(db, "admin", login="admin1")
    db.commit()
    school = demo.schools[0]

    page = new_page(DESKTOP)
    page.goto("/staff/")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#login", "admin1")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Войти").click()

    page.wait_for_url(re.compile(r"/staff/$"))
    expect(page.locator("h1")).to_have_text("Школы")
    expect(page.locator("header.top")).to_contain_text("admin1")
    link = page.get_by_role("link", name=school.name)
    expect(link).to_be_visible()
    page.screenshot(path=screenshot_dir / f"staff_schools_{backend}.png", full_page=True)

    link.click()
    page.wait_for_url(f"**/staff/schools/{school.code}")
    expect(page.locator("h1")).to_have_text(school.name)
    table = page.locator("table").first
    expect(table).to_be_visible()
    expect(table.locator("thead")).to_contain_text("Шкала")
    assert table.locator("tbody tr").count() > 0
    page.screenshot(path=screenshot_dir / f"staff_school_{backend}.png", full_page=True)

    # The same page on a phone (a deputy head checking results on the go).
    phone = new_page(PHONE, storage_state=page.context.storage_state())
    phone.goto(f"/staff/schools/{school.code}")
    expect(phone.locator("table").first).to_be_visible()
    phone.screenshot(path=screenshot_dir / f"staff_school_phone_{backend}.png", full_page=True)


def test_a_page_answered_with_the_keyboard_alone(
    new_page: Callable[..., Page], db: Session, engine: Engine, screenshot_dir: Path
) -> None:
    """Tab from question to question, arrows within a group, Enter to send; whatever has the
    focus shows the ring (3 px, the stylesheet's contrast-checked colour)."""
    code = _open_campaign(db)
    page = new_page(DESKTOP)
    page.goto(f"/s/{code}")
    visited: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.tagName === 'BUTTON' ? 'BUTTON' : e.name || e.tagName, s.outlineStyle,"
            " s.outlineWidth]; }"
        )
        if focused[0] == "grade":
            page.keyboard.press("ArrowDown")  # the first grade on offer
        if focused[0] == "home_language":
            page.keyboard.press("ArrowDown")  # the radio group: its second option
        visited.append(focused[0])
        assert focused[1] != "none" and focused[2] == "3px", focused
        if focused[0] == "BUTTON":
            break
    assert visited[0] == "grade" and "home_language" in visited and visited[-1] == "BUTTON"
    # A radio group is one stop: Tab moves on to the next question, not to each option.
    assert visited.count("home_language") == 1
    expect(page.locator('input[name="home_language"][value="2"]')).to_be_checked()
    page.screenshot(path=screenshot_dir / f"keyboard_{engine.dialect.name}.png")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.locator(".progress-line")).to_contain_text("Раздел 2 из 6")
    stored = _responses(db)
    assert len(stored) == 1 and stored[0].answers["home_language"] == 2
    assert stored[0].answers["grade"] == 5
