"""Scale scores per respondent of one form as a labelled frame: for each scale of the
instrument its score on the item metric (mean, or prorated sum) and its POMP 0–100, blank where
the respondent answered too few of its items; the respondents and their numbers are those of the
answers file (:mod:`surveys.exports.respondents`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from instruments.schema import text_in
from surveys.dataset import FormData
from surveys.exports.frames import LabelledFrame, Names, Variable, form_frame, meta_variables
from surveys.exports.respondents import Respondents


def scores_frame(
    data: FormData, respondents: Respondents, score: pd.DataFrame, pomp: pd.DataFrame
) -> LabelledFrame:
    """Scale scores per respondent (``score`` and ``pomp`` as ``analysis.scoring`` gives them,
    indexed like the form's answers): for each scale its score on the item metric and its
    POMP 0–100, blank where the respondent answered too few of its items."""
    instrument = data.instrument
    order = respondents.frame.index
    names = Names()
    # The scores need no date or duration: the answers file has them under the same resp_id.
    meta = [v for v in meta_variables(names, respondents) if v.name not in ("date", "duration_s")]
    columns: dict[str, list[Any]] = {
        "resp_id": [float(i) for i in respondents.frame["respondent_id"]],
        "school": list(respondents.frame["school_code"]),
        "class": list(respondents.frame["class_name"]),
        "form": [data.form.instrument_code] * len(order),
        "form_version": [float(data.form.version)] * len(order),
    }
    variables = list(meta)
    items = instrument.items_by_code()
    for scale in instrument.scales:
        title = text_in(scale.title)
        low, high = instrument.item_range(items[scale.items[0]])
        if scale.method == "sum":
            low, high = low * len(scale.items), high * len(scale.items)
        what = "сумма" if scale.method == "sum" else "среднее"
        for name, label, values in (
            (names.unique(scale.code), f"{title}: {what} ({low}–{high})", score),
            (names.unique(f"{scale.code}_pomp"), f"{title}: 0–100 (POMP)", pomp),
        ):
            variables.append(
                Variable(
                    name=name,
                    label=label,
                    measure="scale",
                    kind="number",
                    decimals=3,
                    scales=(scale.code,),
                    item_type="балл по шкале",
                )
            )
            columns[name] = [float(v) for v in values[scale.code].reindex(order)]
    return form_frame(data, respondents, columns, variables, "баллы по шкалам")
