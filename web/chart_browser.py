"""One headless Chromium per process for the reference's static renderings: the chart images
(plotly.js loaded once into a page, every chart drawn there by ``Plotly.toImage``) and the
printed PDF.

Starting Chromium and loading plotly.js costs about a second, drawing a chart then a tenth of
one, so the browser is started once, on first use, and kept until the process exits; a second
reference, or a second chart, reuses it. It is driven over the DevTools protocol through a
pipe (:mod:`web.cdp`), not through Playwright, whose Node.js driver took longer to start than
Chromium itself (0.6-0.7 s against 0.3 s on two cores; a second of CPU less in all). The pipe
is read by the thread that sends the commands, and the web server answers on several threads
(gunicorn's gthread workers), so one thread of its own owns the browser and callers hand it
jobs and wait. :meth:`ChartBrowser.warm_up` starts it without waiting: the command line does
so before it reads the database, so the browser loads plotly.js while the reference is computed.

Nothing is downloaded: the browser is Debian's chromium (``/usr/bin/chromium`` or
``ROOTCAUSE_CHROMIUM``), plotly.js the app's own copy (:func:`plotly_js_path`), and every
request of its pages other than those two files is failed (the printed page asks for none: its
images are data URIs).

That copy is plotly.js's official *basic* bundle (web/vendor/README.md), not the full
plotly.min.js inside the installed ``plotly`` package: the reference's charts use only ``bar``
and ``scatter`` traces with shapes and annotations, which the basic bundle holds (with ``pie``)
around the same core (``Plotly.toImage`` included; the images are the same to the byte), and
at 1.2 MB instead of 4.8 MB Chromium parses it in a quarter of the time (some 0.6 s instead of
2.5 s on two cores), which was the largest part of a DOCX's first chart. It is the plotly.js
version the ``plotly`` package ships, whose Python side the tests use to check every chart of
a reference against plotly's schema and :data:`PLOTLY_TRACES`.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from web.cdp import Chromium, Page
from web.pdf import PdfUnavailable, chromium_path, missing_chromium

if TYPE_CHECKING:
    from analysis.report.charts import Chart

ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
#: a chart drawn at twice its CSS size: sharp in print and in Word at the page's width
SCALE = 2
#: the version of the vendored plotly.js (web/vendor/README.md says how to update it)
PLOTLY_JS_VERSION = "4.1.1"
#: the trace types its basic bundle holds: the only ones a chart of the reference may use
PLOTLY_TRACES = frozenset({"bar", "scatter", "pie"})
#: seconds a job may take (the first includes starting the browser and loading plotly.js)
TIMEOUT = 120
#: seconds Chromium may take to start, and a page to load (Playwright's default for a page)
LOAD_TIMEOUT = 30
_CHART_PAGE = (
    '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
    '<script src="{plotly}"></script></head><body></body></html>'
)
#: a small chart of the kinds the reference draws (bars with text, a scatter, a shape and a
#: note), drawn once when the page is ready
_FIRST_DRAWING: dict[str, Any] = {
    "data": [
        {"type": "bar", "orientation": "h", "x": [1, 2], "y": ["а", "б"], "text": ["1", "2"]},
        {"type": "scatter", "mode": "markers", "x": [1.5], "y": ["а"]},
    ],
    "layout": {
        "width": 200,
        "height": 120,
        "shapes": [{"type": "line", "x0": 1, "x1": 1, "y0": 0, "y1": 1, "yref": "paper"}],
        "annotations": [{"text": "в", "x": 1, "y": 1, "yref": "paper", "showarrow": False}],
    },
}
_TO_IMAGE = """async ([figure, scale]) => {
  const url = await Plotly.toImage(figure, {
    format: "png", width: figure.layout.width, height: figure.layout.height, scale: scale,
  });
  return url.slice(url.indexOf(",") + 1);
}"""
#: a page's content is loaded: its images (the load event) and its fonts
_LOADED = """new Promise((resolve) => {
  const ready = () => document.fonts.ready.then(() => resolve(true));
  if (document.readyState === "complete") ready();
  else window.addEventListener("load", ready, { once: true });
})"""
#: the default fonts Playwright gave a headless page on Linux (``Page.setFontFamilies``)
_FONT_FAMILIES = {
    "standard": "Times New Roman",
    "fixed": "Monospace",
    "serif": "Times New Roman",
    "sansSerif": "Arial",
    "cursive": "Comic Sans MS",
    "fantasy": "Impact",
}
#: ``Page.printToPDF`` as Playwright's ``page.pdf(prefer_css_page_size=True,
#: print_background=True)`` asked for it: the page's own CSS size, no margins but its own, no
#: header or footer, no tags or outline
_PRINT = {
    "landscape": False,
    "displayHeaderFooter": False,
    "headerTemplate": "",
    "footerTemplate": "",
    "printBackground": True,
    "scale": 1,
    "paperWidth": 8.5,
    "paperHeight": 11,
    "marginTop": 0,
    "marginBottom": 0,
    "marginLeft": 0,
    "marginRight": 0,
    "pageRanges": "",
    "preferCSSPageSize": True,
    "generateTaggedPDF": False,
    "generateDocumentOutline": False,
}


#: said beside the missing-Chromium message where HTML would still do
WITHOUT_CHROMIUM = "HTML формируется и без него (диаграммы в нём заменяются таблицами)."


class BrowserUnavailable(PdfUnavailable):
    """No Chromium to draw charts and print with, or it failed."""


def plotly_js_path() -> Path:
    """The app's plotly.js: the basic bundle in web/vendor (see the module's docstring), a
    file of the package, so an installed app has it too (pyproject.toml's package data)."""
    return Path(__file__).parent / "vendor" / f"plotly-basic-{PLOTLY_JS_VERSION}.min.js"


def missing_browser() -> str:
    """Why charts cannot be drawn, and how to install Chromium or point at it."""
    return missing_chromium().replace("Для PDF нужен", "Для диаграмм в DOCX и PDF нужен", 1)


class ChartBrowser:
    """A headless Chromium on a thread of its own (see the module's docstring)."""

    #: browsers launched by this process (tests count them: one for any number of charts)
    launches: ClassVar[int] = 0

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self._jobs: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]] | None]
        self._jobs = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._broken: BrowserUnavailable | None = None
        self._browser: Chromium | None = None
        self._chart: Page | None = None
        self._closed = False

    # -- what callers use ------------------------------------------------------------------

    def warm_up(self) -> None:
        """Start the browser and load plotly.js now, without waiting for either."""
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="rootcause-chromium", daemon=True
                )
                self._thread.start()

    def images(self, charts: Sequence[Chart]) -> dict[str, bytes]:
        """Each chart as a PNG (``Plotly.toImage`` at scale 2), by key."""
        if not charts:
            return {}
        return self._call(self._images, [(c.key, c.figure) for c in charts])

    def pdf(self, html: str) -> bytes:
        """A self-contained page printed as Chromium prints it: the page's own CSS size
        (A4) and margins, backgrounds, no header or footer of the browser's."""
        return self._call(self._pdf, html)

    @property
    def alive(self) -> bool:
        running = self._thread is None or self._thread.is_alive()
        return not self._closed and self._broken is None and running

    def close(self) -> None:
        """Stop the browser (waiting for the jobs before it); later calls are refused."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout=30)

    def kill(self) -> None:
        """Stop at once, for a process that is ending (:func:`web.cli.run`): Chromium is
        killed and its profile removed without asking it to close or waiting for the
        thread (a polite close costs a quarter of a second). Later calls are refused."""
        with self._lock:
            self._closed = True
        browser = self._browser
        if browser is not None:
            browser.kill()

    # -- the browser's thread ----------------------------------------------------------------

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        if self._broken is not None:
            raise BrowserUnavailable(f"Chromium не работает: {self._broken}")
        if self._closed:
            raise BrowserUnavailable("Chromium уже остановлен.")
        self.warm_up()
        future: Future[Any] = Future()
        self._jobs.put((function, args, future))
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                return future.result(timeout=0.5)
            except FutureTimeout:
                thread = self._thread
                stopped = thread is None or not thread.is_alive()
                if (stopped and not future.running()) or time.monotonic() > deadline:
                    future.cancel()
                    raise self._broken or BrowserUnavailable(
                        "Chromium не ответил: диаграммы или PDF не построены."
                    ) from None
            except BrowserUnavailable:
                raise
            except Exception as exc:
                raise BrowserUnavailable(
                    f"Chromium не смог построить диаграммы или PDF: {exc}"
                ) from exc

    def _run(self) -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="rootcause-charts-") as tmp:
                browser = Chromium.launch(self.executable, ARGS, timeout=LOAD_TIMEOUT)
                type(self).launches += 1
                self._browser = browser
                try:
                    self._chart = self._chart_page(browser, Path(tmp))
                    self._serve(browser)
                finally:
                    browser.close()
        except Exception as exc:
            self._fail_all(BrowserUnavailable(f"Chromium не запустился: {exc}"))

    def _serve(self, browser: Chromium) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            function, args, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(*args))
            except Exception as exc:
                future.set_exception(exc)
                if not browser.connected:
                    self._fail_all(BrowserUnavailable(f"Chromium завершился: {exc}"))
                    return
                if self._chart is not None and self._chart.closed:
                    # the chart page's renderer crashed: no chart can be drawn any more
                    self._fail_all(BrowserUnavailable(f"Страница диаграмм закрылась: {exc}"))
                    return

    def _fail_all(self, error: BrowserUnavailable) -> None:
        """The browser is gone: this job and every waiting one fail with ``error``, and so
        does every later call (:func:`shared_browser` then starts a new browser)."""
        self._broken = error
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None and job[2].set_running_or_notify_cancel():
                job[2].set_exception(error)

    def _new_page(self, browser: Chromium, allowed: set[str]) -> Page:
        """A page in a context of its own that fetches nothing but ``allowed`` (file URLs),
        with the default fonts Playwright gave its pages (the charts and the PDF are drawn as
        they were)."""
        page = browser.new_page(timeout=LOAD_TIMEOUT)
        try:
            page.block_requests(allowed)
            page.send("Page.setFontFamilies", {"fontFamilies": _FONT_FAMILIES})
        except BaseException:
            page.close()
            raise
        return page

    def _chart_page(self, browser: Chromium, folder: Path) -> Page:
        plotly = plotly_js_path()
        page_file = folder / "charts.html"
        page_file.write_text(_CHART_PAGE.format(plotly=plotly.as_uri()), encoding="utf-8")
        page = self._new_page(browser, {page_file.as_uri(), plotly.as_uri()})
        page.send("Page.enable")
        navigation = page.send("Page.navigate", {"url": page_file.as_uri()}, timeout=LOAD_TIMEOUT)
        if navigation.get("errorText"):
            raise BrowserUnavailable(f"страница диаграмм не открылась: {navigation['errorText']}")
        browser.wait_for("Page.loadEventFired", session=page.session, timeout=LOAD_TIMEOUT)
        if not page.evaluate("window.Plotly !== undefined"):
            raise BrowserUnavailable(f"plotly.js не загрузился: {plotly}")
        # plotly's first drawing costs about half a second more than the next ones (fonts,
        # compiled code paths): done now, while the reference is still being computed.
        page.call(_TO_IMAGE, [_FIRST_DRAWING, 1], timeout=TIMEOUT)
        return page

    def _images(self, figures: list[tuple[str, dict[str, Any]]]) -> dict[str, bytes]:
        page = self._chart
        if page is None:
            raise BrowserUnavailable("Chromium не запущен.")
        return {
            key: base64.b64decode(page.call(_TO_IMAGE, [figure, SCALE], timeout=TIMEOUT))
            for key, figure in figures
        }

    def _pdf(self, html: str) -> bytes:
        if self._browser is None:
            raise BrowserUnavailable("Chromium не запущен.")
        # The page is self-contained (images as data URIs): nothing to fetch.
        page = self._new_page(self._browser, set())
        try:
            frame = page.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
            page.send(
                "Page.setDocumentContent", {"frameId": frame, "html": html}, timeout=LOAD_TIMEOUT
            )
            page.evaluate(_LOADED, timeout=LOAD_TIMEOUT)
            return page.print_pdf(_PRINT, timeout=TIMEOUT)
        finally:
            page.close()


_shared: dict[int, ChartBrowser] = {}
_shared_lock = threading.Lock()


def shared_browser() -> ChartBrowser:
    """This process's browser (a new one after a fork or when the last one broke).

    Raises :class:`BrowserUnavailable` without Chromium (with how to install it)."""
    path = chromium_path()
    if path is None:
        raise BrowserUnavailable(missing_browser())
    with _shared_lock:
        pid = os.getpid()
        browser = _shared.get(pid)
        if browser is None or not browser.alive or browser.executable != path:
            if browser is not None:
                browser.close()
            browser = _shared[pid] = ChartBrowser(path)
        return browser


def warm_up() -> None:
    """Start the browser the reference's files will need, without waiting for it (nothing
    without Chromium: the rendering then says so). Cheap to import: the command
    line calls it before it imports the analysis."""
    with contextlib.suppress(BrowserUnavailable):
        shared_browser().warm_up()


def stop_at_once() -> None:
    """Kill this process's browser now (see :meth:`ChartBrowser.kill`); any browser still
    starting is killed by :mod:`web.cdp` at exit, its temporary folder removed by
    ``tempfile``'s own exit hook."""
    browser = _shared.pop(os.getpid(), None)
    if browser is not None:
        browser.kill()


@atexit.register
def _close_shared() -> None:
    browser = _shared.pop(os.getpid(), None)
    if browser is not None:
        browser.close()
