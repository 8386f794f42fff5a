"""Alembic environment: runs against the engine handed over by surveys.db."""

from __future__ import annotations

from contextlib import nullcontext

from alembic import context
from sqlalchemy import create_engine

from surveys.db import sqlite_migration_mode
from surveys.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url") or ""
    )
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        with sqlite_migration_mode(connection) if sqlite else nullcontext():
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things; batch mode recreates tables instead.
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations_online()
