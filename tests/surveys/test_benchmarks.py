"""Frozen benchmarks and previous waves: frozen means frozen, z against a benchmark, scoping."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from analysis.benchmark import reference_from_stats, reference_stats, z_against
from analysis.indicators import school_indicators
from analysis.report import render_html
from analysis.risk import Reference
from instruments.risk_factors import builtin_risk_factors
from surveys import models as m
from surveys.benchmarks import (
    benchmark_reference,
    campaign_answers,
    earlier_waves,
    freeze_benchmark,
    list_benchmarks,
    set_previous_wave,
    set_reference,
)
from surveys.campaigns import create_campaign
from surveys.demo import generate_demo
from surveys.errors import InvalidInput, NotFound
from tests.factories import make_campaign, make_school, make_user
from web.reporting import school_reference

DAY = dt.date(2026, 11, 1)
BULLYING_ITEMS = [f"bul_{i}" for i in range(1, 6)]


def _campaign(db: Session, campaign_id: int) -> m.Campaign:
    campaign = db.get(m.Campaign, campaign_id)
    assert campaign is not None
    return campaign


def _copy_wave(
    db: Session,
    source: m.Campaign,
    *,
    title: str,
    opens_on: dt.date,
    forms: tuple[str, ...] = ("student_5_11",),
    change: Any = None,
) -> m.Campaign:
    """A second campaign of the same schools fielding the source's ``forms`` (instrument
    codes), whose answers to them are the source's, each passed through ``change`` (answers
    -> answers) when given."""
    district = db.get(m.District, source.district_id)
    assert district is not None
    schools = list(
        db.scalars(
            select(m.School)
            .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
            .where(m.CampaignSchool.campaign_id == source.id)
        )
    )
    versions = list(
        db.scalars(
            select(m.InstrumentVersion)
            .join(m.Fielding, m.Fielding.instrument_version_id == m.InstrumentVersion.id)
            .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
            .where(m.Fielding.campaign_id == source.id, m.Instrument.code.in_(forms))
        )
    )
    wave = create_campaign(
        db,
        district=district,
        title=title,
        opens_on=opens_on,
        closes_on=opens_on + dt.timedelta(days=60),
        schools=schools,
        fieldings=versions,
    )
    rows = [
        {
            "submission_id": str(uuid.uuid4()),
            "campaign_id": wave.id,
            "school_id": r.school_id,
            "audience": r.audience,
            "instrument_version_id": r.instrument_version_id,
            "answers": change(dict(r.answers)) if change else r.answers,
            "submitted_on": opens_on,
        }
        for r in db.scalars(
            select(m.Response).where(
                m.Response.campaign_id == source.id,
                m.Response.instrument_version_id.in_([v.id for v in versions]),
            )
        )
    ]
    db.execute(insert(m.Response), rows)
    db.flush()
    return wave


def _more_bullying(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: min(int(v) + 1, 4) if k in BULLYING_ITEMS else v for k, v in answers.items()}


def test_frozen_stats_do_not_change_when_answers_arrive_later(db: Session) -> None:
    demo = generate_demo(db, n_schools=4, with_users=False, today=DAY)
    campaign = _campaign(db, demo.campaign_id)
    frozen = freeze_benchmark(db, campaign.id, "  Осень 2026  ")
    db.commit()
    assert frozen.title == "Осень 2026"
    assert frozen.district_id == campaign.district_id
    assert frozen.source_campaign_id == campaign.id
    assert frozen.stats["schools"] == 4
    # Which version of each form the figures rest on, keyed by the instrument's code.
    fielded = dict(
        db.execute(
            select(m.Instrument.code, m.Fielding.instrument_version_id)
            .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
            .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
            .where(m.Fielding.campaign_id == campaign.id)
        ).all()
    )
    assert frozen.stats["instrument_versions"] == fielded
    assert "student_5_11" in fielded
    before = benchmark_reference(db, frozen.id).stats.copy()
    bullying = frozen.stats["indicators"]["stu_bullying"]
    assert bullying["schools"] == 4 and bullying["sd"] > 0

    # Later, many answers of bullied students reach the source campaign.
    school = db.scalars(select(m.School).where(m.School.code == "S001")).one()
    version_id = fielded["student_5_11"]
    db.execute(
        insert(m.Response),
        [
            {
                "submission_id": str(uuid.uuid4()),
                "campaign_id": campaign.id,
                "school_id": school.id,
                "audience": "student",
                "instrument_version_id": version_id,
                "answers": {"grade": 7, **dict.fromkeys(BULLYING_ITEMS, 4)},
                "submitted_on": DAY,
            }
            for _ in range(200)
        ],
    )
    db.commit()

    data = campaign_answers(db, campaign.id)
    catalogue = builtin_risk_factors()
    indicators = [
        i
        for items in catalogue.indicators_by_factor(x for x, _ in data.values()).values()
        for i in items
    ]
    live = Reference.from_indicators(
        school_indicators(data, indicators, min_group_size=campaign.min_group_size)
    ).stats
    assert live.loc["stu_bullying", "mean"] > before.loc["stu_bullying", "mean"] + 0.01
    db.expire_all()
    after = benchmark_reference(db, frozen.id).stats
    assert after.equals(before)


def test_z_against_a_lower_benchmark_is_higher_than_against_own_schools(db: Session) -> None:
    """Wave 2 has more bullying everywhere: among themselves its schools sit around 0, against
    the frozen wave 1 every school is worse."""
    demo = generate_demo(db, n_schools=4, with_users=False, today=DAY)
    first = _campaign(db, demo.campaign_id)
    frozen = freeze_benchmark(db, first.id, "Волна 1")
    second = _copy_wave(
        db, first, title="Волна 2", opens_on=DAY + dt.timedelta(days=200), change=_more_bullying
    )
    db.commit()

    own = school_reference(db, second.id, "S001")
    set_reference(db, second, frozen.id)
    db.commit()
    against = school_reference(db, second.id, "S001")

    data = campaign_answers(db, second.id)
    catalogue = builtin_risk_factors().indicators_by_factor(x for x, _ in data.values())
    bullying = [i for items in catalogue.values() for i in items if i.code == "stu_bullying"]
    table = school_indicators(data, bullying)

    def bullying_z(model: Any) -> pd.Series:
        reference = model.benchmark.reference if model.benchmark else None
        return z_against(table, reference).set_index("school_code")["risk_z"]

    own_z, bench_z = bullying_z(own), bullying_z(against)
    assert abs(own_z.mean()) < 1e-9  # among themselves, the schools average out
    assert (bench_z > own_z).all() and (bench_z > 0.5).all()
    assert own.benchmark is None and against.benchmark is not None
    assert against.benchmark.title == "Волна 1"
    wellbeing = next(f for f in against.risk.factors if f.code == "wellbeing")  # type: ignore[union-attr]
    row = next(i for i in wellbeing.indicators if i.title.startswith("Доля учеников 5–11"))
    assert row.risk_z is not None and row.risk_z > 0.5
    html = render_html(against)
    assert "в сравнении с эталоном «Волна 1», зафиксированным" in html
    assert "в сравнении со школами кампании" in render_html(own)


def test_an_indicator_missing_from_the_benchmark_has_no_position(db: Session) -> None:
    demo = generate_demo(db, n_schools=4, with_users=False, today=DAY)
    campaign = _campaign(db, demo.campaign_id)
    frozen = freeze_benchmark(db, campaign.id, "Без травли")
    stats = dict(frozen.stats)
    stats["indicators"] = {k: v for k, v in stats["indicators"].items() if k != "stu_bullying"}
    frozen.stats = stats  # as a benchmark frozen before the indicator existed
    set_reference(db, campaign, frozen.id)
    db.commit()

    reference = benchmark_reference(db, frozen.id)
    assert "stu_bullying" not in reference.stats.index
    model = school_reference(db, campaign.id, "S001")
    wellbeing = next(f for f in model.risk.factors if f.code == "wellbeing")  # type: ignore[union-attr]
    bullying = next(i for i in wellbeing.indicators if i.title.startswith("Доля учеников 5–11"))
    belonging = next(i for i in wellbeing.indicators if i.title.startswith("Чувство"))
    assert bullying.risk_z is None and bullying.band is None
    assert belonging.risk_z is not None and belonging.band is not None
    assert any(t.startswith("Доля учеников 5–11") for t in model.unbenchmarked)
    assert "Этих показателей нет в эталоне" in render_html(model)


def test_freezing_needs_three_schools_with_enough_answers(db: Session) -> None:
    demo = generate_demo(db, n_schools=2, with_users=False, today=DAY)
    with pytest.raises(InvalidInput, match=r"не меньше чем по 3 школам.*таких школ: 2"):
        freeze_benchmark(db, demo.campaign_id, "Мало школ")
    with pytest.raises(InvalidInput, match="Укажите название"):
        freeze_benchmark(db, demo.campaign_id, "   ")
    with pytest.raises(NotFound):
        freeze_benchmark(db, 999, "Нет такой")
    assert db.scalars(select(m.Benchmark)).all() == []


def test_choices_stay_within_the_district_and_go_back_in_time(db: Session) -> None:
    demo = generate_demo(db, n_schools=4, with_users=False, today=DAY)
    campaign = _campaign(db, demo.campaign_id)
    earlier = _copy_wave(db, campaign, title="Весна", opens_on=DAY - dt.timedelta(days=200))
    later = _copy_wave(db, campaign, title="Следующая", opens_on=DAY + dt.timedelta(days=200))
    own = freeze_benchmark(db, campaign.id, "Свой")
    foreign_school = make_school(db, code="F01")
    foreign = make_campaign(db, [foreign_school], opens_on=DAY - dt.timedelta(days=400))
    user = make_user(db, "admin")

    foreign_benchmark = m.Benchmark(
        district_id=foreign.district_id, title="Чужой", source_campaign_id=foreign.id, stats={}
    )
    db.add(foreign_benchmark)
    db.flush()
    with pytest.raises(InvalidInput, match="другого района"):
        set_reference(db, campaign, foreign_benchmark.id)
    with pytest.raises(NotFound):
        set_reference(db, campaign, 9999)
    with pytest.raises(InvalidInput, match="того же района"):
        set_previous_wave(db, campaign, foreign.id)
    with pytest.raises(InvalidInput, match="самой себя"):
        set_previous_wave(db, campaign, campaign.id)
    with pytest.raises(InvalidInput, match="должна начинаться раньше"):
        set_previous_wave(db, campaign, later.id)
    assert campaign.benchmark_id is None and campaign.previous_campaign_id is None

    set_reference(db, campaign, own.id, user_id=user.id)
    set_previous_wave(db, campaign, earlier.id, user_id=user.id)
    db.commit()
    db.expire_all()
    stored = _campaign(db, campaign.id)
    assert stored.benchmark_id == own.id and stored.previous_campaign_id == earlier.id
    assert [w.id for w in earlier_waves(db, later)] == [campaign.id, earlier.id]
    assert [b.title for b in list_benchmarks(db, campaign.district_id)] == ["Свой"]
    events = db.execute(
        select(m.AuditEvent.action, m.AuditEvent.user_id, m.AuditEvent.details).order_by(
            m.AuditEvent.id
        )
    ).all()
    assert [(a, u) for a, u, _ in events] == [
        ("benchmark_frozen", None),
        ("campaign_reference_set", user.id),
        ("campaign_previous_set", user.id),
    ]
    assert events[1][2] == {"campaign": campaign.id, "benchmark": own.id}

    set_reference(db, stored, None)
    set_previous_wave(db, stored, None)
    db.commit()
    assert stored.benchmark_id is None and stored.previous_campaign_id is None


def test_migration_0006_round_trip_keeps_campaigns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import inspect

    from surveys.db import alembic_config, check, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO district (name) VALUES ('Район')")
        conn.exec_driver_sql(
            "INSERT INTO campaign (district_id, title, opens_on, closes_on) "
            "VALUES (1, 'Волна', '2026-01-01', '2026-02-01')"
        )
    upgrade(engine)
    check(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("campaign")}
    assert {"benchmark_id", "previous_campaign_id"} <= columns
    with engine.begin() as conn:
        row = conn.exec_driver_sql(
            "SELECT title, benchmark_id, previous_campaign_id FROM campaign"
        ).one()
        assert tuple(row) == ("Волна", None, None)
    command.downgrade(alembic_config(engine), "0005")
    assert "benchmark" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT title FROM campaign").scalar() == "Волна"
    engine.dispose()


def test_reference_stats_round_trip_without_nan() -> None:
    reference = Reference(
        pd.DataFrame(
            {"mean": [1.5, 2.0], "sd": [0.5, np.nan], "schools": [4, 1]},
            index=pd.Index(["a", "b"], name="indicator"),
        )
    )
    plain = reference_stats(reference)
    assert plain == {
        "a": {"mean": 1.5, "sd": 0.5, "schools": 4},
        "b": {"mean": 2.0, "sd": None, "schools": 1},
    }
    back = reference_from_stats(plain).stats
    assert list(back.index) == ["a"]  # no SD: it cannot place a school
    assert back.loc["a", "mean"] == 1.5 and back.loc["a", "sd"] == 0.5
