"""Staff pages: schools and their results, campaigns with their links, rates and slips."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The view modules register their routes on ``bp``.
from web.staff import (  # noqa: E402
    audit_log,
    campaigns,
    exports,
    links,
    manage_schools,
    results,
    schools,
    users,
)

__all__ = [
    "audit_log",
    "bp",
    "campaigns",
    "exports",
    "links",
    "manage_schools",
    "results",
    "schools",
    "users",
]
