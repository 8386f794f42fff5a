"""Storing imported rows all or nothing, with the report of what was (or would be) stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from instruments.answers import validate_answers
from instruments.errors import AnswerErrors
from instruments.quality import FLAG_LABELS, STRAIGHT_LINING, quality_flags
from instruments.schema import text_in
from surveys import models as m
from surveys.campaign_forms import campaign_forms
from surveys.errors import Conflict, InvalidInput, NotFound
from surveys.imports.common import CLASS_COLUMN, CLASS_NAME_MAX, SCHOOL_COLUMN, rows_word, short
from surveys.imports.reading import FileLayout, ParsedRow, ParsedRows, RowError
from surveys.instrument_store import instrument_of

IMPORT_SOURCE = "import"
#: the namespace of imported rows' submission ids (uuid5)
IMPORT_NAMESPACE = uuid.UUID("5674f9f3-3319-4b6a-8a4d-67fd288a6a9d")


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, in a dry run, would do), and every problem it found."""

    source: str
    dry_run: bool
    rows_total: int
    rows_ok: int
    rows_stored: int
    already_imported: int
    #: column header -> item code (or school_code, class_name)
    column_map: dict[str, str]
    unmapped_columns: list[str]
    dropped_columns: list[str]
    #: (row, column, message), row and column as the spreadsheet shows them
    errors: list[RowError]
    #: rows without a single answer, skipped
    empty_rows: int = 0
    #: correct rows straight-lined (instruments.quality): kept, flagged as web answers are
    flagged_rows: int = 0
    #: column (as :attr:`RowError.column` names it) -> rows whose «не знаю» was stored as no
    #: answer, because the question does not offer «не знаю»
    not_offered: dict[str, int] = field(default_factory=dict)

    @property
    def rows_new(self) -> int:
        """Rows that are (or would be) stored: correct and not imported before."""
        return self.rows_ok - self.already_imported if not self.errors else 0

    def __str__(self) -> str:
        lines = [f"Файл: {self.source}" if self.source else "Импорт ответов"]
        if self.column_map:
            lines.append("Столбцы:")
            lines += [f"  «{short(h, 70)}» → {code}" for h, code in self.column_map.items()]
        if self.dropped_columns:
            shown = ", ".join(f"«{short(h, 40)}»" for h in self.dropped_columns)
            lines.append(
                f"Не переносятся (время ответа и адреса не сохраняются ради анонимности): {shown}"
            )
        if self.unmapped_columns:
            lines.append(
                "Не сопоставлены ни с одним вопросом (не переносятся; укажите их в файле "
                f"сопоставления): {', '.join(self.unmapped_columns)}"
            )
        counts = f"Строк с ответами: {self.rows_total}, без ошибок: {self.rows_ok}"
        if self.empty_rows:
            counts += f", пустых пропущено: {self.empty_rows}"
        lines.append(counts + ".")
        if self.not_offered:
            shown = "; ".join(
                f"столбец {col} — {rows_word(n)}" for col, n in self.not_offered.items()
            )
            lines.append(
                "«Не знаю» там, где в вопросе нет такого ответа, сохраняется как нет ответа: "
                f"{shown}."
            )
        if self.errors:
            lines.append(f"Ошибки ({len(self.errors)}), ничего не сохранено:")
            limit = 200
            lines += [f"  {error}" for error in self.errors[:limit]]
            if len(self.errors) > limit:
                lines.append(f"  … и ещё {len(self.errors) - limit}")
            return "\n".join(lines)
        if self.flagged_rows:
            lines.append(
                f"Отмечены как сомнительные ({FLAG_LABELS[STRAIGHT_LINING]}): "
                f"{rows_word(self.flagged_rows)}; сохраняются, исключаются из анализа, если "
                "так задано в кампании."
            )
        if self.already_imported:
            lines.append(
                f"Пропущено, уже импортировано: {rows_word(self.already_imported)} "
                "(тот же файл, те же строки)."
            )
        if self.dry_run:
            lines.append(
                "Пробный запуск, ничего не сохранено; при импорте будет добавлено: "
                f"{rows_word(self.rows_new)}."
            )
        else:
            lines.append(f"Импортировано: {rows_word(self.rows_stored)}.")
        return "\n".join(lines)


