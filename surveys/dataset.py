"""The one bridge from the database to analysis: stored responses become pandas DataFrames.

Answers are loaded per *form*: one instrument version a campaign fields (a fielding). An
audience may be given several forms in one wave (the grades 2–4 and 5–11 questionnaires for
students), and their items differ, so each form's answers are a frame of their own, keyed by
the instrument's code (:func:`form_data`); :func:`surveys.campaign_forms.campaign_forms`
lists a campaign's forms.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import Session

from instruments.schema import NUMERIC_TYPES, Instrument, ItemType
from surveys import models as m
from surveys.campaign_forms import FieldedForm, campaign_form, only_form
from surveys.campaigns import get_campaign

META_COLUMNS = ["school_code", "class_name", "submitted_on", "duration_seconds"]


@dataclass(frozen=True)
class FormData:
    """Answers to one form of a campaign, on the instrument version it fields."""

    form: FieldedForm
    #: one row per response (index ``response_id``): META_COLUMNS, then one column per item;
    #: numeric items are floats with NaN for no answer, multiple choice holds lists.
    answers: pd.DataFrame
    min_group_size: int

    @property
    def instrument(self) -> Instrument:
        return self.form.instrument

    @property
    def audience(self) -> str:
        return self.form.audience


def _item_columns(instrument: Instrument) -> dict[str, bool]:
    """Item code -> whether the column is numeric."""
    return {
        item.code: item.type in NUMERIC_TYPES
        or (
            item.type is ItemType.single_choice
            and all(isinstance(o.value, int) for o in item.options or [])
        )
        for item in instrument.items()
    }


def form_data(
    session: Session,
    campaign_id: int,
    instrument_code: str,
    *,
    school_codes: list[str] | None = None,
) -> FormData:
    """The complete answers to one form of a campaign (``instrument_code``: the instrument
    the campaign fields), of every school or of ``school_codes``; responses flagged for data
    quality are left out when the campaign says so.

    Raises
    ------
    NotFound
        No such campaign, or it does not field that instrument.
    """
    campaign = get_campaign(session, campaign_id)
    return load_form(
        session, campaign, campaign_form(session, campaign_id, instrument_code), school_codes
    )


def audience_data(
    session: Session,
    campaign_id: int,
    audience: str,
    *,
    school_codes: list[str] | None = None,
) -> FormData:
    """:func:`form_data` of the only form the campaign gives ``audience``.

    Raises
    ------
    NotFound
        No such campaign, or no form for the audience.
    InvalidInput
        The audience has several forms: use :func:`form_data` with the instrument's code.
    """
    campaign = get_campaign(session, campaign_id)
    return load_form(session, campaign, only_form(session, campaign_id, audience), school_codes)


def load_form(
    session: Session,
    campaign: m.Campaign,
    form: FieldedForm,
    school_codes: list[str] | None = None,
) -> FormData:
    """:func:`form_data` for a caller that already holds the campaign and its form (one of
    :func:`surveys.campaign_forms.campaign_forms`): the forms are not listed again."""
    return load_forms(session, campaign, [form], school_codes)[0]


def load_forms(
    session: Session,
    campaign: m.Campaign,
    forms: Sequence[FieldedForm],
    school_codes: list[str] | None = None,
) -> list[FormData]:
    """:func:`load_form` of each of ``forms`` (the campaign's), in their order, read in one
    query: a reference loads every form of a campaign, and one round trip with one sort
    costs less than one per form."""
    if not forms:
        return []
    # The flags (a JSON document per response, decoded row by row) are read only when they
    # leave responses out.
    flags = [m.Response.flags] if campaign.exclude_flagged else []
    query = (
        select(
            m.Response.audience,
            m.Response.instrument_version_id,
            m.Response.id,
            m.School.code,
            m.Response.class_name,
            m.Response.submitted_on,
            m.Response.duration_seconds,
            # As text, decoded below in one call: the driver would decode each document
            # with a call of its own, the largest part of reading them.
            cast(m.Response.answers, Text),
            *flags,
        )
        .join(m.School, m.School.id == m.Response.school_id)
        .where(
            m.Response.campaign_id == campaign.id,
            m.Response.instrument_version_id.in_(sorted({form.version_id for form in forms})),
            m.Response.status == m.ResponseStatus.complete.value,
        )
        .order_by(m.Response.id)
    )
    if school_codes is not None:
        query = query.where(m.School.code.in_(school_codes))
    rows: dict[tuple[str, int], list[Sequence[Any]]] = {
        (form.audience, form.version_id): [] for form in forms
    }
    for row in session.execute(query):
        if campaign.exclude_flagged and row[8]:
            continue
        selected = rows.get((row[0], row[1]))
        if selected is not None:
            selected.append(row)
    return [
        FormData(
            form=form,
            answers=_answers_frame(form.instrument, rows[form.audience, form.version_id]),
            min_group_size=campaign.min_group_size,
        )
        for form in forms
    ]


#: the types of a numeric item's answers as the forms store them (None: no answer)
_PLAIN_NUMBERS = frozenset({int, float, type(None)})
#: the types of a text or choice item's answers as the forms store them (None: no answer)
_TEXTS_AND_LISTS = frozenset({str, list, type(None)})


def _answers_frame(instrument: Instrument, rows: list[Sequence[Any]]) -> pd.DataFrame:
    """The frame of :attr:`FormData.answers` from rows of :func:`load_forms`' query."""
    index = pd.Index([r[2] for r in rows], name="response_id", dtype="int64")
    columns = _item_columns(instrument)
    documents: list[dict[str, Any]] = json.loads("[" + ",".join(r[7] for r in rows) + "]")
    data: dict[str, Any] = {
        "school_code": _objects([r[3] for r in rows]),
        "class_name": _objects([r[4] for r in rows]),
        "submitted_on": _objects([r[5] for r in rows]),
        "duration_seconds": _numbers([r[6] for r in rows], errors="raise"),
    }
    # The other items: a column of texts and lists (what choices and free answers store) is
    # taken as it is, None for no answer. Any other goes through pandas' reading of records
    # (missing answers NaN, a column of numbers converted to a numeric dtype), then back to
    # objects with None for no answer: what it holds is kept exactly as pandas has always
    # given it (texts and lists, which pandas leaves as objects, the same either way).
    others = []
    for code, numeric in columns.items():
        if numeric:
            continue
        values = [document.get(code) for document in documents]
        if set(map(type, values)) <= _TEXTS_AND_LISTS:
            data[code] = _objects(values)
        else:
            others.append(code)
    if others:
        records = pd.DataFrame.from_records(documents, columns=others)
        for code in others:
            column = records[code].astype("object")
            data[code] = column.where(column.notna(), None).to_numpy()
    for code, numeric in columns.items():
        if numeric:
            data[code] = _numbers([document.get(code) for document in documents])
    order = [*META_COLUMNS, *columns]
    if len(set(order)) < len(order):  # (an item coded as a column of META_COLUMNS)
        return pd.DataFrame(data, index=index, columns=order)
    # (the columns given in order as the dict's keys: pandas then has no list of columns to
    # look them up by, half the cost of building the frame, and the same frame)
    return pd.DataFrame({code: data[code] for code in order}, index=index)


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype="object")
    array[:] = values
    return array


