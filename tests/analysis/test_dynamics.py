"""Change between waves: intervals from both waves' standard errors, beyond-noise verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from analysis.dynamics import Z95, factor_changes, indicator_changes
from analysis.indicators import school_indicators
from analysis.risk import indicator_z
from instruments.library import builtin
from instruments.risk_factors import Indicator

BULLYING = Indicator(
    code="bull",
    title={"ru": "Травля"},
    audience="student",
    instrument="student_5_11",
    scale="bullying",
    statistic="pomp",
    direction="risk",
)
BELONGING = Indicator(
    code="bel",
    title={"ru": "Принадлежность"},
    audience="student",
    instrument="student_5_11",
    scale="belonging",
    statistic="pomp",
    direction="favourable",
)


def _wave(shifts: dict[str, float], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for school, shift in shifts.items():
        for _ in range(150):
            bully = float(np.clip(round(1.6 + shift + rng.normal(0, 0.7)), 1, 4))
            belong = float(np.clip(round(3.0 - shift / 2 + rng.normal(0, 0.7)), 1, 4))
            row = {"school_code": school}
            row.update({f"bul_{i}": bully for i in range(1, 6)})
            row.update({f"bel_{i}": belong for i in range(1, 5)})
            rows.append(row)
    return pd.DataFrame(rows)


def test_a_real_change_is_beyond_noise_and_no_change_is_not() -> None:
    student = builtin("student_5_11")
    before = school_indicators(
        {"student": (student, _wave({"A": 1.2, "B": 0.0, "C": 0.0}, 1))}, [BULLYING, BELONGING]
    )
    after = school_indicators(
        {"student": (student, _wave({"A": 0.0, "B": 0.0, "C": 0.0}, 2))}, [BULLYING, BELONGING]
    )
    changes = indicator_changes(before, after).set_index(["school_code", "indicator"])
    a = changes.loc[("A", "bull")]
    assert a["beyond_noise"] and a["verdict"] == "улучшение" and a["change"] < 0
    se = np.sqrt(
        before.set_index(["school_code", "indicator"]).loc[("A", "bull"), "se"] ** 2
        + after.set_index(["school_code", "indicator"]).loc[("A", "bull"), "se"] ** 2
    )
    assert_allclose(a["change_high"] - a["change"], Z95 * se)
    assert changes.loc[("B", "bull"), "verdict"] == "без значимых изменений"

    factors = factor_changes(
        indicator_z(before),
        indicator_z(after),
        changes.reset_index(),
        {"wellbeing": ["bull", "bel"]},
    ).set_index("school_code")
    assert factors.loc["A", "statement"] == "риск снизился"
    assert factors.loc["A", "composite_change"] < 0
    assert factors.loc["B", "statement"] == "без значимых изменений"


def test_suppressed_cells_give_no_change() -> None:
    student = builtin("student_5_11")
    small = _wave({"A": 0.0}, 3).head(3)
    before = school_indicators({"student": (student, small)}, [BULLYING])
    after = school_indicators({"student": (student, small)}, [BULLYING])
    row = indicator_changes(before, after).iloc[0]
    assert np.isnan(row["change"]) and row["verdict"] == "не оценивается (мало ответов)"
