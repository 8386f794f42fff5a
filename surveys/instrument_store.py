"""Storing instrument definitions as immutable versions and reading them back as models."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.io.yaml_io import dump_yaml, to_data
from instruments.library import builtin_instruments
from instruments.schema import Instrument, parse_instrument
from surveys import models as m
from surveys.errors import Conflict, NotFound

_parsed: dict[str, Instrument] = {}


def checksum(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def store_instrument(
    session: Session, instrument: Instrument, *, builtin: bool = False, publish: bool = True
) -> m.InstrumentVersion:
    """Store ``instrument`` as its version; storing the same definition again is a no-op.

    Raises
    ------
    Conflict
        If that version number already exists with a different definition: a stored version
        is immutable, a change needs a new version number.
    """
    definition = to_data(instrument)
    digest = checksum(definition)
    record = session.scalar(select(m.Instrument).where(m.Instrument.code == instrument.code))
    if record is None:
        record = m.Instrument(
            code=instrument.code,
            audience=instrument.audience.value,
            title=instrument.title["ru"],
            builtin=builtin,
        )
        session.add(record)
        session.flush()
    existing = session.scalar(
        select(m.InstrumentVersion).where(
            m.InstrumentVersion.instrument_id == record.id,
            m.InstrumentVersion.version == instrument.version,
        )
    )
    if existing is not None:
        if existing.checksum != digest:
            raise Conflict(
                f"Версия {instrument.version} методики «{instrument.code}» уже сохранена "
                "с другим содержанием; изменения оформляются новой версией."
            )
        return existing
    version = m.InstrumentVersion(
        instrument_id=record.id,
        version=instrument.version,
        definition=definition,
        checksum=digest,
        source_text=dump_yaml(instrument),
        status=(m.VersionStatus.published if publish else m.VersionStatus.draft).value,
        published_at=dt.datetime.now(dt.UTC) if publish else None,
    )
    session.add(version)
    session.flush()
    return version


def load_builtin_instruments(session: Session) -> list[m.InstrumentVersion]:
    """Store every built-in instrument of the library (``rootcause init``); safe to repeat.

    A new version of a built-in file becomes a new published version beside the old ones,
    which stay as they are for the campaigns that field them.
    """
    return [store_builtin(session, i) for i in builtin_instruments()]


def store_builtin(session: Session, instrument: Instrument) -> m.InstrumentVersion:
    """Store a built-in instrument, or find it stored already.

    Psychologists may make their own versions of a built-in instrument in the designer, so the
    library's version number may already be taken on this installation by a different
    definition. The library's version is then stored under the next free number (and found
    there again by its content on the next ``rootcause init``) instead of stopping the
    upgrade: a stored version is never changed either way.
    """
    record = session.scalar(select(m.Instrument).where(m.Instrument.code == instrument.code))
    if record is not None:
        wanted = _content(to_data(instrument))
        stored = session.execute(
            select(
                m.InstrumentVersion.id,
                m.InstrumentVersion.version,
                m.InstrumentVersion.status,
                m.InstrumentVersion.definition,
            ).where(m.InstrumentVersion.instrument_id == record.id)
        ).all()
        for version_id, _, status, definition in stored:
            if status == m.VersionStatus.published.value and _content(definition) == wanted:
                return session.get_one(m.InstrumentVersion, version_id)
        numbers = [number for _, number, _, _ in stored]
        if instrument.version in numbers:
            instrument = instrument.model_copy(update={"version": max(numbers) + 1})
    return store_instrument(session, instrument, builtin=True)


def _content(definition: dict[str, Any]) -> str:
    """The checksum of a definition without its version number."""
    return checksum({k: v for k, v in definition.items() if k != "version"})


def _parsed_once(
    checksum: str, version_id: int, definition: Callable[[], dict[str, Any] | None]
) -> Instrument:
    """The validated model of a stored definition, parsed once per checksum; ``definition``
    is called only on a cache miss."""
    model = _parsed.get(checksum)
    if model is None:
        data = definition()
        if data is None:
            raise NotFound(f"Версия методики {version_id} не найдена.")
        model = parse_instrument(data, source=f"instrument_version {version_id}")
        _parsed[checksum] = model
    return model


def instrument_of(version: m.InstrumentVersion) -> Instrument:
    """The validated model of a stored version (parsed once per definition)."""
    return _parsed_once(version.checksum, version.id, lambda: version.definition)


def instrument_by_checksum(session: Session, version_id: int, checksum: str) -> Instrument:
    """The parsed model of a stored version, reading its definition only on a cache miss."""
    return _parsed_once(
        checksum,
        version_id,
        lambda: session.scalar(
            select(m.InstrumentVersion.definition).where(m.InstrumentVersion.id == version_id)
        ),
    )


def latest_version(session: Session, code: str) -> m.InstrumentVersion:
    version = session.scalar(
        select(m.InstrumentVersion)
        .join(m.Instrument)
        .where(
            m.Instrument.code == code,
            m.InstrumentVersion.status == m.VersionStatus.published.value,
        )
        .order_by(m.InstrumentVersion.version.desc())
        .limit(1)
    )
    if version is None:
        raise NotFound(f"Методика «{code}» не найдена.")
    return version
