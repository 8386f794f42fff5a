"""The life of an instrument version: draft, edit, publish, field; published ones never change.

A version is immutable once published or once anything refers to it (a campaign fields it or
a response pins it). Editing a published instrument means a new draft with the next number.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from instruments.errors import InstrumentError, Problem
from instruments.io.yaml_io import dump_yaml, load_yaml, to_data
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import Instrument
from surveys import models as m
from surveys.campaign_forms import add_form
from surveys.errors import Conflict, InvalidInput, NotFound
from surveys.instrument_store import checksum, instrument_of

NEW_INSTRUMENT_TEMPLATE = """\
code: {code}
version: 1
title:
  ru: "{title}"
audience: {audience}
languages: [ru]
introduction:
  ru: "Расскажите, зачем проводится опрос и что он анонимный."
response_scales:
  - code: agree4
    options:
      - {{value: 1, label: {{ru: "Совсем не согласен(на)"}}}}
      - {{value: 2, label: {{ru: "Скорее не согласен(на)"}}}}
      - {{value: 3, label: {{ru: "Скорее согласен(на)"}}}}
      - {{value: 4, label: {{ru: "Полностью согласен(на)"}}}}
sections:
  - code: main
    title: {{ru: "Основной раздел"}}
    items:
      - code: q1
        type: likert
        response_scale: agree4
        text: {{ru: "Первое утверждение."}}
      - code: q2
        type: likert
        response_scale: agree4
        text: {{ru: "Второе утверждение."}}
scales:
  - code: scale1
    title: {{ru: "Первая шкала"}}
    items: [q1, q2]
    higher_is: favourable
