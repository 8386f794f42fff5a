"""Pieces shared by the CLI command modules: the configured database and safe file writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from surveys.db import database_url, make_engine, session_scope


@contextmanager
def database_cli() -> Iterator[Engine]:
    """The configured database; its connections are closed when the command ends."""
    from web import instance_path

    engine = make_engine(database_url(instance_path()))
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def session_scope_cli() -> Iterator[Session]:
    """A session on the configured database, committed if the command succeeds."""
    with database_cli() as engine, session_scope(engine) as session:
        yield session


def write_atomic(path: Path, content: bytes | str) -> None:
    """Write beside the target, then rename: a failed write never leaves half a file."""
    tmp = path.with_name(path.name + ".part")
    if isinstance(content, str):
        tmp.write_text(content, encoding="utf-8")
    else:
        tmp.write_bytes(content)
    tmp.replace(path)
