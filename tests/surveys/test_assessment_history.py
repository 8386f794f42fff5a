"""Assessment results of every year for the reference's part on the school's own results:
the frame holds the schools asked for in every year, the analysis keeps its latest year, and
the reference's district figure is the campaign's schools' only."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.dataset import assessment_frame, assessment_history
from tests.factories import make_campaign, make_district, make_school
from web.reporting import school_reference


def _result(
    school: m.School, year: int, share: float, participants: int = 20
) -> m.AssessmentResult:
    return m.AssessmentResult(
        school_id=school.id,
        year=year,
        assessment="ВПР",
        subject="Математика",
        grade=5,
        participants=participants,
        mean_score=3.5,
        share_failing=share,
    )


@pytest.fixture
def schools(db: Session) -> tuple[m.School, m.School, m.School]:
    """Two schools of a campaign and a third of the same district outside it, each with
    results of 2025 and 2026 (the outsider's share of «2» far above the others')."""
    district = make_district(db)
    own = make_school(db, district, code="S1")
    peer = make_school(db, district, code="S2")
    outsider = make_school(db, district, code="S3")
    for year in (2025, 2026):
        db.add_all(
            [
                _result(own, year, 0.10 if year == 2026 else 0.14),
                _result(peer, year, 0.20),
                _result(outsider, year, 0.90, participants=200),
            ]
        )
    db.flush()
    return own, peer, outsider


def test_history_holds_every_year_of_the_schools_asked_for(
    db: Session, schools: tuple[m.School, m.School, m.School]
) -> None:
    history = assessment_history(db, ["S1", "S2"])
    assert sorted(history["school_code"].unique()) == ["S1", "S2"]
    assert sorted(history["year"].unique()) == [2025, 2026]
    assert len(history) == 4
    latest = assessment_frame(db, ["S1", "S2"])
    assert list(latest.columns) == list(history.columns)
    assert set(latest["year"]) == {2026} and len(latest) == 2
    empty = assessment_history(db, ["NONE"])
    assert empty.empty and list(empty.columns) == list(history.columns)
    assert isinstance(empty, pd.DataFrame)


def test_reference_compares_with_the_campaigns_schools_only(
    db: Session, schools: tuple[m.School, m.School, m.School]
) -> None:
    own, peer, _ = schools
    campaign = make_campaign(db, [own, peer])
    results = school_reference(db, campaign.id, "S1").results
    assert results is not None
    latest, earlier = results.years
    (row,) = latest.rows
    # (20 × 10 % + 20 × 20 %) / 40: the outsider's 90 % of 200 pupils is not in it
    assert row.district_share == pytest.approx(0.15)
    assert row.district_schools == 2 and row.comparison == "below"
    assert earlier.rows[0].district_share == pytest.approx(0.17)
    (trend,) = results.trend
    assert trend.shares == ["14,0\u00a0%", "10,0\u00a0%"]
    assert results.statement is not None and "нельзя назвать низкими" in results.statement
