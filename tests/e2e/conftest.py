"""End-to-end fixtures: the Debian Chromium driven by Playwright against a live Flask server.

The browser is never downloaded: ``playwright install`` is not used, and Chromium comes from the
system package at /usr/bin/chromium. Without it (or without the ``playwright`` package) the e2e
tests are skipped with the reason printed, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).with_name("screenshots")
IN_CI = os.environ.get("CI", "").lower() == "true"

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing component fails the run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """The system Chromium, headless, for the whole session."""
    if not CHROMIUM.exists():
        _missing(f"Chromium not found at {CHROMIUM} (install the Debian 'chromium' package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _missing(f"the 'playwright' Python package is not importable: {exc}")
        raise  # unreachable: _missing raises
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception as exc:
        playwright.stop()
        _missing(f"Chromium at {CHROMIUM} failed to start: {type(exc).__name__}: {exc}")
        raise  # unreachable
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app served over real HTTP on a free local port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def new_page(chromium: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Opens pages in fresh browser contexts (own cookies), all closed before the server stops.

    Depending on ``live_server`` makes the contexts close first, so no keep-alive connection is
    left in a server thread when it shuts down.
    """
    contexts: list[BrowserContext] = []

    def open_page(viewport: dict[str, int] | None = None, **options: Any) -> Page:
        context = chromium.new_context(
            viewport=viewport or PHONE, locale="ru-RU", base_url=live_server, **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
