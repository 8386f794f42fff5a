"""HTML rendering of the reference (a standalone file: no external resources)."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket

from analysis.report.charts import ChartMedia
from analysis.report.model import ReferenceModel
from analysis.report.russian import (
    NBSP,
    ru_count,
    ru_int,
    ru_number,
    ru_percent,
    ru_plural,
    ru_range,
)
from analysis.report.safe_text import finalize

__all__ = ["render_html", "ru_number"]

_env = Environment(
    loader=PackageLoader("analysis.report", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    # user-typed text (school names, titles, answers) loses the characters XML cannot hold
    finalize=finalize,
)


# One typography for the whole reference (analysis.report.russian): the templates print every
# number through these filters, the text builders through the same functions (``integer`` and
# ``ru_count``: Jinja has filters of its own called ``int`` and ``count``).
_env.filters["num"] = ru_number
_env.filters["integer"] = ru_int
_env.filters["pct"] = ru_percent
_env.filters["range"] = ru_range
_env.filters["ru_count"] = ru_count
_env.filters["plural"] = ru_plural


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's bytecode cache in a folder, where a file that cannot be read or written (the
    folder removed meanwhile, a file cut short) costs a compilation, never a reference."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged file: compiled again (and written anew)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)


def keep_compiled_templates(folder: Path) -> None:
    """Keep the compiled templates in ``folder`` (Jinja's bytecode cache, keyed by each
    template's name and source): a new process's first reference then loads them instead of
    compiling them, a tenth of a second. The folder must be private: the cache holds code."""
    _env.bytecode_cache = _CompiledTemplates(str(folder))


#: a number and the percent sign apart by a plain (or narrow) space
_LOOSE_PERCENT = re.compile(r"(\d)[ \u202f]%")
#: what the typographic pass leaves as it is: scripts and styles
_CODE = re.compile(r"(<(script|style)\b.*?</\2>)", re.S)


def typeset(html: str) -> str:
    """The last typographic pass over a rendered page: «%» held to its number by a no-break
    space, wherever the text came from (a template, the catalogue of measures, a title a user
    typed), outside scripts and styles."""
    parts = _CODE.split(html)
    # re.split gives text, then each match's two groups (the block, its tag's name), in turn
    texts = [_LOOSE_PERCENT.sub(f"\\1{NBSP}%", t) for t in parts[0::3]]
    blocks = [*parts[1::3], ""]
    return "".join(t + b for t, b in zip(texts, blocks, strict=True))


def render_html(model: ReferenceModel, charts: ChartMedia | None = None) -> str:
    """The reference as one HTML page; ``charts`` says how it shows its charts (images,
    plotly drawn by the app's scripts, or by default their tables: :mod:`.charts`)."""
    return typeset(
        _env.get_template("school.html").render(ref=model, charts=charts or ChartMedia())
    )
