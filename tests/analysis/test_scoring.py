"""Scale scoring: hand-computed values for reverse keys, missing answers, POMP and prevalence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.errors import AnalysisError
from analysis.scoring import score_scales
from instruments.io.yaml_io import load_yaml

DEFINITION = """
code: t
title: Тест
audience: student
response_scales:
  - code: four
    options:
      - {value: 1, label: "1"}
      - {value: 2, label: "2"}
      - {value: 3, label: "3"}
      - {value: 4, label: "4"}
sections:
  - code: s
    title: Раздел
    items:
      - {code: a, type: likert, response_scale: four, text: A}
      - {code: b, type: likert, response_scale: four, text: B, reverse: true}
      - {code: c, type: likert, response_scale: four, text: C}
      - {code: d, type: likert, response_scale: four, text: D}
scales:
  - code: m
    title: Среднее
    items: [a, b, c, d]
    higher_is: favourable
  - code: total
    title: Сумма
    items: [a, b, c, d]
    method: sum
    min_answered: 0.75
    higher_is: favourable
  - code: freq
    title: Частота
    items: [a, c]
    higher_is: risk
    prevalence: {label: "3 и выше", at_least: 3}
"""


@pytest.fixture(scope="module")
def instrument():  # type: ignore[no-untyped-def]
    return load_yaml(DEFINITION)


def test_scores_by_hand(instrument) -> None:  # type: ignore[no-untyped-def]
    answers = pd.DataFrame(
        {
            "a": [4, 1, 3, np.nan, 2],
            "b": [1, 4, np.nan, np.nan, np.nan],  # reverse: 1 -> 4, 4 -> 1
            "c": [4, 1, 3, np.nan, np.nan],
            "d": [4, 1, np.nan, 2, np.nan],
        },
        index=[10, 11, 12, 13, 14],
    )
    scores = score_scales(answers, instrument)
    # mean scale, min_answered 0.5
    assert_allclose(scores.score["m"].to_numpy(), [4.0, 1.0, 3.0, np.nan, np.nan])
    # POMP on a 1..4 item: (x - 1) / 3 * 100
    assert_allclose(scores.pomp["m"].to_numpy(), [100.0, 0.0, 200 / 3, np.nan, np.nan])
    # prorated sum needs 3 of 4 answered: only rows 10, 11
    assert_allclose(scores.score["total"].to_numpy(), [16.0, 4.0, np.nan, np.nan, np.nan])
    assert_allclose(scores.answered["m"].to_numpy(), [1.0, 1.0, 0.5, 0.25, 0.25])
    # prevalence: any of a, c at least 3, among scored rows (a, c: 1 of 2 answered is enough)
    assert_allclose(scores.prevalence["freq"].to_numpy(), [1.0, 0.0, 1.0, np.nan, 0.0])
    assert scores.prevalence["m"].isna().all()
    assert list(scores.score.index) == [10, 11, 12, 13, 14]


def test_missing_is_never_zero(instrument) -> None:  # type: ignore[no-untyped-def]
    answers = pd.DataFrame({"a": [4.0], "b": [np.nan], "c": [4.0], "d": [np.nan]})
    scores = score_scales(answers, instrument)
    assert scores.score["m"].iloc[0] == 4.0  # not (4 + 0 + 4 + 0) / 4


def test_missing_item_column_is_an_error(instrument) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnalysisError, match="нет столбцов вопросов шкалы m: d"):
        score_scales(pd.DataFrame({"a": [1], "b": [1], "c": [1]}), instrument)


def test_the_quantiles_are_scipys_and_a_reference_does_not_import_scipy_special() -> None:
    """Z95 is written out and the t quantile is computed without scipy.special (a quarter of a
    second of every reference's start-up): both agree with scipy's, the t quantile to 1e-13
    over ν = 1…5000 and the probabilities the intervals use, in both tails."""
    import subprocess
    import sys

    from scipy import special

    from analysis.indicators import Z95
    from analysis.scoring import t_quantile

    assert float(special.ndtri(0.975)) == Z95
    df = np.arange(1, 5001, dtype=float)
    for p in (0.975, 0.95, 0.995, 0.9995, 0.6, 0.025):
        np.testing.assert_allclose(t_quantile(df, p), special.stdtrit(df, p), rtol=1e-13)
    assert t_quantile(np.array([7.0]), 0.5)[0] == 0.0
    # NaN stays NaN; a scalar gives a scalar; a fractional ν (no caller has one) is scipy's
    assert np.isnan(t_quantile(np.array([np.nan, 3.0]), 0.975)[0])
    assert float(t_quantile(4.0, 0.975)) == pytest.approx(2.7764451051977987, rel=1e-14)
    assert t_quantile(np.array([2.5]), 0.975)[0] == special.stdtrit(2.5, 0.975)
    with pytest.raises(ValueError, match="p must lie in"):
        t_quantile(np.array([3.0]), 1.0)
    probe = (
        "import sys, analysis.report.html, analysis.report.docx, web.reporting, "
        "web.reference_files\n"
        "from analysis.scoring import t_quantile\n"
        "t_quantile(__import__('numpy').array([1.0, 29.0]), 0.975)\n"
        "print('scipy.special' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr[-500:]
