"""The demo district: deterministic, fast, realistic, and carrying its planted truth."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.profiles import school_scale_summary
from analysis.scoring import score_scales
from instruments.library import builtin
from surveys import models as m
from surveys.dataset import form_data
from surveys.demo import (
    FACTORS,
    ITEM_PREVALENCE,
    PLANTED,
    PLANTED_SHIFT,
    generate_demo,
    simulate_answers,
)

DAY = dt.date(2026, 11, 1)


def _fingerprint(db: Session) -> list[tuple]:
    rows = db.execute(
        select(m.Response.audience, m.Response.answers, m.Response.submitted_on).order_by(
            m.Response.id
        )
    ).all()
    return [(a, sorted(ans.items()), d) for a, ans, d in rows]


def test_twelve_schools_fast_with_planted_truth(db: Session) -> None:
    started = time.perf_counter()
    demo = generate_demo(db, seed=7, today=DAY)
    db.commit()
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"demo generation took {elapsed:.1f} s"

    schools = db.scalars(select(m.School).order_by(m.School.code)).all()
    assert len(schools) == 12
    sizes = sorted(s.enrolment for s in schools)
    assert sizes[0] < 100 and sizes[-1] > 1000  # a small rural school to a large urban one
    assert {s.locality for s in schools} == {"rural", "urban"}

    district = db.get(m.District, demo.district_id)
    assert district is not None
    truth = district.settings["demo_truth"]
    assert truth["planted"] == {f"S{i + 1:03d}": f for i, f in PLANTED.items()}

    counts = dict(
        db.execute(select(m.Response.audience, func.count()).group_by(m.Response.audience)).all()
    )
    assert counts["administration"] == 12
    assert counts["student"] > 1000 and counts["parent"] > 500 and counts["teacher"] > 100
    results = db.scalar(select(func.count()).select_from(m.AssessmentResult))
    assert results == 12 * 5 * 2  # ВПР 5-8 and ОГЭ 9, two subjects
    users = set(db.scalars(select(m.User.role)))
    assert users == {"admin", "coordinator", "psychologist", "deputy"}


def test_same_seed_same_data(db: Session) -> None:
    generate_demo(db, seed=11, n_schools=3, today=DAY, with_users=False)
    db.commit()
    first = _fingerprint(db)
    db.execute(m.Response.__table__.delete())
    db.commit()
    generate_demo(db, seed=11, n_schools=3, today=DAY, with_users=False)
    db.commit()
    assert _fingerprint(db) == first


def test_planted_bullying_school_stands_out(db: Session) -> None:
    """The planted causes are visible in the raw scale means (the analysis issue goes further)."""
    demo = generate_demo(db, seed=2026, today=DAY)
    db.commit()
    data = form_data(db, demo.campaign_id, "student_5_11")
    scores = score_scales(data.answers, data.instrument)
    table = school_scale_summary(scores, data.answers["school_code"], data.instrument)
    planted = {f: c for c, f in demo.truth["planted"].items()}
    for scale, statistic, factor in (
        ("bullying", "prevalence", "wellbeing"),
        ("classroom_disorder", "mean", "discipline"),
        ("amotivation", "mean", "motivation"),
    ):
        values = table[table.scale == scale].set_index("school_code")[statistic]
        school = planted[factor]
        # Among the two highest, and clearly above the district's typical school.
        assert school in values.nlargest(2).index, (scale, values.sort_values().tail(3))
        assert values[school] > values.median() + values.std(), (scale, values[school])
    # Relevance is honoured: subjects with a tutor only from those who study outside school.
    tutored = data.answers["tutor_subjects"].notna()
    assert tutored.any()
    assert data.answers.loc[tutored, "extra_classes"].isin([3, 4]).all()
    # Missing answers are realistic: present, but a small share.
    likert = [i.code for i in data.instrument.items() if i.type.value == "likert"]
    missing = float(np.mean(data.answers[likert].isna().to_numpy()))
    assert 0.005 < missing < 0.08


def test_prevalence_base_rates_follow_the_published_surveys() -> None:
    """At the district's typical risk the bullying and teacher-need items come out at their
    published rates (ITEM_PREVALENCE), so the scale prevalences land where PISA and TALIS put
    the same rules; a planted cause is well above them."""
    rng = np.random.default_rng(3)
    typical = dict.fromkeys(FACTORS, 0.0)
    for code, scale_code, low, high in (
        ("student_5_11", "bullying", 0.18, 0.25),  # PISA: 1 in 5 (2015), 23 % (2018)
        ("teacher", "prof_deficits", 0.34, 0.47),
    ):
        instrument = builtin(code)
        grades = rng.integers(5, 12, 6000)
        drawn = simulate_answers(instrument, 6000, typical, rng, grades=grades, missing_rate=0)
        answers = pd.DataFrame(drawn)
        scale = next(s for s in instrument.scales if s.code == scale_code)
        assert scale.prevalence is not None
        for item in scale.items:
            share = float((answers[item] >= scale.prevalence.at_least).mean())
            assert abs(share - ITEM_PREVALENCE[item]) < 0.015, (item, share)
        prevalence = score_scales(answers, instrument, [scale_code]).prevalence[scale_code]
        assert low < prevalence.mean() < high, (scale_code, prevalence.mean())
    student = builtin("student_5_11")
    unsafe = {**typical, "wellbeing": PLANTED_SHIFT}
    planted = simulate_answers(student, 3000, unsafe, rng, grades=rng.integers(5, 12, 3000))
    bullied = score_scales(pd.DataFrame(planted), student, ["bullying"]).prevalence["bullying"]
    assert bullied.mean() > 0.45
