"""Chart images and printing through one persistent headless Chromium (web/chart_browser.py),
and plotly.js served by the app itself (web/chart_assets.py): the app's vendored basic bundle,
of the plotly.js version the Python ``plotly`` package ships.

The Chromium tests need Debian's chromium and Playwright: without them they are skipped with
the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from analysis.report.charts import Share, risk_profile_chart, share_chart
from analysis.report.profile import FactorRow
from analysis.risk import LEVEL_LABELS
from surveys.db import make_engine, upgrade
from tests.conftest import _missing, make_app
from web.chart_browser import (
    PLOTLY_JS_VERSION,
    PLOTLY_TRACES,
    BrowserUnavailable,
    ChartBrowser,
    plotly_js_path,
    shared_browser,
)
from web.pdf import PdfUnavailable, chromium_path

PNG = b"\x89PNG\r\n\x1a\n"


def _factor(code: str, level: str, composite: float) -> FactorRow:
    return FactorRow(
        code=code,
        title=f"Фактор {code}",
        composite=composite,
        level=level,
        level_label=LEVEL_LABELS[level],
        text="",
        indicators=[],
        composite_se=0.2,
    )


def _charts():  # type: ignore[no-untyped-def]
    profile = risk_profile_chart(
        [_factor("a", "high", 1.4), _factor("b", "moderate", 0.1), _factor("c", "low", -0.8)]
    )
    shares = share_chart("shares", "Доли", [Share("Доля", 0.3, 0.2), Share("Другая", 0.1, 0.15)])
    return profile, shares


def _size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None:
        _missing("Chromium not found (install the Debian package chromium)")
        raise AssertionError  # unreachable: _missing raises
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _missing(f"the 'playwright' Python package is not importable: {exc}")
    return path


def test_charts_and_a_pdf_with_one_browser_launch(chromium: str) -> None:
    profile, shares = _charts()
    before = ChartBrowser.launches
    browser = ChartBrowser(chromium)
    try:
        first = browser.images([profile])
        second = browser.images([shares, profile])
        pdf = browser.pdf("<!doctype html><html><body><p>Проверка печати</p></body></html>")
    finally:
        browser.close()
    assert ChartBrowser.launches - before == 1
    assert set(first) == {"risk-profile"} and set(second) == {"shares", "risk-profile"}
    for key, png in [*first.items(), *second.items()]:
        assert png.startswith(PNG)
        chart = profile if key == "risk-profile" else shares
        assert _size(png) == (2 * chart.width, 2 * chart.height)  # Plotly.toImage, scale 2
    assert pdf.startswith(b"%PDF")
    # after close, a call starts nothing and says why
    with pytest.raises(BrowserUnavailable):
        browser.images([profile])
    assert ChartBrowser.launches - before == 1


def test_the_process_keeps_one_shared_browser(chromium: str) -> None:
    browser = shared_browser()
    assert shared_browser() is browser
    before = ChartBrowser.launches
    profile, shares = _charts()
    browser.images([profile])
    browser.images([shares])
    assert ChartBrowser.launches - before <= 1  # 0 when an earlier test started it


def test_the_chart_page_holds_the_trace_types_the_charts_may_use(chromium: str) -> None:
    """The charts are checked against :data:`PLOTLY_TRACES` (tests/web/test_reference_files.py):
    the plotly.js Chromium loads registers exactly those."""
    browser = shared_browser()
    browser.images([_charts()[0]])  # the page is loaded

    def trace_types() -> list[str]:
        page = browser._chart
        assert page is not None
        return page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)")

    assert set(browser._call(trace_types)) == PLOTLY_TRACES


def test_without_chromium_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ROOTCAUSE_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(BrowserUnavailable) as raised:
        shared_browser()
    message = str(raised.value)
    assert "Для диаграмм в DOCX и PDF нужен браузер Chromium" in message
    assert "sudo apt install chromium" in message and "ROOTCAUSE_CHROMIUM" in message
    assert isinstance(raised.value, PdfUnavailable)  # the views' 503 and the CLI's exit 1


def test_a_browser_that_cannot_start_fails_its_callers(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    browser = ChartBrowser(str(fake))
    try:
        with pytest.raises(BrowserUnavailable):
            browser.images([_charts()[0]])
        assert not browser.alive
    finally:
        browser.close()


# -- plotly.js served by the app ---------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path_factory.mktemp('assets') / 'app.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROOTCAUSE_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        yield make_app(engine, url)
    engine.dispose()


def test_vendored_plotly_js_is_the_version_the_plotly_package_ships() -> None:
    """The app draws with its own basic bundle and checks its figures with the ``plotly``
    package's schema: the two must be one plotly.js version, so an upgrade of ``plotly``
    fails here until the bundle follows it (web/vendor/README.md says how)."""
    from plotly.offline import get_plotlyjs_version

    path = plotly_js_path()
    assert path.parent == Path(__file__).parents[2] / "web" / "vendor"
    # the file as published, its license header first
    header = path.read_text(encoding="utf-8")[:200].splitlines()
    assert header[:2] == ["/**", f"* plotly.js (basic - minified) v{PLOTLY_JS_VERSION}"]
    assert "* Licensed under the MIT license" in header
    assert get_plotlyjs_version() == PLOTLY_JS_VERSION
    license_text = (path.parent / "PLOTLY-LICENSE.txt").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")


def test_plotly_js_is_the_apps_basic_bundle_gzipped_and_cached_for_a_year(app: Flask) -> None:
    content = plotly_js_path().read_bytes()
    assert 0 < len(content) < 2_000_000  # the basic bundle, not the full one (4.8 MB)
    digest = hashlib.sha256(content).hexdigest()[:12]
    with app.test_request_context():
        from web.chart_assets import plotly_url

        url = plotly_url()
    assert url == f"/assets/plotly-{digest}.min.js"
    client = app.test_client()
    reply = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert reply.status_code == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Content-Type"].startswith("text/javascript")
    assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert reply.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(reply.data) == content
    assert len(reply.data) < len(content) / 2
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.data == content
    again = client.get(url, headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    # a page from before an upgrade names another copy: served, but not kept
    stale = client.get("/assets/plotly-0123456789ab.min.js")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"


def test_chart_loader_is_a_static_file_of_the_app(app: Flask) -> None:
    reply = app.test_client().get("/static/charts.js")
    try:
        assert reply.status_code == 200
        assert b"Plotly.newPlot" in reply.data and b"chart-drawn" in reply.data
    finally:
        reply.close()
