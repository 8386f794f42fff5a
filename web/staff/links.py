"""Survey links for staff: QR codes, posters, class links and slips with personal tokens."""

from __future__ import annotations

from typing import TypeVar

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
from sqlalchemy.orm import Session
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from instruments.audiences import AUDIENCE_NAMES
from surveys import access, audit
from surveys import models as m
from surveys.campaign_forms import campaign_forms
from surveys.campaigns import class_link
from surveys.errors import InvalidInput
from surveys.tokens import MAX_BATCH, issue_tokens, token_link
from web.auth import requires_role
from web.db import get_session
from web.errors import render_error
from web.pdf import PdfUnavailable, html_to_pdf
from web.staff import bp
from web.staff.common import (
    campaign_or_404,
    school_link_or_404,
)


def _audience_label(db: Session, link: m.SurveyLink) -> str:
    """Who answers through ``link`` and which form, as posters and slips print it
    ("обучающиеся, анкета «…»")."""
    audience = AUDIENCE_NAMES.get(link.audience, link.audience)
    form = next(
        (f for f in campaign_forms(db, link.campaign_id) if f.fielding_id == link.fielding_id),
        None,
    )
    return f"{audience}, анкета «{form.title}»" if form is not None else audience


@bp.route("/links/<code>/qr.svg")
@requires_role()
def link_qr(user: m.User, code: str):  # type: ignore[no-untyped-def]
    """The QR code of a survey link (SVG, scales to a poster) for staff of that school."""
    db = get_session()
    link = db.scalar(select(m.SurveyLink).where(m.SurveyLink.code == code))
    school = db.get(m.School, link.school_id) if link else None
    if link is None or school is None or not access.can_see_school(user, school):
        abort(404)
    url = url_for("respond.questionnaire", code=code, _external=True)
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2)
    response = make_response(svg)
    response.headers["Content-Type"] = "image/svg+xml"
    return response


#: the largest number of respondents a class link may expect (a class, or its families)
MAX_CLASS_ENROLMENT = 2000
ENROLMENT_MESSAGE = f"Число учащихся (семей) в классе — целое число от 1 до {MAX_CLASS_ENROLMENT}."


def enrolment_label(audience: str) -> str:
    """What the number expected to answer through a class link counts, for this audience."""
    if audience == "student":
        return "Учащихся в классе"
    if audience == "parent":
        return "Семей в классе (родителей отвечает по одному от семьи)"
    return "Сколько человек должны ответить"


def _enrolment(form: FlaskForm, field: StringField) -> None:
    """An optional whole number from 1 to MAX_CLASS_ENROLMENT (empty: not known)."""
    value = (field.data or "").strip()
    if not value:
        field.data = None
        return
    if not value.isdigit() or not 1 <= int(value) <= MAX_CLASS_ENROLMENT:
        raise ValidationError(ENROLMENT_MESSAGE)
    field.data = str(int(value))


def _parsed(field: StringField) -> int | None:
    return int(field.data) if field.data else None


def _form_errors(form: FlaskForm) -> str:
    return (
        " ".join(str(e) for errors in form.errors.values() for e in errors)
        or "Форма заполнена неверно."
    )


class ClassLinkForm(FlaskForm):
    class_name = StringField(
        "Класс", validators=[DataRequired("Укажите класс, например 7Б."), Length(max=4)]
    )
    enrolment = StringField("Учащихся в классе", validators=[_enrolment])


class EnrolmentForm(FlaskForm):
    enrolment = StringField("Учащихся в классе", validators=[_enrolment])


FormT = TypeVar("FormT", bound=FlaskForm)


def _handed_out_link(
    user: m.User, campaign_id: int, code: str
) -> tuple[m.Campaign, m.SurveyLink, m.School]:
    """The campaign and a school's link that ``user`` may hand out (class links, slips):
    404 outside the user's scope, 403 where they may only look."""
    campaign = campaign_or_404(user, campaign_id)
    link, school = school_link_or_404(user, campaign, code)
    if not access.can_hand_out_links(get_session(), user, school):
        abort(403)
    return campaign, link, school


