"""Respondent-level exports of a campaign's form for psychologists and coordinators: answers
and scale scores as CSV, XLSX and SPSS ``.sav`` with labels, and their codebook.

* :mod:`~surveys.exports.respondents` — renumbering and pooling of small schools and classes;
* :mod:`~surveys.exports.frames` — the answers' labelled frame (codes, labels, missing codes);
* :mod:`~surveys.exports.scores` — scale scores per respondent as a labelled frame;
* :mod:`~surveys.exports.writers` — CSV (UTF-8 with BOM), XLSX, ``.sav`` (pyreadstat);
* :mod:`~surveys.exports.codebook` — the codebook as XLSX and HTML;
* :mod:`~surveys.exports.cells` — spreadsheet cells safe from formula injection;
* :mod:`~surveys.exports.formats` — the formats and their media types.

No Flask here; the web tier and the CLI call these through ``web.exporting``. The names below
are imported from their modules when first used: the formats alone (the CLI's ``--format``
choices) must not bring pandas and openpyxl.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from surveys.exports.formats import FORMATS, MEDIA_TYPES

if TYPE_CHECKING:
    from surveys.exports.codebook import Codebook, build_codebook, codebook_html, codebook_xlsx
    from surveys.exports.frames import LabelledFrame, Variable, answers_frame
    from surveys.exports.respondents import POOLED_SCHOOL, Respondents, anonymised_respondents
    from surveys.exports.scores import scores_frame
    from surveys.exports.writers import write

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "POOLED_SCHOOL",
    "Codebook",
    "LabelledFrame",
    "Respondents",
    "Variable",
    "anonymised_respondents",
    "answers_frame",
    "build_codebook",
    "codebook_html",
    "codebook_xlsx",
    "scores_frame",
    "write",
]

#: name -> the module (under surveys.exports) that defines it
_LAZY = {
    "Codebook": "codebook",
    "build_codebook": "codebook",
    "codebook_html": "codebook",
    "codebook_xlsx": "codebook",
    "LabelledFrame": "frames",
    "Variable": "frames",
    "answers_frame": "frames",
    "POOLED_SCHOOL": "respondents",
    "Respondents": "respondents",
    "anonymised_respondents": "respondents",
    "scores_frame": "scores",
    "write": "writers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
