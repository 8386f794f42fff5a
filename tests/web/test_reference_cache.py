"""web.reference_cache: a campaign's answers are loaded once for all its schools' references
and loaded again as soon as what they depend on changes (a new complete response, a setting)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy.orm import Session

from analysis.report import ReferenceModel
from surveys import models as m
from tests.factories import link_for, make_campaign, make_district, make_response, make_school
from web import reference_cache
from web.reporting import school_reference

TEACHER_SCALE = "burnout"


@pytest.fixture(autouse=True)
def _empty() -> Iterator[None]:
    reference_cache.clear()
    yield
    reference_cache.clear()


def _answers(rng: np.random.Generator) -> dict[str, int]:
    from instruments.library import builtin

    teacher = builtin("teacher")
    out = {}
    for item in teacher.items():
        if item.type.value in ("likert", "single") and item.options:
            out[item.code] = int(rng.integers(1, len(item.options) + 1))
    return out


def _scenario(db: Session) -> tuple[m.Campaign, list[m.School]]:
    district = make_district(db, name="Район кэша")
    schools = [make_school(db, district, code=code) for code in ("K1", "K2", "K3")]
    campaign = make_campaign(db, schools, audiences={"teacher": "teacher"}, min_group_size=3)
    rng = np.random.default_rng(5)
    for school in schools:
        link = link_for(db, campaign, school, "teacher")
        for _ in range(6):
            make_response(db, link, answers=_answers(rng))
    db.commit()
    return campaign, schools


def _teachers(model: ReferenceModel) -> int:
    return next(s.n_responses for s in model.sections if s.audience == "teacher")


def test_answers_are_loaded_once_for_every_school_of_the_campaign(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, _schools = _scenario(db)
    loads: list[int] = []
    real = reference_cache.campaign_answers

    def counting(session, campaign_id, forms=None):  # type: ignore[no-untyped-def]
        loads.append(campaign_id)
        return real(session, campaign_id, forms)

    monkeypatch.setattr(reference_cache, "campaign_answers", counting)
    first = school_reference(db, campaign.id, "K1")
    store = reference_cache.campaign_entry(db, campaign).store
    misses = store.misses
    second = school_reference(db, campaign.id, "K2")
    again = school_reference(db, campaign.id, "K1")
    assert loads == [campaign.id]
    assert reference_cache.cached_campaigns() == 1
    # The second school computed nothing district-wide afresh; the first again nothing at all.
    assert store.misses == misses
    assert _teachers(first) == _teachers(second) == _teachers(again) == 6
    assert again == first


def test_a_new_response_or_a_changed_setting_loads_the_answers_again(db: Session) -> None:
    campaign, schools = _scenario(db)
    assert _teachers(school_reference(db, campaign.id, "K1")) == 6
    before = reference_cache.campaign_entry(db, campaign)

    make_response(db, link_for(db, campaign, schools[0], "teacher"), answers={})
    db.commit()
    assert _teachers(school_reference(db, campaign.id, "K1")) == 7
    after = reference_cache.campaign_entry(db, campaign)
    assert after is not before

    campaign.min_group_size = 10  # every school now under the minimum
    db.commit()
    model = school_reference(db, campaign.id, "K1")
    assert reference_cache.campaign_entry(db, campaign) is not after
    assert model.min_group_size == 10


def test_a_partial_response_leaves_the_entry_alone(db: Session) -> None:
    campaign, schools = _scenario(db)
    school_reference(db, campaign.id, "K2")
    entry = reference_cache.campaign_entry(db, campaign)
    make_response(
        db,
        link_for(db, campaign, schools[1], "teacher"),
        status=m.ResponseStatus.partial.value,
    )
    db.commit()
    assert reference_cache.campaign_entry(db, campaign) is entry
