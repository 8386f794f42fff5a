"""Psychometrics against psych/GPArotation/lavaan, and the factor_analyzer 0.5.1 defects we fix.

Expected values come from tests/r_reference/psychometrics.R (psych::bfi, 25 items, and
lavaan::HolzingerSwineford1939, x1..x9), stored in tests/data/expected/psychometrics_*.json.
Factors are matched to R's by Tucker congruence of the loadings, then signed like R's.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from factor_analyzer import FactorAnalyzer, ModelSpecificationParser
from numpy.testing import assert_allclose
from scipy.optimize import linear_sum_assignment

from analysis.errors import AnalysisError
from analysis.psychometrics import (
    bartlett,
    cfa,
    cronbach_alpha,
    efa,
    item_statistics,
    kmo,
    omega,
    parallel_analysis,
)

DATA = Path(__file__).resolve().parents[1] / "data"
HS_MODEL = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}


def assert_close(actual: Any, desired: Any, err_msg: str = "") -> None:
    """The house tolerance against R: ``assert_allclose(rtol=1e-3, atol=1e-3)``."""
    assert_allclose(actual, desired, rtol=1e-3, atol=1e-3, err_msg=err_msg)


@cache
def expected(topic: str) -> dict[str, Any]:
    with (DATA / "expected" / f"psychometrics_{topic}.json").open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@cache
def bfi() -> pd.DataFrame:
    """psych::bfi, 25 items, all 2,800 rows (with missing answers)."""
    return pd.read_csv(DATA / "bfi.csv")


@cache
def bfi_complete() -> pd.DataFrame:
    """The 2,436 complete cases, numbered 0.. as in the R script."""
    return bfi().dropna().reset_index(drop=True)


@cache
def holzinger() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger.csv")


def r_frame(block: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(block["data"], index=block["index"], columns=block["columns"])


def align(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each of R's factors, our matching column and the sign that makes it agree.

    Columns are paired to maximise the total absolute Tucker congruence
    ``Σ x_i y_i / sqrt(Σ x_i² Σ y_i²)``.
    """
    a, b = ours.to_numpy(), theirs.loc[ours.index].to_numpy()
    congruence = (a / np.linalg.norm(a, axis=0)).T @ (b / np.linalg.norm(b, axis=0))
    rows, cols = linear_sum_assignment(-np.abs(congruence))
    order = rows[np.argsort(cols)]
    signs = np.sign(congruence[order, np.arange(b.shape[1])])
    return order, signs


def efa_cases() -> list[str]:
    return [key for key in expected("efa") if key != "versions"]


def data_for(case: str) -> pd.DataFrame:
    return holzinger() if case.startswith("holzinger") else bfi_complete()


def fit_case(case: str) -> tuple[Any, dict[str, Any]]:
    spec = expected("efa")[case]
    rotation = None if spec["rotation"] == "none" else spec["rotation"]
    solution = efa(
        data_for(case), n_factors=spec["n_factors"], method=spec["method"], rotation=rotation
    )
    return solution, spec


