"""Staff pages: schools and their results, campaigns with their links, rates and slips."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The view modules register their routes on ``bp``.
from web.staff import campaigns, links, manage_schools, results, schools  # noqa: E402

__all__ = ["bp", "campaigns", "links", "manage_schools", "results", "schools"]
