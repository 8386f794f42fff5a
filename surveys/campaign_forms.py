"""The forms a campaign fields: listing them (for staff pages, rates, imports and, through
:mod:`surveys.dataset`, analysis), which published versions are offered and preselected, and
adding a form to a running campaign."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.audiences import AUDIENCE_ORDER
from instruments.schema import Instrument
from surveys import models as m
from surveys.campaigns import create_links, get_campaign
from surveys.errors import Conflict, InvalidInput, NotFound
from surveys.instrument_store import instrument_by_checksum

#: the main built-in form of each audience: what a new campaign fields unless told otherwise.
#: The grades 2–4 student form is an extra one, never the default for all students.
MAIN_FORMS = {
    "student": "student_5_11",
    "parent": "parent",
    "teacher": "teacher",
    "specialist": "specialist",
    "administration": "administration",
}

_AUDIENCE_ORDER = {a: i for i, a in enumerate(AUDIENCE_ORDER)}


@dataclass(frozen=True)
class FieldedForm:
    """One form of a campaign: the instrument version a fielding gives to an audience."""

    fielding_id: int
    audience: str
    #: the instrument's code, unique among the campaign's forms (the key of analysis data)
    instrument_code: str
    #: the instrument's title as stored, by which staff pages name the form
    title: str
    version_id: int
    #: the version's number (1, 2, ...)
    version: int
    instrument: Instrument

    @property
    def grades(self) -> tuple[int, int] | None:
        """The grades the form is for (None: any)."""
        return self.instrument.grades

    @property
    def short_title(self) -> str:
        """The grades of a grade-bounded form ("2–4 классы"), else the instrument's title."""
        if self.grades is not None:
            low, high = self.grades
            return f"{low} класс" if low == high else f"{low}–{high} классы"
        return self.title


def campaign_forms(
    session: Session, campaign_id: int, *, audience: str | None = None
) -> list[FieldedForm]:
    """The forms ``campaign_id`` fields (those of ``audience`` only, when given), in
    :data:`~instruments.audiences.AUDIENCE_ORDER`, within an audience by the grades it is for,
    then by code (the 2–4 form before the 5–11 one).

    Raises
    ------
    InvalidInput
        The campaign fields two versions of one instrument: their answers cannot be told
        apart by the instrument's code, which keys every analysis.
    """
    query = (
        select(
            m.Fielding.id,
            m.Fielding.audience,
            m.Instrument.code,
            m.Instrument.title,
            m.InstrumentVersion.id,
            m.InstrumentVersion.version,
            m.InstrumentVersion.checksum,
        )
        .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
        .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
        .where(m.Fielding.campaign_id == campaign_id)
    )
    if audience is not None:
        query = query.where(m.Fielding.audience == audience)
    forms = [
        FieldedForm(
            fielding_id=fielding_id,
            audience=fielded_to,
            instrument_code=code,
            title=title,
            version_id=version_id,
            version=number,
            # The definition is read only when this process has not parsed it yet.
            instrument=instrument_by_checksum(session, version_id, checksum),
        )
        for fielding_id, fielded_to, code, title, version_id, number, checksum in session.execute(
            query
        ).all()
    ]
    seen: dict[str, FieldedForm] = {}
    for form in forms:
        if form.instrument_code in seen:
            raise InvalidInput(
                f"Кампания {campaign_id} проводит две версии анкеты «{form.instrument_code}» "
                f"(версии {seen[form.instrument_code].version} и {form.version}); "
                "в одной кампании может быть только одна версия каждой анкеты."
            )
        seen[form.instrument_code] = form
    return sorted(
        forms,
        key=lambda f: (
            _AUDIENCE_ORDER.get(f.audience, len(_AUDIENCE_ORDER)),
            f.grades[0] if f.grades else 0,
            f.instrument_code,
        ),
    )


def campaign_form(session: Session, campaign_id: int, instrument_code: str) -> FieldedForm:
    """The form of ``instrument_code`` in the campaign.

    Raises
    ------
    NotFound
        No such campaign, or it does not field that instrument.
    """
    get_campaign(session, campaign_id)
    for form in campaign_forms(session, campaign_id):
        if form.instrument_code == instrument_code:
            return form
    raise NotFound(f"В кампании {campaign_id} нет анкеты «{instrument_code}».")


def only_form(session: Session, campaign_id: int, audience: str) -> FieldedForm:
    """The one form the campaign gives ``audience``.

    Raises
    ------
    NotFound
        No such campaign, or no form for the audience.
    InvalidInput
        The audience has several forms (the message lists their codes): the caller must
        name one.
    """
    get_campaign(session, campaign_id)
    forms = campaign_forms(session, campaign_id, audience=audience)
    if not forms:
        raise NotFound(f"В кампании {campaign_id} нет анкеты для группы «{audience}».")
    if len(forms) > 1:
        codes = ", ".join(f.instrument_code for f in forms)
        raise InvalidInput(
            f"В кампании {campaign_id} у группы «{audience}» несколько анкет ({codes}): "
            "укажите нужную."
        )
    return forms[0]


