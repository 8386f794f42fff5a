"""The analytical reference: a report model built from DataFrames, rendered to HTML."""

from analysis.report.html import render_html
from analysis.report.model import AudienceSection, ReferenceModel, ScaleRow, build_school_reference

__all__ = [
    "AudienceSection",
    "ReferenceModel",
    "ScaleRow",
    "build_school_reference",
    "render_html",
]
