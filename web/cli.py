"""The ``rootcause`` command line: set-up, demo data, accounts, listings, reports, serving."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from instruments.errors import InstrumentError
from surveys.errors import SurveysError
from web.cli_benchmark import benchmark, set_previous_command, set_reference_command
from web.cli_campaigns import copy_campaign_command, create_campaign_command
from web.cli_common import database_cli, session_scope_cli, write_atomic
from web.cli_export import export
from web.cli_import import import_
from web.cli_instrument import instrument
from web.cli_links import links
from web.cli_schools import districts, import_schools_command
from web.cli_tokens import forget_token_progress_command
from web.cli_users import import_users_command, user

# SQLAlchemy, the models, the services and werkzeug are imported by the commands that use
# them: `rootcause --help` must not load them (tests/web/test_cli_startup.py).
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from web.devserver import AnonymousRequestHandler as AnonymousRequestHandler


def __getattr__(name: str) -> Any:
    # web.cli.AnonymousRequestHandler, where it was defined before werkzeug.serving was
    # kept out of the command line's start-up.
    if name == "AnonymousRequestHandler":
        from web.devserver import AnonymousRequestHandler

        return AnonymousRequestHandler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fail(message: str) -> None:
    click.echo(f"Ошибка: {message}", err=True)
    sys.exit(1)


class _Group(click.Group):
    """Turns domain errors into one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SurveysError as exc:
            _fail(exc.message)
        except InstrumentError as exc:
            _fail(str(exc))
        return None


#: set by a command whose process may end without the interpreter's teardown (see :func:`run`)
_ENDS_AT_ONCE = False


def run() -> None:
    """The ``rootcause`` console script: :func:`main`, then the end of the process.

    After ``rootcause report`` the interpreter's own teardown (a last collection and the
    clearing of every module of pandas, SQLAlchemy and the analysis) takes a third of a
    second, longer than writing the DOCX, and closing Chromium politely a quarter more. That
    command sets :data:`_ENDS_AT_ONCE`: Chromium is killed (nothing of it is kept), what a
    normal exit does that matters is done here (the ``atexit`` handlers: temporary folders
    removed, the database's connections closed, logging flushed; the standard streams
    flushed) and the process ends with ``os._exit``. Every other command ends as Python
    ends, and tests call :func:`main` itself.
    """
    try:
        main()
    except SystemExit as exc:
        if not _ENDS_AT_ONCE:
            raise
        code = exc.code
    else:  # (click's standalone mode always ends with SystemExit)
        code = 0
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    from web.chart_browser import stop_at_once

    stop_at_once()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code or 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rootcause")
def main() -> None:
    """rootcause: diagnostics of the causes of low school results.

    The database is the SQLite file instance/rootcause.db unless ROOTCAUSE_DATABASE_URL
    is set (postgresql://user@host:port/db or sqlite:///path).
    """


def initialise(engine: Engine) -> int:
    """Create or upgrade the schema and load the built-in instruments; returns their count."""
    from surveys.db import session_scope, upgrade
    from surveys.instrument_store import load_builtin_instruments

    upgrade(engine)
    with session_scope(engine) as session:
        return len(load_builtin_instruments(session))


@main.command()
def init() -> None:
    """Create or upgrade the database schema and load the built-in instruments (idempotent)."""
    with database_cli() as engine:
        count = initialise(engine)
        url = engine.url.render_as_string(hide_password=True)
    click.echo(f"База данных готова: {url}")
    click.echo(f"Встроенных методик: {count}")


