"""Importing answers collected elsewhere: paper questionnaires and Google / Yandex Forms exports.

Three steps, each usable on its own:

* :func:`answer_template` writes an XLSX workbook for typing in paper questionnaires of one
  instrument version: the sheet ``ответы`` has the item codes in row 1 and the question texts
  in row 2, then one row per questionnaire (``school_code``, optionally ``class_name``, then one
  column per answerable item, matrix rows included), with drop-down lists of the allowed
  values; the sheet ``коды`` explains every item's values (value — label).
* :func:`read_answers_file` reads that template, or a CSV / XLSX export of Google Forms or
  Yandex Forms (the first row holds the question texts), into :class:`ParsedRow` objects.
  Columns are matched to items by code, by the exact question text (ru or en) or by the text
  normalised (case, spaces, punctuation, ё/е, a leading question number); a matrix row also by
  "matrix text [row text]", as Google Forms names grid columns. A mapping file
  (:func:`read_mapping_file`) names the rest. Option labels become option values; a multiple
  choice cell "a; b" or "a, b" is split on the separators the form services use (a label that
  itself contains a comma stays whole). «Не знаю» («затрудняюсь ответить»…) becomes the item's
  own «не знаю» option where it offers one, as the web form stores it; where it offers none,
  the answer is left out and the report counts such cells per column. Timestamp and e-mail
  columns are recognised and dropped: the platform keeps neither a respondent's address nor
  the time of an answer.
* :func:`import_answers` validates every row against the instrument version the campaign
  fields for the audience (the form named by its instrument's code when the audience has
  several, :func:`fielded_version`) and stores them all, or, if any cell is wrong, nothing; the
  :class:`ImportReport` names each wrong cell by its row number and column as the spreadsheet
  shows them. A row's submission id is derived from the campaign, the school, the file name,

The package: :mod:`~surveys.imports.template` (the template), :mod:`~surveys.imports.files`
(CSV / XLSX into rows of cells), :mod:`~surveys.imports.mapping` (mapping files, matching
headers and answer texts), :mod:`~surveys.imports.reading` (a file into :class:`ParsedRow`
objects), :mod:`~surveys.imports.store` (the import and its report) and
:mod:`~surveys.imports.common` (what they share). The mapping file's format is described in
:mod:`~surveys.imports.mapping`.
"""

from __future__ import annotations

from surveys.imports.common import (
    ANSWERS_SHEET,
    CLASS_COLUMN,
    CODES_SHEET,
    SCHOOL_COLUMN,
    normalise,
    rows_word,
)
from surveys.imports.mapping import ImportMapping, read_mapping_file
from surveys.imports.reading import FileLayout, ParsedRow, ParsedRows, RowError, read_answers_file
from surveys.imports.store import (
    IMPORT_NAMESPACE,
    IMPORT_SOURCE,
    ImportReport,
    campaign_schools,
    fielded_version,
    import_answers,
    submission_id_for,
)
from surveys.imports.template import DANGEROUS_PREFIXES, TEMPLATE_ROWS, answer_template

__all__ = [
    "ANSWERS_SHEET",
    "CLASS_COLUMN",
    "CODES_SHEET",
    "DANGEROUS_PREFIXES",
    "IMPORT_NAMESPACE",
    "IMPORT_SOURCE",
    "SCHOOL_COLUMN",
    "TEMPLATE_ROWS",
    "FileLayout",
    "ImportMapping",
    "ImportReport",
    "ParsedRow",
    "ParsedRows",
    "RowError",
    "answer_template",
    "campaign_schools",
    "fielded_version",
    "import_answers",
    "normalise",
    "read_answers_file",
    "read_mapping_file",
    "rows_word",
    "submission_id_for",
]
