"""Assessment results (ВПР, ОГЭ, ЕГЭ) uploaded by a coordinator, checked before they are kept."""

from __future__ import annotations

from pathlib import Path

from flask import render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField

from surveys import access, audit
from surveys import models as m
from surveys.assessments import COLUMNS, import_results
from surveys.errors import SurveysError
from web.auth import requires_role
from web.db import get_session
from web.staff import bp

MAX_UPLOAD = 5 * 2**20


class ResultsForm(FlaskForm):
    file = FileField(
        "Таблица результатов (.csv или .xlsx)",
        validators=[FileRequired("Выберите файл."), FileAllowed(["csv", "xlsx"])],
    )
    dry_run = BooleanField("Только проверить, ничего не сохранять", default=True)


@bp.route("/results", methods=["GET", "POST"])
@requires_role(*access.MANAGERS)
def results(user: m.User):  # type: ignore[no-untyped-def]
    request.max_content_length = MAX_UPLOAD
    form = ResultsForm()
    report = error = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        name = Path(upload.filename or "файл").name
        db = get_session()
        try:
            report = import_results(
                db,
                upload.read(),
                name,
                dry_run=bool(form.dry_run.data),
                # Administrators load any district's schools; coordinators their own.
                district_id=None
                if access.is_admin(user)
                else access.district_id_of(get_session(), user),
            )
        except SurveysError as exc:
            db.rollback()
            error, status = exc.message, 400
        else:
            if report.errors:
                db.rollback()
                status = 400
            elif not form.dry_run.data:
                audit.record(
                    db,
                    "results_imported",
                    user_id=user.id,
                    target=name,
                    details={"stored": report.stored, "replaced": report.replaced},
                )
                db.commit()
    elif request.method == "POST":
        status = 400
    page = render_template(
        "staff/results.html", form=form, report=report, error=error, columns=COLUMNS
    )
    return page, status
