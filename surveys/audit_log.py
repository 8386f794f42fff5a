"""Reading the audit log: filters, pages, the rows of its download and Russian action names."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from surveys import models as m

#: what each recorded action means, as the page and the download name it; an action missing
#: here is shown as recorded
ACTION_LABELS: dict[str, str] = {
    "login": "вход",
    "login_failed": "неудачный вход",
    "login_throttled": "вход отклонён: слишком много неудачных попыток",
    "logout": "выход",
    "password_changed": "смена своего пароля",
    "password_set_by_link": "пароль установлен по ссылке",
    "password_reset": "сброс пароля (выдана ссылка)",
    "password_link_issued": "выдана ссылка для установки пароля",
    "password_link_refused": "недействительная ссылка для установки пароля",
    "user_created": "создание учётной записи",
    "user_edited": "изменение учётной записи",
    "user_deactivated": "отключение учётной записи",
    "user_reactivated": "включение учётной записи",
    "users_imported": "импорт учётных записей",
    "audit_exported": "выгрузка журнала аудита",
    "district_created": "создание района",
    "district_edited": "изменение района",
    "school_created": "создание школы",
    "school_edited": "изменение школы",
    "school_deactivated": "отключение школы",
    "school_reactivated": "включение школы",
    "schools_imported": "импорт школ",
    "campaign_created": "создание кампании",
    "campaign_copied": "копирование кампании",
    "campaign_edited": "изменение кампании",
    "campaign_open": "открытие кампании",
    "campaign_closed": "закрытие кампании",
    "campaign_exclude_flagged": "исключение подозрительных ответов",
    "campaign_reference_set": "выбор базы сравнения кампании",
    "campaign_previous_set": "выбор предыдущей волны",
    "benchmark_frozen": "фиксация эталона",
    "class_link_created": "создание ссылки для класса",
    "class_link_enrolment": "численность класса для ссылки",
    "tokens_issued": "печать личных кодов",
    "token_progress_forgotten": "отвязка личных кодов",
    "responses_imported": "импорт ответов",
    "responses_exported": "выгрузка ответов респондентов",
    "scores_exported": "выгрузка баллов респондентов",
    "codebook_exported": "выгрузка кодовой книги",
    "results_imported": "импорт результатов ВПР/ОГЭ",
    "reference_viewed": "просмотр справки",
    "reference_downloaded": "выгрузка справки (DOCX, PDF)",
    "factor_scores_downloaded": "выгрузка факторных оценок школы",
    "instrument_created": "создание методики",
    "instrument_imported": "импорт методики",
    "draft_started": "новая версия методики (черновик)",
    "draft_saved": "сохранение черновика методики",
    "draft_deleted": "удаление черновика методики",
    "version_published": "публикация версии методики",
    "version_fielded": "включение версии методики в кампанию",
}

PAGE_SIZE = 50


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class AuditFilter:
    """What the page's filter form asks for; empty fields filter nothing."""

    #: the acting account's login (exact)
    login: str = ""
    action: str = ""
    #: a part of the object's description, any case
    target: str = ""
    #: first and last day (UTC), both included
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_dict(self) -> dict[str, str]:
        """The filter as it goes into the audit entry of a download and into page links."""
        values = {
            "login": self.login,
            "action": self.action,
            "target": self.target,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _query(flt: AuditFilter) -> Select[m.AuditEvent, str | None]:
    query = select(m.AuditEvent, m.User.login).outerjoin(m.User, m.User.id == m.AuditEvent.user_id)
    if flt.login:
        query = query.where(m.User.login == flt.login.strip())
    if flt.action:
        query = query.where(m.AuditEvent.action == flt.action)
    if flt.target:
        query = query.where(m.AuditEvent.target.icontains(flt.target.strip(), autoescape=True))
    if flt.date_from:
        query = query.where(m.AuditEvent.at >= _start_of(flt.date_from))
    if flt.date_to:
        query = query.where(m.AuditEvent.at < _start_of(flt.date_to + dt.timedelta(days=1)))
    return query


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    login: str
    action: str
    label: str
    target: str
    details: dict[str, Any]

    @property
    def details_text(self) -> str:
        return json.dumps(self.details, ensure_ascii=False, sort_keys=True) if self.details else ""


def _row(event: m.AuditEvent, login: str | None) -> AuditRow:
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
    return AuditRow(
        at=at.astimezone(dt.UTC),
        login=login or "",
        action=event.action,
        label=action_label(event.action),
        target=event.target,
        details=dict(event.details or {}),
    )


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int


def audit_page(session: Session, flt: AuditFilter, page: int = 1) -> AuditPage:
    """One page of events matching ``flt``, newest first."""
    query = _query(flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(
        query.order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return AuditPage([_row(e, login) for e, login in rows], total, page, pages)


def audit_rows(session: Session, flt: AuditFilter) -> Iterator[AuditRow]:
    """Every event matching ``flt``, newest first (the download)."""
    query = _query(flt).order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc())
    for event, login in session.execute(query.execution_options(yield_per=1000)):
        yield _row(event, login)


def recorded_actions(session: Session) -> list[str]:
    """The actions present in the log, for the filter's list."""
    found = set(session.scalars(select(m.AuditEvent.action).distinct()))
    return sorted(found | set(ACTION_LABELS), key=lambda a: action_label(a))
