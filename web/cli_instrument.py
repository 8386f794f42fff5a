"""``rootcause instrument``: validate, import, export and list instrument definitions."""

from __future__ import annotations

from pathlib import Path

import click

from instruments.io.formats import FORMATS
from surveys.errors import NotFound
from web.cli_common import session_scope_cli, write_atomic

# The readers, writers and services are imported by the commands that use them: `rootcause
# --help` must not load the instrument models, YAML, openpyxl nor the database
# (tests/web/test_cli_startup.py).


@click.group()
def instrument() -> None:
    """Validate, import, export and list instruments (questionnaires)."""


@instrument.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check an instrument file (.yaml or .xlsx); print every problem with its location."""
    from instruments.diff import describe
    from instruments.io.files import read_instrument_file

    loaded = read_instrument_file(file)
    for note in loaded.notes:
        click.echo(f"не перенесено: {note}")
    click.echo(f"Файл корректен: {describe(loaded.instrument)}")


@instrument.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the imported version at once.")
def import_(file: Path, publish: bool) -> None:
    """Import an instrument file as a draft (a new instrument, or its next version)."""
    from instruments.io.files import read_instrument_file
    from surveys import audit, drafts

    loaded = read_instrument_file(file)
    with session_scope_cli() as session:
        version = drafts.import_instrument(session, loaded.instrument)
        if publish:
            drafts.publish(session, version)
        audit.record(
            session,
            "instrument_imported",
            target=f"{loaded.instrument.code} v{version.version}",
            details={"file": file.name, "via": "cli", "published": publish},
        )
        state = "опубликована" if publish else "черновик"
        for note in loaded.notes:
            click.echo(f"не перенесено: {note}")
        click.echo(
            f"Импортирована методика {loaded.instrument.code}, версия {version.version} "
            f"({state}, id {version.id})."
        )


@instrument.command("export")
@click.argument("code")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="yaml",
    show_default=True,
    help="File format.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.",
)
def export(code: str, number: int | None, fmt: str, output: Path) -> None:
    """Write an instrument version to a YAML or XLSX (XLSForm) file."""
    from sqlalchemy import select

    from instruments.io.files import instrument_bytes
    from surveys import models as m
    from surveys.instrument_store import instrument_of

    with session_scope_cli() as session:
        query = (
            select(m.InstrumentVersion)
            .join(m.Instrument)
            .where(m.Instrument.code == code)
            .order_by(m.InstrumentVersion.version.desc())
        )
        if number is not None:
            query = query.where(m.InstrumentVersion.version == number)
        version = session.scalars(query.limit(1)).first()
        if version is None:
            what = f"версия {number} методики" if number else "методика"
            raise NotFound(f"Не найдена {what} «{code}».")
        content = instrument_bytes(instrument_of(version), fmt)
    write_atomic(output, content)
    click.echo(f"Записано: {output}")


@instrument.command("list")
def list_() -> None:
    """List instruments: code, audience, version, status, title (tab-separated)."""
    from sqlalchemy import select

    from surveys import models as m

    with session_scope_cli() as session:
        rows = session.execute(
            select(m.Instrument, m.InstrumentVersion)
            .join(m.InstrumentVersion, m.InstrumentVersion.instrument_id == m.Instrument.id)
            .order_by(m.Instrument.code, m.InstrumentVersion.version)
        ).all()
        for record, version in rows:
            click.echo(
                "\t".join(
                    [
                        record.code,
                        record.audience,
                        str(version.version),
                        version.status,
                        record.title,
                    ]
                )
            )
