"""Respondent-level exports of a campaign's form for psychologists and coordinators: answers
and scale scores as CSV, XLSX and SPSS ``.sav`` with labels, and their codebook.

* :mod:`~surveys.exports.respondents` — renumbering and pooling of small schools and classes;
* :mod:`~surveys.exports.frames` — the answers' labelled frame (codes, labels, missing codes);
* :mod:`~surveys.exports.scores` — scale scores per respondent as a labelled frame;
* :mod:`~surveys.exports.writers` — CSV (UTF-8 with BOM), XLSX, ``.sav`` (pyreadstat);
* :mod:`~surveys.exports.codebook` — the codebook as XLSX and HTML;
* :mod:`~surveys.exports.cells` — spreadsheet cells safe from formula injection.

No Flask here; the web tier and the CLI call these through ``web.exporting``.
"""

from surveys.exports.codebook import Codebook, build_codebook, codebook_html, codebook_xlsx
from surveys.exports.frames import LabelledFrame, Variable, answers_frame
from surveys.exports.respondents import POOLED_SCHOOL, Respondents, anonymised_respondents
from surveys.exports.scores import scores_frame
from surveys.exports.writers import FORMATS, MEDIA_TYPES, write

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
