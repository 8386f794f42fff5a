"""Who the rows of a respondent-level export are: renumbered, and pooled where a group is small.

Nothing that could lead back to a person leaves with the answers: the database's response ids
give way to numbers 1..n in an order keyed by a secret (so neither the order of arrival nor the
ids can be read from them, while the same data exported again, or its scale scores exported
separately, get the same numbers), and a school whose respondents in the file are fewer than
the campaign's minimum group is written under the pooled code «другие школы», never its own
(with no class). A class under the minimum loses its class name; when that would leave a
school's rows without a class name so few that they are the small class after all, the next
smallest class of that school loses its name too, until the unnamed rows reach the minimum or
every class is unnamed. The pooled schools are pooled even when all of them together stay under
the minimum: a school's code is never written for a small group.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import pandas as pd

# the school code written for every school whose group is under the minimum: the privacy
# gate's, which the reference's appendix names too
from analysis.privacy import POOLED_SCHOOL


@dataclass(frozen=True)
class Respondents:
    """The exported identity of each response of a form."""

    #: index ``response_id`` (the database's; never exported), sorted by ``respondent_id``;
    #: columns ``respondent_id`` (1..n), ``school_code`` (or :data:`POOLED_SCHOOL`),
    #: ``class_name`` (None where not given or blanked)
    frame: pd.DataFrame
    min_group_size: int
    #: schools written as :data:`POOLED_SCHOOL`, and their responses
    pooled_schools: int
    pooled_responses: int
    #: classes whose name was left out (of schools not pooled)
    blanked_classes: int


def order_token(key: bytes, scope: str, response_id: int) -> str:
    """The sort key of a response in its export: an HMAC, so that without the key the order
    says nothing about the ids or the order of arrival."""
    message = f"{scope}:{response_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def anonymised_respondents(
    answers: pd.DataFrame, *, min_group_size: int, order_key: bytes, scope: str
) -> Respondents:
    """Renumber and pool the responses of ``answers`` (index ``response_id``, columns
    ``school_code`` and ``class_name`` as :func:`surveys.dataset.form_data` gives them).

    ``scope`` names the export (campaign and form), so that two forms are ordered apart;
    ``min_group_size`` is the campaign's minimum group (1 for a form answered for the school).
    """
    ids = [int(i) for i in answers.index]
    ordered = sorted(ids, key=lambda i: order_token(order_key, scope, i))
    schools = answers["school_code"].astype("object")
    classes = answers["class_name"].astype("object").where(answers["class_name"].notna(), None)
    sizes = schools.value_counts()
    small = set(sizes[sizes < min_group_size].index)
    pooled = schools.isin(small)
    classes = classes.where(~pooled, None)
    blanked = 0
    for school in sizes.index:
        if school in small:
            continue
        mine = (schools == school) & ~pooled
        blanked += _blank_small_classes(classes, mine, min_group_size)
    frame = pd.DataFrame(
        {
            "respondent_id": pd.Series(
                range(1, len(ordered) + 1), index=pd.Index(ordered, name="response_id")
            ),
        }
    )
    frame["school_code"] = schools.where(~pooled, POOLED_SCHOOL).reindex(frame.index)
    frame["class_name"] = pd.Series(
        [None if pd.isna(c) else str(c) for c in classes.reindex(frame.index)],
        index=frame.index,
        dtype="object",
    )
    return Respondents(
        frame=frame,
        min_group_size=min_group_size,
        pooled_schools=len(small),
        pooled_responses=int(pooled.sum()),
        blanked_classes=blanked,
    )


def _blank_small_classes(classes: pd.Series, mine: pd.Series, min_group_size: int) -> int:
    """Blank (in place) the class names of one school's small classes; returns how many."""
    counts = classes[mine].dropna().value_counts()
    blanked = [c for c, n in counts.items() if n < min_group_size]
    remaining = counts[[c for c in counts.index if c not in blanked]].sort_values()
    unnamed = int((mine & classes.isna()).sum()) + int(counts[blanked].sum())
    # The unnamed rows must not be the small class under another name.
    while blanked and unnamed < min_group_size and len(remaining):
        smallest = remaining.index[0]
        blanked.append(smallest)
        unnamed += int(remaining.iloc[0])
        remaining = remaining.iloc[1:]
    if blanked:
        classes[mine & classes.isin(blanked)] = None
    return len(blanked)
