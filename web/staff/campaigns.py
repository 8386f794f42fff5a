"""Campaign pages: the list, a campaign's rates and links, creating, opening and closing, and
what its schools are compared with (a frozen benchmark, the previous wave)."""

from __future__ import annotations

import itertools

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from instruments.audiences import AUDIENCE_NAMES
from instruments.quality import FLAG_LABELS
from surveys import access
from surveys import models as m
from surveys.benchmarks import (
    earlier_waves,
    freeze_benchmark,
    list_benchmarks,
    set_previous_wave,
    set_reference,
)
from surveys.campaign_forms import campaign_forms, form_choices, published_versions
from surveys.campaigns import CLASS_AUDIENCES, open_links
from surveys.errors import InvalidInput, SurveysError
from surveys.rates import response_rates
from surveys.waves import offered_schools, schools_by_id, start_campaign
from web.auth import requires_role
from web.db import get_session
from web.respond import forget_links
from web.staff import bp
from web.staff.common import (
    campaign_or_404,
    managed_campaign_or_404,
    record_and_commit,
)
from web.staff.links import MAX_CLASS_ENROLMENT, enrolment_label


@bp.route("/campaigns/")
@requires_role()
def campaigns(user: m.User):  # type: ignore[no-untyped-def]
    db = get_session()
    return render_template(
        "staff/campaigns.html",
        campaigns=db.scalars(access.visible_campaigns(db, user)).all(),
        may_create=any(
            access.can_create_campaign(user, d.id)
            for d in db.scalars(access.visible_districts(user))
        ),
    )


@bp.route("/campaigns/<int:campaign_id>/")
@requires_role()
def campaign(user: m.User, campaign_id: int):  # type: ignore[no-untyped-def]
    """Response counts and rates per school and audience, and the links to hand out."""
    db = get_session()
    campaign = campaign_or_404(user, campaign_id)
    schools = list(db.scalars(access.visible_schools(user)))
    school_ids = [s.id for s in schools]
    rows = response_rates(db, campaign, school_ids)
    links = open_links(db, campaign, school_ids)
    benchmark = db.get(m.Benchmark, campaign.benchmark_id) if campaign.benchmark_id else None
    previous = (
        db.get(m.Campaign, campaign.previous_campaign_id) if campaign.previous_campaign_id else None
    )
    can_manage = access.can_manage_campaign(db, user, campaign)
    comparison_form = _comparison_form(campaign) if can_manage else None
    if comparison_form is not None:
        comparison_form.benchmark.data = str(campaign.benchmark_id or "")
        comparison_form.previous.data = str(campaign.previous_campaign_id or "")
    return render_template(
        "staff/campaign.html",
        campaign=campaign,
        forms=campaign_forms(db, campaign.id),
        rows=rows,
        links=links,
        audience_names=AUDIENCE_NAMES,
        benchmark=benchmark,
        previous=previous,
        comparison_form=comparison_form,
        freeze_form=FreezeForm() if can_manage else None,
        quality_form=QualityForm(exclude_flagged=campaign.exclude_flagged) if can_manage else None,
        flag_labels=FLAG_LABELS,
        enrolment_label=enrolment_label,
        max_enrolment=MAX_CLASS_ENROLMENT,
        class_audiences=CLASS_AUDIENCES,
        can_manage=can_manage,
        hand_out_codes={s.code for s in schools if access.can_hand_out_links(db, user, s)},
    )


class QualityForm(FlaskForm):
    exclude_flagged = BooleanField(
        "Не учитывать в анализе анкеты с признаками недобросовестного заполнения"
    )


@bp.route("/campaigns/<int:campaign_id>/quality", methods=["POST"])
@requires_role(*access.MANAGERS)
def campaign_quality(user: m.User, campaign_id: int):  # type: ignore[no-untyped-def]
    """Whether responses flagged for data quality are left out of the campaign's analysis."""
    campaign = managed_campaign_or_404(user, campaign_id)
    form = QualityForm()
    if not form.validate_on_submit():
        abort(400)
    wanted = bool(form.exclude_flagged.data)
    if wanted == campaign.exclude_flagged:
        flash("Настройка не изменилась.")
    else:
        campaign.exclude_flagged = wanted
        record_and_commit(
            "campaign_exclude_flagged",
            campaign.title,
            {"campaign": campaign.id, "exclude_flagged": wanted},
        )
        flash(
            "Анкеты с признаками недобросовестного заполнения теперь не учитываются в анализе."
            if wanted
            else "Анкеты с признаками недобросовестного заполнения теперь учитываются в анализе."
        )
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))


