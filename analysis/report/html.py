"""HTML rendering of the reference (a standalone file: no external resources)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from analysis.report.model import ReferenceModel
from analysis.report.safe_text import finalize

_env = Environment(
    loader=PackageLoader("analysis.report", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    # user-typed text (school names, titles, answers) loses the characters XML cannot hold
    finalize=finalize,
)


def ru_number(value: float | None, digits: int = 2) -> str:
    """A number as Russian readers write it: decimal comma, a dash for no value."""
    if value is None or value != value:  # None or NaN
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


_env.filters["num"] = ru_number
_env.filters["pct"] = _pct


def render_html(model: ReferenceModel) -> str:
    return _env.get_template("school.html").render(ref=model)
