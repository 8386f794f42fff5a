"""Database plumbing: URL handling, migrations in step with the models, both back ends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from surveys.db import check, normalize_url
from surveys.errors import InvalidInput
from surveys.models import Base


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/db",
            "postgresql+psycopg://postgres@127.0.0.1:5432/db",
        ),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite:///instance/x.db", "sqlite:///instance/x.db"),
    ],
)
def test_plain_urls_are_accepted(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize("bad", ["mysql://root@localhost/db", "not a url"])
def test_other_databases_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_url(bad)


def test_alembic_check_models_and_migrations_agree(engine: Engine) -> None:
    check(engine)  # raises if autogenerate would produce any operation


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
