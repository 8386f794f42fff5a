"""Starting waves: a new campaign with its links (the web form and the CLI), and the next
wave copied from an earlier one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from surveys import audit
from surveys import models as m
from surveys.campaigns import create_campaign, create_links
from surveys.errors import InvalidInput


def _district_schools(
    session: Session, district_id: int, condition: ColumnElement[bool]
) -> list[m.School]:
    """The district's schools that meet ``condition``, by code."""
    return list(
        session.scalars(
            select(m.School)
            .where(m.School.district_id == district_id, condition)
            .order_by(m.School.code)
        )
    )


def offered_schools(session: Session, district_id: int) -> list[m.School]:
    """The district's schools a new campaign may include: the active ones."""
    return _district_schools(session, district_id, m.School.is_active.is_(True))


def schools_by_id(session: Session, district_id: int, school_ids: Iterable[int]) -> list[m.School]:
    """The district's schools with these ids (others are ignored; inactive ones are kept, so
    that :func:`surveys.campaigns.create_campaign` names them in its refusal)."""
    wanted = set(school_ids)
    if not wanted:
        return []
    return _district_schools(session, district_id, m.School.id.in_(wanted))


def schools_by_code(session: Session, district_id: int, codes: Iterable[str]) -> list[m.School]:
    """The district's schools with these codes.

    Raises
    ------
    InvalidInput
        A code that is not a school of the district.
    """
    wanted = [c.strip() for c in codes if c.strip()]
    found = {
        s.code: s
        for s in session.scalars(
            select(m.School).where(m.School.district_id == district_id, m.School.code.in_(wanted))
        )
    }
    missing = [c for c in wanted if c not in found]
    if missing:
        raise InvalidInput("В районе нет школ с кодами: " + ", ".join(missing) + ".")
    return [found[c] for c in dict.fromkeys(wanted)]


def start_campaign(
    session: Session,
    *,
    district: m.District,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    schools: list[m.School],
    versions: list[m.InstrumentVersion],
    period: str = "",
    min_group_size: int = 5,
    exclude_flagged: bool = False,
    user_id: int | None = None,
) -> m.Campaign:
    """A new open campaign fielding ``versions`` in ``schools``, with a link per school ×
    form, recorded in the audit log (the caller commits)."""
    if not title.strip():
        raise InvalidInput("Укажите название кампании.")
    campaign = create_campaign(
        session,
        district=district,
        title=title.strip(),
        period=period.strip(),
        opens_on=opens_on,
        closes_on=closes_on,
        schools=schools,
        fieldings=versions,
        min_group_size=min_group_size,
        exclude_flagged=exclude_flagged,
    )
    create_links(session, campaign)
    audit.record(
        session,
        "campaign_created",
        user_id=user_id,
        target=campaign.title,
        details={
            "campaign": campaign.id,
            "schools": [s.code for s in schools],
            "forms": [v.id for v in versions],
        },
    )
    return campaign


def copy_campaign(
    session: Session,
    source: m.Campaign,
    *,
    opens_on: dt.date,
    closes_on: dt.date,
    title: str | None = None,
    user_id: int | None = None,
) -> m.Campaign:
    """The next wave of ``source``: its district, its schools that are still active, the same
    forms (versions), minimum group size and treatment of flagged answers, new dates, and
    ``source`` as the previous wave its dynamics are shown against.

    Raises
    ------
    InvalidInput
        The new wave does not open after the source opened, or no school is active any more.
    """
    if opens_on <= source.opens_on:
        raise InvalidInput(
            f"Следующая волна должна начинаться позже кампании «{source.title}» "
            f"(она начинается {source.opens_on:%d.%m.%Y})."
        )
    district = session.get(m.District, source.district_id)
    if district is None:  # pragma: no cover - a foreign key keeps it
        raise InvalidInput("Район кампании не найден.")
    schools = list(
        session.scalars(
            select(m.School)
            .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
            .where(m.CampaignSchool.campaign_id == source.id, m.School.is_active.is_(True))
            .order_by(m.School.code)
        )
    )
    if not schools:
        raise InvalidInput(f"В кампании «{source.title}» не осталось действующих школ.")
    versions = list(
        session.scalars(
            select(m.InstrumentVersion)
            .join(m.Fielding, m.Fielding.instrument_version_id == m.InstrumentVersion.id)
            .where(m.Fielding.campaign_id == source.id)
            .order_by(m.Fielding.id)
        )
    )
    campaign = create_campaign(
        session,
        district=district,
        title=(title or "").strip() or f"{source.title} — волна с {opens_on:%d.%m.%Y}",
        period=source.period,
        opens_on=opens_on,
        closes_on=closes_on,
        schools=schools,
        fieldings=versions,
        min_group_size=source.min_group_size,
        exclude_flagged=source.exclude_flagged,
    )
    campaign.previous_campaign_id = source.id
    session.flush()
    create_links(session, campaign)
    audit.record(
        session,
        "campaign_copied",
        user_id=user_id,
        target=campaign.title,
        details={
            "campaign": campaign.id,
            "source": source.id,
            "schools": [s.code for s in schools],
            "forms": [v.id for v in versions],
        },
    )
    return campaign
