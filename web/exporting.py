"""Respondent-level exports of one form of a campaign: the one place that reads the answers,
scores them (``analysis.scoring``) and builds the labelled files, for the CLI and the staff
downloads alike, and the audit entry every export leaves."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from instruments.audiences import AUDIENCE_NAMES
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument
from surveys import audit
from surveys import models as m
from surveys.campaign_forms import FieldedForm, campaign_form, only_form
from surveys.campaigns import get_campaign
from surveys.dataset import load_form
from surveys.errors import NotFound
from surveys.exports import (
    Codebook,
    LabelledFrame,
    anonymised_respondents,
    answers_frame,
    build_codebook,
    scores_frame,
)

#: the audit action of every export of respondent-level data (answers, scores, codebook)
EXPORTED = "responses_exported"


@dataclass(frozen=True)
class ResponseExport:
    """The answers, scale scores and codebook of one form of a campaign."""

    campaign: m.Campaign
    form: FieldedForm
    instrument: Instrument
    answers: LabelledFrame
    scores: LabelledFrame
    codebook: Codebook


def order_key(secret_key: str) -> bytes:
    """The key that orders an export's respondents, derived from the application's secret:
    the order is the same at every download and unknown to whoever lacks the secret."""
    return hmac.new(secret_key.encode(), b"rootcause.export-order", hashlib.sha256).digest()


def export_form(
    session: Session, campaign: m.Campaign, audience: str, instrument_code: str | None
) -> FieldedForm:
    """The form of ``audience`` to export: the one named, or the audience's only form.

    Raises
    ------
    NotFound
        The campaign does not field that form to that audience.
    InvalidInput
        No form named and the audience has several.
    """
    if instrument_code is None:
        return only_form(session, campaign.id, audience)
    form = campaign_form(session, campaign.id, instrument_code)
    if form.audience != audience:
        raise NotFound(
            f"В кампании {campaign.id} анкета «{instrument_code}» не для группы «{audience}»."
        )
    return form


def response_export(
    session: Session,
    campaign_id: int,
    audience: str,
    *,
    instrument_code: str | None = None,
    key: bytes,
    today: dt.date | None = None,
) -> ResponseExport:
    """Answers, scale scores and codebook of a campaign's form for ``audience`` (the one
    named by ``instrument_code`` when the audience has several), renumbered with ``key``."""
    from analysis.scoring import score_scales  # pandas/scipy: only when exporting

    campaign = get_campaign(session, campaign_id)
    form = export_form(session, campaign, audience, instrument_code)
    data = load_form(session, campaign, form)
    # A form answered for the school (the administration's) describes no person: no minimum.
    minimum = 1 if audience in INSTITUTIONAL_AUDIENCES else campaign.min_group_size
    respondents = anonymised_respondents(
        data.answers,
        min_group_size=minimum,
        order_key=key,
        scope=f"{campaign.id}/{form.instrument_code}",
    )
    answers = answers_frame(data, respondents)
    scored = score_scales(data.answers, data.instrument)
    scores = scores_frame(data, respondents, scored.score, scored.pomp)
    codebook = build_codebook(
        answers,
        data.instrument,
        campaign_title=campaign.title,
        exported_on=today or dt.date.today(),
        scores=scores,
        audience_label=AUDIENCE_NAMES.get(audience),
        exclude_flagged=campaign.exclude_flagged,
    )
    return ResponseExport(
        campaign=campaign,
        form=form,
        instrument=data.instrument,
        answers=answers,
        scores=scores,
        codebook=codebook,
    )


def record_export(
    session: Session,
    export: ResponseExport,
    *,
    user_id: int | None,
    files: dict[str, str],
    via: str,
) -> None:
    """Audit an export before it is handed out: who, which campaign, audience and form, which
    files (``{"answers": "sav", "codebook": "html"}``) and how; never any data."""
    form = export.form
    audit.record(
        session,
        EXPORTED,
        user_id=user_id,
        target=f"campaign {export.campaign.id} {form.audience} {form.instrument_code}",
        details={
            "campaign": export.campaign.id,
            "audience": export.form.audience,
            "form": export.form.instrument_code,
            "version": export.form.version,
            "files": files,
            "via": via,
        },
    )
