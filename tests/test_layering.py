"""Data flows one way: instruments <- surveys <- analysis <- web; analysis needs no database."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
import {modules}
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print(",".join(bad))
"""


@pytest.mark.parametrize(
    ("modules", "forbidden"),
    [
        (
            "analysis.scoring, analysis.profiles, analysis.report",
            {"surveys", "web", "flask", "sqlalchemy", "alembic", "psycopg"},
        ),
        (
            "instruments.schema, instruments.answers, instruments.io, instruments.library",
            {"surveys", "web", "analysis", "flask", "sqlalchemy"},
        ),
        ("surveys.models, surveys.dataset, surveys.demo", {"web", "flask", "analysis"}),
    ],
)
def test_packages_import_only_what_they_may(modules: str, forbidden: set[str]) -> None:
    code = CHECK.format(modules=modules, forbidden=forbidden)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{modules} pulled in {result.stdout.strip()}"
