"""The answers of a campaign's forms as frames (surveys.dataset.load_forms): every form's own
responses, read in one query, with the documents decoded in one call; a numeric item's
answers as floats whatever the document holds, other items as stored, None for no answer."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.benchmarks import campaign_answers
from surveys.campaign_forms import campaign_forms
from surveys.dataset import META_COLUMNS, load_form, load_forms
from tests.factories import link_for, make_campaign, make_district, make_response, make_school


@pytest.fixture
def campaign(db: Session) -> m.Campaign:
    """Two schools, the grades 2–4 and 5–11 student forms; answers of every kind of value."""
    district = make_district(db)
    first = make_school(db, district, code="S1")
    second = make_school(db, district, code="S2")
    campaign = make_campaign(
        db, [first, second], forms=["student_2_4", "student_5_11"], exclude_flagged=True
    )
    older = link_for(db, campaign, first, form="student_5_11")
    younger = link_for(db, campaign, second, form="student_2_4")
    answers: list[tuple[m.SurveyLink, dict[str, Any], list[Any]]] = [
        (older, {"grade": 7, "mot_int_1": 4, "tutor_subjects": ["math", "russian"]}, []),
        (younger, {"grade": 3, "mot_int_1": 2}, []),
        # a number as a string (an old import), a float, a null and a missing answer
        (older, {"grade": "8", "mot_int_1": 2.5, "mot_int_2": None}, []),
        (older, {"grade": 9, "mot_int_1": "не помню", "tutor_subjects": []}, []),
        (older, {"grade": 10, "mot_int_1": 1}, ["too_fast"]),
    ]
    for link, document, flags in answers:
        make_response(
            db, link, answers=document, flags=flags, duration_seconds=300, class_name="7А"
        )
    make_response(db, older, answers={"grade": 11}, status=m.ResponseStatus.partial.value)
    db.flush()
    return campaign


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return type(left) is type(right) and left == right


def test_each_form_gets_its_own_complete_unflagged_responses(
    db: Session, campaign: m.Campaign
) -> None:
    younger, older = (
        data.answers for data in load_forms(db, campaign, campaign_forms(db, campaign.id))
    )
    assert list(older.columns[: len(META_COLUMNS)]) == META_COLUMNS
    assert older.index.name == "response_id" and str(older.index.dtype) == "int64"
    assert older.index.is_monotonic_increasing
    assert len(older) == 3 and len(younger) == 1
    assert list(older["school_code"]) == ["S1"] * 3
    assert list(younger["school_code"]) == ["S2"]
    assert older["submitted_on"].map(type).eq(dt.date).all()
    assert str(older["duration_seconds"].dtype) == "float64"
    assert list(older["class_name"]) == ["7А"] * 3


def test_numeric_items_are_floats_and_other_items_as_stored(
    db: Session, campaign: m.Campaign
) -> None:
    older = load_forms(db, campaign, campaign_forms(db, campaign.id))[1].answers
    assert str(older["grade"].dtype) == "float64"
    assert list(older["grade"]) == [7.0, 8.0, 9.0]
    assert [_same(a, b) for a, b in zip(older["mot_int_1"], [4.0, 2.5, math.nan], strict=True)] == [
        True
    ] * 3
    assert older["mot_int_2"].isna().all()
    assert older["tutor_subjects"].tolist() == [["math", "russian"], None, []]


def test_one_form_a_school_subset_and_every_form_agree(db: Session, campaign: m.Campaign) -> None:
    forms = campaign_forms(db, campaign.id)
    together = load_forms(db, campaign, forms)
    for form, data in zip(forms, together, strict=True):
        alone = load_form(db, campaign, form).answers
        assert alone.equals(data.answers) and list(alone.dtypes) == list(data.answers.dtypes)
    answers = campaign_answers(db, campaign.id)
    assert list(answers) == [form.instrument_code for form in forms]
    subset = load_forms(db, campaign, forms, ["S2"])
    assert [len(data.answers) for data in subset] == [1, 0]
    empty = subset[1].answers
    assert list(empty.columns) == list(together[1].answers.columns)
    assert str(empty["grade"].dtype) == "float64" and empty["tutor_subjects"].dtype == object
    assert load_forms(db, campaign, []) == []


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        # texts and lists (what a choice or free answer stores) as they are
        ([["math"], "тест", None, ...], [["math"], "тест", None, None]),
        # anything else as pandas reads records: a column of numbers becomes floats
        ([1, 2.5, None, ...], [1.0, 2.5, None, None]),
        ([1, 2, ...], [1.0, 2.0, None]),
        ([1, 2], [1, 2]),
        ([True, None, ...], [True, None, None]),
        ([["math"], 3, ...], [["math"], 3, None]),
    ],
)
def test_other_items_hold_what_pandas_reads_from_the_records(
    stored: list[Any], read: list[Any]
) -> None:
    """A choice item's column of texts and lists is taken as stored; one holding anything
    else (an import's numbers or booleans) as pandas' reading of records has always given it
    (``...``: no such key in the document)."""
    from instruments.library import builtin
    from surveys.dataset import _answers_frame

    documents = [{} if value is ... else {"tutor_subjects": value} for value in stored]
    rows: list[Sequence[Any]] = [
        ("student", 1, n, "S1", None, dt.date(2026, 3, 2), 60, json.dumps(document))
        for n, document in enumerate(documents, start=1)
    ]
    column = _answers_frame(builtin("student_5_11"), rows)["tutor_subjects"]
    assert column.dtype == object
    assert [(type(value), value) for value in column] == [(type(value), value) for value in read]
