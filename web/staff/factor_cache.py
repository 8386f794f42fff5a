"""The empirical factor solution of a campaign's form, cached in-process between page views.

Fitting the factor solution (parallel analysis, then EFA on all schools' answers) takes a
fraction of a second to seconds per form (an instrument version the campaign fields), and
every school page of the campaign needs the same solution. So each worker process keeps the
last ``CACHE_SIZE`` solutions in a small LRU, keyed by what the solution depends on:

- the campaign and the form (the instrument's code), and the instrument version fielded;
- the campaign's settings that change the data or the table (``exclude_flagged``,
  ``min_group_size``);
- a fingerprint of the form's complete responses: their count, largest id, sum of ids, and the
  smallest and largest submission id (random UUIDs). Complete responses are never edited,
  only added (or, by an administrator, removed), and a partial response that is completed
  later keeps its older id, so any change of the set changes the count; the ids and UUIDs make
  a coincidental match harmless, even after a database is emptied and refilled with the same
  number of responses (SQLite reuses row ids).

Reading the fingerprint is one aggregate query; on a hit the answers are not loaded at all.
Each gunicorn worker has its own cache (the web tier keeps no shared state): a worker that has
not seen the campaign yet fits the solution once. Parallel analysis runs with the fixed
``SEED``, so every worker, and every page view, shows the same solution for the same answers.
When the analysis cannot run (too few complete answers), the Russian reason is cached too.

The solution is fitted only on the answers of schools with at least the campaign's minimum of
responses (:func:`analysis.privacy.reportable`): it is standardised on the respondents it is
fitted to, so a small school's answers would otherwise move every other school's published
factor means, and those means with their n would give the small school's away.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from analysis.errors import AnalysisError
from analysis.factor_scores import SchoolFactorScores, school_factor_scores
from analysis.privacy import reportable
from surveys import models as m
from surveys.campaign_forms import campaign_form
from surveys.dataset import form_data, responses_fingerprint

#: solutions kept per worker process (campaign × form pairs)
CACHE_SIZE = 32
#: seed of parallel analysis, fixed so the number of factors never varies between views
SEED = 0

CacheKey = tuple[int, str, int, bool, int, int, int, int, str, str]


@dataclass(frozen=True)
class CampaignFactors:
    """The factor solution of one form of a campaign, or why there is none."""

    campaign_id: int
    audience: str
    #: complete responses to the form (all schools together)
    n_responses: int
    scores: SchoolFactorScores | None
    #: the reason, in Russian, when the solution could not be fitted
    error: str | None
    #: school code -> responses, for the schools below the minimum (left out of the solution)
    suppressed: dict[str, int] = field(default_factory=dict)
    #: the form: the code of the instrument the campaign fields
    instrument_code: str = ""


_cache: OrderedDict[CacheKey, CampaignFactors] = OrderedDict()
_lock = threading.Lock()


def cache_key(session: Session, campaign: m.Campaign, instrument_code: str) -> CacheKey:
    """What the form's factor solution depends on (one aggregate query once the form is
    known)."""
    version_id = campaign_form(session, campaign.id, instrument_code).version_id
    return (
        campaign.id,
        instrument_code,
        version_id,
        bool(campaign.exclude_flagged),
        int(campaign.min_group_size),
        *responses_fingerprint(session, campaign.id, version_id),
    )


def campaign_factors(
    session: Session, campaign: m.Campaign, instrument_code: str
) -> CampaignFactors:
    """The factor solution of the form ``instrument_code`` in ``campaign``, from the cache
    when still valid."""
    key = cache_key(session, campaign, instrument_code)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    result = _fit(session, campaign, instrument_code)
    with _lock:
        _cache[key] = result
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _fit(session: Session, campaign: m.Campaign, instrument_code: str) -> CampaignFactors:
    data = form_data(session, campaign.id, instrument_code)
    kept, suppressed = reportable(
        data.answers, audience=data.audience, min_group_size=data.min_group_size
    )
    scores: SchoolFactorScores | None = None
    error: str | None = None
    if not data.instrument.scales:
        error = "в анкете нет шкал"
    else:
        try:
            scores = school_factor_scores(
                kept, data.instrument, min_group_size=data.min_group_size, seed=SEED
            )
        except AnalysisError as exc:
            error = str(exc)
    return CampaignFactors(
        campaign_id=campaign.id,
        audience=data.audience,
        n_responses=len(data.answers),
        scores=scores,
        error=error,
        suppressed=suppressed,
        instrument_code=instrument_code,
    )


def cached_entries() -> int:
    """How many solutions this process holds now."""
    with _lock:
        return len(_cache)


def clear() -> None:
    """Forget every cached solution (tests; a deployment never needs it)."""
    with _lock:
        _cache.clear()
