"""A campaign's answers and its district-wide analysis, kept in-process between references.

Every school's reference of a campaign compares the school with all the campaign's schools:
the answers of every form are loaded, scored, turned into indicators of every school, shrunk,
profiled and fed to the district model of causes. None of that depends on which school the
reference is for. So each worker process keeps, for the last ``CACHE_SIZE`` campaigns, the
loaded answers (this wave's and the previous wave's) and an :class:`analysis.memo.MemoStore`
holding the district-wide results (:mod:`analysis.memo`); the staff school page, the web
reference and its DOCX and PDF then cost the school's own part only.

An entry is keyed, as ``web.staff.factor_cache`` is, by what the answers depend on: the
campaign's forms (instrument versions) and settings (``exclude_flagged``, ``min_group_size``,
the previous wave), and a fingerprint of the complete responses of the campaign and of its
previous wave (count, largest id, sum of ids, smallest and largest submission id: complete
responses are only ever added or removed, so any change of the set changes the key). Reading
the fingerprint is one aggregate query per campaign. What is cheap and may change by itself
(assessment results, the schools' status, the frozen benchmark chosen, enrolment and
response counts for the title block) is read for every reference and is not part of the key:
:mod:`analysis.memo` keys such small tables by their content.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from analysis.memo import MemoStore
from surveys import models as m
from surveys.benchmarks import Answers, campaign_answers
from surveys.campaign_forms import campaign_forms
from surveys.dataset import responses_fingerprint

#: campaigns kept per worker process
CACHE_SIZE = 8
#: results a store keeps before it starts afresh (a safety bound: a campaign's references
#: need a few hundred)
MAX_RESULTS = 20_000


@dataclass
class CampaignEntry:
    """The answers of a campaign (and of its previous wave) and their shared analysis."""

    answers: Answers
    #: the previous wave's answers to the forms both waves fielded, or None
    previous: Answers | None
    store: MemoStore = field(default_factory=MemoStore)


Fingerprint = tuple[object, ...]

_cache: OrderedDict[Fingerprint, CampaignEntry] = OrderedDict()
_lock = threading.Lock()


def _campaign_key(session: Session, campaign: m.Campaign) -> tuple[object, ...]:
    forms = tuple(
        (form.instrument_code, form.version_id) for form in campaign_forms(session, campaign.id)
    )
    return (
        campaign.id,
        forms,
        bool(campaign.exclude_flagged),
        int(campaign.min_group_size),
        responses_fingerprint(session, campaign.id),
    )


def fingerprint(session: Session, campaign: m.Campaign) -> Fingerprint:
    """What the campaign's answers and their analysis depend on."""
    key: tuple[object, ...] = (_campaign_key(session, campaign),)
    if campaign.previous_campaign_id is not None:
        previous = session.get(m.Campaign, campaign.previous_campaign_id)
        if previous is not None:
            key += (_campaign_key(session, previous),)
    return key


def campaign_entry(session: Session, campaign: m.Campaign) -> CampaignEntry:
    """The campaign's answers and shared analysis, from the cache while still valid."""
    key = fingerprint(session, campaign)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            if len(hit.store.results) > MAX_RESULTS:
                hit.store = MemoStore()
            return hit
    answers = campaign_answers(session, campaign.id)
    previous = None
    if campaign.previous_campaign_id is not None:
        previous = campaign_answers(session, campaign.previous_campaign_id, list(answers))
    entry = CampaignEntry(answers=answers, previous=previous)
    with _lock:
        entry = _cache.setdefault(key, entry)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


def cached_campaigns() -> int:
    """How many campaigns this process holds now."""
    with _lock:
        return len(_cache)


def clear() -> None:
    """Forget every cached campaign (tests; a deployment never needs it)."""
    with _lock:
        _cache.clear()
