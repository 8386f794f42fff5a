"""Campaigns (waves), the instruments they field and the survey links respondents open."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from instruments.schema import Instrument
from surveys import models as m
from surveys.errors import InvalidInput, LinkClosed, NotFound
from surveys.instrument_store import instrument_by_checksum

# 10 random bytes: 80 bits, far beyond guessing even for a whole region's links.
LINK_CODE_BYTES = 10


def new_link_code() -> str:
    return secrets.token_urlsafe(LINK_CODE_BYTES)


def create_campaign(
    session: Session,
    *,
    district: m.District,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    schools: Iterable[m.School],
    fieldings: dict[str, m.InstrumentVersion],
    period: str = "",
    min_group_size: int = 5,
    status: str = m.CampaignStatus.open.value,
) -> m.Campaign:
    if closes_on < opens_on:
        raise InvalidInput("Дата окончания кампании раньше даты начала.")
    if min_group_size < 1:
        raise InvalidInput("Минимальный размер группы должен быть не меньше 1.")
    school_list = list(schools)
    if any(s.district_id != district.id for s in school_list):
        raise InvalidInput("В кампанию можно включить только школы её района.")
    for audience, version in fieldings.items():
        if version.status != m.VersionStatus.published.value:
            raise InvalidInput(
                "В кампании можно использовать только опубликованные версии методик."
            )
        if audience not in m.AudienceKind.__members__:
            raise InvalidInput(f"Неизвестная группа респондентов: {audience}")
    campaign = m.Campaign(
        district_id=district.id,
        title=title,
        period=period,
        opens_on=opens_on,
        closes_on=closes_on,
        # Every campaign is anonymous (surveys.responses keeps no token, address or time of
        # day with a response); a confidential mode that links responses to personal codes
        # would need its own export and safeguards first.
        anonymous=True,
        min_group_size=min_group_size,
        status=status,
    )
    session.add(campaign)
    session.flush()
    session.add_all(m.CampaignSchool(campaign_id=campaign.id, school_id=s.id) for s in school_list)
    session.add_all(
        m.Fielding(campaign_id=campaign.id, audience=a, instrument_version_id=v.id)
        for a, v in fieldings.items()
    )
    session.flush()
    return campaign


def create_links(session: Session, campaign: m.Campaign) -> list[m.SurveyLink]:
    """One open link per school of the campaign and fielded audience (existing ones are kept)."""
    audiences = session.scalars(
        select(m.Fielding.audience).where(m.Fielding.campaign_id == campaign.id)
    ).all()
    school_ids = session.scalars(
        select(m.CampaignSchool.school_id).where(m.CampaignSchool.campaign_id == campaign.id)
    ).all()
    existing = {
        (link.school_id, link.audience)
        for link in session.scalars(
            select(m.SurveyLink).where(
                m.SurveyLink.campaign_id == campaign.id,
                m.SurveyLink.class_name.is_(None),
                m.SurveyLink.requires_token.is_(False),
            )
        )
    }
    links = [
        m.SurveyLink(
            code=new_link_code(), campaign_id=campaign.id, school_id=school_id, audience=audience
        )
        for school_id in school_ids
        for audience in audiences
        if (school_id, audience) not in existing
    ]
    session.add_all(links)
    session.flush()
    return links


CLASS_NAME = re.compile(r"^(1[01]|[1-9])\s*-?\s*([А-ЯЁA-Z])?$")


#: audiences that belong to a class: students, and parents through their child's class
CLASS_AUDIENCES = ("student", "parent")


def class_link(
    session: Session, campaign: m.Campaign, school: m.School, audience: str, class_name: str
) -> m.SurveyLink:
    """The open link of one class (e.g. "7Б"), made on first request; answers through it are
    counted per class. The class is only a grouping: groups under the campaign's minimum
    are never reported. Students and parents only (teachers and the administration answer
    for the school)."""
    if audience not in CLASS_AUDIENCES:
        raise InvalidInput("Ссылку для класса можно сделать только для обучающихся и родителей.")
    match = CLASS_NAME.match(class_name.strip().upper())
    if match is None:
        raise InvalidInput("Класс указывается как номер и буква, например «7Б».")
    name = f"{match.group(1)}{match.group(2) or ''}"
    fielded = session.scalar(
        select(m.Fielding.id).where(
            m.Fielding.campaign_id == campaign.id, m.Fielding.audience == audience
        )
    )
    if fielded is None:
        raise InvalidInput("В кампании нет анкеты для этой группы респондентов.")
    link = session.scalar(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.school_id == school.id,
            m.SurveyLink.audience == audience,
            m.SurveyLink.class_name == name,
            m.SurveyLink.requires_token.is_(False),
        )
    )
    if link is None:
        link = m.SurveyLink(
            code=new_link_code(),
            campaign_id=campaign.id,
            school_id=school.id,
            audience=audience,
            class_name=name,
        )
        session.add(link)
        session.flush()
    return link


@dataclass(frozen=True)
class LinkRef:
    id: int
    code: str
    audience: str
    class_name: str | None
    requires_token: bool
    is_active: bool


@dataclass(frozen=True)
class CampaignRef:
    id: int
    title: str
    status: str
    opens_on: dt.date
    closes_on: dt.date
    anonymous: bool


@dataclass(frozen=True)
class SchoolRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class VersionRef:
    id: int
    checksum: str


@dataclass(frozen=True)
class OpenLink:
    """Everything the respondent pages need about a link: plain immutable values (no ORM
    objects, so a web worker may keep them for a few seconds across requests) and the parsed
    instrument the link fields."""

    link: LinkRef
    campaign: CampaignRef
    school: SchoolRef
    version: VersionRef
    instrument: Instrument


# Built once: it runs for every respondent request that misses the web tier's short cache.
# Only the columns the respondent pages use; the version's definition (tens of kilobytes) is
# read only when the parsed instrument is not cached in this process yet.
_LINK_QUERY = (
    select(
        m.SurveyLink.id,
        m.SurveyLink.code,
        m.SurveyLink.audience,
        m.SurveyLink.class_name,
        m.SurveyLink.requires_token,
        m.SurveyLink.is_active,
        m.Campaign.id,
        m.Campaign.title,
        m.Campaign.status,
        m.Campaign.opens_on,
        m.Campaign.closes_on,
        m.Campaign.anonymous,
        m.School.id,
        m.School.code,
        m.School.name,
        m.InstrumentVersion.id,
        m.InstrumentVersion.checksum,
    )
    .join(m.Campaign, m.Campaign.id == m.SurveyLink.campaign_id)
    .join(m.School, m.School.id == m.SurveyLink.school_id)
    .join(
        m.Fielding,
        (m.Fielding.campaign_id == m.Campaign.id) & (m.Fielding.audience == m.SurveyLink.audience),
    )
    .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
    .where(m.SurveyLink.code == bindparam("code"))
)


def load_link(session: Session, code: str) -> OpenLink:
    """The link behind ``code`` with its campaign, school and instrument, whether or not it
    accepts answers today (see :func:`check_accepting`).

    Raises
    ------
    NotFound
        No such link (or its audience is not fielded).
    """
    row = session.execute(_LINK_QUERY, {"code": code}).one_or_none()
    if row is None:
        raise NotFound("Ссылка не найдена. Проверьте адрес или обратитесь в школу.")
    values: tuple[Any, ...] = tuple(row)
    version = VersionRef(*values[15:17])
    return OpenLink(
        link=LinkRef(*values[0:6]),
        campaign=CampaignRef(*values[6:12]),
        school=SchoolRef(*values[12:15]),
        version=version,
        instrument=instrument_by_checksum(session, version.id, version.checksum),
    )


def check_accepting(opened: OpenLink, *, today: dt.date) -> OpenLink:
    """``opened`` itself if its link accepts answers ``today``.

    Raises
    ------
    LinkClosed
        The link is switched off, or the campaign is closed or outside its dates.
    """
    campaign = opened.campaign
    if not opened.link.is_active or campaign.status != m.CampaignStatus.open.value:
        raise LinkClosed("Приём ответов по этой ссылке закрыт.")
    if today < campaign.opens_on:
        raise LinkClosed(f"Опрос начнётся {campaign.opens_on:%d.%m.%Y}.")
    if today > campaign.closes_on:
        raise LinkClosed(f"Опрос завершился {campaign.closes_on:%d.%m.%Y}.")
    return opened


def resolve_link(session: Session, code: str, *, today: dt.date) -> OpenLink:
    """The link behind ``code`` if it accepts answers today.

    Raises
    ------
    NotFound
        No such link.
    LinkClosed
        The link is switched off, or the campaign is closed or outside its dates.
    """
    return check_accepting(load_link(session, code), today=today)


def get_campaign(session: Session, campaign_id: int) -> m.Campaign:
    campaign = session.get(m.Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Кампания {campaign_id} не найдена.")
    return campaign
