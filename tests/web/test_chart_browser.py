"""Chart images and printing through one persistent headless Chromium (web/chart_browser.py),
and plotly.js served by the app itself (web/chart_assets.py): the app's vendored basic bundle,
of the plotly.js version the Python ``plotly`` package ships.

The Chromium tests need Debian's chromium (driven over the DevTools protocol by web/cdp.py, no
Playwright): without it they are skipped with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import signal
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    return path


def _gone(pid: int) -> bool:
    """No such process (not even a zombie: the browser was waited for)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_charts_and_a_pdf_with_one_browser_launch(chromium: str) -> None:
    profile, shares = _charts()
    before = ChartBrowser.launches
    browser = ChartBrowser(chromium)
    try:
        first = browser.images([profile])
        second = browser.images([shares, profile])
        pdf = browser.pdf("<!doctype html><html><body><p>Проверка печати</p></body></html>")
        assert browser._browser is not None
        process, profile_folder = browser._browser.pid, browser._browser.folder
        assert profile_folder.is_dir()
    finally:
        browser.close()
    assert ChartBrowser.launches - before == 1
    # closing stops the process (waited for) and removes its temporary profile
    assert _gone(process) and not profile_folder.exists()
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
        return page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)")

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
    before = ChartBrowser.launches
    browser = ChartBrowser(str(fake))
    try:
        with pytest.raises(BrowserUnavailable, match="Chromium не запустился"):
            browser.images([_charts()[0]])
        assert not browser.alive
        with pytest.raises(BrowserUnavailable, match="Chromium не работает"):
            browser.pdf("<p>x</p>")
    finally:
        browser.close()
    assert ChartBrowser.launches == before


def test_a_dying_browser_fails_the_waiting_jobs(chromium: str) -> None:
    """Chromium killed while jobs wait: the job that finds it gone and every one queued behind
    it fail, later calls are refused, and the process is waited for (no zombie)."""
    profile = _charts()[0]
    browser = ChartBrowser(chromium)
    try:
        browser.images([profile])
        assert browser._browser is not None
        process = browser._browser.pid
        gate = threading.Event()
        holding = threading.Thread(target=browser._call, args=(gate.wait,))
        holding.start()  # the browser's thread waits on the gate: the next jobs queue up
        errors: list[BaseException] = []

        def draw() -> None:
            try:
                browser.images([profile])
            except BaseException as exc:
                errors.append(exc)

        waiting = [threading.Thread(target=draw) for _ in range(3)]
        for thread in waiting:
            thread.start()
        while browser._jobs.qsize() < 3:
            threading.Event().wait(0.01)
        os.killpg(process, signal.SIGKILL)
        gate.set()
        for thread in [holding, *waiting]:
            thread.join(timeout=30)
        assert len(errors) == 3
        assert all(isinstance(e, BrowserUnavailable) for e in errors), errors
        # the job that found the pipe closed says so, the ones behind it that Chromium ended
        messages = sorted(str(e) for e in errors)
        assert "Chromium закрыл канал DevTools" in messages[-1]
        assert all(m.startswith("Chromium завершился: ") for m in messages[:-1]), messages
        assert not browser.alive
        with pytest.raises(BrowserUnavailable, match="Chromium не работает"):
            browser.images([profile])
        assert browser._thread is not None
        browser._thread.join(timeout=30)
        assert _gone(process)
    finally:
        browser.close()


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A web server on this machine that records every request it gets."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"answered")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_browser_fetches_nothing_but_its_own_files(
    chromium: str, server: tuple[str, list[str]], tmp_path: Path
) -> None:
    """The chart page loads plotly.js and nothing else, the printed page nothing at all: a
    request to the network or to another file fails (and the server never sees it)."""
    origin, asked = server
    secret = tmp_path / "secret.txt"
    secret.write_text("не для браузера", encoding="utf-8")
    browser = ChartBrowser(chromium)
    try:
        browser.images([_charts()[0]])

        def fetch(url: str) -> Any:
            page = browser._chart
            assert page is not None
            return page.call(
                "(url) => fetch(url).then((r) => r.text(), (e) => 'failed: ' + e)", url
            )

        assert browser._call(fetch, f"{origin}/chart").startswith("failed")
        assert browser._call(fetch, secret.as_uri()).startswith("failed")
        pdf = browser.pdf(
            "<!doctype html><html><head>"
            f'<link rel="stylesheet" href="{origin}/style.css"></head><body>'
            f'<img src="{origin}/picture.png"><img src="{secret.as_uri()}">'
            f'<iframe src="{origin}/frame"></iframe><p>Печать</p></body></html>'
        )
        assert pdf.startswith(b"%PDF")
        # the page still works after its requests were failed
        assert browser._call(fetch, f"{origin}/again").startswith("failed")
    finally:
        browser.close()
    assert asked == []


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
