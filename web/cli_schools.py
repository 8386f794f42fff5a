"""``rootcause import schools`` and ``rootcause districts``: a district's schools from a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from surveys.errors import InvalidInput
from web.cli_common import session_scope_cli, write_atomic

# The readers and writers of files (openpyxl) and the services (SQLAlchemy) are imported by
# the commands that use them: `rootcause --help` must not load them
# (tests/web/test_cli_startup.py).


@click.command("schools")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an empty XLSX template (with a коды sheet explaining the columns) to this file.",
)
def import_schools_command(file: Path | None, dry_run: bool, template: Path | None) -> None:
    """Import a district's schools from CSV or XLSX (Russian or English headers).

    Columns: district, code, name, short_name, locality, levels, ШНОР, ШНСУ, grade_1 …
    grade_11, teachers, has_psychologist, has_speech_specialist, has_social_pedagogue.
    All rows or none; a school already stored (same code) is updated; unknown districts are
    created. With --template FILE, write the template instead.
    """
    if template is not None:
        if file is not None:
            raise click.UsageError("укажите либо файл для загрузки, либо --template.")
        from surveys.districts import district_rows
        from surveys.school_template import schools_template

        with session_scope_cli() as session:
            names = [row.district.name for row in district_rows(session)]
        write_atomic(template, schools_template(names))
        click.echo(f"Шаблон записан: {template}")
        return
    if file is None:
        raise click.UsageError("укажите файл со школами (или --template ФАЙЛ).")
    from surveys.school_import import import_schools

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Не удалось прочитать файл {file}: {exc.strerror}.") from None
    with session_scope_cli() as session:
        report = import_schools(session, data, file.name, user=None, dry_run=dry_run, via="cli")
    click.echo(str(report))
    if report.errors:
        sys.exit(1)


@click.group(invoke_without_command=True)
@click.pass_context
def districts(ctx: click.Context) -> None:
    """List districts: id, name, region, schools, active schools (tab-separated); add one."""
    if ctx.invoked_subcommand is not None:
        return
    from surveys.districts import district_rows

    with session_scope_cli() as session:
        rows = district_rows(session)
        if not rows:
            click.echo(
                "Районов нет. Создайте район: rootcause districts add НАЗВАНИЕ, или загрузите "
                "файл школ — районы из него создаются: rootcause import schools ФАЙЛ.",
                err=True,
            )
        for row in rows:
            district = row.district
            click.echo(
                "\t".join(
                    [
                        str(district.id),
                        district.name,
                        district.region,
                        str(row.schools),
                        str(row.active),
                    ]
                )
            )


@districts.command("add")
@click.argument("name")
@click.option("--region", default="", help="Region (субъект РФ) the district belongs to.")
def districts_add(name: str, region: str) -> None:
    """Create a district (its name must be new)."""
    from surveys.districts import create_district

    with session_scope_cli() as session:
        district = create_district(session, name, region, user_id=None, via="cli")
        click.echo(f"Создан район «{district.name}» (id {district.id}).")
