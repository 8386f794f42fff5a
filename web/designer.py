"""The psychologist's instrument designer: drafts, live validation, preview, publish, field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from instruments.audiences import RESPONDENT_CHOICES
from instruments.diff import diff_instruments
from instruments.errors import InstrumentError
from instruments.io.files import instrument_bytes, load_bytes
from instruments.io.formats import FORMATS
from instruments.io.spreadsheet import XLSX_MIMETYPE
from instruments.schema import CODE_PATTERN, Audience
from surveys import access, audit, drafts
from surveys import models as m
from surveys.instrument_store import instrument_of
from web.auth import requires_role
from web.db import get_session

bp = Blueprint("designer", __name__, url_prefix="/designer")

DESIGNERS = access.DESIGNERS


class NewInstrumentForm(FlaskForm):
    code = StringField(
        "Код (латиницей)",
        validators=[
            DataRequired("Укажите код."),
            Regexp(CODE_PATTERN, message="Код: строчные латинские буквы, цифры и _, с буквы."),
        ],
    )
    title = StringField("Название", validators=[DataRequired("Укажите название."), Length(max=300)])
    audience = SelectField(
        "Кто отвечает", choices=[SelectChoice(k, v) for k, v in RESPONDENT_CHOICES.items()]
    )


class ImportForm(FlaskForm):
    file = FileField(
        "Файл методики (.yaml или .xlsx)",
        validators=[FileRequired("Выберите файл."), FileAllowed(["yaml", "yml", "xlsx"])],
    )


class DraftForm(FlaskForm):
    source = TextAreaField("Описание методики (YAML)")


class FieldForm(FlaskForm):
    campaign_id = SelectField("Кампания", coerce=int, choices=[])


def _campaigns_for(user: m.User, *, include_closed: bool = False) -> list[m.Campaign]:
    """Campaigns of the designer's scope: open ones to field a version into, or all of them
    to read a version's answers from."""
    db = get_session()
    query = (
        access.visible_campaigns(db, user)
        if include_closed
        else access.fieldable_campaigns(db, user)
    )
    return list(db.scalars(query))


@bp.route("/")
@requires_role(*DESIGNERS)
def index(user: m.User):  # type: ignore[no-untyped-def]
    db = get_session()
    rows = db.execute(
        select(m.Instrument, m.InstrumentVersion)
        .join(m.InstrumentVersion, m.InstrumentVersion.instrument_id == m.Instrument.id)
        .order_by(m.Instrument.code, m.InstrumentVersion.version)
    ).all()
    instruments: dict[str, dict[str, Any]] = {}
    for record, version in rows:
        entry = instruments.setdefault(record.code, {"record": record, "versions": []})
        entry["versions"].append(version)
    return render_template(
        "designer/index.html",
        instruments=list(instruments.values()),
        form=NewInstrumentForm(),
        import_form=ImportForm(),
        audience_labels=RESPONDENT_CHOICES,
    )


@bp.route("/new", methods=["POST"])
@requires_role(*DESIGNERS)
def new(user: m.User):  # type: ignore[no-untyped-def]
    form = NewInstrumentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error))
        return redirect(url_for("designer.index"))
    db = get_session()
    version = drafts.new_instrument(
        db,
        code=form.code.data or "",
        title=form.title.data or "",
        audience=form.audience.data or Audience.student.value,
        user_id=user.id,
    )
    audit.record(db, "instrument_created", user_id=user.id, target=form.code.data or "")
    db.commit()
    return redirect(url_for("designer.version", version_id=version.id))


MAX_UPLOAD = 5 * 2**20


@bp.route("/import", methods=["POST"])
@requires_role(*DESIGNERS)
def import_file(user: m.User):  # type: ignore[no-untyped-def]
    """A YAML or XLSX (XLSForm) file becomes a draft; what could not be mapped is listed."""
    request.max_content_length = MAX_UPLOAD  # a workbook may exceed the form limit
    form = ImportForm()
    if not form.validate_on_submit():
        flash("Выберите файл .yaml или .xlsx.")
        return redirect(url_for("designer.index"))
    upload = form.file.data
    name = Path(upload.filename or "файл").name
    db = get_session()
    try:
        loaded = load_bytes(upload.read(), name=name)
    except InstrumentError as exc:
        return render_template("designer/import_failed.html", name=name, error=exc), 400
    version = drafts.import_instrument(db, loaded.instrument, user_id=user.id)
    audit.record(
        db,
        "instrument_imported",
        user_id=user.id,
        target=f"{loaded.instrument.code} v{version.version}",
        details={"file": name},
    )
    db.commit()
    flash(f"Файл «{name}» импортирован как черновик версии {version.version}.")
    for note in loaded.notes[:50]:
        flash(f"Не перенесено: {note}")
    if len(loaded.notes) > 50:
        flash(f"…и ещё {len(loaded.notes) - 50} строк не перенесено.")
    return redirect(url_for("designer.version", version_id=version.id))


