"""Pure statistics over DataFrames: scoring, psychometrics, profiles, causes, reports."""