def test_psychometrics_needs_no_database_or_web_layer() -> None:
    code = (
        "import sys, analysis.psychometrics; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'surveys', 'web', 'flask', 'sqlalchemy', 'alembic', 'psycopg'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


# ---- reliability ----------------------------------------------------------------------------


@pytest.mark.parametrize("scale", ["agreeableness", "conscientiousness"])
def test_alpha_matches_psych(scale: str) -> None:
    spec = expected("reliability")[scale]
    result = cronbach_alpha(bfi(), items=spec["items"], reverse=spec["reverse"])
    assert_close(result.raw_alpha, spec["raw_alpha"])
    assert_close(result.std_alpha, spec["std_alpha"])
    assert_close(result.average_r, spec["average_r"])
    assert_close(result.items["r_drop"], pd.Series(spec["r_drop"]))
    assert_close(result.items["alpha_if_dropped"], pd.Series(spec["alpha_if_dropped"]))


@pytest.mark.parametrize("scale", ["agreeableness", "conscientiousness"])
def test_item_statistics_match_psych(scale: str) -> None:
    spec = expected("reliability")[scale]
    table = item_statistics(bfi(), items=spec["items"], reverse=spec["reverse"], scale_range=(1, 6))
    for column, key in [
        ("n", "n"),
        ("mean", "mean"),
        ("sd", "sd"),
        ("missing_share", "missing_share"),
        ("floor_share", "floor_share_1_6"),
        ("ceiling_share", "ceiling_share_1_6"),
        ("r_drop", "r_drop"),
    ]:
        assert_close(table[column], pd.Series(spec[key]).loc[table.index])


def test_item_statistics_use_the_observed_range_by_default() -> None:
    data = pd.DataFrame({"a": [2, 3, 4, 4, np.nan], "b": [2, 2, 3, 4, 3]})
    table = item_statistics(data, items=["a", "b"])
    assert table.loc["a", "missing_share"] == pytest.approx(0.2)
    assert table.loc["a", "floor_share"] == pytest.approx(0.25)
    assert table.loc["a", "ceiling_share"] == pytest.approx(0.5)
    assert table.loc["b", "floor_share"] == pytest.approx(0.4)


def test_alpha_complete_cases_differs_from_pairwise_only_through_the_rows() -> None:
    items = ["A1", "A2", "A3", "A4", "A5"]
    complete = cronbach_alpha(bfi(), items=items, reverse=["A1"], use="complete")
    same = cronbach_alpha(bfi()[items].dropna(), items=items, reverse=["A1"])
    assert complete.raw_alpha == pytest.approx(same.raw_alpha)
    assert complete.n_obs == len(bfi()[items].dropna())


@pytest.mark.parametrize("scale", ["agreeableness", "conscientiousness"])
def test_one_factor_omega_matches_psych(scale: str) -> None:
    spec = expected("reliability")[scale]
    result = omega(bfi(), items=spec["items"], reverse=spec["reverse"])
    assert_close(result.omega_total, spec["omega_total"])
    assert result.omega_hierarchical is None


def test_scale_coefficients_are_alpha_s_and_omega_s_to_the_bit() -> None:
    """The appendix's table of α and ω (``scale_coefficients``) gives exactly what
    ``cronbach_alpha`` and ``omega`` give, on psych's bfi and on random answers with gaps;
    ω is left out, α kept, where ``omega`` refuses the items."""
    from analysis.psychometrics.reliability import scale_coefficients

    spec = expected("reliability")["conscientiousness"]
    keyed = bfi()[spec["items"]].copy()
    for item in spec["reverse"]:
        keyed[item] = 7 - keyed[item]
    items = list(spec["items"])
    want = (cronbach_alpha(keyed, items=items).raw_alpha, omega(keyed, items=items).omega_total)
    assert scale_coefficients(keyed, items=items, with_omega=True) == want
    rng = np.random.default_rng(8)
    for _ in range(100):
        k, n = int(rng.integers(2, 8)), int(rng.integers(8, 200))
        values = rng.integers(1, 5, size=(n, k)) + rng.normal(size=(n, 1)).round()
        data = pd.DataFrame(values.astype(float), columns=[f"i{j}" for j in range(k)])
        data = data.mask(rng.random(data.shape) < 0.15)
        items = list(data.columns)
        alpha = cronbach_alpha(data, items=items).raw_alpha
        want_omega = omega(data, items=items).omega_total if k >= 3 else None
        assert scale_coefficients(data, items=items, with_omega=True) == (alpha, want_omega)
        assert scale_coefficients(data, items=items, with_omega=False) == (alpha, None)


def test_one_factor_minres_by_newton_is_the_bounded_search_s_answer() -> None:
    """One-factor minres (every ω of the reference's appendix) is solved by Newton's method on
    the loadings, without scipy.optimize; on random correlation matrices it gives the
    loadings of the bounded search over the uniquenesses, and where that search stops at a
    bound (a Heywood case) it declines, so that ``extract`` keeps the bounded answer."""
    from scipy.optimize import minimize

    from analysis.psychometrics import factors
    from analysis.psychometrics._common import smc

    rng = np.random.default_rng(20261208)
    solved = declined = 0
    for trial in range(300):
        p, n = int(rng.integers(3, 12)), int(rng.integers(20, 400))
        lam = rng.uniform(-0.2, 0.9, p)
        x = rng.normal(size=(n, 1)) * lam + rng.normal(size=(n, p)) * np.sqrt(
            np.maximum(1 - lam**2, 0.05)
        )
        if trial % 5 == 0:
            x[:, :2] = rng.normal(size=(n, 2))
        r = np.corrcoef(x, rowvar=False)
        start = np.clip(1.0 - smc(r), 0.005, 1.0)
        bounded = minimize(
            factors._minres_objective,
            start,
            args=(r, 1),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.005, 1.0)] * p,
            options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-10},
        )
        expected = factors._loadings(r, bounded.x, 1, "minres")
        expected *= -1.0 if expected.sum() < 0 else 1.0
        newton = factors._one_factor_minres(r, start)
        if newton is None:
            declined += 1
            assert bounded.x.min() < 0.0051 or bounded.x.max() > 0.995, bounded.x
            assert_allclose(factors.extract(r, 1, "minres")[0], expected, atol=1e-9)
            continue
        solved += 1
        assert_allclose(newton * (-1.0 if newton.sum() < 0 else 1.0), expected, atol=1e-6)
        assert_allclose(factors.extract(r, 1, "minres")[0], expected, atol=1e-6)
    assert solved > 200 and declined > 10, (solved, declined)
    # three items fit exactly with λ₁² = r₁₂ r₁₃ / r₂₃ = 1.62: a uniqueness below zero
    heywood = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, 0.5], [0.9, 0.5, 1.0]])
    assert factors._one_factor_minres(heywood, np.full(3, 0.3)) is None


