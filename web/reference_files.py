"""A school's reference as a file in each format (HTML, DOCX, PDF), named for download: one
place for the command line and the staff pages."""

from __future__ import annotations

import re
from urllib.parse import quote

from analysis.report.model import ReferenceModel
from analysis.report.safe_text import xml_safe

FORMATS = ("html", "docx", "pdf")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
#: said beside the missing-Chromium message where HTML and DOCX would still do
WITHOUT_CHROMIUM = "HTML и DOCX формируются и без него."
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def render_reference(model: ReferenceModel, fmt: str) -> bytes:
    """The reference in ``fmt`` (one of :data:`FORMATS`).

    Raises :class:`web.pdf.PdfUnavailable` for a PDF without Chromium; the libraries of the
    other formats are imported only when asked for (python-docx, the browser's wrapper).
    """
    from analysis.report.html import render_html

    if fmt == "html":
        return render_html(model).encode("utf-8")
    if fmt == "docx":
        from analysis.report.docx import render_docx

        return render_docx(model)
    if fmt == "pdf":
        from web.pdf import html_to_pdf

        return html_to_pdf(render_html(model))
    raise ValueError(f"unknown reference format {fmt!r}")


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
