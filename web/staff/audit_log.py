"""The administrators' page of the audit log: filters, pages and a CSV download (itself
recorded in the log)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, make_response, render_template, request
from werkzeug.datastructures import MultiDict

from surveys import access, audit
from surveys import models as m
from surveys.audit_log import (
    AuditFilter,
    action_label,
    audit_page,
    audit_rows,
    recorded_actions,
)
from web.auth import requires_role
from web.db import get_session
from web.staff import bp
from web.staff.factor_table import csv_cell

CSV_HEADER = ("Время (UTC)", "Пользователь", "Действие", "Код действия", "Объект", "Подробности")


def _day(args: MultiDict[str, str], name: str, label: str, errors: list[str]) -> dt.date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label}: «{text}» — не дата (нужно ГГГГ-ММ-ДД); фильтр не применён.")
        return None


def _filter(args: MultiDict[str, str]) -> tuple[AuditFilter, list[str]]:
    errors: list[str] = []
    flt = AuditFilter(
        login=(args.get("login") or "").strip()[:100],
        action=(args.get("action") or "").strip()[:64],
        target=(args.get("target") or "").strip()[:200],
        date_from=_day(args, "date_from", "С даты", errors),
        date_to=_day(args, "date_to", "По дату", errors),
    )
    return flt, errors


@bp.route("/audit/")
@requires_role(*access.ADMINS)
def audit_log(user: m.User) -> str:
    db = get_session()
    flt, errors = _filter(request.args)
    page = audit_page(db, flt, request.args.get("page", 1, type=int) or 1)
    actions = [(a, action_label(a)) for a in recorded_actions(db)]
    return render_template(
        "staff/audit_log.html", page=page, flt=flt, errors=errors, actions=actions
    )


@bp.route("/audit/audit.csv")
@requires_role(*access.ADMINS)
def audit_csv(user: m.User) -> Response:
    """The filtered log as CSV for Russian Excel (UTF-8 with BOM, ";"), every text cell that
    a spreadsheet could run as a formula neutralised (web.staff.factor_table.csv_cell)."""
    db = get_session()
    flt, _errors = _filter(request.args)
    # Recorded before the file is built, so the download is in the log it may be part of.
    audit.record(db, "audit_exported", user_id=user.id, target="audit.csv", details=flt.as_dict())
    db.commit()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in CSV_HEADER])
    for row in audit_rows(db, flt):
        writer.writerow(
            [
                csv_cell(row.at.strftime("%Y-%m-%d %H:%M:%S")),
                csv_cell(row.login),
                csv_cell(row.label),
                csv_cell(row.action),
                csv_cell(row.target),
                csv_cell(row.details_text),
            ]
        )
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
