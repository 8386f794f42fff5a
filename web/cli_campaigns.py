"""``rootcause campaigns create`` and ``copy``: new waves from the command line, since the
roadmaps run several a year (January, February, April) across a district's schools."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from surveys.errors import InvalidInput, NotFound
from web.cli_common import session_scope_cli

# The services, SQLAlchemy and the models are imported by the commands that use them:
# `rootcause --help` must not load the instrument models nor the database
# (tests/web/test_cli_startup.py).
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from surveys import models as m

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _report(session: Session, campaign: m.Campaign) -> None:
    """The new campaign's id alone on stdout (for scripts); what it fields on stderr."""
    from sqlalchemy import func, select

    from surveys import models as m
    from surveys.campaign_forms import campaign_forms

    links = session.scalar(select(func.count()).where(m.SurveyLink.campaign_id == campaign.id))
    schools = session.scalar(
        select(func.count()).where(m.CampaignSchool.campaign_id == campaign.id)
    )
    forms = ", ".join(
        f"{f.instrument_code}:{f.version}" for f in campaign_forms(session, campaign.id)
    )
    click.echo(campaign.id)
    click.echo(
        f"Кампания {campaign.id} «{campaign.title}» создана. Школ: {schools}; "
        f"анкеты: {forms}; ссылок: {links}.",
        err=True,
    )


@click.command("create")
@click.option("--district", "district_name", required=True, help="District name.")
@click.option("--title", required=True, help="Title of the campaign (wave).")
@click.option("--opens", "opens_on", required=True, type=_DATE, help="First day, YYYY-MM-DD.")
@click.option("--closes", "closes_on", required=True, type=_DATE, help="Last day, YYYY-MM-DD.")
@click.option("--period", default="", help="Period, e.g. 2026/27.")
@click.option("--schools", "school_codes", help="School codes, comma-separated.")
@click.option(
    "--all-schools", is_flag=True, help="Every active school of the district (the default)."
)
@click.option(
    "--form",
    "forms",
    multiple=True,
    metavar="CODE[:VERSION]",
    help="A form to field (repeat for several); its latest published version unless "
    "VERSION is given. Default: the main form of each audience (student_5_11, parent, "
    "teacher, administration).",
)
@click.option(
    "--min-group-size",
    default=5,
    show_default=True,
    type=click.IntRange(3, 50),
    help="Groups with fewer answers are never shown.",
)
def create_campaign_command(
    district_name: str,
    title: str,
    opens_on: dt.datetime,
    closes_on: dt.datetime,
    period: str,
    school_codes: str | None,
    all_schools: bool,
    forms: tuple[str, ...],
    min_group_size: int,
) -> None:
    """Create an open campaign with a link per school × form; prints its id."""
    if school_codes and all_schools:
        raise click.UsageError("Укажите одно из двух: --schools или --all-schools.")
    from surveys.campaign_forms import default_versions, versions_from_specs
    from surveys.districts import find_district
    from surveys.waves import offered_schools, schools_by_code, start_campaign

    with session_scope_cli() as session:
        district = find_district(session, district_name)
        if district is None:
            raise NotFound(f"Район «{district_name}» не найден.")
        if school_codes:
            schools = schools_by_code(session, district.id, school_codes.split(","))
        else:
            schools = offered_schools(session, district.id)
            if not schools:
                raise InvalidInput(f"В районе «{district.name}» нет действующих школ.")
        versions = versions_from_specs(session, forms) if forms else default_versions(session)
        campaign = start_campaign(
            session,
            district=district,
            title=title,
            period=period,
            opens_on=opens_on.date(),
            closes_on=closes_on.date(),
            schools=schools,
            versions=versions,
            min_group_size=min_group_size,
        )
        _report(session, campaign)


@click.command("copy")
@click.option("--campaign", "campaign_id", required=True, type=int, help="The earlier wave.")
@click.option("--opens", "opens_on", required=True, type=_DATE, help="First day, YYYY-MM-DD.")
@click.option("--closes", "closes_on", required=True, type=_DATE, help="Last day, YYYY-MM-DD.")
@click.option("--title", help="Title of the new wave (default: the source's, with its date).")
def copy_campaign_command(
    campaign_id: int, opens_on: dt.datetime, closes_on: dt.datetime, title: str | None
) -> None:
    """Start the next wave of a campaign: same district, active schools, forms, minimum
    group size and flagged-answer setting, the source as its previous wave; prints its id."""
    from surveys.campaigns import get_campaign
    from surveys.waves import copy_campaign

    with session_scope_cli() as session:
        source = get_campaign(session, campaign_id)
        campaign = copy_campaign(
            session, source, opens_on=opens_on.date(), closes_on=closes_on.date(), title=title
        )
        _report(session, campaign)
