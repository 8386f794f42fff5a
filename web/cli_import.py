"""``rootcause import``: bring in data collected outside the platform."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from surveys.errors import InvalidInput
from web.cli_common import audience_option, form_option, session_scope_cli, write_atomic

# The services are imported by the commands that use them: `rootcause --help` must not load
# the readers and writers of files (openpyxl, pandas), the instrument models nor the
# database (tests/web/test_cli_startup.py).


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Не удалось прочитать файл {path}: {exc.strerror}.") from None


@click.group("import")
def import_() -> None:
    """Import data collected elsewhere.

    responses: answers from paper questionnaires typed into the template (import template),
    or from CSV / XLSX exports of Google Forms and Yandex Forms. results: assessment results
    (ВПР, ОГЭ, ЕГЭ, term marks) per school, subject and grade.
    """


@import_.command("template")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@audience_option("Respondent group whose questionnaire the template is for.")
@form_option
@click.option(
    "--with-class",
    "class_column",
    is_flag=True,
    help="Add a class_name column (the class with its letter, e.g. 7Б).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="XLSX file to write.",
)
def template(
    campaign_id: int, audience: str, form: str | None, class_column: bool, output: Path
) -> None:
    """Write an XLSX template for typing in paper questionnaires of a campaign's audience
    (of one of its forms, --form, when the campaign gives the audience several)."""
    from surveys.campaigns import get_campaign
    from surveys.imports import answer_template, campaign_schools, fielded_version
    from surveys.instrument_store import instrument_of

    with session_scope_cli() as session:
        campaign = get_campaign(session, campaign_id)
        version = fielded_version(session, campaign, audience, form)
        content = answer_template(
            instrument_of(version),
            school_codes=list(campaign_schools(session, campaign)),
            class_column=class_column,
        )
    write_atomic(output, content)
    click.echo(f"Шаблон записан: {output}")


@import_.command("responses")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@audience_option("Respondent group the answers come from.")
@form_option
@click.option(
    "--school",
    "school_code",
    help="School code for rows without a school_code column or cell.",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML or CSV file: column header -> item code, answer text -> option value.",
)
@click.option("--dry-run", is_flag=True, help="Check and report only; store nothing.")
def responses(
    file: Path,
    campaign_id: int,
    audience: str,
    form: str | None,
    school_code: str | None,
    mapping: Path | None,
    dry_run: bool,
) -> None:
    """Import answers from our template or a Google / Yandex Forms export (CSV or XLSX).

    All rows are stored, or none: if any cell is wrong, the report names its row and column
    and nothing is stored. Rows imported before from the same file are not stored again.
    Timestamps and e-mail addresses are never imported. When the campaign gives the audience
    several forms, --form names the one the file answers; the rows pin its version.
    """
    from surveys import audit
    from surveys.campaigns import get_campaign
    from surveys.imports import (
        fielded_version,
        import_answers,
        read_answers_file,
        read_mapping_file,
    )
    from surveys.instrument_store import instrument_of

    data = _read(file)
    rules = read_mapping_file(_read(mapping), mapping.name) if mapping else None
    with session_scope_cli() as session:
        campaign = get_campaign(session, campaign_id)
        version = fielded_version(session, campaign, audience, form)
        rows = read_answers_file(data, file.name, instrument_of(version), mapping=rules)
        report = import_answers(
            session,
            campaign=campaign,
            school_code=school_code,
            audience=audience,
            form=form,
            rows=rows,
            dry_run=dry_run,
            today=dt.date.today(),
        )
        if report.rows_stored:
            audit.record(
                session,
                "responses_imported",
                target=f"campaign {campaign.id} {audience}",
                details={
                    "file": file.name,
                    "instrument_version": version.id,
                    "rows": report.rows_stored,
                    "already_imported": report.already_imported,
                    "via": "cli",
                },
            )
    click.echo(str(report))
    if report.errors:
        raise InvalidInput("в файле есть ошибки, ничего не импортировано.")


@import_.command("results")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
def results(file: Path, dry_run: bool) -> None:
    """Import assessment results (ВПР, ОГЭ, ЕГЭ, term marks) from CSV or XLSX.

    Columns: school_code, year, assessment, subject, grade, participants, mean_score,
    share_failing (Russian headers are recognised too). Any error stops the whole import.
    """
    from surveys import audit
    from surveys.assessments import import_results

    data = _read(file)
    with session_scope_cli() as session:
        report = import_results(session, data, file.name, dry_run=dry_run)
        if not report.errors and not dry_run:
            audit.record(
                session,
                "results_imported",
                target=file.name,
                details={"stored": report.stored, "replaced": report.replaced, "via": "cli"},
            )
    click.echo(str(report))
    if report.errors:
        sys.exit(1)
    if dry_run:
        click.echo("Пробный прогон: ничего не сохранено.")
