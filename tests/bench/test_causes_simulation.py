"""The independent simulation of bench/causes_simulation.py: a tiny district end to end through
the CLI imports, the shortcut reading the same references as web.reporting, reference points
that behave (ranking by true contribution beats chance), one seed giving one district."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.causes_sim.district import OUTCOME_FACTOR, simulate_district
from bench.causes_sim.measure import tally
from bench.causes_sim.pipeline import check_matches_product, run_pipeline
from instruments.risk_factors import builtin_risk_factors

FACTORS = [f.code for f in builtin_risk_factors().factors]


def test_same_seed_same_district() -> None:
    one = simulate_district(3, 1.0, FACTORS, 12)
    two = simulate_district(3, 1.0, FACTORS, 12)
    assert np.array_equal(one.levels, two.levels) and one.results == two.results
    assert one.planted == two.planted and one.planted
    other = simulate_district(3, 2.0, FACTORS, 12)
    # the district (schools, causal factors) is the seed's; the plants vary with intensity
    assert [s.code for s in other.schools] == [s.code for s in one.schools]
    assert other.causal == one.causal and len(one.causal) == 5
    assert OUTCOME_FACTOR not in one.causal
    assert all(f in one.causal for planted in one.planted.values() for f in planted)


def test_tiny_district_end_to_end(tmp_path: Path) -> None:
    district = simulate_district(2, 2.0, FACTORS, 8)
    outputs = run_pipeline(district, tmp_path)
    assert set(outputs) == {s.code for s in district.schools}
    for output in outputs.values():
        assert set(output.levels) == set(FACTORS)
        assert set(output.causes) <= set(FACTORS)
    code = district.schools[0].code
    check_matches_product(f"sqlite:///{tmp_path / 'sim.db'}", 1, code, outputs[code])

    t = tally(district, outputs)
    assert t.planted >= 3 and t.clean_schools == len(district.schools) - len(district.planted)
    assert t.true_contribution_top3 > t.chance
    assert t.clean_cells > 0
    # the truth-knowing rule: a higher threshold names fewer clean schools and finds fewer
    # plants; at threshold 0 it names every causal factor above the mean of a low-results school
    assert t.oracle_clean_named == sorted(t.oracle_clean_named, reverse=True)
    assert t.oracle_top3 == sorted(t.oracle_top3, reverse=True)
    assert t.oracle_top3[0] <= t.planted and t.oracle_clean_named[0] <= t.clean_schools
    assert 0 <= t.named_truly_elevated <= t.named
    assert t.chance_named <= t.chance + 1e-9
    at_rate = t.oracle_at_product_rate()
    assert at_rate is not None and 0 <= at_rate[1] <= 1


def test_tallies_add_up_lists_and_counts() -> None:
    from bench.causes_sim.measure import ORACLE_GRID, Tally

    one, two = Tally(planted=2, oracle_top3=[1] * len(ORACLE_GRID)), Tally(planted=3)
    two.oracle_top3[0] = 2
    one.add(two)
    assert one.planted == 5 and one.oracle_top3[:2] == [3, 1]


def test_the_truth_knowing_frontier_with_and_without_the_results_gate() -> None:
    """From the truth alone: the gate only removes schools, so it never finds more or names
    more; the frontier of a planted district agrees with the tally's own."""
    from bench.causes_sim.measure import frontier_counts

    district = simulate_district(4, 1.0, FACTORS, 30)
    gated, gated_named, planted, clean = frontier_counts(district, gate=True)
    free, free_named, planted_again, clean_again = frontier_counts(district, gate=False)
    assert (planted, clean) == (planted_again, clean_again) and planted and clean
    assert all(g <= f for g, f in zip(gated, free, strict=True))
    assert all(g <= f for g, f in zip(gated_named, free_named, strict=True))
    assert free[0] > gated[-1] and free_named == sorted(free_named, reverse=True)