@pytest.mark.parametrize("case", ["holzinger_omega3", "holzinger_omega2", "bfi_omega5"])
def test_hierarchical_omega_matches_psych(case: str) -> None:
    spec = expected("reliability")[case]
    data = holzinger() if case.startswith("holzinger") else bfi()
    result = omega(data, items=list(data.columns), n_factors=spec["n_factors"])
    assert_close(result.omega_total, spec["omega_total"])
    assert result.omega_hierarchical is not None
    assert_close(result.omega_hierarchical, spec["omega_hierarchical"])
    # psych reports g after reversing the items that load negatively on it (flip = TRUE)
    assert_close(result.loadings["g"], pd.Series(spec["general_loadings"]))
    assert sorted(result.flipped) == sorted(spec["flipped"])


# ---- adequacy -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bfi", "holzinger"])
def test_kmo_and_bartlett_match_psych(name: str) -> None:
    spec = expected("adequacy")[name]
    data = bfi_complete() if name == "bfi" else holzinger()
    adequacy = kmo(data)
    assert_close(adequacy.overall, spec["kmo_overall"])
    assert_close(adequacy.items, pd.Series(spec["kmo_items"]).loc[adequacy.items.index])
    test = bartlett(data)
    assert test.n_obs == spec["n"]
    assert test.df == spec["bartlett_df"]
    assert_close(test.chi_square, spec["bartlett_chisq"])
    assert_close(test.p_value, spec["bartlett_p"])


@pytest.mark.parametrize("name", ["bfi", "holzinger"])
def test_parallel_analysis_matches_psych(name: str) -> None:
    spec = expected("adequacy")[name]
    data = bfi_complete() if name == "bfi" else holzinger()
    result = parallel_analysis(data, seed=20261123)
    assert_close(result.eigenvalues["observed"], spec["parallel_observed"])
    assert result.n_factors == spec["parallel_n_factors"]
    # random data differ from R's; their means agree up to simulation error
    assert_allclose(
        result.eigenvalues["random_mean"], spec["parallel_simulated_mean"], rtol=0, atol=0.03
    )
    again = parallel_analysis(data, seed=20261123)
    pd.testing.assert_frame_equal(result.eigenvalues, again.eigenvalues)


