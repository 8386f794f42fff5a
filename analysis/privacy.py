"""The privacy gate: which respondents may enter a statistic that is published.

Rule. Any figure computed from the answers of a group with fewer respondents than the
campaign's minimum (``min_group_size``, 5 by default) is suppressed, and it must not be
recoverable from other published figures. Hiding the group's own cell is not enough: if the
group's respondents still enter a pooled quantity (a district mean, an empirical-Bayes grand
mean or between-school variance, an ICC, a factor solution standardised over all respondents,
a benchmark's mean and SD), then the pooled figure, the other groups' published figures and
their n determine the hidden one. With a district mean over five schools and four of the
school means published, the fifth is one subtraction away; with factor scores standardised
to mean 0 over all respondents, the published means and n of the other schools give the
hidden school's mean the same way.

So a group below the minimum is taken out *before* anything is pooled:
:func:`reportable` drops its respondents and reports how many it had, and every output path
computes its district quantities from the kept respondents only. Everything published about
the other groups and the district is then a function of their answers alone: changing the
hidden group's answers changes nothing that is published (the test of this rule,
``tests/test_privacy_gate.py``). What is still said about the hidden group is its n, a count
of responses (response counts are shown on the campaign page anyway), with "скрыто (меньше N
ответов)" in place of every value.

The same rule applies to a statistic whose own n is smaller than the group's (respondents who
skipped a scale's items): a school with enough responses but fewer than the minimum with a
value on an indicator or a score on a scale is hidden there and left out of what is pooled
for it. :func:`analysis.indicators.school_indicators` leaves it out of that indicator's
shrinkage and reference; the ICC of :func:`analysis.report.model.audience_section` and the
factor solution of :func:`analysis.factor_scores.school_factor_scores` pass only the scored
respondents through :func:`reportable` (or its mask of rows, :func:`reportable_rows`).

Where the gate is applied: :func:`analysis.indicators.reportable_indicators` (the risk
profile, the dynamics section and frozen benchmarks), :func:`analysis.report.model.
audience_section`, :func:`analysis.factor_scores.school_factor_scores`, and in the web tier
the cached factor solution of a campaign and the designer's psychometrics page. The inventory
of every output path and the test that a hidden school's answers move none of them are in
``tests/test_privacy_gate.py``.

The group is a school's respondents to one form: when a campaign gives an audience several
forms (students of grades 2–4 and 5–11), each form's answers are gated per school on their own
(:func:`reportable_audiences`), since no figure pools the answers of different forms.

Audiences that answer for the school (``INSTITUTIONAL_AUDIENCES``: the administration's one
form per school) are exempt by design: the form describes the institution, not a person, so
there is no group of respondents to protect.

Facts about the school on a form of many respondents are exempt in the same way: an item
marked ``fact`` (:attr:`instruments.schema.Item.fact`) asks for a count from the school's
records — the pupils on a support specialist's caseload, those the commission (ПМПК)
recommended sessions for and those who get them — not for a view. A school has one to three
such specialists, far below any sensible minimum, so their views (cooperation, workload, what
is lacking) are gated as above and stay hidden in almost every school, while the facts are
reported like the administration's answers: the indicators that read them
(:func:`analysis.indicators.is_fact`) are computed from every school's answers, with no
interval, and the reference lists them as the school's sums
(:func:`analysis.report.support.build_support_section`). Only the items so marked leave the
gate; every other answer of the same respondents stays behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.memo import memoized
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument

#: the school code a respondent-level export writes for every school whose group is under the
#: minimum (surveys.exports.respondents), so that no row names a hidden school
POOLED_SCHOOL = "другие школы"


class Reportable(NamedTuple):
    """Answers that may enter published statistics, and the groups left out."""

    #: the rows of the groups with at least the minimum of respondents (same columns and index)
    answers: pd.DataFrame
    #: school code -> respondents, for each group below the minimum (its rows are not in
    #: ``answers``)
    suppressed: dict[str, int]


@memoized
def reportable(
    answers: pd.DataFrame, *, audience: str, min_group_size: int, group: str = "school_code"
) -> Reportable:
    """Keep the respondents of groups (schools) with at least ``min_group_size`` rows.

    Parameters
    ----------
    answers
        One row per respondent, with the ``group`` column (the school's code). Pass only the
        rows a statistic rests on (e.g. the respondents with a score on a scale) to gate that
        statistic by its own n.
    audience
        Who answered; an institutional audience (the administration) is never gated.
    min_group_size
        The campaign's minimum group for reporting.
    """
    if audience in INSTITUTIONAL_AUDIENCES or answers.empty:
        return Reportable(answers, {})
    sizes = answers[group].value_counts()
    small = sizes[sizes < min_group_size]
    if small.empty:
        return Reportable(answers, {})
    kept = answers[~answers[group].isin(small.index)]
    return Reportable(kept, {str(code): int(n) for code, n in sorted(small.items())})


def reportable_rows(groups: pd.Series, *, audience: str, min_group_size: int) -> np.ndarray:
    """Which rows :func:`reportable` keeps, the rows' groups (a school's code) given: a
    boolean mask. For a statistic of a subset of the answers (the respondents scored on a
    scale) computed inside another, memoized, function: no frame of the subset is built or
    keyed for :mod:`analysis.memo`."""
    if audience in INSTITUTIONAL_AUDIENCES or groups.empty:
        return np.ones(len(groups), dtype=bool)
    codes, distinct = pd.factorize(groups)
    sizes = np.bincount(codes[codes >= 0], minlength=len(distinct))
    # a row without a group (code -1) is in no small group, as value_counts leaves it out
    return ~np.append(sizes < min_group_size, False)[codes]


@memoized
def reportable_audiences(
    data: Mapping[str, tuple[Instrument, pd.DataFrame]], *, min_group_size: int
) -> tuple[dict[str, tuple[Instrument, pd.DataFrame]], dict[str, dict[str, int]]]:
    """:func:`reportable` for every form of ``data`` (key -> (instrument, answers), the key
    being the instrument's code): the gated data in the same shape, and per key the schools
    left out with their n.

    Each form is gated on its own, with the audience of its instrument: a school with enough
    answers to the grades 5–11 form but three to the grades 2–4 form is hidden in the latter,
    since those three children's answers are a group of their own in every figure of it.
    """
    pooled: dict[str, tuple[Instrument, pd.DataFrame]] = {}
    suppressed: dict[str, dict[str, int]] = {}
    for key, (instrument, answers) in data.items():
        kept, small = reportable(
            answers, audience=instrument.audience, min_group_size=min_group_size
        )
        pooled[key] = (instrument, kept)
        suppressed[key] = small
    return pooled, suppressed
