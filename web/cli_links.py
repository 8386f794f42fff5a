"""``rootcause links``: the survey links of a campaign, for scripts and terminal users."""

from __future__ import annotations

import os

import click

from web.cli_common import audience_option, session_scope_cli

BASE_URL_ENV = "ROOTCAUSE_BASE_URL"


@click.command()
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option("--school", "school_code", help="Only this school (code).")
@audience_option("Only links for this audience.", required=False)
@click.option(
    "--base-url",
    default=lambda: os.environ.get(BASE_URL_ENV, "http://127.0.0.1:5000"),
    show_default=f"${BASE_URL_ENV} or http://127.0.0.1:5000",
    help="The public address respondents open.",
)
def links(campaign_id: int, school_code: str | None, audience: str | None, base_url: str) -> None:
    """List survey links: URL, school, audience, class, complete responses, form
    (instrument code:version) (tab-separated)."""
    # Imported here: `rootcause --help` must not load the instrument models nor the
    # database (tests/web/test_cli_startup.py).
    from sqlalchemy import func, select

    from surveys import models as m
    from surveys.campaigns import get_campaign

    with session_scope_cli() as session:
        campaign = get_campaign(session, campaign_id)
        answered = (
            select(func.count())
            .where(
                m.Response.link_id == m.SurveyLink.id,
                m.Response.status == m.ResponseStatus.complete.value,
            )
            .scalar_subquery()
        )
        query = (
            select(
                m.SurveyLink,
                m.School.code,
                answered,
                m.Instrument.code,
                m.InstrumentVersion.version,
            )
            .join(m.School, m.School.id == m.SurveyLink.school_id)
            .join(m.Fielding, m.Fielding.id == m.SurveyLink.fielding_id)
            .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
            .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
            .where(m.SurveyLink.campaign_id == campaign.id)
            .order_by(
                m.School.code, m.SurveyLink.audience, m.Instrument.code, m.SurveyLink.class_name
            )
        )
        if school_code:
            query = query.where(m.School.code == school_code)
        if audience:
            query = query.where(m.SurveyLink.audience == audience)
        for link, code, n, form, version in session.execute(query):
            url = f"{base_url.rstrip('/')}/s/{link.code}"
            row = [url, code, link.audience, link.class_name or "", str(n), f"{form}:{version}"]
            click.echo("\t".join(row))