def _numbers(values: list[Any], errors: Literal["coerce", "raise"] = "coerce") -> np.ndarray:
    """Answers of a numeric item (or the durations, ``errors="raise"``) as floats, NaN where
    there is none or (coerced) it is not a number. Numbers and Nones (what the forms and
    imports store) are converted directly; anything else a document may hold (a number
    written as a string) as :func:`pandas.to_numeric` reads it, as they were always read."""
    if set(map(type, values)) <= _PLAIN_NUMBERS:
        return np.array(values, dtype="float64")
    series = pd.Series(values, dtype="object")
    return pd.to_numeric(series, errors=errors).astype("float64").to_numpy()


def responses_fingerprint(
    session: Session, campaign_id: int, version_id: int | None = None
) -> tuple[int, int, int, str, str]:
    """What identifies the set of a campaign's complete responses (to one instrument version,
    when given), read in one aggregate query: their count, largest id, sum of ids, and the
    smallest and largest submission id (random UUIDs). Complete responses are only ever added
    or removed, never edited, so any change of the set changes it; the UUIDs make a
    coincidental match harmless even after a database is emptied and refilled (SQLite reuses
    row ids). The key of the in-process caches of answers and their analysis."""
    query = select(
        func.count(m.Response.id),
        func.max(m.Response.id),
        func.sum(m.Response.id),
        func.min(m.Response.submission_id),
        func.max(m.Response.submission_id),
    ).where(
        m.Response.campaign_id == campaign_id,
        m.Response.status == m.ResponseStatus.complete.value,
    )
    if version_id is not None:
        query = query.where(m.Response.instrument_version_id == version_id)
    count, largest, total, first, last = session.execute(query).one()
    return (int(count or 0), int(largest or 0), int(total or 0), str(first or ""), str(last or ""))


