"""``rootcause benchmark`` and the reference and previous-wave settings of ``rootcause
campaigns``: what a campaign's schools are compared with, and which wave it follows."""

from __future__ import annotations

import click

from surveys.errors import NotFound
from web.cli_common import session_scope_cli

# The services, SQLAlchemy and the models are imported by the commands that use them:
# `rootcause --help` must not load surveys.benchmarks (pandas, scipy), the instrument models
# nor the database (tests/web/test_cli_startup.py).


@click.group()
def benchmark() -> None:
    """Frozen benchmarks: a past wave's indicators kept as a fixed reference for z-scores."""


@benchmark.command("freeze")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Source campaign id.")
@click.option("--title", required=True, help="Name of the benchmark, shown in references.")
def benchmark_freeze(campaign_id: int, title: str) -> None:
    """Freeze a campaign's schools as a benchmark of its district (later answers do not
    change it)."""
    from surveys.benchmarks import freeze_benchmark

    with session_scope_cli() as session:
        frozen = freeze_benchmark(session, campaign_id, title)
        click.echo(
            f"Эталон {frozen.id} «{frozen.title}» зафиксирован: школ {frozen.stats['schools']}, "
            f"показателей {len(frozen.stats['indicators'])}."
        )


@benchmark.command("list")
@click.option("--district", "district_name", help="Only this district (name).")
def benchmark_list(district_name: str | None) -> None:
    """List benchmarks: id, title, district, source campaign, frozen on, schools
    (tab-separated)."""
    from sqlalchemy import select

    from surveys import models as m
    from surveys.benchmarks import list_benchmarks

    with session_scope_cli() as session:
        query = select(m.District).order_by(m.District.name)
        if district_name is not None:
            query = query.where(m.District.name == district_name)
        districts = list(session.scalars(query))
        if district_name is not None and not districts:
            raise NotFound(f"Район «{district_name}» не найден.")
        for district in districts:
            for row in list_benchmarks(session, district.id):
                click.echo(
                    "\t".join(
                        [
                            str(row.id),
                            row.title,
                            district.name,
                            str(row.source_campaign_id),
                            row.created_at.date().isoformat(),
                            str(row.stats.get("schools", "")),
                        ]
                    )
                )


@click.command("set-reference")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option(
    "--benchmark", "benchmark_id", type=int, help="Compare with this benchmark of the district."
)
@click.option(
    "--schools", "own_schools", is_flag=True, help="Compare with the campaign's own schools."
)
def set_reference_command(campaign_id: int, benchmark_id: int | None, own_schools: bool) -> None:
    """Choose what z-scores compare the campaign's schools with: a benchmark or one another."""
    if (benchmark_id is None) == (not own_schools):
        raise click.UsageError("Укажите одно из двух: --benchmark ID или --schools.")
    from surveys.benchmarks import get_benchmark, set_reference
    from surveys.campaigns import get_campaign

    with session_scope_cli() as session:
        campaign = get_campaign(session, campaign_id)
        set_reference(session, campaign, benchmark_id)
        if benchmark_id is None:
            click.echo(f"Кампания {campaign.id}: сравнение со школами кампании.")
        else:
            title = get_benchmark(session, benchmark_id).title
            click.echo(f"Кампания {campaign.id}: сравнение с эталоном «{title}».")


@click.command("set-previous")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option(
    "--previous", "previous_id", type=int, help="The earlier wave (campaign id) to compare with."
)
@click.option("--none", "no_previous", is_flag=True, help="Compare with no earlier wave.")
def set_previous_command(campaign_id: int, previous_id: int | None, no_previous: bool) -> None:
    """Choose the earlier wave of the same district the campaign's dynamics are shown against."""
    if (previous_id is None) == (not no_previous):
        raise click.UsageError("Укажите одно из двух: --previous ID или --none.")
    from surveys.benchmarks import set_previous_wave
    from surveys.campaigns import get_campaign

    with session_scope_cli() as session:
        campaign = get_campaign(session, campaign_id)
        set_previous_wave(session, campaign, previous_id)
        if previous_id is None:
            click.echo(f"Кампания {campaign.id}: предыдущая волна не задана.")
        else:
            title = get_campaign(session, previous_id).title
            click.echo(f"Кампания {campaign.id}: предыдущая волна — «{title}».")