class ComparisonForm(FlaskForm):
    # The choices only offer this district's benchmarks and earlier waves; the services check
    # a posted id again (district, dates), so the choices are not validated here.
    benchmark = SelectField("С чем сравнивать школы (z-оценки)", validate_choice=False)
    previous = SelectField("Предыдущая волна (динамика)", validate_choice=False)


class FreezeForm(FlaskForm):
    title = StringField(
        "Название эталона",
        validators=[DataRequired("Укажите название эталона."), Length(max=300)],
    )


def _comparison_form(campaign: m.Campaign) -> ComparisonForm:
    db = get_session()
    form = ComparisonForm()
    form.benchmark.choices = [SelectChoice("", "школы кампании")] + [
        SelectChoice(str(b.id), f"эталон «{b.title}», зафиксирован {b.created_at:%d.%m.%Y}")
        for b in list_benchmarks(db, campaign.district_id)
    ]
    form.previous.choices = [SelectChoice("", "нет")] + [
        SelectChoice(str(c.id), f"{c.title} (с {c.opens_on:%d.%m.%Y})")
        for c in earlier_waves(db, campaign)
    ]
    return form


def _optional_id(value: str | None, what: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(f"Неверный номер: {what}.")
    return int(value)


@bp.route("/campaigns/<int:campaign_id>/comparison", methods=["POST"])
@requires_role(*access.MANAGERS)
def campaign_comparison(user: m.User, campaign_id: int):  # type: ignore[no-untyped-def]
    """Choose the reference of z-scores (own schools or a benchmark) and the previous wave."""
    db = get_session()
    campaign = managed_campaign_or_404(user, campaign_id)
    form = _comparison_form(campaign)
    if not form.validate_on_submit():
        abort(400)
    benchmark_id = _optional_id(form.benchmark.data, "эталон")
    previous_id = _optional_id(form.previous.data, "предыдущая волна")
    changed = False
    if benchmark_id != campaign.benchmark_id:
        set_reference(db, campaign, benchmark_id, user_id=user.id)
        changed = True
    if previous_id != campaign.previous_campaign_id:
        set_previous_wave(db, campaign, previous_id, user_id=user.id)
        changed = True
    db.commit()
    flash("Настройки сравнения сохранены." if changed else "Настройки сравнения не изменились.")
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/benchmark", methods=["POST"])
@requires_role(*access.MANAGERS)
def freeze_campaign(user: m.User, campaign_id: int):  # type: ignore[no-untyped-def]
    """Freeze this campaign's schools as a benchmark of the district."""
    db = get_session()
    campaign = managed_campaign_or_404(user, campaign_id)
    form = FreezeForm()
    if not form.validate_on_submit():
        raise InvalidInput(
            " ".join(str(e) for errors in form.errors.values() for e in errors)
            or "Форма заполнена неверно."
        )
    frozen = freeze_benchmark(db, campaign.id, form.title.data or "", user_id=user.id)
    db.commit()
    flash(
        f"Эталон «{frozen.title}» зафиксирован по {frozen.stats['schools']} школам; "
        "его можно выбрать для сравнения в кампаниях района."
    )
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))


class CampaignForm(FlaskForm):
    title = StringField("Название", validators=[DataRequired("Укажите название."), Length(max=300)])
    period = StringField("Период (например, 2026/27, осень)", validators=[Length(max=32)])
    opens_on = DateField("Начало", validators=[DataRequired("Укажите дату начала.")])
    closes_on = DateField("Окончание", validators=[DataRequired("Укажите дату окончания.")])
    min_group_size = IntegerField(
        "Минимальный размер группы для показа результатов",
        default=5,
        validators=[NumberRange(3, 50, "От 3 до 50.")],
    )
    exclude_flagged = BooleanField("Не учитывать анкеты с признаками недобросовестного заполнения")


