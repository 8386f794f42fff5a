"""The layout of the XLSForm workbook: its sheets' columns and the format's constants."""

from __future__ import annotations

FORMAT_VERSION = 1

DEFAULT_SECTION = "main"
CLASS_LETTER_LIST = "class_letters"

SURVEY_COLUMNS = (
    "type",
    "name",
    "label::ru",
    "label::en",
    "hint::ru",
    "hint::en",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "rootcause_type",
    "rootcause_relevant",
    "reverse",
    "min",
    "max",
    "integer",
    "unit::ru",
    "unit::en",
    "max_choices",
    "fact::ru",
    "fact::en",
)
CHOICES_COLUMNS = ("list_name", "name", "label::ru", "label::en", "missing", "list_kind")
SETTINGS_COLUMNS = (
    "form_id",
    "version",
    "form_title",
    "title::en",
    "audience",
    "grades",
    "languages",
    "default_language",
    "introduction::ru",
    "introduction::en",
    "consent::ru",
    "consent::en",
    "notes",
    "rootcause_format",
)
SCALES_COLUMNS = (
    "code",
    "title::ru",
    "title::en",
    "items",
    "method",
    "min_answered",
    "higher_is",
    "prevalence_at_least",
    "prevalence_any_item",
    "prevalence_label::ru",
    "prevalence_label::en",
    "cutoff_statistic",
    "cutoff_low_below",
    "cutoff_high_above",
    "cutoff_source",
)
INDICATORS_COLUMNS = (
    "factor",
    "code",
    "title::ru",
    "title::en",
    "scale",
    "item",
    "statistic",
    "values",
    "direction",
    "weight",
)
