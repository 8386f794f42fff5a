"""Staff pages: the schools an account may see and each school's results."""

from __future__ import annotations

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from analysis.report import render_html
from surveys import audit
from surveys import models as m
from surveys.campaigns import class_link, create_campaign, create_links
from surveys.errors import SurveysError
from surveys.rates import response_rates
from surveys.tokens import MAX_BATCH, issue_tokens, token_link
from surveys.users import can_see_school, visible_schools
from web.auth import current_user, requires_role
from web.db import get_session
from web.errors import render_error
from web.pdf import PdfUnavailable, html_to_pdf
from web.reporting import school_reference

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _school_or_403(code: str) -> m.School:
    db = get_session()
    school = db.scalar(select(m.School).where(m.School.code == code))
    user = current_user()
    # The same answer for "no such school" and "not yours": codes are not secret, but
    # a deputy should not learn which codes exist elsewhere from the status.
    if school is None or user is None or not can_see_school(user, school):
        abort(404)
    return school


@bp.route("/")
@requires_role()
def schools():  # type: ignore[no-untyped-def]
    db = get_session()
    user = current_user()
    if user is None:  # requires_role lets no anonymous request through; be safe anyway
        abort(401)
    school_list = db.scalars(visible_schools(user)).all()
    ids = [s.id for s in school_list]
    counts: dict[tuple[int, str], int] = {}
    if ids:
        for school_id, audience, n in db.execute(
            select(m.Response.school_id, m.Response.audience, func.count())
            .where(
                m.Response.school_id.in_(ids),
                m.Response.status == m.ResponseStatus.complete.value,
            )
            .group_by(m.Response.school_id, m.Response.audience)
        ):
            counts[(school_id, audience)] = n
    audiences = ("student", "parent", "teacher", "administration")
    return render_template(
        "staff/schools.html", schools=school_list, counts=counts, audiences=audiences
    )


def _campaigns_of(school: m.School) -> list[m.Campaign]:
    return list(
        get_session().scalars(
            select(m.Campaign)
            .join(m.CampaignSchool, m.CampaignSchool.campaign_id == m.Campaign.id)
            .where(m.CampaignSchool.school_id == school.id)
            .order_by(m.Campaign.opens_on.desc(), m.Campaign.id.desc())
        )
    )


@bp.route("/schools/<code>")
@requires_role()
def school(code: str):  # type: ignore[no-untyped-def]
    school = _school_or_403(code)
    campaigns = _campaigns_of(school)
    references = [(c, school_reference(get_session(), c.id, school.code)) for c in campaigns]
    return render_template("staff/school.html", school=school, references=references)


@bp.route("/campaigns/<int:campaign_id>/schools/<code>/reference.html")
@requires_role()
def reference(campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    school = _school_or_403(code)
    db = get_session()
    model = school_reference(db, campaign_id, school.code)
    user = current_user()
    audit.record(
        db,
        "reference_viewed",
        user_id=user.id if user else None,
        target=f"campaign {campaign_id} school {school.code}",
    )
    db.commit()
    response = make_response(render_html(model))
    # The reference is a standalone file with its own inline styles.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    )
    return response


AUDIENCE_NAMES = {
    "student": "обучающиеся",
    "parent": "родители",
    "teacher": "педагоги",
    "specialist": "специалисты",
    "administration": "администрация",
}


def _campaign_or_404(campaign_id: int) -> m.Campaign:
    user = current_user()
    campaign = get_session().get(m.Campaign, campaign_id)
    if campaign is None or user is None:
        abort(404)
    if user.role != m.Role.admin and campaign.district_id != _district_of(user):
        abort(404)
    return campaign


def _district_of(user: m.User) -> int | None:
    if user.district_id is not None:
        return user.district_id
    if user.school_id is not None:
        school = get_session().get(m.School, user.school_id)
        return school.district_id if school else None
    return None


@bp.route("/campaigns/")
@requires_role()
def campaigns():  # type: ignore[no-untyped-def]
    user = current_user()
    if user is None:
        abort(401)
    query = select(m.Campaign).order_by(m.Campaign.opens_on.desc(), m.Campaign.id.desc())
    if user.role != m.Role.admin:
        query = query.where(m.Campaign.district_id == _district_of(user))
    return render_template("staff/campaigns.html", campaigns=get_session().scalars(query).all())


@bp.route("/campaigns/<int:campaign_id>/")
@requires_role()
def campaign(campaign_id: int):  # type: ignore[no-untyped-def]
    """Response counts and rates per school and audience, and the links to hand out."""
    db = get_session()
    user = current_user()
    if user is None:
        abort(401)
    campaign = _campaign_or_404(campaign_id)
    school_ids = [s.id for s in db.scalars(visible_schools(user))]
    rows = response_rates(db, campaign, school_ids)
    links = {
        (school_code, link.audience, link.class_name): link
        for link, school_code in db.execute(
            select(m.SurveyLink, m.School.code)
            .join(m.School, m.School.id == m.SurveyLink.school_id)
            .where(
                m.SurveyLink.campaign_id == campaign.id,
                m.SurveyLink.school_id.in_(school_ids),
                m.SurveyLink.requires_token.is_(False),
            )
        )
    }
    return render_template(
        "staff/campaign.html",
        slips_form=SlipsForm(),
        class_form=ClassLinkForm(),
        campaign=campaign,
        rows=rows,
        links=links,
        audience_names=AUDIENCE_NAMES,
    )


@bp.route("/links/<code>/qr.svg")
@requires_role()
def link_qr(code: str):  # type: ignore[no-untyped-def]
    """The QR code of a survey link (SVG, scales to a poster) for staff of that school."""
    db = get_session()
    link = db.scalar(select(m.SurveyLink).where(m.SurveyLink.code == code))
    user = current_user()
    school = db.get(m.School, link.school_id) if link else None
    if link is None or school is None or user is None or not can_see_school(user, school):
        abort(404)
    url = url_for("respond.questionnaire", code=code, _external=True)
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2)
    response = make_response(svg)
    response.headers["Content-Type"] = "image/svg+xml"
    return response