# ---- exploratory factor analysis ------------------------------------------------------------


@pytest.mark.parametrize("case", efa_cases())
def test_efa_matches_psych_fa(case: str) -> None:
    solution, spec = fit_case(case)
    theirs = r_frame(spec["loadings"])
    order, signs = align(solution.loadings, theirs)
    # factors come out in psych's order and signs, not just after alignment
    assert list(order) == list(range(spec["n_factors"]))
    assert (signs > 0).all()
    assert list(solution.loadings.columns) == [f"F{j + 1}" for j in range(spec["n_factors"])]
    assert_close(solution.loadings.to_numpy(), theirs.loc[solution.loadings.index])
    if spec["phi"] is None:
        assert solution.phi is None
    else:
        assert solution.phi is not None
        assert_close(solution.phi.to_numpy(), r_frame(spec["phi"]).to_numpy())
    assert_close(solution.communalities, pd.Series(spec["communalities"]))
    assert_close(solution.uniquenesses, pd.Series(spec["uniquenesses"]))
    variance = r_frame(spec["variance"])
    assert_close(solution.variance.loc[variance.index].to_numpy(), variance.to_numpy())


@pytest.mark.parametrize("case", efa_cases())
def test_regression_scores_match_psych(case: str) -> None:
    solution, spec = fit_case(case)
    scores = solution.scores(data_for(case)).iloc[:5]
    assert_close(scores.to_numpy(), r_frame(spec["scores_first5"]).to_numpy())


def test_scores_are_nan_for_a_respondent_with_a_missing_item() -> None:
    solution = efa(holzinger(), n_factors=3)
    data = holzinger().head(3).copy()
    data.loc[1, "x4"] = np.nan
    scores = solution.scores(data)
    assert scores.loc[1].isna().all()
    assert scores.loc[[0, 2]].notna().all().all()


def test_efa_rejects_bad_requests() -> None:
    with pytest.raises(AnalysisError):
        efa(holzinger(), n_factors=9)
    with pytest.raises(AnalysisError):
        efa(holzinger(), n_factors=2, items=["x1", "x2", "nope"])
    with pytest.raises(AnalysisError):
        efa(holzinger(), n_factors=2, rotation="quartimax")  # type: ignore[arg-type]


# ---- confirmatory factor analysis -----------------------------------------------------------


def test_cfa_matches_lavaan() -> None:
    spec = expected("cfa")
    result = cfa(holzinger(), HS_MODEL)
    assert result.n_obs == spec["n"]
    assert result.df == spec["fit"]["df"]
    measured = {
        "chisq": result.chi_square,
        "pvalue": result.p_value,
        "cfi": result.cfi,
        "tli": result.tli,
        "rmsea": result.rmsea,
        "srmr": result.srmr,
    }
    for name, value in measured.items():
        assert_close(value, spec["fit"][name], err_msg=name)
    for block, table in [("std_loadings", result.std_loadings), ("loadings", result.loadings)]:
        r = spec[block]
        ours = [
            table.loc[item, factor] for factor, item in zip(r["factor"], r["item"], strict=True)
        ]
        assert_close(ours, r["value"], err_msg=block)


def test_cfa_rejects_an_unidentified_model() -> None:
    with pytest.raises(AnalysisError):
        cfa(holzinger(), {"f": ["x1", "x2"]})
    with pytest.raises(AnalysisError):
        cfa(holzinger(), {"f": ["x1", "x2", "x10"]})


# ---- factor_analyzer 0.5.1 defects, reproduced and corrected --------------------------------