def fielded_version(
    session: Session, campaign: m.Campaign, audience: str, form: str | None = None
) -> m.InstrumentVersion:
    """The instrument version the campaign gives to ``audience``: its only form, or the form
    ``form`` (an instrument's code), which must be named when the audience has several (the
    grades 2–4 and 5–11 questionnaires of students).

    Raises
    ------
    InvalidInput
        An unknown audience; several forms and no ``form``; a ``form`` of another audience.
    NotFound
        The campaign fields no instrument for that audience, or not the ``form`` named.
    """
    if audience not in m.AudienceKind.__members__:
        raise InvalidInput(f"Неизвестная группа респондентов: {audience}")
    forms = campaign_forms(session, campaign.id, audience=audience)
    if not forms:
        raise NotFound(f"В кампании {campaign.id} нет анкеты для группы «{audience}».")
    codes = ", ".join(f.instrument_code for f in forms)
    if form is not None:
        chosen = next((f for f in forms if f.instrument_code == form), None)
        if chosen is None:
            raise NotFound(
                f"В кампании {campaign.id} у группы «{audience}» нет анкеты «{form}»; "
                f"её анкеты: {codes}."
            )
    elif len(forms) > 1:
        raise InvalidInput(
            f"В кампании {campaign.id} у группы «{audience}» несколько анкет: {codes}. "
            "Укажите нужную параметром --form."
        )
    else:
        chosen = forms[0]
    version = session.get(m.InstrumentVersion, chosen.version_id)
    if version is None:  # the fielding's foreign key keeps it; be safe anyway
        raise NotFound(f"Версия анкеты «{chosen.instrument_code}» не найдена.")
    return version


def campaign_schools(session: Session, campaign: m.Campaign) -> dict[str, m.School]:
    """The campaign's schools by code, in code order."""
    schools = session.scalars(
        select(m.School)
        .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
        .where(m.CampaignSchool.campaign_id == campaign.id)
        .order_by(m.School.code)
    ).all()
    return {school.code: school for school in schools}


