"""The closed sets of values the models' string columns hold (roles, audiences, statuses).

Kept apart from :mod:`surveys.models`, which re-exports them (``m.Role``, ``m.AudienceKind``):
the command line offers them as the choices of ``--role`` and ``--audience``, and
``rootcause --help`` must not import SQLAlchemy and the models to list them
(tests/web/test_cli_startup.py).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    psychologist = "psychologist"
    deputy = "deputy"


class AudienceKind(StrEnum):
    student = "student"
    parent = "parent"
    teacher = "teacher"
    specialist = "specialist"
    administration = "administration"


class Locality(StrEnum):
    urban = "urban"
    rural = "rural"


class VersionStatus(StrEnum):
    draft = "draft"
    published = "published"


class CampaignStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class ResponseStatus(StrEnum):
    complete = "complete"
    partial = "partial"