"""


def get_version(session: Session, version_id: int) -> m.InstrumentVersion:
    version = session.get(m.InstrumentVersion, version_id)
    if version is None:
        raise NotFound(f"Версия методики {version_id} не найдена.")
    return version


def is_in_use(session: Session, version: m.InstrumentVersion) -> bool:
    """Whether a campaign fields this version or a response pins it."""
    fielded = session.scalar(
        select(func.count()).where(m.Fielding.instrument_version_id == version.id)
    )
    answered = session.scalar(
        select(func.count()).where(m.Response.instrument_version_id == version.id)
    )
    return bool(fielded or answered)


def _open_draft(session: Session, instrument_id: int) -> m.InstrumentVersion | None:
    return session.scalar(
        select(m.InstrumentVersion).where(
            m.InstrumentVersion.instrument_id == instrument_id,
            m.InstrumentVersion.status == m.VersionStatus.draft.value,
        )
    )


def new_instrument(
    session: Session, *, code: str, title: str, audience: str, user_id: int | None = None
) -> m.InstrumentVersion:
    """A new instrument with a first draft made from a small valid template."""
    if session.scalar(select(m.Instrument.id).where(m.Instrument.code == code)) is not None:
        raise Conflict(f"Методика с кодом «{code}» уже есть.")
    text = NEW_INSTRUMENT_TEMPLATE.format(
        code=code, title=title.replace('"', "'"), audience=audience
    )
    try:
        instrument = load_yaml(text, source="шаблон")
    except InstrumentError as exc:
        raise InvalidInput(str(exc)) from None
    record = m.Instrument(code=code, audience=audience, title=title)
    session.add(record)
    session.flush()
    return _add_version(session, record, instrument, text, user_id=user_id)


def _add_version(
    session: Session,
    record: m.Instrument,
    instrument: Instrument,
    text: str,
    *,
    user_id: int | None,
) -> m.InstrumentVersion:
    definition = to_data(instrument)
    version = m.InstrumentVersion(
        instrument_id=record.id,
        version=instrument.version,
        status=m.VersionStatus.draft.value,
        definition=definition,
        checksum=checksum(definition),
        source_text=text,
        created_by=user_id,
    )
    session.add(version)
    session.flush()
    return version


def start_draft(
    session: Session,
    code: str,
    *,
    user_id: int | None = None,
    from_instrument: Instrument | None = None,
) -> m.InstrumentVersion:
    """The next version of ``code`` as a draft: a copy of the latest version, or of
    ``from_instrument`` (an imported file). There is at most one draft at a time."""
    record = session.scalar(select(m.Instrument).where(m.Instrument.code == code))
    if record is None:
        raise NotFound(f"Методика «{code}» не найдена.")
    draft = _open_draft(session, record.id)
    if draft is not None:
        raise Conflict(
            f"У методики «{code}» уже есть черновик версии {draft.version}: "
            "продолжите его или опубликуйте."
        )
    latest = session.scalar(
        select(m.InstrumentVersion)
        .where(m.InstrumentVersion.instrument_id == record.id)
        .order_by(m.InstrumentVersion.version.desc())
        .limit(1)
    )
    number = (latest.version if latest else 0) + 1
    base = from_instrument or (instrument_of(latest) if latest else None)
    if base is None:
        raise NotFound(f"У методики «{code}» нет версии, с которой можно начать.")
    if base.code != code:
        raise InvalidInput(f"Файл описывает методику «{base.code}», а не «{code}».")
    if base.audience.value != record.audience:
        raise InvalidInput("Группа респондентов методики не может меняться между версиями.")
    instrument = base.model_copy(update={"version": number})
    return _add_version(session, record, instrument, dump_yaml(instrument), user_id=user_id)


def import_instrument(
    session: Session, instrument: Instrument, *, user_id: int | None = None
) -> m.InstrumentVersion:
    """An imported definition becomes a draft: of a new instrument, or the next version."""
    record = session.scalar(select(m.Instrument).where(m.Instrument.code == instrument.code))
    if record is None:
        record = m.Instrument(
            code=instrument.code, audience=instrument.audience.value, title=instrument.title["ru"]
        )
        session.add(record)
        session.flush()
        first = instrument.model_copy(update={"version": 1})
        return _add_version(session, record, first, dump_yaml(first), user_id=user_id)
    return start_draft(session, instrument.code, user_id=user_id, from_instrument=instrument)


def save_draft(session: Session, version: m.InstrumentVersion, text: str) -> list[Problem]:
    """Keep the edited text; when it is valid, it becomes the draft's definition.

    Returns the problems found (empty when the text is valid). The code, audience and version
    number of a draft are fixed.
    """
    if version.status != m.VersionStatus.draft.value:
        raise Conflict("Опубликованную версию изменить нельзя: создайте новый черновик.")
    version.source_text = text
    problems = check_draft_text(session, version, text)
    if not problems:
        definition = to_data(load_yaml(text))
        version.definition = definition
        version.checksum = checksum(definition)
    session.flush()
    return problems


def check_draft_text(session: Session, version: m.InstrumentVersion, text: str) -> list[Problem]:
    try:
        instrument = load_yaml(text)
    except InstrumentError as exc:
        return exc.problems
    record = session.get(m.Instrument, version.instrument_id)
    problems = []
    if record is not None and instrument.code != record.code:
        problems.append(Problem("code", f"код методики в черновике должен быть «{record.code}»"))
    if record is not None and instrument.audience.value != record.audience:
        problems.append(Problem("audience", f"группа респондентов должна быть «{record.audience}»"))
    if instrument.version != version.version:
        problems.append(Problem("version", f"номер версии черновика — {version.version}"))
    problems.extend(builtin_risk_factors().check_instrument(instrument))
    return problems


def publish(session: Session, version: m.InstrumentVersion) -> m.InstrumentVersion:
    """Make a draft a published, immutable version (its saved text must be valid)."""
    if version.status != m.VersionStatus.draft.value:
        raise Conflict("Эта версия уже опубликована.")
    problems = check_draft_text(session, version, version.source_text)
    if problems:
        raise InvalidInput(
            "Черновик содержит ошибки, опубликовать его нельзя: "
            + "; ".join(str(p) for p in problems[:5])
        )
    version.status = m.VersionStatus.published.value
    version.published_at = dt.datetime.now(dt.UTC)
    record = session.get(m.Instrument, version.instrument_id)
    if record is not None:
        record.title = instrument_of(version).title["ru"]
    session.flush()
    return version


def delete_draft(session: Session, version: m.InstrumentVersion) -> None:
    if version.status != m.VersionStatus.draft.value or is_in_use(session, version):
        raise Conflict("Удалить можно только неиспользуемый черновик.")
    session.delete(version)
    session.flush()


def field_version(
    session: Session, campaign: m.Campaign, version: m.InstrumentVersion
) -> m.Fielding:
    """Add ``version`` to ``campaign``'s forms, beside the others (see
    :func:`surveys.campaign_forms.add_form`)."""
    return add_form(session, campaign, version)
