"""Campaigns (waves), the instruments they field and the survey links respondents open."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from instruments.schema import Instrument
from surveys import models as m
from surveys.errors import InvalidInput, LinkClosed, NotFound
from surveys.instrument_store import instrument_by_checksum, instrument_of

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
    fieldings: Mapping[str, m.InstrumentVersion] | Iterable[m.InstrumentVersion],
    period: str = "",
    min_group_size: int = 5,
    status: str = m.CampaignStatus.open.value,
    exclude_flagged: bool = False,
) -> m.Campaign:
    """A new wave of ``district`` in ``schools`` (active ones only), fielding each of the
    published versions in ``fieldings`` to its instrument's audience: several forms of one
    audience are allowed (the grades 2–4 and 5–11 questionnaires), two versions of one
    instrument are not. ``fieldings`` may map audiences to versions (one form each)."""
    # Every problem of the form at once, so that a coordinator mends them in one go.
    problems = []
    school_list = list(schools)
    if not school_list:
        problems.append("Выберите хотя бы одну школу.")
    if closes_on < opens_on:
        problems.append("Дата окончания кампании раньше даты начала.")
    if min_group_size < 1:
        problems.append("Минимальный размер группы должен быть не меньше 1.")
    if any(s.district_id != district.id for s in school_list):
        problems.append("В кампанию можно включить только школы её района.")
    inactive = [s.code for s in school_list if not s.is_active]
    if inactive:
        problems.append(
            "Школы выведены из работы и в новую кампанию не включаются: "
            + ", ".join(inactive)
            + "."
        )
    try:
        forms = _checked_forms(session, fieldings)
    except InvalidInput as exc:
        problems.append(exc.message)
    if problems:
        raise InvalidInput(" ".join(problems))
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
        exclude_flagged=exclude_flagged,
        status=status,
    )
    session.add(campaign)
    session.flush()
    session.add_all(m.CampaignSchool(campaign_id=campaign.id, school_id=s.id) for s in school_list)
    session.add_all(
        m.Fielding(campaign_id=campaign.id, audience=record.audience, instrument_version_id=v.id)
        for v, record in forms
    )
    session.flush()
    return campaign


def _checked_forms(
    session: Session,
    fieldings: Mapping[str, m.InstrumentVersion] | Iterable[m.InstrumentVersion],
) -> list[tuple[m.InstrumentVersion, m.Instrument]]:
    """The versions to field with their instruments, checked: published, a known audience
    (the one a mapping names, if it names one), one version per instrument."""
    if isinstance(fieldings, Mapping):
        pairs = list(fieldings.items())
    else:
        pairs = [(None, v) for v in fieldings]
    if not pairs:
        raise InvalidInput("Выберите хотя бы одну анкету.")
    forms: list[tuple[m.InstrumentVersion, m.Instrument]] = []
    by_instrument: dict[int, m.InstrumentVersion] = {}
    for audience, version in pairs:
        if version.status != m.VersionStatus.published.value:
            raise InvalidInput(
                "В кампании можно использовать только опубликованные версии методик."
            )
        if audience is not None and audience not in m.AudienceKind.__members__:
            raise InvalidInput(f"Неизвестная группа респондентов: {audience}")
        record = session.get(m.Instrument, version.instrument_id)
        if record is None:
            raise NotFound("Методика не найдена.")
        if audience is not None and record.audience != audience:
            raise InvalidInput(f"Анкета «{record.title}» не для группы «{audience}».")
        earlier = by_instrument.get(record.id)
        if earlier is not None:
            if earlier.id == version.id:
                continue
            raise InvalidInput(
                f"Анкета «{record.title}» выбрана в двух версиях ({earlier.version} и "
                f"{version.version}): в одной кампании может быть только одна версия анкеты."
            )
        by_instrument[record.id] = version
        forms.append((version, record))
    return forms


def create_links(session: Session, campaign: m.Campaign) -> list[m.SurveyLink]:
    """One open link per school of the campaign and fielded form (existing ones are kept):
    a school gets a link per form, e.g. one for grades 2–4 and one for grades 5–11."""
    fieldings = session.execute(
        select(m.Fielding.id, m.Fielding.audience)
        .where(m.Fielding.campaign_id == campaign.id)
        .order_by(m.Fielding.id)
    ).all()
    school_ids = session.scalars(
        select(m.CampaignSchool.school_id).where(m.CampaignSchool.campaign_id == campaign.id)
    ).all()
    existing = {
        (school_id, fielding_id)
        for school_id, fielding_id in session.execute(
            select(m.SurveyLink.school_id, m.SurveyLink.fielding_id).where(
                m.SurveyLink.campaign_id == campaign.id,
                m.SurveyLink.class_name.is_(None),
                m.SurveyLink.requires_token.is_(False),
            )
        )
    }
    links = [
        m.SurveyLink(
            code=new_link_code(),
            campaign_id=campaign.id,
            school_id=school_id,
            audience=audience,
            fielding_id=fielding_id,
        )
        for school_id in school_ids
        for fielding_id, audience in fieldings
        if (school_id, fielding_id) not in existing
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
    for the school). The link opens the audience's form whose grades cover the class's
    grade (3А the grades 2–4 questionnaire, 7Б the 5–11 one); a form without grades covers
    every grade."""
    if audience not in CLASS_AUDIENCES:
        raise InvalidInput("Ссылку для класса можно сделать только для обучающихся и родителей.")
    match = CLASS_NAME.match(class_name.strip().upper())
    if match is None:
        raise InvalidInput("Класс указывается как номер и буква, например «7Б».")
    name = f"{match.group(1)}{match.group(2) or ''}"
    fielding_id = _form_for_grade(session, campaign, audience, int(match.group(1)))
    link = session.scalar(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.school_id == school.id,
            m.SurveyLink.fielding_id == fielding_id,
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
            fielding_id=fielding_id,
            class_name=name,
        )
        session.add(link)
        session.flush()
    return link