def submission_id_for(
    campaign: m.Campaign,
    school: m.School,
    row: ParsedRow,
    *,
    audience: str,
    version: m.InstrumentVersion,
) -> str:
    """A row's submission id (uuid5): the same file name, row number and content always give
    the same id, so a file imported again is recognised row by row.

    The content is the row's cells as written in the imported columns (not their reading:
    a corrected mapping file does not make the rows new). Dropped and unmapped columns are
    left out on purpose: an id must not be a hash of an e-mail address or a name, which
    could be confirmed by trying candidates.
    """
    content = {
        "audience": audience,
        "version": version.id,
        "class_name": row.class_name,
        "cells": row.cells,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    name = f"campaign={campaign.id};school={school.id};file={row.source};row={row.row};{digest}"
    return str(uuid.uuid5(IMPORT_NAMESPACE, name))


def _layout_of(rows: Sequence[ParsedRow]) -> FileLayout:
    if isinstance(rows, ParsedRows):
        return rows.layout
    return FileLayout(
        source=rows[0].source if rows else "",
        header_row=1,
        column_map={},
        unmapped_columns=[],
        dropped_columns=[],
        labels={},
        problems=[],
    )


def _existing_ids(session: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            session.scalars(
                select(m.Response.submission_id).where(m.Response.submission_id.in_(chunk))
            )
        )
    return found


def _find_school(code: str, schools: Mapping[str, m.School]) -> m.School | None:
    return schools.get(code) or next(
        (s for c, s in schools.items() if c.casefold() == code.strip().casefold()), None
    )


def _school_of(
    row: ParsedRow, default: str | None, schools: Mapping[str, m.School]
) -> tuple[m.School | None, str | None]:
    """The row's school (its own cell, else the default), or why there is none."""
    code = row.school_code or default
    if not code:
        return None, "не указан код школы (заполните столбец school_code или укажите --school)"
    school = _find_school(code, schools)
    if school is None:
        return None, f"школы «{code}» нет в кампании"
    return school, None


def _not_offered(
    rows: Sequence[ParsedRow], labels: Mapping[str, str], order: Mapping[str, int]
) -> dict[str, int]:
    """Rows per column whose «не знаю» was left unanswered, in the file's column order."""
    counts = Counter(code for row in rows for code in row.not_offered)
    return {
        labels.get(code, code): counts[code]
        for code in sorted(counts, key=lambda c: order.get(c, len(order)))
    }


def import_answers(
    session: Session,
    *,
    campaign: m.Campaign,
    audience: str,
    rows: Sequence[ParsedRow],
    dry_run: bool,
    today: dt.date,
    school_code: str | None = None,
    form: str | None = None,
) -> ImportReport:
    """Validate every row against the version the campaign fields for ``audience`` (its form
    ``form``, an instrument's code, when the audience has several: :func:`fielded_version`);
    store all.

    A row's school is its ``school_code`` cell, else ``school_code`` given here. If any row
    (or the columns of the file) has an error, nothing is stored and the report lists every
    error by row and column. Rows stored by an earlier import of the same file (same name,
    row number and content) are counted in ``already_imported`` and not stored again. With
    ``dry_run`` nothing is stored. Stored responses have source "import", status complete and
    ``today`` as their date; never a time of day.

    Raises
    ------
    InvalidInput, NotFound
        An unknown audience or school, an audience the campaign does not survey, or an
        audience with several forms and no ``form``.
    Conflict
        The same rows were stored by a concurrent import meanwhile.
    """
    version = fielded_version(session, campaign, audience, form)
    instrument = instrument_of(version)
    schools = campaign_schools(session, campaign)
    if school_code is not None and _find_school(school_code, schools) is None:
        raise NotFound(f"Школы «{school_code}» нет в кампании {campaign.id}.")
    layout = _layout_of(rows)
    labels = layout.labels
    errors: list[RowError] = list(layout.problems)
    # A required question or the school without a column: said once, not in every row.
    missing: set[str] = set()
    if rows and isinstance(rows, ParsedRows):
        if school_code is None and SCHOOL_COLUMN not in labels:
            missing.add(SCHOOL_COLUMN)
            errors.append(
                RowError(
                    layout.header_row,
                    "",
                    "нет столбца school_code: укажите школу параметром --school "
                    "или добавьте столбец с кодами школ",
                )
            )
        for item in instrument.items():
            if item.required and item.code not in labels:
                missing.add(item.code)
                errors.append(
                    RowError(
                        layout.header_row,
                        "",
                        f"нет столбца для обязательного вопроса {item.code} "
                        f"(«{short(text_in(item.text), 60)}»)",
                    )
                )
    school_label = labels.get(SCHOOL_COLUMN, SCHOOL_COLUMN)
    class_label = labels.get(CLASS_COLUMN, CLASS_COLUMN)
    order = {code: i for i, code in enumerate([SCHOOL_COLUMN, CLASS_COLUMN, *labels])}
    prepared: list[tuple[ParsedRow, m.School, dict[str, Any], str, list[str]]] = []
    rows_ok = 0
    for row in rows:
        row_errors: list[tuple[str, RowError]] = []
        school, problem = _school_of(row, school_code, schools)
        if problem and SCHOOL_COLUMN not in missing:
            row_errors.append((SCHOOL_COLUMN, RowError(row.row, school_label, problem)))
        if row.class_name is not None and len(row.class_name) > CLASS_NAME_MAX:
            row_errors.append(
                (
                    CLASS_COLUMN,
                    RowError(row.row, class_label, f"класс длиннее {CLASS_NAME_MAX} символов"),
                )
            )
        clean: dict[str, Any] = {}
        try:
            clean = validate_answers(instrument, row.answers)
        except AnswerErrors as exc:
            for item_code, message in exc.errors.items():
                if item_code in missing:
                    continue
                written = row.cells.get(item_code)
                if item_code in row.not_offered:
                    message = "в этом вопросе нет ответа «не знаю», а ответ обязателен"
                text = f"{message}: «{short(written, 60)}»" if written else message
                row_errors.append(
                    (item_code, RowError(row.row, labels.get(item_code, item_code), text))
                )
        if row_errors or school is None:
            row_errors.sort(key=lambda pair: order.get(pair[0], len(order)))
            errors.extend(error for _, error in row_errors)
            continue
        rows_ok += 1
        sid = submission_id_for(campaign, school, row, audience=audience, version=version)
        # No time of answering on paper or in an export: straight-lining is all there is.
        flags = quality_flags(instrument, clean, None)
        prepared.append((row, school, clean, sid, flags))

    existing = _existing_ids(session, [sid for *_, sid, _ in prepared])
    already = sum(sid in existing for *_, sid, _ in prepared)
    stored = 0
    if not errors and not dry_run:
        new = [
            m.Response(
                submission_id=sid,
                campaign_id=campaign.id,
                school_id=school.id,
                link_id=None,
                audience=audience,
                class_name=row.class_name,
                instrument_version_id=version.id,
                answers=clean,
                status=m.ResponseStatus.complete.value,
                progress=len(instrument.sections),
                submitted_on=today,
                source=IMPORT_SOURCE,
                flags=flags,
            )
            for row, school, clean, sid, flags in prepared
            if sid not in existing
        ]
        try:
            with session.begin_nested():
                session.add_all(new)
        except IntegrityError:
            raise Conflict(
                "Эти строки только что импортированы другим запуском; повторите импорт."
            ) from None
        stored = len(new)
    return ImportReport(
        source=layout.source,
        dry_run=dry_run,
        rows_total=len(rows),
        rows_ok=rows_ok,
        rows_stored=stored,
        already_imported=already,
        column_map=dict(layout.column_map),
        unmapped_columns=list(layout.unmapped_columns),
        dropped_columns=list(layout.dropped_columns),
        errors=errors,
        empty_rows=layout.empty_rows,
        flagged_rows=sum(bool(flags) for *_, flags in prepared),
        not_offered=_not_offered(rows, labels, order),
    )
