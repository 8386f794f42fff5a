"""Survey links for staff: QR codes, posters, class links and slips with personal tokens."""

from __future__ import annotations

import segno
from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from surveys import audit
from surveys import models as m
from surveys.campaigns import class_link
from surveys.tokens import MAX_BATCH, issue_tokens, token_link
from surveys.users import can_see_school
from web.auth import current_user, requires_role
from web.db import get_session
from web.errors import render_error
from web.pdf import PdfUnavailable, html_to_pdf
from web.staff import bp
from web.staff.common import (
    AUDIENCE_NAMES,
    campaign_or_404,
    school_link_or_404,
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


@bp.route("/campaigns/<int:campaign_id>/links/<code>/class", methods=["POST"])
@requires_role("admin", "coordinator", "deputy")
def add_class_link(campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """A separate open link for one class of the school (counted per class)."""
    db = get_session()
    campaign = campaign_or_404(campaign_id)
    link, school = school_link_or_404(campaign, code)
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
    campaign = campaign_or_404(campaign_id)
    link, school = school_link_or_404(campaign, code)
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
    campaign = campaign_or_404(campaign_id)
    link, school = school_link_or_404(campaign, code)
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