def _form_for_grade(session: Session, campaign: m.Campaign, audience: str, grade: int) -> int:
    """The id of the one fielding of ``audience`` whose instrument's grades cover ``grade``."""
    forms = session.execute(
        select(m.Fielding.id, m.InstrumentVersion)
        .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
        .where(m.Fielding.campaign_id == campaign.id, m.Fielding.audience == audience)
        .order_by(m.Fielding.id)
    ).all()
    if not forms:
        raise InvalidInput("В кампании нет анкеты для этой группы респондентов.")
    ranges = [(fid, instrument_of(v).grades or (1, 11), instrument_of(v)) for fid, v in forms]
    covering = [(fid, i) for fid, (low, high), i in ranges if low <= grade <= high]
    if not covering:
        offered = ", ".join(f"{low}–{high}" for _, (low, high), _ in ranges)
        raise InvalidInput(
            f"Для {grade} класса в кампании нет анкеты: анкеты этой группы — для классов {offered}."
        )
    if len(covering) > 1:
        titles = "; ".join(f"«{i.title['ru']}»" for _, i in covering)
        raise InvalidInput(
            f"Для {grade} класса в кампании несколько анкет ({titles}); ссылка класса "
            "открывает одну анкету — раздайте классу общую ссылку школы нужной анкеты."
        )
    return covering[0][0]


def open_links(
    session: Session, campaign: m.Campaign, school_ids: Iterable[int]
) -> dict[tuple[str, int, str | None], m.SurveyLink]:
    """The open (not token) links of these schools in ``campaign``, keyed by school code,
    form (fielding id) and class, as the campaign page lists them."""
    return {
        (school_code, link.fielding_id, link.class_name): link
        for link, school_code in session.execute(
            select(m.SurveyLink, m.School.code)
            .join(m.School, m.School.id == m.SurveyLink.school_id)
            .where(
                m.SurveyLink.campaign_id == campaign.id,
                m.SurveyLink.school_id.in_(list(school_ids)),
                m.SurveyLink.requires_token.is_(False),
            )
        )
    }


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
    .join(m.Fielding, m.Fielding.id == m.SurveyLink.fielding_id)
    .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
    .where(m.SurveyLink.code == bindparam("code"))
)


def load_link(session: Session, code: str) -> OpenLink:
    """The link behind ``code`` with its campaign, school and instrument, whether or not it
    accepts answers today (see :func:`check_accepting`).

    Raises
    ------
    NotFound
        No such link (or it opens no fielded form).
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