def _link_post(
    user: m.User, campaign_id: int, code: str, form_class: type[FormT]
) -> tuple[Session, m.Campaign, m.SurveyLink, m.School, FormT]:
    """What a staff post about one school link starts with: the campaign and the link within
    the user's scope (404 otherwise), and the form, checked (400 without a valid CSRF token,
    a Russian message for anything else)."""
    db = get_session()
    campaign, link, school = _handed_out_link(user, campaign_id, code)
    form = form_class()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        raise InvalidInput(_form_errors(form))
    return db, campaign, link, school, form


def _record(
    db: Session,
    action: str,
    user: m.User,
    campaign: m.Campaign,
    school: m.School,
    link: m.SurveyLink,
) -> None:
    """The audit entry of a change to a class link (its class and expected number)."""
    audit.record(
        db,
        action,
        user_id=user.id,
        target=f"campaign {campaign.id} school {school.code} {link.audience} {link.class_name}",
        details={"campaign": campaign.id, "enrolment": link.enrolment},
    )


@bp.route("/campaigns/<int:campaign_id>/links/<code>/class", methods=["POST"])
@requires_role(*access.LINK_HANDLERS)
def add_class_link(user: m.User, campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """A separate open link for one class of the school (counted per class), with the number
    of its students (or families) as the denominator of its response rate, if known."""
    db, campaign, link, school, form = _link_post(user, campaign_id, code, ClassLinkForm)
    if link.class_name is not None:
        raise InvalidInput("Ссылку для класса создают из строки всей школы.")
    made = class_link(db, campaign, school, link.audience, form.class_name.data or "")
    enrolment = _parsed(form.enrolment)
    if enrolment is not None:
        made.enrolment = enrolment
    _record(db, "class_link_created", user, campaign, school, made)
    db.commit()
    flash(f"Ссылка для класса {made.class_name} готова. Кто отвечает: {_audience_label(db, made)}.")
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/links/<code>/enrolment", methods=["POST"])
@requires_role(*access.LINK_HANDLERS)
def class_link_enrolment(user: m.User, campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """Change (or clear) how many are expected to answer through a class link."""
    db, campaign, link, school, form = _link_post(user, campaign_id, code, EnrolmentForm)
    if link.class_name is None:
        raise InvalidInput(
            "Число отвечающих задаётся только для ссылки класса; для всей школы оно берётся "
            "из данных школы."
        )
    enrolment = _parsed(form.enrolment)
    if enrolment != link.enrolment:
        link.enrolment = enrolment
        _record(db, "class_link_enrolment", user, campaign, school, link)
        db.commit()
        flash(
            f"Класс {link.class_name}: должны ответить {enrolment}."
            if enrolment is not None
            else f"Класс {link.class_name}: число не указано, доля ответивших не считается."
        )
    else:
        flash("Ничего не изменилось.")
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/links/<code>/poster.pdf")
@requires_role()
def poster(user: m.User, campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """An A4 poster with the link's QR code, for a classroom wall or a parents' meeting."""
    db = get_session()
    campaign = campaign_or_404(user, campaign_id)
    link, school = school_link_or_404(user, campaign, code)
    url = url_for("respond.questionnaire", code=link.code, _external=True)
    html = render_template(
        "staff/poster.html",
        school=school,
        campaign=campaign,
        audience=_audience_label(db, link),
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
@requires_role(*access.LINK_HANDLERS)
def slips(user: m.User, campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    """Issue personal one-time tokens for a school × audience and print them as slips (PDF).

    The plain tokens exist only in this PDF; if it cannot be made, no token is kept.
    """
    db = get_session()
    campaign, link, school = _handed_out_link(user, campaign_id, code)
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
        audience=_audience_label(db, link),
        class_name=link.class_name,
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
        target=f"campaign {campaign.id} school {school.code} {link.audience}"
        + (f" {link.class_name}" if link.class_name else ""),
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
