"""Administration of districts and schools: the administrator's every district, a coordinator's
own; creating, editing, deactivating schools, and the schools file with a preview.

The upload is stateless: the preview page carries the file back in a hidden field, and the
confirmation checks it again from scratch (the database may have changed in between), so no
worker keeps anything between the two requests.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from instruments.io.spreadsheet import XLSX_MIMETYPE
from surveys import access
from surveys import models as m
from surveys.districts import create_district, district_rows
from surveys.errors import FieldsInvalid, SurveysError
from surveys.school_import import ACTIONS, SchoolImportReport, import_schools
from surveys.school_template import schools_template
from surveys.schools import (
    FLAGS,
    GRADES,
    LABELS,
    LEVELS,
    find_school,
    save_school,
    school_values,
    set_school_active,
)
from web.auth import current_user, requires_role
from web.db import get_session
from web.staff import bp

MAX_UPLOAD = 2 * 2**20
LEVEL_FIELDS = {f"level_{level}": code for level, (code, _, _) in LEVELS.items()}


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    user = current_user()
    return {"may_manage_schools": user is not None and access.can_manage_schools(user)}


class DistrictForm(FlaskForm):
    name = StringField("Название района")
    region = StringField("Регион (субъект РФ)")


class UploadForm(FlaskForm):
    file = FileField(
        "Файл школ (.csv или .xlsx)",
        validators=[
            FileRequired("Выберите файл."),
            FileAllowed(["csv", "xlsx"], "Нужен файл .csv или .xlsx."),
        ],
    )


class ConfirmForm(FlaskForm):
    payload = HiddenField()
    filename = HiddenField()


class SchoolForm(FlaskForm):
    district = SelectField(LABELS["district"], validate_choice=False)
    code = StringField(LABELS["code"])
    name = StringField(LABELS["name"])
    short_name = StringField(LABELS["short_name"])
    locality = SelectField(
        LABELS["locality"],
        choices=[SelectChoice("urban", "городская"), SelectChoice("rural", "сельская")],
        validate_choice=False,
    )
    teachers = StringField(LABELS["teachers"])


for _key in FLAGS:
    setattr(SchoolForm, _key, BooleanField(LABELS[_key]))
for _key, _code in LEVEL_FIELDS.items():
    setattr(SchoolForm, _key, BooleanField(_code))
for _grade in GRADES:
    setattr(SchoolForm, f"grade_{_grade}", StringField(f"{_grade} класс"))


def _managed_school(user: m.User, code: str) -> m.School:
    school = find_school(get_session(), code)
    if school is None or not access.can_manage_school(user, school):
        abort(404)
    return school


def _district_names(user: m.User) -> list[str]:
    return [row.district.name for row in district_rows(get_session(), user)]


def _page(user: m.User, status: int = 200, **forms: Any) -> tuple[str, int]:
    db = get_session()
    schools = db.scalars(access.visible_schools(user)).all()
    by_district: dict[int, list[m.School]] = {}
    for school in schools:
        by_district.setdefault(school.district_id, []).append(school)
    forms.setdefault("upload_form", UploadForm())
    if access.can_create_district(user):
        forms.setdefault("district_form", DistrictForm())
    page = render_template(
        "staff/manage_schools.html",
        districts=district_rows(db, user),
        by_district=by_district,
        active_form=FlaskForm(),
        **forms,
    )
    return page, status


@bp.route("/manage/schools")
@requires_role(*access.MANAGERS)
def manage_schools(user: m.User):  # type: ignore[no-untyped-def]
    return _page(user)


@bp.route("/manage/districts", methods=["POST"])
@requires_role(*access.ADMINS)
def add_district(user: m.User):  # type: ignore[no-untyped-def]
    form = DistrictForm()
    if not form.validate_on_submit():
        return _page(user, 400, district_form=form)
    db = get_session()
    try:
        district = create_district(
            db, form.name.data or "", form.region.data or "", user_id=user.id
        )
    except SurveysError as exc:
        db.rollback()
        form.name.errors = [exc.message]
        return _page(user, 400, district_form=form)
    db.commit()
    flash(f"Район «{district.name}» создан. Теперь добавьте его школы.")
    return redirect(url_for("staff.manage_schools"))


def _school_form(user: m.User, school: m.School | None) -> tuple[str, int]:
    db = get_session()
    form = SchoolForm()
    form.district.choices = [SelectChoice(n, n) for n in _district_names(user)]
    status = 200
    if form.validate_on_submit():
        values: dict[str, object] = {
            key: field.data for key, field in form._fields.items() if key in LABELS
        }
        values["levels"] = [code for key, code in LEVEL_FIELDS.items() if form[key].data]
        try:
            saved = save_school(db, user, values, school=school)
        except FieldsInvalid as exc:
            db.rollback()
            for key, message in exc.errors.items():
                form[key if key in form else "level_primary"].errors = [message]
            status = 400
        else:
            db.commit()
            flash(f"Школа {saved.code} сохранена.")
            return redirect(url_for("staff.manage_schools"))  # type: ignore[return-value]
    elif request.method == "POST":
        status = 400
    elif school is not None:
        values = school_values(db, school)
        for key, value in values.items():
            if key in form:
                form[key].data = value
        for key, code in LEVEL_FIELDS.items():
            form[key].data = code in values["levels"]  # type: ignore[operator]
    level_errors = [e for key in LEVEL_FIELDS for e in form[key].errors]
    page = render_template(
        "staff/school_form.html",
        form=form,
        school=school,
        flags=FLAGS,
        grades=GRADES,
        level_fields=LEVEL_FIELDS,
        level_errors=level_errors,
    )
    return page, status


@bp.route("/manage/schools/new", methods=["GET", "POST"])
@requires_role(*access.MANAGERS)
def new_school(user: m.User):  # type: ignore[no-untyped-def]
    return _school_form(user, None)


@bp.route("/manage/schools/<code>/edit", methods=["GET", "POST"])
@requires_role(*access.MANAGERS)
def edit_school(user: m.User, code: str):  # type: ignore[no-untyped-def]
    return _school_form(user, _managed_school(user, code))


@bp.route("/manage/schools/<code>/active", methods=["POST"])
@requires_role(*access.MANAGERS)
def school_active(user: m.User, code: str):  # type: ignore[no-untyped-def]
    school = _managed_school(user, code)
    if not FlaskForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    db = get_session()
    if set_school_active(db, school, active, user_id=user.id):
        db.commit()
    flash(
        f"Школа {school.code} снова активна."
        if active
        else f"Школа {school.code} деактивирована: её данные сохранены, в новые кампании она "
        "не попадёт."
    )
    return redirect(url_for("staff.manage_schools"))


def _preview(report: SchoolImportReport, confirm: ConfirmForm | None, status: int):  # type: ignore[no-untyped-def]
    page = render_template(
        "staff/school_import.html", report=report, confirm=confirm, actions=ACTIONS
    )
    return page, status


@bp.route("/manage/schools/import", methods=["POST"])
@requires_role(*access.MANAGERS)
def import_schools_preview(user: m.User):  # type: ignore[no-untyped-def]
    """A dry run of the uploaded file: what would be created and changed, or every error."""
    request.max_content_length = MAX_UPLOAD
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(user, 400, upload_form=form)
    upload = form.file.data
    name = Path(upload.filename or "файл").name
    data = upload.read()
    db = get_session()
    try:
        report = import_schools(db, data, name, user=user, dry_run=True)
    except SurveysError as exc:
        form.file.errors = [exc.message]
        return _page(user, 400, upload_form=form)
    finally:
        db.rollback()
    if report.errors:
        return _preview(report, None, 400)
    confirm = ConfirmForm(payload=base64.b64encode(data).decode("ascii"), filename=name)
    return _preview(report, confirm, 200)


@bp.route("/manage/schools/import/confirm", methods=["POST"])
@requires_role(*access.MANAGERS)
def import_schools_confirm(user: m.User):  # type: ignore[no-untyped-def]
    """Store the previewed file, checked again as if it were new."""
    # The file travels as base64 in a form field, beyond the application's usual limits.
    request.max_content_length = 2 * MAX_UPLOAD
    request.max_form_memory_size = 2 * MAX_UPLOAD
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        data = base64.b64decode(form.payload.data or "", validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    name = Path(form.filename.data or "файл").name
    db = get_session()
    try:
        report = import_schools(db, data, name, user=user, via="web")
    except SurveysError:
        db.rollback()
        raise
    if report.errors:
        db.rollback()
        return _preview(report, None, 400)
    db.commit()
    flash(str(report).splitlines()[0])
    return redirect(url_for("staff.manage_schools"))


@bp.route("/manage/schools/template.xlsx")
@requires_role(*access.MANAGERS)
def schools_template_download(user: m.User):  # type: ignore[no-untyped-def]
    response = make_response(schools_template(_district_names(user)))
    response.headers["Content-Type"] = XLSX_MIMETYPE
    response.headers["Content-Disposition"] = 'attachment; filename="schools-template.xlsx"'
    return response
