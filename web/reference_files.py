"""A school's reference as a file in each format (HTML, DOCX, PDF), named for download: one
place for the command line and the staff pages.

The charts (:mod:`analysis.report.charts`) are drawn as images by this process's headless
Chromium (:mod:`web.chart_browser`) for every format but the web page: the DOCX and the PDF
cannot do without them (the command says how to install Chromium), the standalone HTML file
shows each chart's table instead and says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from analysis.report.model import ReferenceModel
from analysis.report.safe_text import xml_safe
from web.chart_browser import WITHOUT_CHROMIUM

if TYPE_CHECKING:
    from analysis.report.charts import Chart

__all__ = ["FORMATS", "MEDIA_TYPES", "WITHOUT_CHROMIUM", "content_disposition", "render_reference"]

FORMATS = ("html", "docx", "pdf")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def render_reference(
    model: ReferenceModel,
    fmt: str,
    *,
    warn: Callable[[str], None] | None = None,
    request: str | None = None,
) -> bytes:
    """The reference in ``fmt`` (one of :data:`FORMATS`), its charts as images (drawn by
    this process's Chromium unless :mod:`web.chart_cache` has them).

    Raises :class:`web.chart_browser.BrowserUnavailable` (a :class:`web.pdf.PdfUnavailable`)
    for a DOCX with charts or a PDF without Chromium; an HTML file without it shows the
    charts' tables and passes the reason to ``warn``. The libraries of each format are
    imported only when asked for (python-docx, the browser's wrapper). ``request``: see
    :func:`web.chart_cache.drawn_before`."""
    from analysis.report.charts import ChartMedia, charts_of
    from analysis.report.html import render_html
    from web.chart_browser import BrowserUnavailable, shared_browser
    from web.chart_cache import chart_images

    if fmt not in FORMATS:
        raise ValueError(f"unknown reference format {fmt!r}")
    charts = charts_of(model)

    def draw(missing: Sequence[Chart]) -> dict[str, bytes]:
        return shared_browser().images(missing)

    if fmt == "pdf":
        images = chart_images(charts, draw, request=request)
        return shared_browser().pdf(render_html(model, ChartMedia(images=images)))
    media = ChartMedia()
    if charts:
        try:
            media = ChartMedia(images=chart_images(charts, draw, request=request))
        except BrowserUnavailable as exc:
            if fmt == "docx":
                raise
            if warn is not None:
                warn(f"Диаграммы заменены таблицами: {exc}")
    if fmt == "html":
        return render_html(model, media).encode("utf-8")
    from analysis.report.docx import render_docx

    return render_docx(model, images=media.images)


def content_disposition(campaign_id: int, school_code: str, school_name: str, fmt: str) -> str:
    """``attachment`` naming the file twice: an ASCII ``filename`` for old clients and the
    Russian name as RFC 5987's ``filename*``."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "_", school_code).strip("_") or "school"
    fallback = f"reference-{campaign_id}-{code}.{fmt}"
    # No path separators, quotes or characters file systems refuse; spaces collapsed.
    readable = _UNSAFE.sub(" ", xml_safe(f"Аналитическая справка {school_code} {school_name}"))
    readable = readable.strip()[:150].rstrip()
    return (
        f'attachment; filename="{fallback}"; '
        f"filename*=UTF-8''{quote(f'{readable}.{fmt}', safe='')}"
    )
