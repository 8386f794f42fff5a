"""``rootcause export``: respondent-level data of a campaign for psychologists and coordinators."""

from __future__ import annotations

from pathlib import Path

import click

from surveys.errors import InvalidInput
from surveys.exports import FORMATS
from web.cli_common import audience_option, form_option, session_scope_cli, write_atomic

# The export itself (pandas, openpyxl, pyreadstat) is imported by the command: `rootcause
# --help` must not load it (tests/web/test_cli_startup.py).

CODEBOOK_SUFFIXES = (".xlsx", ".html")


@click.group("export")
def export() -> None:
    """Export data: respondent-level answers with labels (responses)."""


@export.command("responses")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@audience_option("Respondent group.")
@form_option
@click.option(
    "--format", "fmt", required=True, type=click.Choice(FORMATS), help="Format of the files."
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of the answers.",
)
@click.option(
    "--codebook",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the codebook (.xlsx or .html).",
)
@click.option(
    "--scores",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the scale scores per respondent (in the same format).",
)
@click.option(
    "--semicolon",
    is_flag=True,
    help="CSV for Russian Excel: semicolons, decimal commas, dates as 31.12.2026.",
)
def responses(
    campaign_id: int,
    audience: str,
    form: str | None,
    fmt: str,
    output: Path,
    codebook: Path | None,
    scores: Path | None,
    semicolon: bool,
) -> None:
    """Write the answers to a campaign's questionnaire, one row per respondent, with labels
    (CSV, XLSX or SPSS .sav), and optionally its codebook and scale scores. Small schools are
    pooled as «другие школы»; the export is recorded in the audit log."""
    from analysis.report.russian import ru_count
    from surveys.campaign_forms import campaign_forms
    from surveys.exports import codebook_html, codebook_xlsx, write
    from web import _secret_key, instance_path
    from web.exporting import order_key, record_export, response_export

    if semicolon and fmt != "csv":
        raise InvalidInput("--semicolon относится только к --format csv.")
    if codebook is not None and codebook.suffix.lower() not in CODEBOOK_SUFFIXES:
        raise InvalidInput(f"Кодовая книга пишется в .xlsx или .html, а не в «{codebook.name}».")
    key = order_key(_secret_key(instance_path()))
    with session_scope_cli() as session:
        if form is None:
            forms = campaign_forms(session, campaign_id, audience=audience)
            if len(forms) > 1:
                codes = ", ".join(f.instrument_code for f in forms)
                raise InvalidInput(
                    f"В кампании {campaign_id} у группы «{audience}» несколько анкет: {codes}. "
                    "Укажите нужную параметром --form."
                )
        result = response_export(session, campaign_id, audience, instrument_code=form, key=key)
        files = {"answers": fmt}
        if scores is not None:
            files["scores"] = fmt
        if codebook is not None:
            files["codebook"] = codebook.suffix.lower().lstrip(".")
        record_export(session, result, user_id=None, files=files, via="cli")
    # Recorded (and committed) before anything is written.
    write_atomic(output, write(result.answers, fmt, semicolon=semicolon))
    respondents = ru_count(len(result.answers.data), "респондент", "респондента", "респондентов")
    click.echo(f"Ответы: {output} ({respondents})")
    if scores is not None:
        write_atomic(scores, write(result.scores, fmt, semicolon=semicolon))
        click.echo(f"Баллы по шкалам: {scores}")
    if codebook is not None:
        if codebook.suffix.lower() == ".html":
            write_atomic(codebook, codebook_html(result.codebook))
        else:
            write_atomic(codebook, codebook_xlsx(result.codebook))
        click.echo(f"Кодовая книга: {codebook}")
    pooled = result.answers.respondents
    if pooled.pooled_schools:
        click.echo(
            f"Школ с малым числом ответов, записанных как «другие школы»: {pooled.pooled_schools}."
        )