def raw_factor_analyzer(data: pd.DataFrame, n_factors: int) -> FactorAnalyzer:
    analyzer = FactorAnalyzer(n_factors=n_factors, method="minres", rotation="oblimin")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the check_array FutureWarning of defect 1
        analyzer.fit(data)
    return analyzer


def test_defect_1_factor_analyzer_fit_needs_the_removed_check_array_keyword() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            FactorAnalyzer(n_factors=3, rotation="oblimin").fit(holzinger())
        except TypeError as exc:  # scikit-learn >= 1.8
            assert "force_all_finite" in str(exc)
        else:  # scikit-learn 1.6-1.7: deprecated, a FutureWarning that our suite makes an error
            assert any("force_all_finite" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        efa(holzinger(), n_factors=3)


@pytest.mark.parametrize("case", ["bfi_minres_oblimin", "holzinger_minres_oblimin"])
def test_defect_3_phi_is_left_in_the_pre_sort_factor_order(case: str) -> None:
    spec = expected("efa")[case]
    k = spec["n_factors"]
    theirs = r_frame(spec["loadings"])
    their_phi = r_frame(spec["phi"]).to_numpy()
    analyzer = raw_factor_analyzer(data_for(case), k)
    raw_loadings = pd.DataFrame(analyzer.loadings_, index=theirs.index)
    order, signs = align(raw_loadings, theirs)
    assert_close(analyzer.loadings_[:, order] * signs, theirs.to_numpy())
    raw_phi = analyzer.phi_[np.ix_(order, order)] * np.outer(signs, signs)
    assert np.abs(raw_phi - their_phi).max() > 0.05
    # the values are right, only in another order: phi_ was never re-sorted with the loadings
    assert any(
        np.allclose(
            analyzer.phi_[np.ix_(p, p)] * np.outer(signs, signs), their_phi, rtol=1e-3, atol=1e-3
        )
        for p in map(list, itertools.permutations(range(k)))
    )
    ours, _ = fit_case(case)
    assert_close(ours.phi.to_numpy(), their_phi)


@pytest.mark.parametrize("case", ["bfi_minres_oblimin", "holzinger_ml_promax"])
def test_defect_4_oblique_communalities_are_not_row_sums_of_squares(case: str) -> None:
    spec = expected("efa")[case]
    theirs = pd.Series(spec["communalities"])
    analyzer = FactorAnalyzer(
        n_factors=spec["n_factors"], method=spec["method"], rotation=spec["rotation"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analyzer.fit(data_for(case))
    raw = analyzer.get_communalities()
    assert_allclose(raw, np.sum(analyzer.loadings_**2, axis=1))
    assert np.abs(raw - theirs.to_numpy()).max() > 0.05
    ours, _ = fit_case(case)
    lam, phi = ours.loadings.to_numpy(), ours.phi.to_numpy()
    assert_allclose(ours.communalities, np.diag(lam @ phi @ lam.T), rtol=1e-10)
    assert_close(ours.communalities, theirs)


def copy_on_write() -> contextlib.AbstractContextManager[object]:
    """pandas 3 behaviour: arrays taken from a DataFrame are read-only views."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return contextlib.nullcontext()
    return pd.option_context("mode.copy_on_write", True)


def test_defect_2_dict_model_spec_breaks_under_copy_on_write() -> None:
    with copy_on_write():
        with pytest.raises(ValueError, match="read-only"):
            ModelSpecificationParser.parse_model_specification_from_dict(holzinger(), HS_MODEL)
        # an array spec parses; our CFA builds its pattern as an array and fits under CoW
        pattern = np.kron(np.eye(3, dtype=int), np.ones((3, 1), dtype=int))
        parsed = ModelSpecificationParser.parse_model_specification_from_array(holzinger(), pattern)
        assert parsed.n_factors == 3
        result = cfa(holzinger(), HS_MODEL)
    assert_close(result.chi_square, expected("cfa")["fit"]["chisq"])
