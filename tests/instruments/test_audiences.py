"""The audiences' names: one place, every audience named in every form, in one order."""

from __future__ import annotations

import pytest

from instruments.audiences import (
    AUDIENCE_HEADINGS,
    AUDIENCE_NAMES,
    AUDIENCE_ORDER,
    RESPONDENT_CHOICES,
)
from instruments.schema import Audience
from surveys import models as m


@pytest.mark.parametrize("names", [AUDIENCE_NAMES, RESPONDENT_CHOICES, AUDIENCE_HEADINGS])
def test_every_audience_is_named_in_the_pages_order(names: dict[str, str]) -> None:
    assert list(names) == list(AUDIENCE_ORDER) == [a.value for a in Audience]
    assert all(label.strip() == label and label for label in names.values())


def test_the_database_knows_the_same_audiences_in_the_same_order() -> None:
    # surveys.campaign_forms orders a campaign's forms by AUDIENCE_ORDER and stores the
    # audience as m.AudienceKind: the two must not drift apart.
    assert [a.value for a in m.AudienceKind] == list(AUDIENCE_ORDER)


def test_the_designer_names_the_school_where_the_administration_answers_for_it() -> None:
    assert RESPONDENT_CHOICES["administration"] == "администрация школы"
    assert AUDIENCE_NAMES["administration"] == "администрация"
    assert {k: v for k, v in RESPONDENT_CHOICES.items() if k != "administration"} == {
        k: v for k, v in AUDIENCE_NAMES.items() if k != "administration"
    }
