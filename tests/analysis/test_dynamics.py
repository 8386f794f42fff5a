"""Change between waves: intervals from both waves' standard errors, beyond-noise verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from analysis.dynamics import SINGLE_ANSWER, Z95, factor_changes, indicator_changes
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


def test_a_single_answer_never_decides_a_verdict() -> None:
    """The administration's form is one answer per school: no sampling error, no interval,
    so however much it moved, the change is not called beyond noise."""
    before = pd.DataFrame(
        {
            "school_code": ["A"],
            "indicator": ["adm"],
            "direction": ["risk"],
            "weight": [1.0],
            "n": [1],
            "value": [0.2],
            "se": [0.0],
            "suppressed": [False],
        }
    )
    after = before.assign(value=[0.9])
    row = indicator_changes(before, after).iloc[0]
    assert not row["beyond_noise"] and row["verdict"] == SINGLE_ANSWER
    assert np.isclose(row["change"], 0.7)


def test_the_statement_agrees_with_the_sign_of_the_factor_s_change() -> None:
    """One indicator worse beyond noise, the factor's change below 0 all the same (the other,
    heavier indicator improved within noise): not «риск вырос»."""
    keys = {"school_code": ["A", "A"], "indicator": ["i1", "i2"], "weight": [1.0, 3.0]}
    before_z = pd.DataFrame({**keys, "risk_z": [0.0, 0.0]})
    after_z = pd.DataFrame({**keys, "risk_z": [0.5, -0.4]})
    changes = pd.DataFrame(
        {
            "school_code": ["A", "A"],
            "indicator": ["i1", "i2"],
            "beyond_noise": [True, False],
            "verdict": ["ухудшение", "без значимых изменений"],
        }
    )
    row = factor_changes(before_z, after_z, changes, {"f": ["i1", "i2"]}).iloc[0]
    assert row["composite_change"] < 0
    assert row["statement"] == "отдельные показатели ухудшились"
    rising = factor_changes(
        before_z, after_z.assign(risk_z=[0.5, 0.1]), changes, {"f": ["i1", "i2"]}
    )
    assert rising.iloc[0]["statement"] == "риск вырос"
