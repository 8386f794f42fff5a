"""Pieces shared by the CLI command modules: the configured database, safe file writes and
the options that name a campaign's audience and form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from surveys.enums import AudienceKind

# SQLAlchemy and the database are imported when a command opens it: `rootcause --help` must
# not load them (tests/web/test_cli_startup.py).
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

F = TypeVar("F", bound=Callable[..., object])

#: the respondent groups an ``--audience`` option accepts
AUDIENCES = [a.value for a in AudienceKind]

#: ``--form``: which of the audience's forms a command is about (None: the audience's only one)
form_option = click.option(
    "--form",
    "form",
    metavar="INSTRUMENT_CODE",
    help="The questionnaire (instrument code, e.g. student_2_4) when the campaign gives the "
    "audience several; required then.",
)


def audience_option(help: str, *, required: bool = True) -> Callable[[F], F]:
    """``--audience``: a respondent group of :data:`AUDIENCES`."""
    return click.option("--audience", required=required, type=click.Choice(AUDIENCES), help=help)


@contextmanager
def database_cli() -> Iterator[Engine]:
    """The configured database; its connections are closed when the command ends."""
    from surveys.db import database_url, make_engine
    from web import instance_path

    engine = make_engine(database_url(instance_path()))
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def session_scope_cli() -> Iterator[Session]:
    """A session on the configured database, committed if the command succeeds."""
    from surveys.db import session_scope

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