def _posted_ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdigit()]


def _district_for_new_campaign(user: m.User) -> m.District | list[m.District]:
    """The district a new campaign is for: the coordinator's own; an administrator names one
    (district_id) or, when there are several and none is named, chooses from the list
    returned; a district outside the user's scope is missing (404)."""
    db = get_session()
    district_id = access.district_id_of(db, user)
    if access.is_admin(user) and district_id is None:
        district_id = request.values.get("district_id", type=int)
        if district_id is None:
            districts = list(db.scalars(access.visible_districts(user)))
            if len(districts) != 1:
                return districts
            district_id = districts[0].id
    district = db.get(m.District, district_id) if district_id else None
    if district is None or not access.can_create_campaign(user, district.id):
        abort(404)
    return district


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires_role(*access.MANAGERS)
def new_campaign(user: m.User):  # type: ignore[no-untyped-def]
    """A coordinator starts a wave: dates, the district's active schools, and the forms it
    fields (the latest version of each audience's main form checked by default)."""
    db = get_session()
    district = _district_for_new_campaign(user)
    if isinstance(district, list):
        return render_template("staff/campaign_district.html", districts=district)
    schools = offered_schools(db, district.id)
    choices = form_choices(db)
    form = CampaignForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            campaign = start_campaign(
                db,
                district=district,
                title=form.title.data or "",
                period=form.period.data or "",
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                schools=schools_by_id(db, district.id, _posted_ids("school")),
                versions=published_versions(db, _posted_ids("form")),
                min_group_size=form.min_group_size.data or 5,
                exclude_flagged=bool(form.exclude_flagged.data),
                user_id=user.id,
            )
        except SurveysError as exc:
            db.rollback()
            errors.append(exc.message)
        else:
            db.commit()
            named = ", ".join(f"«{f.title}»" for f in campaign_forms(db, campaign.id))
            flash(f"Кампания создана, ссылки для школ готовы. Анкеты кампании: {named}.")
            return redirect(url_for("staff.campaign", campaign_id=campaign.id))
    elif request.method == "POST":
        errors.extend(str(e) for field_errors in form.errors.values() for e in field_errors)
    posted = request.method == "POST"
    page = render_template(
        "staff/campaign_new.html",
        form=form,
        schools=schools,
        choice_groups=[
            (audience, [c for c in group if c.latest], [c for c in group if not c.latest])
            for audience, group in (
                (a, list(g)) for a, g in itertools.groupby(choices, lambda c: c.audience)
            )
        ],
        main_forms=[c for c in choices if c.preselected],
        audience_names=AUDIENCE_NAMES,
        errors=errors,
        district=district,
        chosen=set(_posted_ids("school")) if posted else {s.id for s in schools},
        chosen_forms=set(_posted_ids("form"))
        if posted
        else {c.version_id for c in choices if c.preselected},
    )
    return make_response(page, 400 if errors else 200)


@bp.route("/campaigns/<int:campaign_id>/status", methods=["POST"])
@requires_role(*access.MANAGERS)
def campaign_status(user: m.User, campaign_id: int):  # type: ignore[no-untyped-def]
    """Open or close a campaign (a closed one accepts no answers, and its personal tokens
    no longer point at unfinished questionnaires: surveys.tokens.forget_progress)."""
    from surveys.tokens import forget_progress

    campaign = managed_campaign_or_404(user, campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    wanted = request.form.get("status")
    if wanted not in (m.CampaignStatus.open.value, m.CampaignStatus.closed.value):
        abort(400)
    campaign.status = wanted
    if wanted == m.CampaignStatus.closed.value:
        forget_progress(get_session(), campaign_id=campaign.id)
    record_and_commit(f"campaign_{wanted}", campaign.title, {"campaign": campaign.id})
    forget_links()  # this worker at once; the others within LinkCache.seconds
    flash("Приём ответов открыт." if wanted == "open" else "Приём ответов закрыт.")
    return redirect(url_for("staff.campaign", campaign_id=campaign.id))