@main.command()
@click.option(
    "--schools",
    "n_schools",
    default=12,
    show_default=True,
    type=click.IntRange(1, 2000),
    help="Number of schools in the demo district.",
)
@click.option(
    "--seed",
    default=2026,
    show_default=True,
    type=int,
    help="Random seed; the same seed gives the same data.",
)
@click.option(
    "--skip-if-present",
    is_flag=True,
    help="Do nothing if a demo district is already loaded (used by make demo).",
)
def demo(n_schools: int, seed: int, skip_if_present: bool) -> None:
    """Load a demo district: schools, accounts, an open campaign and simulated answers."""
    from sqlalchemy import select

    from surveys import models as m
    from surveys.db import session_scope
    from surveys.demo import DEMO_PASSWORD, DISTRICT_NAME, generate_demo

    with database_cli() as engine:
        initialise(engine)
        if skip_if_present:
            with session_scope(engine) as session:
                present = session.scalar(
                    select(m.District.id).where(m.District.name.startswith(DISTRICT_NAME))
                )
            if present is not None:
                click.echo("Демонстрационный район уже загружен.")
                click.echo(
                    f"Учётные записи: admin, coordinator, psychologist, deputy; "
                    f"пароль {DEMO_PASSWORD}"
                )
                return
        started = time.perf_counter()
        with session_scope(engine) as session:
            result = generate_demo(session, n_schools=n_schools, seed=seed)
    elapsed = time.perf_counter() - started
    total = sum(result.counts.values())
    click.echo(
        f"Демонстрационный район: {len(result.schools)} школ, {total} анкет "
        f"за {elapsed:.1f} с (кампания {result.campaign_id})."
    )
    for audience, n in result.counts.items():
        click.echo(f"  {audience}: {n}")
    if result.logins:
        click.echo(f"Учётные записи (пароль {DEMO_PASSWORD}):")
        for role, login in result.logins.items():
            click.echo(f"  {login}\t{role}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the web application (for production run gunicorn 'web:create_app()')."""
    from web.app import create_app, prepare_for_serving
    from web.devserver import AnonymousRequestHandler

    app = create_app()
    prepare_for_serving()
    click.echo(f"rootcause: http://{host}:{port}/")
    app.run(
        host=host,
        port=port,
        debug=debug,
        threaded=True,
        use_reloader=debug,
        request_handler=AnonymousRequestHandler,
    )


@main.command()
def schools() -> None:
    """List schools: code, name, district, locality, enrolment, active/inactive (tab-separated)."""
    from sqlalchemy import select

    from surveys import models as m

    with session_scope_cli() as session:
        rows = session.execute(
            select(m.School, m.District.name)
            .join(m.District, m.District.id == m.School.district_id)
            .order_by(m.School.code)
        ).all()
        if not rows:
            click.echo(
                "Школ нет. Загрузите школы района из файла: rootcause import schools ФАЙЛ "
                "(пустой шаблон: rootcause import schools --template ФАЙЛ).",
                err=True,
            )
        for school, district in rows:
            click.echo(
                "\t".join(
                    [
                        school.code,
                        school.name,
                        district,
                        school.locality,
                        str(school.enrolment),
                        "active" if school.is_active else "inactive",
                    ]
                )
            )


@main.group(invoke_without_command=True)
@click.pass_context
def campaigns(ctx: click.Context) -> None:
    """List campaigns: id, title, status, opens, closes, schools, responses (tab-separated);
    the subcommands set a campaign's reference and previous wave."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import func, select

    from surveys import models as m

    with session_scope_cli() as session:
        n_schools = (
            select(func.count())
            .where(m.CampaignSchool.campaign_id == m.Campaign.id)
            .scalar_subquery()
        )
        n_responses = (
            select(func.count()).where(m.Response.campaign_id == m.Campaign.id).scalar_subquery()
        )
        rows = session.execute(
            select(m.Campaign, n_schools, n_responses).order_by(m.Campaign.id)
        ).all()
        if not rows:
            click.echo(
                "Кампаний нет. Создайте кампанию по школам района: rootcause campaigns create "
                "--district РАЙОН --title НАЗВАНИЕ --opens ДАТА --closes ДАТА "
                "(подробнее: rootcause campaigns create --help).",
                err=True,
            )
        for campaign, schools_count, responses_count in rows:
            click.echo(
                "\t".join(
                    [
                        str(campaign.id),
                        campaign.title,
                        campaign.status,
                        campaign.opens_on.isoformat(),
                        campaign.closes_on.isoformat(),
                        str(schools_count),
                        str(responses_count),
                    ]
                )
            )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a reference is built: its few cycles are freed when
    the process ends, and the collector's passes over pandas' and SQLAlchemy's objects cost
    a tenth of the command (restored for a caller that goes on: the tests)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@main.command()
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option("--school", "school_code", required=True, help="School code.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "docx", "pdf"]),
    default="html",
    show_default=True,
    help="Output format: html (a standalone page), docx (Word, editable) or pdf (printed "
    "by headless Chromium: the chromium package or ROOTCAUSE_CHROMIUM). Charts are drawn "
    "by the same Chromium: docx and pdf need it, html shows tables without it.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.",
)
@click.option(
    "--prepared-by",
    "prepared_by",
    default=None,
    metavar="'ФИО, должность'",
    help="Who prepared the reference, as the title block names them (the position after the "
    "first comma); without it the title block leaves a line to fill in.",
)
@click.option(
    "--approval",
    is_flag=True,
    help="Add the «РАССМОТРЕНО» / «УТВЕРЖДАЮ» block (the director's approval) above the title.",
)
def report(
    campaign_id: int,
    school_code: str,
    fmt: str,
    output: Path,
    prepared_by: str | None,
    approval: bool,
) -> None:
    """Write a school's analytical reference for a campaign (HTML, DOCX or PDF)."""
    global _ENDS_AT_ONCE
    _ENDS_AT_ONCE = True
    with _collector_paused():
        from web.chart_browser import WITHOUT_CHROMIUM, missing_browser, warm_up
        from web.chart_cache import drawn_before, request_key
        from web.pdf import PdfUnavailable, chromium_path

        if fmt in ("docx", "pdf") and chromium_path() is None:
            _fail(f"{missing_browser()} {WITHOUT_CHROMIUM}")
        # (the database as configured: surveys.db.ENV_URL, read here without importing SQLAlchemy)
        database = os.environ.get("ROOTCAUSE_DATABASE_URL") or str(Path.cwd())
        request = request_key(database, campaign_id, school_code)
        if fmt == "pdf" or not drawn_before(request):
            # Chromium starts and loads plotly.js for the charts while the analysis libraries
            # are imported and the reference is computed (a second of each on a small machine).
            # Not for a reference whose charts were all drawn before: they are on disk.
            warm_up()
        from analysis.report.front_matter import Preparer, signed
        from web.reference_files import render_reference
        from web.reporting import school_reference

        preparer = None
        if prepared_by is not None:
            try:
                preparer = Preparer.parse(prepared_by)
            except ValueError as exc:
                _fail(f"--prepared-by: {exc}")
        with session_scope_cli() as session:
            model = school_reference(session, campaign_id, school_code, one_shot=True)
        model = signed(model, prepared_by=preparer, approval=approval)
        try:
            content = render_reference(
                model, fmt, warn=lambda text: click.echo(text, err=True), request=request
            )
        except PdfUnavailable as exc:
            _fail(f"{exc} {WITHOUT_CHROMIUM}")
        write_atomic(output, content)
        click.echo(f"Справка записана: {output}")


main.add_command(instrument)
main.add_command(links)
main.add_command(import_)
main.add_command(user)
import_.add_command(import_users_command)
import_.add_command(import_schools_command)
main.add_command(districts)
main.add_command(benchmark)
main.add_command(export)
campaigns.add_command(set_reference_command)
campaigns.add_command(set_previous_command)
campaigns.add_command(forget_token_progress_command)
campaigns.add_command(create_campaign_command)
campaigns.add_command(copy_campaign_command)
