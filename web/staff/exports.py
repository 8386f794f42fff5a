"""Downloads of respondent-level data from a campaign's page: each form's answers and scale
scores (CSV, CSV for Russian Excel, XLSX, SPSS) and its codebook (XLSX, HTML), for the roles
``surveys.access.can_export_responses`` lets export; every download is audited before it is
sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from flask import Response, abort, current_app, render_template

from instruments.audiences import AUDIENCE_NAMES
from surveys import access
from surveys import models as m
from surveys.campaign_forms import campaign_forms
from surveys.exports import MEDIA_TYPES, codebook_html, codebook_xlsx, write
from web.auth import current_user, requires_role
from web.db import get_session
from web.exporting import ResponseExport, order_key, record_export, response_export
from web.staff import bp
from web.staff.common import campaign_or_404


class Download(NamedTuple):
    """One file a form's exports offer."""

    kind: str  # answers | scores | codebook
    fmt: str  # csv | xlsx | sav | html
    semicolon: bool
    title: str


#: file name (after the form) -> what it is; nothing else is served
DOWNLOADS = {
    "answers.csv": Download("answers", "csv", False, "CSV"),
    "answers-ru.csv": Download("answers", "csv", True, "CSV для Excel (;)"),
    "answers.xlsx": Download("answers", "xlsx", False, "XLSX"),
    "answers.sav": Download("answers", "sav", False, "SPSS (.sav)"),
    "scores.csv": Download("scores", "csv", False, "CSV"),
    "scores-ru.csv": Download("scores", "csv", True, "CSV для Excel (;)"),
    "scores.xlsx": Download("scores", "xlsx", False, "XLSX"),
    "scores.sav": Download("scores", "sav", False, "SPSS (.sav)"),
    "codebook.xlsx": Download("codebook", "xlsx", False, "XLSX"),
    "codebook.html": Download("codebook", "html", False, "HTML"),
}


def _exportable_campaign(user: m.User, campaign_id: int) -> m.Campaign:
    """The campaign, if ``user`` may export its answers; 404 otherwise (ids elsewhere are
    not confirmed)."""
    campaign = campaign_or_404(user, campaign_id)
    if not access.can_export_responses(get_session(), user, campaign):
        abort(404)
    return campaign


@bp.context_processor
def _export_offer() -> dict[str, Callable[[m.Campaign], bool]]:
    """``can_export_responses(campaign)`` for the campaign page's block of downloads."""

    def can_export(campaign: m.Campaign) -> bool:
        user = current_user()
        return user is not None and access.can_export_responses(get_session(), user, campaign)

    return {"can_export_responses": can_export}


@bp.route("/campaigns/<int:campaign_id>/exports/")
@requires_role(*access.EXPORTERS)
def campaign_exports(user: m.User, campaign_id: int) -> str:
    """The campaign's forms with their downloads."""
    campaign = _exportable_campaign(user, campaign_id)
    return render_template(
        "staff/exports.html",
        campaign=campaign,
        forms=campaign_forms(get_session(), campaign.id),
        downloads=DOWNLOADS,
        audience_names=AUDIENCE_NAMES,
    )


@bp.route("/campaigns/<int:campaign_id>/exports/<form>/<name>")
@requires_role(*access.EXPORTERS)
def export_file(user: m.User, campaign_id: int, form: str, name: str) -> Response:
    """One file of a form's exports, recorded in the audit log before it is sent."""
    campaign = _exportable_campaign(user, campaign_id)
    download = DOWNLOADS.get(name)
    fielded = {f.instrument_code: f for f in campaign_forms(get_session(), campaign.id)}
    if download is None or form not in fielded:
        abort(404)
    db = get_session()
    export = response_export(
        db,
        campaign.id,
        fielded[form].audience,
        instrument_code=form,
        key=order_key(current_app.config["SECRET_KEY"]),
    )
    content, media_type = _content(export, download)
    record_export(
        db,
        export,
        user_id=user.id,
        files={download.kind: "csv-ru" if download.semicolon else download.fmt},
        via="web",
    )
    db.commit()
    response = Response(content, content_type=media_type)
    # form codes are [a-z0-9_] (instrument codes), so the name needs no quoting
    filename = f"{campaign.id}-{form}-{name}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _content(export: ResponseExport, download: Download) -> tuple[bytes, str]:
    if download.kind == "codebook":
        if download.fmt == "html":
            return codebook_html(export.codebook).encode("utf-8"), "text/html; charset=utf-8"
        return codebook_xlsx(export.codebook), MEDIA_TYPES["xlsx"]
    frame = export.answers if download.kind == "answers" else export.scores
    return write(frame, download.fmt, semicolon=download.semicolon), MEDIA_TYPES[download.fmt]
