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
            "instruments.schema, instruments.answers, instruments.io, instruments.io.xlsform, "
            "instruments.library",
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


@pytest.mark.parametrize(
    "module",
    [
        "instruments.library",
        "instruments.io",
        "instruments.io.files",
        "instruments.risk_factors",
        "instruments.answers",
        "analysis.report",
        "surveys.dataset",
        "surveys.imports",
        "web",
        "web.cli",
    ],
)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """No import cycle hides behind the order in which the test suite happens to import."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