def school_status_frame(session: Session, school_codes: list[str]) -> pd.DataFrame:
    """The schools' official status, index school_code: ``low_results`` (listed by the
    region as a school with low results, ШНОР) and ``adverse_conditions`` (ШНСУ), as bools;
    what the probable causes take into account (:func:`analysis.causes.analyse_causes`)."""
    rows = session.execute(
        select(m.School.code, m.School.low_results, m.School.adverse_conditions).where(
            m.School.code.in_(school_codes)
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["school_code", "low_results", "adverse_conditions"])
    return frame.set_index("school_code").astype(bool)


ASSESSMENT_COLUMNS = [
    "school_code",
    "year",
    "assessment",
    "subject",
    "grade",
    "participants",
    "mean_score",
    "share_failing",
]


def _assessment_query(
    school_codes: list[str],
) -> Select[str, int, str, str, int, int, float | None, float | None]:
    return (
        select(
            m.School.code,
            m.AssessmentResult.year,
            m.AssessmentResult.assessment,
            m.AssessmentResult.subject,
            m.AssessmentResult.grade,
            m.AssessmentResult.participants,
            m.AssessmentResult.mean_score,
            m.AssessmentResult.share_failing,
        )
        .join(m.School, m.School.id == m.AssessmentResult.school_id)
        .where(m.School.code.in_(school_codes))
    )


def assessment_frame(
    session: Session, school_codes: list[str], *, year: int | None = None
) -> pd.DataFrame:
    """Assessment results of the given schools (latest year by default), one row per
    assessment × subject × grade: school_code, year, assessment, subject, grade,
    participants, mean_score, share_failing."""
    query = _assessment_query(school_codes)
    if year is None:
        year = session.scalar(
            select(func.max(m.AssessmentResult.year))
            .join(m.School, m.School.id == m.AssessmentResult.school_id)
            .where(m.School.code.in_(school_codes))
        )
    if year is not None:
        query = query.where(m.AssessmentResult.year == year)
    return pd.DataFrame(session.execute(query).all(), columns=ASSESSMENT_COLUMNS)


def assessment_history(session: Session, school_codes: list[str]) -> pd.DataFrame:
    """Assessment results of the given schools in every year imported, the columns of
    :func:`assessment_frame`: what the reference's part on the school's own results sets
    against the district's figures and follows over the years. The district is the
    ``school_codes`` given (a campaign's schools), never the whole database."""
    query = _assessment_query(school_codes).order_by(m.AssessmentResult.year, m.AssessmentResult.id)
    return pd.DataFrame(session.execute(query).all(), columns=ASSESSMENT_COLUMNS)
