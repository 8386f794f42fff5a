"""XLSX input and output of instruments, following the XLSForm conventions (ODK, KoboToolbox).

Export: :func:`export_xlsx`
===========================

The workbook has four sheets, and a fifth, ``indicators``, when the instrument declares risk
indicators. Columns marked *ours* are rootcause's own: a plain XLSForm tool ignores them, and on
import they take precedence over the standard columns that carry the same information for other
tools (``relevant``, ``constraint``).

``survey`` — one row per question::

    type, name, label::ru, label::en, hint::ru, hint::en, required, relevant, constraint,
    appearance, rootcause_type*, rootcause_relevant*, reverse*, min*, max*, integer*,
    unit::ru*, unit::en*, max_choices*, fact::ru*, fact::en*

* A section is a top-level ``begin group`` / ``end group`` pair (name = section code,
  label = title, ``rootcause_type`` = ``section``).
* ``rootcause_type`` holds our item type on every question row. This is the one approach chosen
  for what XLSForm has no type for: the ``type`` column always holds a standard XLSForm type,
  so that other tools can open the form, and ``rootcause_type`` says what it is for rootcause:

  ============== ====================================== ===============================
  our type       ``type``                               notes
  ============== ====================================== ===============================
  likert         ``select_one <response scale code>``   appearance ``likert``
  single_choice  ``select_one opts_<item code>``
  multiple_choice``select_multiple opts_<item code>``
  class_letter   ``select_one opts_<item code>``        own letters, or the shared list
                                                        ``class_letters`` (the default
                                                        letters, ``list_kind`` =
                                                        ``class_letters``)
  number         ``integer`` or ``decimal``             ``min``/``max`` (also written as
                                                        ``constraint`` for other tools)
  grade          ``integer``
  text           ``text``
  long_text      ``text``                               appearance ``multiline``
  matrix         ``begin group`` … ``end group``        appearance ``field-list``; its
                                                        rows are ``select_one <scale>``
                                                        rows, ``rootcause_type`` =
                                                        ``matrix_row``, ``reverse`` per row
  ============== ====================================== ===============================

  A plain XLSForm reader sees a matrix as an ordinary field-list group of select_one questions.
* ``fact::ru``/``fact::en`` mark a number question that asks for a fact about the school (a
  count from its records) and give the label it is reported under (``Item.fact``).
* ``relevant`` holds the condition in XLSForm syntax (``${q} = 1``, ``selected(${q}, '2')``);
  ``rootcause_relevant`` holds it, unchanged, in rootcause's condition language.

``choices`` — ``list_name, name, label::ru, label::en, missing, list_kind*``: response scales are
the lists with ``list_kind`` = ``response_scale``. Option values keep their cell type: a number
cell is an ``int`` value, a text cell a ``str`` value.

``settings`` — one row: ``form_id`` (code), ``version``, ``form_title`` (title in Russian),
``title::en``, ``audience``, ``grades`` (``5-11``), ``languages`` (``ru, en``),
``default_language`` (``ru``), ``introduction::ru/en``, ``consent::ru/en``, ``notes``,
``rootcause_format`` (the version of this layout; its presence marks a rootcause workbook).

``scales`` — one row per scale: ``code, title::ru, title::en, items`` (comma-separated), ``method,
min_answered, higher_is, prevalence_at_least, prevalence_any_item, prevalence_label::ru/en,
cutoff_statistic, cutoff_low_below, cutoff_high_above, cutoff_source``.

``indicators`` (only when there are any) — one row per risk indicator the instrument declares:
``factor`` (a risk factor of ``library/risk_factors.yaml``), ``code, title::ru, title::en``,
``scale`` or ``item`` (exactly one), ``statistic`` (``mean``, ``pomp``, ``prevalence``, ``share``
or ``value``), ``values`` (comma-separated, only for ``share``: ints when every value is an
integer, strings otherwise), ``direction`` (``risk`` or ``favourable``), ``weight``.

Every text is written as a string cell, never as a formula; a text beginning with = + - @, a tab
or a carriage return also carries Excel's *quotePrefix* style (the apostrophe Excel shows in
front of such text), so that editing the cell in Excel does not turn it into a formula either.
The prefix is a style, not part of the value, so the text reads back unchanged. Characters that
XLSX cannot store at all (control characters other than tab and line breaks) are dropped, and so
is a translation that is an empty string (an empty cell reads back as no text).

Import: :func:`read_xlsx`
=========================

A workbook with ``rootcause_format`` in ``settings`` (or a ``rootcause_type`` column) is read as
rootcause's own: losslessly, and strictly — anything it cannot read is an
:class:`~instruments.errors.InstrumentError` naming the file, sheet, row and column.

Any other workbook is read as a plain XLSForm: what maps is imported and every row that does not
is reported in :attr:`ImportResult.unmapped` (sheet, row number as Excel shows it, what, why).

* ``select_one``/``select_multiple`` (also ``select one from x`` and ``select all that apply from
  x``) become single/multiple choice questions with the options of their ``choices`` list
  (values are ints when every name of the list is an integer, strings otherwise); a select_one
  with the ``likert`` appearance and integer values becomes a likert item on a response scale;
* ``integer``/``decimal``/``range`` become numbers (``constraint`` ``. >= 0 and . <= 100`` gives
  min/max; ``range`` takes them from ``parameters``); ``text`` becomes text (``multiline``:
  long text); ``phone number`` becomes text;
* top-level groups become sections; questions outside any group go to sections named ``main``
  (``main_2``…); nested groups are flattened into their section, their ``relevant`` moving onto
  each question;
* ``relevant`` is translated into the condition language where it can be (``${q} = 'x'``,
  ``!=``, ``<``…, ``selected(${q}, 'x')``, ``${q} != ''``, ``and``/``or``/``not()``), otherwise
  it is reported and the question is shown always;
* labels without a language count as Russian; when a question has no Russian text, the English
  (or default-language, or any) text is used as Russian and the column is reported;
* names that are not valid codes become codes (lower case, Cyrillic transliterated, other
  characters replaced by ``_``) and are reported;
* notes, calculations, repeats (with everything inside them), media, geodata, dates, metadata,
  ``select_one_from_file``, ``or_other``, unknown types and untranslatable constraints are
  reported as not mapped;
* an ``indicators`` sheet is unusual outside rootcause, but if there is one it is read as in our
  own format (its ``item`` referring to a question by its XLSForm name);
* the audience is taken from ``settings`` if it has one, otherwise ``student``; the title from
  ``form_title``, otherwise the file name; the code from ``form_id``, otherwise the file name —
  each default is reported.

The workbook is opened with openpyxl in read-only, data-only mode: formulas are never evaluated
(a formula cell reads as the value Excel last cached for it).
"""

from instruments.io.xlsform.base import ImportResult, RowNote
from instruments.io.xlsform.reader import read_xlsx
from instruments.io.xlsform.writer import export_xlsx

__all__ = ["ImportResult", "RowNote", "export_xlsx", "read_xlsx"]