@dataclass(frozen=True)
class FormChoice:
    """A published version offered on the new-campaign form."""

    version_id: int
    audience: str
    code: str
    title: str
    version: int
    #: the latest published version of its instrument (older ones are offered folded away)
    latest: bool
    #: checked by default: the latest version of the audience's main form
    preselected: bool


def form_choices(session: Session) -> list[FormChoice]:
    """Every published version, grouped by audience (main form first), latest first."""
    rows = session.execute(
        select(m.InstrumentVersion.id, m.Instrument.audience, m.Instrument.code)
        .add_columns(m.Instrument.title, m.InstrumentVersion.version)
        .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
        .where(m.InstrumentVersion.status == m.VersionStatus.published.value)
        .order_by(m.Instrument.code, m.InstrumentVersion.version.desc())
    ).all()
    seen: set[str] = set()
    choices = []
    for version_id, audience, code, title, number in rows:
        latest = code not in seen
        seen.add(code)
        choices.append(
            FormChoice(
                version_id,
                audience,
                code,
                title,
                number,
                latest,
                latest and MAIN_FORMS.get(audience) == code,
            )
        )
    return sorted(
        choices,
        key=lambda c: (
            _AUDIENCE_ORDER.get(c.audience, 99),
            MAIN_FORMS.get(c.audience) != c.code,
            c.code,
            -c.version,
        ),
    )


def published_versions(session: Session, version_ids: Iterable[int]) -> list[m.InstrumentVersion]:
    """The published versions with these ids (as posted by the new-campaign form).

    Raises
    ------
    InvalidInput
        An id that is not a published version.
    """
    wanted = list(dict.fromkeys(version_ids))
    found = {
        v.id: v
        for v in session.scalars(
            select(m.InstrumentVersion).where(
                m.InstrumentVersion.id.in_(wanted),
                m.InstrumentVersion.status == m.VersionStatus.published.value,
            )
        )
    }
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise InvalidInput("Нет опубликованной версии анкеты с номером " + ", ".join(missing) + ".")
    return [found[i] for i in wanted]


def default_versions(session: Session) -> list[m.InstrumentVersion]:
    """The latest published version of each audience's main form (those installed)."""
    return [
        version for code in MAIN_FORMS.values() if (version := _latest(session, code)) is not None
    ]


def versions_from_specs(session: Session, specs: Iterable[str]) -> list[m.InstrumentVersion]:
    """Versions named as ``CODE`` (its latest published version) or ``CODE:VERSION``.

    Raises
    ------
    InvalidInput
        A malformed spec, an unknown instrument, or a version that is not published.
    """
    versions = []
    for spec in specs:
        code, _, number = spec.strip().partition(":")
        if not code or (number and not number.isdigit()):
            raise InvalidInput(f"Анкета указывается как КОД или КОД:ВЕРСИЯ, а не «{spec}».")
        if not number:
            version = _latest(session, code)
            if version is None:
                raise InvalidInput(f"Нет опубликованной анкеты с кодом «{code}».")
        else:
            version = session.scalar(
                select(m.InstrumentVersion)
                .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
                .where(m.Instrument.code == code, m.InstrumentVersion.version == int(number))
            )
            if version is None or version.status != m.VersionStatus.published.value:
                raise InvalidInput(f"Анкета «{code}»: нет опубликованной версии {number}.")
        versions.append(version)
    return versions


def _latest(session: Session, code: str) -> m.InstrumentVersion | None:
    return session.scalar(
        select(m.InstrumentVersion)
        .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
        .where(
            m.Instrument.code == code,
            m.InstrumentVersion.status == m.VersionStatus.published.value,
        )
        .order_by(m.InstrumentVersion.version.desc())
        .limit(1)
    )


def add_form(session: Session, campaign: m.Campaign, version: m.InstrumentVersion) -> m.Fielding:
    """Field ``version`` in ``campaign`` beside its other forms (the same form again is a
    no-op), with a link for each of the campaign's schools.

    Raises
    ------
    InvalidInput
        A draft version.
    Conflict
        A closed campaign, or one that fields another version of the same instrument: the
        answers of two versions of one form would not be comparable.
    """
    if version.status != m.VersionStatus.published.value:
        raise InvalidInput("В кампании можно использовать только опубликованную версию.")
    record = session.get(m.Instrument, version.instrument_id)
    if record is None:
        raise NotFound("Методика не найдена.")
    if campaign.status == m.CampaignStatus.closed.value:
        raise Conflict("Кампания закрыта.")
    fielded = session.execute(
        select(m.Fielding, m.InstrumentVersion.version)
        .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
        .where(
            m.Fielding.campaign_id == campaign.id,
            m.InstrumentVersion.instrument_id == record.id,
        )
    ).first()
    if fielded is not None:
        fielding, number = fielded
        if fielding.instrument_version_id == version.id:
            create_links(session, campaign)
            return fielding
        raise Conflict(
            f"В кампании «{campaign.title}» уже есть версия {number} анкеты «{record.title}»; "
            "две версии одной анкеты в одной кампании дали бы несопоставимые данные. "
            "Новую версию используйте в следующей кампании (волне)."
        )
    fielding = m.Fielding(
        campaign_id=campaign.id, audience=record.audience, instrument_version_id=version.id
    )
    session.add(fielding)
    session.flush()
    create_links(session, campaign)
    return fielding
