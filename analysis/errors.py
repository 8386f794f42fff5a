"""Errors of the analysis package."""


class AnalysisError(ValueError):
    """Data that cannot be analysed as asked (missing columns, wrong shape, too few cases)."""
