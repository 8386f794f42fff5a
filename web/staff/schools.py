"""Staff pages of schools: the list an account may see, a school's results (scale scores and
empirical factor scores), its reference and its factor scores as CSV."""

from __future__ import annotations

from flask import (
    make_response,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from analysis.report import ReferenceModel
from analysis.report.front_matter import signed
from instruments.audiences import AUDIENCE_NAMES, AUDIENCE_ORDER
from instruments.io.spreadsheet import XLSX_MIMETYPE
from surveys import access
from surveys import models as m
from surveys.districts import setup_steps
from surveys.users import visible_schools
from web.auth import requires_role
from web.chart_assets import REFERENCE_CSP, reference_page
from web.db import get_session
from web.errors import render_error
from web.reference_facts import preparer_of
from web.reporting import school_in_campaign, school_reference
from web.staff import bp
from web.staff.common import (
    campaign_or_404,
    record_and_commit,
    school_or_404,
)
from web.staff.factor_table import (
    csv_filename,
    factor_csv,
    factor_xlsx,
    scale_sections,
    school_factor_table,
)


@bp.route("/")
@requires_role()
def schools(user: m.User):  # type: ignore[no-untyped-def]
    db = get_session()
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
    audiences = AUDIENCE_ORDER
    # A new installation's next steps, for those who can take them.
    setup = setup_steps(db, user) if access.can_manage_schools(user) else None
    return render_template(
        "staff/schools.html",
        schools=school_list,
        counts=counts,
        audiences=audiences,
        audience_names=AUDIENCE_NAMES,
        setup=setup if setup is not None and not setup.complete else None,
        may_create_district=access.can_create_district(user),
        users_url=_users_url(),
    )


def _users_url() -> str:
    # The staff accounts' page (web/staff/users.py); its path, should it not be registered.
    try:
        return url_for("staff.users")
    except BuildError:
        return "/staff/users/"


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
def school(user: m.User, code: str):  # type: ignore[no-untyped-def]
    school = school_or_404(user, code)
    db = get_session()
    campaigns = _campaigns_of(school)
    references = [(c, school_reference(db, c.id, school.code)) for c in campaigns]
    factors = {
        c.id: [school_factor_table(db, c, section, school.code) for section in ref.sections]
        for c, ref in references
    }
    return render_template(
        "staff/school.html", school=school, references=references, factors=factors
    )


@bp.route("/campaigns/<int:campaign_id>/schools/<code>/factors.<any(csv, xlsx):kind>")
@requires_role()
def factor_scores_download(  # type: ignore[no-untyped-def]
    user: m.User, campaign_id: int, code: str, kind: str
):
    """The school's empirical factor scores beside its scale scores, every audience, as CSV
    or as a workbook."""
    school = school_or_404(user, code)
    campaign = campaign_or_404(user, campaign_id)
    db = get_session()
    school_in_campaign(db, campaign, school.code)
    tables = [
        school_factor_table(db, campaign, section, school.code)
        for section in scale_sections(db, campaign, school.code)
    ]
    record_and_commit(
        "factor_scores_downloaded", f"campaign {campaign.id} school {school.code} ({kind})"
    )
    if kind == "xlsx":
        response = make_response(factor_xlsx(school, campaign, tables))
        response.headers["Content-Type"] = XLSX_MIMETYPE
    else:
        response = make_response(factor_csv(school, campaign, tables))
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{csv_filename(campaign, school, kind)}"'
    )
    return response


def _signed(user: m.User, model: ReferenceModel) -> ReferenceModel:
    """The reference prepared by the signed-in user, with the «УТВЕРЖДАЮ» block when the
    link asks for it (``?approval=1``)."""
    return signed(
        model, prepared_by=preparer_of(user), approval=request.args.get("approval") == "1"
    )


@bp.route("/campaigns/<int:campaign_id>/schools/<code>/reference.html")
@requires_role()
def reference(user: m.User, campaign_id: int, code: str):  # type: ignore[no-untyped-def]
    school = school_or_404(user, code)
    campaign_or_404(user, campaign_id)
    db = get_session()
    model = _signed(user, school_reference(db, campaign_id, school.code))
    record_and_commit("reference_viewed", f"campaign {campaign_id} school {school.code}")
    response = make_response(reference_page(model))
    # Its own inline styles; its charts drawn by plotly.js, a script of the app's.
    response.headers["Content-Security-Policy"] = REFERENCE_CSP
    return response


@bp.route("/campaigns/<int:campaign_id>/schools/<code>/reference.<any(docx, pdf):kind>")
@requires_role()
def reference_file(  # type: ignore[no-untyped-def]
    user: m.User, campaign_id: int, code: str, kind: str
):
    """The reference as a file to hand in: DOCX to edit, PDF to print (the same text as the
    HTML page, with the same access)."""
    from web.pdf import PdfUnavailable
    from web.reference_files import MEDIA_TYPES, content_disposition, render_reference

    school = school_or_404(user, code)
    campaign_or_404(user, campaign_id)
    model = _signed(user, school_reference(get_session(), campaign_id, school.code))
    try:
        content = render_reference(model, kind)
    except PdfUnavailable as exc:
        return render_error(503, str(exc))
    record_and_commit(
        "reference_downloaded", f"campaign {campaign_id} school {school.code} ({kind})"
    )
    response = make_response(content)
    response.headers["Content-Type"] = MEDIA_TYPES[kind]
    response.headers["Content-Disposition"] = content_disposition(
        campaign_id, school.code, school.name, kind
    )
    return response
