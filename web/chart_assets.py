"""plotly.js and the chart loader served by the app itself (schools may have no outside
internet, and the reference never loads a script from elsewhere), and the reference as a web
page whose charts they draw.

plotly.js is the app's own copy of plotly.js's basic bundle (bar, scatter and pie traces, all
the reference needs; :mod:`web.chart_browser` says why not the full one), the same file
Chromium draws the DOCX's and PDF's charts with (:func:`web.chart_browser.plotly_js_path`):
1.2 MB, 0.4 MB gzipped, which is done once per process and kept. It has a route of its own,
not /static, which sends it gzipped; its URL carries the file's hash, so browsers keep it for
a year and still never run a stale copy. It is public, like the app's other static files: a
library, no data.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from functools import cache

from flask import Blueprint, Response, request, url_for

from analysis.report.charts import ChartMedia
from analysis.report.model import ReferenceModel

bp = Blueprint("charts", __name__)

#: the reference page's policy: its own inline styles (and plotly's), images as data URIs,
#: scripts from the app only (the figures are JSON blocks, never executed)
REFERENCE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_YEAR = 365 * 86400
_gzip_lock = threading.Lock()


@cache
def _plotly() -> tuple[bytes, str]:
    """plotly.js and the first 12 hex digits of its SHA-256."""
    from web.chart_browser import plotly_js_path

    content = plotly_js_path().read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:12]


@cache
def _plotly_gzip() -> bytes:
    with _gzip_lock:
        return gzip.compress(_plotly()[0], compresslevel=6, mtime=0)


def plotly_url() -> str:
    return url_for("charts.plotly_js", digest=_plotly()[1])


@bp.route("/assets/plotly-<digest>.min.js")
def plotly_js(digest: str) -> Response:
    """plotly.js, gzipped for a browser that accepts it; cached for a year when the URL
    names this copy, revalidated otherwise (a page from before an upgrade)."""
    content, current = _plotly()
    if request.if_none_match.contains(current):
        response = Response(status=304)
    elif "gzip" in request.accept_encodings:
        response = Response(_plotly_gzip(), mimetype="text/javascript")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(content, mimetype="text/javascript")
    response.set_etag(current)
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = (
        f"public, max-age={_YEAR}, immutable" if digest == current else "no-cache"
    )
    return response


def reference_page(model: ReferenceModel) -> str:
    """The reference as the staff pages show it: its charts drawn by plotly in the browser,
    from the app's own scripts (their tables until then, and without JavaScript)."""
    from analysis.report.html import render_html
    from web import _static_url

    return render_html(model, ChartMedia(scripts=(plotly_url(), _static_url("charts.js"))))
