"""How a school's figure reads in the reference (issue 15, language): shares in percent, a
percentage answered as a number with «%» (not «43,00»), counts as integers, a yes/no fact of
one institutional answer as «да»/«нет» (not «100 %»)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.report.profile import _value_text
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import IndicatorSpec


@pytest.mark.parametrize(
    ("statistic", "value", "n", "unit", "expected"),
    [
        ("share", 0.254, 120, None, "25\u00a0%"),
        ("prevalence", 0.1, 40, None, "10\u00a0%"),
        ("share", 1.0, 1, None, "да"),
        ("share", 0.0, 1, None, "нет"),
        ("pomp", 47.4, 30, None, "47 из 100"),
        ("value", 43.0, 1, "percent", "43\u00a0%"),
        ("value", 3.0, 1, "count", "3"),
        ("value", 2.6, 1, "count", "3"),
        ("value", 2.31, 30, None, "2,31"),
        ("value", -0.5, 30, None, "−0,50"),
        ("value", float("nan"), 30, None, "—"),
    ],
)
def test_figures_read_as_a_person_writes_them(
    statistic: str, value: float, n: int, unit: str | None, expected: str
) -> None:
    row = pd.Series({"statistic": statistic, "value": value, "n": n})
    assert _value_text(row, unit) == expected


def test_every_number_indicator_of_the_catalogue_says_what_its_number_is() -> None:
    """The administration's number answers: how many vacant posts, what percent of teachers
    over 60, of pupils with special needs, with another home language, sent to extra classes."""
    indicators = [
        i for items in builtin_risk_factors().indicators_by_factor([]).values() for i in items
    ]
    numbers = {i.code: i.unit for i in indicators if i.statistic == "value"}
    assert numbers and all(unit is not None for unit in numbers.values()), numbers
    assert numbers["adm_posts_vacant"] == "count"
    assert numbers["adm_teachers_over_60"] == "percent"


def test_a_unit_belongs_to_a_number_only() -> None:
    with pytest.raises(ValueError, match="единица"):
        IndicatorSpec.model_validate(
            {
                "code": "x",
                "title": {"ru": "Доля", "en": "Share"},
                "scale": "s",
                "statistic": "prevalence",
                "direction": "risk",
                "unit": "percent",
            }
        )