class ClassLinkForm(FlaskForm):
    class_name = StringField(
        "Класс", validators=[DataRequired("Укажите класс, например 7Б."), Length(max=4)]
    )


def _school_link_or_404(campaign: m.Campaign, code: str) -> tuple[m.SurveyLink, m.School]:
    db = get_session()
    user = current_user()
    link = db.scalar(
        select(m.SurveyLink).where(
            m.SurveyLink.code == code,
            m.SurveyLink.campaign_id == campaign.id,
            m.SurveyLink.requires_token.is_(False),
        )
    )
    school = db.get(m.School, link.school_id) if link else None
    if link is None or school is None or user is None or not can_see_school(user, school):
        abort(404)
    return link, school


@bp.route("/campaigns/<int:campaign_id>/links/<code>/class", methods=["POST"])
@requires_role("admin", "coordinator", "deputy")
def add_class_link(campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """A separate open link for one class of the school (counted per class)."""
    db = get_session()
    campaign = _campaign_or_404(campaign_id)
    link, school = _school_link_or_404(campaign, code)
    form = ClassLinkForm()
    if not form.validate_on_submit():
        abort(400)
    made = class_link(db, campaign, school, link.audience, form.class_name.data or "")
    db.commit()
    flash(f"Ссылка для класса {made.class_name} готова.")
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/links/<code>/poster.pdf")
@requires_role()
def poster(campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """An A4 poster with the link's QR code, for a classroom wall or a parents' meeting."""
    campaign = _campaign_or_404(campaign_id)
    link, school = _school_link_or_404(campaign, code)
    url = url_for("respond.questionnaire", code=link.code, _external=True)
    html = render_template(
        "staff/poster.html",
        school=school,
        campaign=campaign,
        audience=AUDIENCE_NAMES.get(link.audience, link.audience),
        class_name=link.class_name,
        url=url,
        qr=segno.make(url, error="q").svg_inline(scale=10, border=2),
    )
    try:
        pdf = html_to_pdf(html)
    except PdfUnavailable as exc:
        return render_error(503, str(exc))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="poster-{school.code}-{link.audience}.pdf"'
    )
    return response


class SlipsForm(FlaskForm):
    count = IntegerField(
        "Сколько листков",
        default=30,
        validators=[NumberRange(1, MAX_BATCH, f"От 1 до {MAX_BATCH} листков.")],
    )


@bp.route("/campaigns/<int:campaign_id>/links/<code>/slips", methods=["POST"])
@requires_role("admin", "coordinator", "deputy")
def slips(campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """Issue personal one-time tokens for a school × audience and print them as slips (PDF).

    The plain tokens exist only in this PDF; if it cannot be made, no token is kept.
    """
    db = get_session()
    user = current_user()
    campaign = _campaign_or_404(campaign_id)
    link, school = _school_link_or_404(campaign, code)
    if user is None:
        abort(401)
    form = SlipsForm()
    if not form.validate_on_submit():
        abort(400)
    tokened = token_link(db, link)
    tokens = issue_tokens(db, tokened, form.count.data or 0)
    url = url_for("respond.questionnaire", code=tokened.code, _external=True)
    cards = [
        {
            "token": token,
            "qr": segno.make(f"{url}?t={token}", error="m").svg_inline(scale=3, border=1),
        }
        for token in tokens
    ]
    html = render_template(
        "staff/slips.html",
        school=school,
        campaign=campaign,
        audience=AUDIENCE_NAMES.get(link.audience, link.audience),
        url=url,
        cards=cards,
    )
    try:
        pdf = html_to_pdf(html)
    except PdfUnavailable as exc:
        db.rollback()
        return render_error(503, str(exc))
    audit.record(
        db,
        "tokens_issued",
        user_id=user.id,
        target=f"campaign {campaign.id} school {school.code} {link.audience}",
        details={"count": len(tokens)},
    )
    db.commit()
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="slips-{school.code}-{link.audience}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


class CampaignForm(FlaskForm):
    title = StringField("Название", validators=[DataRequired("Укажите название."), Length(max=300)])
    period = StringField("Период (например, 2026/27, осень)", validators=[Length(max=32)])
    opens_on = DateField("Начало", validators=[DataRequired("Укажите дату начала.")])
    closes_on = DateField("Окончание", validators=[DataRequired("Укажите дату окончания.")])
    anonymous = BooleanField("Анонимная (рекомендуется)", default=True)
    min_group_size = IntegerField(
        "Минимальный размер группы для показа результатов",
        default=5,
        validators=[NumberRange(3, 50, "От 3 до 50.")],
    )
    exclude_flagged = BooleanField("Не учитывать анкеты с признаками недобросовестного заполнения")


def _versions_by_audience() -> dict[str, list[tuple[int, str]]]:
    rows = get_session().execute(
        select(
            m.InstrumentVersion.id,
            m.Instrument.audience,
            m.Instrument.title,
            m.InstrumentVersion.version,
        )
        .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
        .where(m.InstrumentVersion.status == m.VersionStatus.published.value)
        .order_by(m.Instrument.audience, m.Instrument.title, m.InstrumentVersion.version.desc())
    )
    out: dict[str, list[tuple[int, str]]] = {}
    for version_id, audience, title, number in rows:
        out.setdefault(audience, []).append((version_id, f"{title}, версия {number}"))
    return out


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires_role("admin", "coordinator")
def new_campaign():  # type: ignore[no-untyped-def]
    """A coordinator starts a wave: dates, schools, which questionnaire each audience gets."""
    db = get_session()
    user = current_user()
    if user is None:
        abort(401)
    district_id = _district_of(user)
    if user.role == m.Role.admin and district_id is None:
        district_id = request.values.get("district_id", type=int)
    district = db.get(m.District, district_id) if district_id else None
    if district is None:
        abort(404 if user.role != m.Role.admin else 400)
    schools = list(
        db.scalars(
            select(m.School).where(m.School.district_id == district.id).order_by(m.School.code)
        )
    )
    versions = _versions_by_audience()
    form = CampaignForm()
    errors: list[str] = []
    if form.validate_on_submit():
        chosen_ids = {int(v) for v in request.form.getlist("school") if v.isdigit()}
        chosen = [s for s in schools if s.id in chosen_ids]
        fieldings = {}
        for audience, options in versions.items():
            picked = request.form.get(f"fielding_{audience}", type=int)
            if picked and picked in {v for v, _ in options}:
                version = db.get(m.InstrumentVersion, picked)
                if version is not None:
                    fieldings[audience] = version
        if not chosen:
            errors.append("Выберите хотя бы одну школу.")
        if not fieldings:
            errors.append("Выберите анкету хотя бы для одной группы респондентов.")
        if not errors:
            try:
                campaign = create_campaign(
                    db,
                    district=district,
                    title=form.title.data or "",
                    period=form.period.data or "",
                    opens_on=form.opens_on.data,
                    closes_on=form.closes_on.data,
                    schools=chosen,
                    fieldings=fieldings,
                    anonymous=form.anonymous.data,
                    min_group_size=form.min_group_size.data or 5,
                )
            except SurveysError as exc:
                db.rollback()
                errors.append(exc.message)
            else:
                campaign.exclude_flagged = bool(form.exclude_flagged.data)
                create_links(db, campaign)
                audit.record(
                    db,
                    "campaign_created",
                    user_id=user.id,
                    target=campaign.title,
                    details={"campaign": campaign.id},
                )
                db.commit()
                flash("Кампания создана, ссылки для школ готовы.")
                return redirect(url_for("staff.campaign", campaign_id=campaign.id))
    elif request.method == "POST":
        errors.extend(str(e) for field_errors in form.errors.values() for e in field_errors)
    status = 400 if errors else 200
    page = render_template(
        "staff/campaign_new.html",
        form=form,
        schools=schools,
        versions=versions,
        audience_names=AUDIENCE_NAMES,
        errors=errors,
        district=district,
        chosen={int(v) for v in request.form.getlist("school") if v.isdigit()}
        if request.method == "POST"
        else {s.id for s in schools},
    )
    return make_response(page, status)


@bp.route("/campaigns/<int:campaign_id>/status", methods=["POST"])
@requires_role("admin", "coordinator")
def campaign_status(campaign_id: int):  # type: ignore[no-untyped-def]
    """Open or close a campaign (a closed one accepts no answers)."""
    db = get_session()
    campaign = _campaign_or_404(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    wanted = request.form.get("status")
    if wanted not in (m.CampaignStatus.open.value, m.CampaignStatus.closed.value):
        abort(400)
    campaign.status = wanted
    user = current_user()
    audit.record(
        db,
        f"campaign_{wanted}",
        user_id=user.id if user else None,
        target=campaign.title,
        details={"campaign": campaign.id},
    )
    db.commit()
    flash("Приём ответов открыт." if wanted == "open" else "Приём ответов закрыт.")
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))