@bp.route("/versions/<int:version_id>/export.<fmt>")
@requires_role(*DESIGNERS)
def export(user: m.User, version_id: int, fmt: str):  # type: ignore[no-untyped-def]
    if fmt not in FORMATS:
        abort(404)
    db = get_session()
    record = drafts.get_version(db, version_id)
    instrument = instrument_of(record)
    content = instrument_bytes(instrument, fmt)
    mimetype = {
        "yaml": "application/yaml",
        "xlsx": XLSX_MIMETYPE,
    }[fmt]
    response = make_response(content)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{instrument.code}-v{record.version}.{fmt}"'
    )
    return response


@bp.route("/instruments/<code>/draft", methods=["POST"])
@requires_role(*DESIGNERS)
def start_draft(user: m.User, code: str):  # type: ignore[no-untyped-def]
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = get_session()
    version = drafts.start_draft(db, code, user_id=user.id)
    audit.record(db, "draft_started", user_id=user.id, target=f"{code} v{version.version}")
    db.commit()
    return redirect(url_for("designer.version", version_id=version.id))


@bp.route("/versions/<int:version_id>", methods=["GET", "POST"])
@requires_role(*DESIGNERS)
def version(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    record = drafts.get_version(db, version_id)
    instrument_record = db.get(m.Instrument, record.instrument_id)
    form = DraftForm()
    problems = []
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        problems = drafts.save_draft(db, record, form.source.data or "")
        audit.record(db, "draft_saved", user_id=user.id, target=f"version {record.id}")
        db.commit()
        if problems:
            status = 400
        else:
            flash("Черновик сохранён, ошибок нет.")
            return redirect(url_for("designer.version", version_id=record.id))
    else:
        form.source.data = record.source_text
        if record.status == m.VersionStatus.draft.value:
            problems = drafts.check_draft_text(db, record, record.source_text)
    previous = db.scalar(
        select(m.InstrumentVersion)
        .where(
            m.InstrumentVersion.instrument_id == record.instrument_id,
            m.InstrumentVersion.version < record.version,
        )
        .order_by(m.InstrumentVersion.version.desc())
        .limit(1)
    )
    field_form = FieldForm()
    field_form.campaign_id.choices = [SelectChoice(c.id, c.title) for c in _campaigns_for(user)]
    page = render_template(
        "designer/version.html",
        record=record,
        instrument_record=instrument_record,
        instrument=instrument_of(record),
        form=form,
        field_form=field_form,
        problems=problems,
        previous=previous,
        in_use=drafts.is_in_use(db, record),
    )
    return make_response(page, status)


@bp.route("/versions/<int:version_id>/check", methods=["POST"])
@requires_role(*DESIGNERS)
def check(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    """Live validation for the editor: the problems of the posted text, nothing saved."""
    db = get_session()
    record = drafts.get_version(db, version_id)
    text = request.form.get("source", "")
    problems = drafts.check_draft_text(db, record, text)
    return jsonify(problems=[{"path": p.path, "message": p.message} for p in problems])


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@requires_role(*DESIGNERS)
def publish(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = get_session()
    record = drafts.publish(db, drafts.get_version(db, version_id))
    audit.record(db, "version_published", user_id=user.id, target=f"version {record.id}")
    db.commit()
    flash(f"Версия {record.version} опубликована. Теперь её нельзя изменить.")
    return redirect(url_for("designer.version", version_id=record.id))


@bp.route("/versions/<int:version_id>/delete", methods=["POST"])
@requires_role(*DESIGNERS)
def delete(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = get_session()
    drafts.delete_draft(db, drafts.get_version(db, version_id))
    audit.record(db, "draft_deleted", user_id=user.id, target=f"version {version_id}")
    db.commit()
    flash("Черновик удалён.")
    return redirect(url_for("designer.index"))


@bp.route("/versions/<int:version_id>/field", methods=["POST"])
@requires_role(*DESIGNERS)
def field(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    record = drafts.get_version(db, version_id)
    form = FieldForm()
    campaigns = {c.id: c for c in _campaigns_for(user)}
    form.campaign_id.choices = [SelectChoice(c.id, c.title) for c in campaigns.values()]
    if not form.validate_on_submit() or form.campaign_id.data not in campaigns:
        abort(400)
    campaign = campaigns[form.campaign_id.data]
    drafts.field_version(db, campaign, record)
    audit.record(
        db,
        "version_fielded",
        user_id=user.id,
        target=f"version {record.id} campaign {campaign.id}",
    )
    db.commit()
    flash(
        f"Анкета включена в кампанию «{campaign.title}» вместе с другими её анкетами; "
        "у каждой школы своя ссылка на эту анкету."
    )
    return redirect(url_for("designer.version", version_id=record.id))


@bp.route("/versions/<int:version_id>/diff")
@requires_role(*DESIGNERS)
def diff(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    record = drafts.get_version(db, version_id)
    against_id = request.args.get("against", type=int)
    if against_id is None:
        abort(400)
    other = drafts.get_version(db, against_id)
    if other.instrument_id != record.instrument_id:
        abort(400)
    changes = diff_instruments(instrument_of(other), instrument_of(record))
    return render_template("designer/diff.html", record=record, other=other, changes=changes)


@bp.route("/versions/<int:version_id>/preview")
@requires_role(*DESIGNERS)
def preview(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    record = drafts.get_version(get_session(), version_id)
    response = make_response(render_template("designer/preview.html", record=record))
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
        "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
    )
    return response


@bp.route("/versions/<int:version_id>/render")
@requires_role(*DESIGNERS)
def render(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    """The questionnaire exactly as respondents see it (the respondent template), inert."""
    db = get_session()
    record = drafts.get_version(db, version_id)
    instrument = instrument_of(record)
    page = render_template(
        "respond/form.html",
        opened=None,
        preview=True,
        instrument=instrument,
        page=None,
        pages=len(instrument.sections),
        earlier={},
        pending=frozenset(),
        errors={},
        values={},
        lang=request.args.get("lang", "ru"),
    )
    response = make_response(page)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; frame-ancestors 'self'; form-action 'none'"
    )
    return response


@bp.route("/versions/<int:version_id>/psychometrics")
@requires_role(*DESIGNERS)
def psychometrics(user: m.User, version_id: int):  # type: ignore[no-untyped-def]
    """Reliability of each scale and the empirical factor structure on fielded answers.

    Only the answers of schools with at least the campaign's minimum of responses are used
    (:func:`analysis.privacy.reportable`): the psychologists of a district also see its
    schools' pages, so a pooled figure resting on a hidden school could be set against them.
    """
    from analysis.errors import AnalysisError
    from analysis.factor_scores import scale_reliability, school_factor_scores
    from analysis.privacy import reportable
    from surveys.dataset import form_data

    db = get_session()
    record = drafts.get_version(db, version_id)
    instrument_record = db.get(m.Instrument, record.instrument_id)
    campaigns = [
        c
        for c in _campaigns_for(user, include_closed=True)
        if db.scalar(
            select(m.Fielding.id).where(
                m.Fielding.campaign_id == c.id, m.Fielding.instrument_version_id == record.id
            )
        )
    ]
    chosen = request.args.get("campaign", type=int)
    campaign = next((c for c in campaigns if c.id == chosen), campaigns[0] if campaigns else None)
    reliability = loadings = None
    labels: dict[str, str] = {}
    message = None
    n = 0
    left_out: dict[str, int] = {}
    if campaign is not None and instrument_record is not None:
        # The answers to this instrument's form: an audience may get several in one campaign.
        data = form_data(db, campaign.id, instrument_record.code)
        kept, left_out = reportable(
            data.answers, audience=data.audience, min_group_size=data.min_group_size
        )
        n = len(kept)
        reliability = scale_reliability(kept, data.instrument)
        try:
            factors = school_factor_scores(
                kept, data.instrument, min_group_size=data.min_group_size, seed=0
            )
        except AnalysisError as exc:
            message = f"Факторный анализ не выполнен: {exc}."
        else:
            loadings = factors.solution.loadings
            labels = factors.labels
    return render_template(
        "designer/psychometrics.html",
        record=record,
        instrument=instrument_of(record),
        campaigns=campaigns,
        campaign=campaign,
        reliability=reliability,
        loadings=loadings,
        labels=labels,
        message=message,
        n=n,
        left_out=left_out,
    )
