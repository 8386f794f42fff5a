"""The reference's chart images kept on disk: a chart is drawn by Chromium once.

A chart's image depends only on its figure (the plotly JSON the reference builds from the
answers), the scale it is drawn at, the plotly.js bundle and the browser. A reference asked
for again (another format, a corrected «подготовил», the next download of the same school)
shows the same charts, so each PNG is kept under a digest of all of these, in the folder of
the campaign analyses (``web.reference_cache``: ``<instance>/cache/analysis/charts``, private to
the instance's user, since a chart shows a school's results). A command whose charts are all
there needs no browser for a DOCX or an HTML file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from web.chart_browser import PLOTLY_JS_VERSION, SCALE
from web.disk_cache import cache_dir, private_folder, write_private
from web.pdf import chromium_path

if TYPE_CHECKING:
    from analysis.report.charts import Chart

#: images kept (the newest; a reference has a handful of charts of tens of kilobytes each)
KEEP = 500
_PNG = b"\x89PNG\r\n\x1a\n"

Draw = Callable[[Sequence["Chart"]], dict[str, bytes]]


def chart_images(
    charts: Sequence[Chart], draw: Draw, *, request: str | None = None
) -> dict[str, bytes]:
    """Each chart's PNG by key: from disk where it was drawn before, the others by ``draw``
    (the browser; its errors pass through) and then kept. ``request`` names what asked (see
    :func:`drawn_before`), which then remembers these charts."""
    folder = _folder()
    if folder is None or not charts:
        return draw(charts) if charts else {}
    browser = _browser_identity()
    names = {chart.key: folder / f"{_digest(chart, browser)}.png" for chart in charts}
    if request is not None:
        with contextlib.suppress(OSError):
            listed = "\n".join(sorted(path.name for path in names.values()))
            write_private(folder / f"{_request(request)}.drawn", listed.encode(), keep=KEEP)
    images: dict[str, bytes] = {}
    missing = []
    for chart in charts:
        try:
            content = names[chart.key].read_bytes()
        except OSError:
            content = b""
        if content.startswith(_PNG):
            images[chart.key] = content
        else:
            missing.append(chart)
    if missing:
        drawn = draw(missing)
        for chart in missing:
            images[chart.key] = drawn[chart.key]
            # (a write that fails keeps the image in this document only: drawn again next time)
            with contextlib.suppress(OSError):
                write_private(names[chart.key], drawn[chart.key], keep=KEEP)
    return images


def request_key(database: str, campaign_id: int, school_code: str) -> str:
    """What names a school's reference before anything is read: the database's address as
    configured (not even parsed), the campaign and the school."""
    return f"{database}|{campaign_id}|{school_code}"


def drawn_before(request: str) -> bool:
    """Whether every chart of the last reference made for ``request`` is still kept: the
    command line then starts no browser ahead of need (if the answers changed since, the
    charts differ and the browser starts when they are drawn, a second later than it could
    have)."""
    folder = _folder()
    if folder is None:
        return False
    try:
        listed = (folder / f"{_request(request)}.drawn").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return False
    names = listed.split()
    return bool(names) and all((folder / name).is_file() for name in names)


def _request(request: str) -> str:
    return hashlib.sha256(request.encode()).hexdigest()[:40]


def _folder() -> Path | None:
    folder = cache_dir()
    if folder is None or not private_folder(folder):
        return None
    return folder / "charts"


def _browser_identity() -> str:
    """The browser that draws (its path, size and date: an upgrade draws every chart anew)."""
    path = chromium_path()
    if path is None:
        return "none"
    try:
        status = os.stat(path)
    except OSError:
        return path
    return f"{path}|{status.st_size}|{status.st_mtime_ns}"


def _digest(chart: Chart, browser: str) -> str:
    figure = json.dumps(chart.figure, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{PLOTLY_JS_VERSION}|{SCALE}|{browser}|{figure}".encode()).hexdigest()
