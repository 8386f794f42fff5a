"""The demo district: deterministic, fast, realistic, and carrying its planted truth."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from analysis.indicators import school_indicators
from analysis.profiles import school_scale_summary
from analysis.scoring import score_scales
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from surveys import models as m
from surveys.benchmarks import campaign_answers
from surveys.dataset import form_data
from surveys.demo import PLANTED, PLANTED_SHIFT, generate_demo
from surveys.demo_answers import FACTORS, FORM_ITEM_PREVALENCE, ITEM_PREVALENCE, simulate_answers
from web.reporting import school_reference

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
    by_form = dict(
        db.execute(
            select(m.Instrument.code, func.count())
            .join(m.InstrumentVersion, m.InstrumentVersion.instrument_id == m.Instrument.id)
            .join(m.Response, m.Response.instrument_version_id == m.InstrumentVersion.id)
            .group_by(m.Instrument.code)
        ).all()
    )
    assert by_form == demo.counts
    assert by_form["student_2_4"] + by_form["student_5_11"] == counts["student"]
    results = db.scalar(select(func.count()).select_from(m.AssessmentResult))
    assert results == 12 * 5 * 2  # ВПР 5-8 and ОГЭ 9, two subjects
    users = set(db.scalars(select(m.User.role)))
    assert users == {"admin", "coordinator", "psychologist", "deputy"}


def test_both_student_forms_fielded_by_grade(db: Session) -> None:
    """The campaign fields the grades 2–4 form beside the 5–11 one, with a link per school and
    form; pupils of grades 2–4 answer the short form through its link, at about the rate of
    the older students against each school's enrolment in those grades."""
    demo = generate_demo(db, seed=7, today=DAY, with_users=False)
    db.commit()
    forms = dict(
        db.execute(
            select(m.Instrument.code, m.Fielding.instrument_version_id)
            .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Fielding.instrument_version_id)
            .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
            .where(m.Fielding.campaign_id == demo.campaign_id, m.Fielding.audience == "student")
        ).all()
    )
    assert set(forms) == {"student_2_4", "student_5_11"}
    schools = db.scalars(select(m.School)).all()
    assert all(s.teaches_primary for s in schools)  # every demo school has primary grades
    answered = 0
    enrolled = 0
    for school in schools:
        rows = db.execute(
            select(m.Response.answers, m.Fielding.instrument_version_id)
            .join(m.SurveyLink, m.SurveyLink.id == m.Response.link_id)
            .join(m.Fielding, m.Fielding.id == m.SurveyLink.fielding_id)
            .where(
                m.Response.school_id == school.id,
                m.Response.instrument_version_id == forms["student_2_4"],
            )
        ).all()
        # Through the school's link of that form, every answer from grades 2–4.
        assert {version for _, version in rows} == {forms["student_2_4"]}
        assert {answers["grade"] for answers, _ in rows} <= {2, 3, 4}
        pupils = sum(school.enrolment_by_grade[str(g)] for g in (2, 3, 4))
        assert 0 < len(rows) <= pupils
        answered += len(rows)
        enrolled += pupils
    assert answered == demo.counts["student_2_4"]
    assert 0.68 < answered / enrolled < 0.82, answered / enrolled  # the demo's rate: 0.75
    older = db.scalars(
        select(m.Response.answers).where(m.Response.instrument_version_id == forms["student_5_11"])
    ).all()
    assert {a["grade"] for a in older} == set(range(5, 12))


def test_same_seed_same_data(db: Session) -> None:
    generate_demo(db, seed=11, n_schools=3, today=DAY, with_users=False)
    db.commit()
    first = _fingerprint(db)
    db.execute(delete(m.Response))
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


#: the demo's factor each grades 2–4 indicator measures, as its scale does on the 5–11 form
PRIMARY_INDICATORS = {
    "stu24_interest": "motivation",
    "stu24_bullying": "wellbeing",
    "stu24_belonging": "wellbeing",
    "stu24_classroom_disorder": "discipline",
    "stu24_home_support": "parents",
}


def test_grades_2_4_indicators_show_the_planted_causes(db: Session) -> None:
    """Every school (each teaches the primary grades) gets a value of every grades 2–4
    indicator, and a planted cause makes its school the worst on the indicators of the short
    form that measure it, as it does on the 5–11 form."""
    demo = generate_demo(db, seed=2026, today=DAY, with_users=False)
    db.commit()
    data = campaign_answers(db, demo.campaign_id)
    assert {"student_2_4", "student_5_11"} <= set(data)
    catalogue = builtin_risk_factors()
    by_factor = catalogue.indicators_by_factor(instrument for instrument, _ in data.values())
    primary = {
        i.code: i for items in by_factor.values() for i in items if i.instrument == "student_2_4"
    }
    assert set(PRIMARY_INDICATORS) <= set(primary)
    table = school_indicators(data, list(primary.values()), min_group_size=5)
    planted = {factor: code for code, factor in demo.truth["planted"].items()}
    for code, factor in PRIMARY_INDICATORS.items():
        rows = table[table.indicator == code].set_index("school_code")
        assert len(rows) == 12 and not rows.suppressed.any() and rows.value.notna().all(), code
        risk = rows.value if primary[code].direction == "risk" else -rows.value
        school = planted[factor]
        assert risk.idxmax() == school, (code, risk.sort_values().tail(3))
        assert risk[school] > risk.median() + risk.std(), (code, risk[school])


def test_school_reference_has_the_grades_2_4_form(db: Session) -> None:
    """The reference of the school with planted bullying has a section of the grades 2–4 form
    with its answers, and the 2–4 indicators in its wellbeing profile."""
    demo = generate_demo(db, seed=2026, today=DAY, with_users=False)
    db.commit()
    code = next(c for c, f in demo.truth["planted"].items() if f == "wellbeing")
    school = db.scalar(select(m.School).where(m.School.code == code))
    assert school is not None
    answered = db.scalar(
        select(func.count())
        .select_from(m.Response)
        .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Response.instrument_version_id)
        .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
        .where(m.Response.school_id == school.id, m.Instrument.code == "student_2_4")
    )
    reference = school_reference(db, demo.campaign_id, code)
    sections = {s.instrument_code: s for s in reference.sections}
    assert {"student_2_4", "student_5_11"} <= set(sections)
    primary = sections["student_2_4"]
    assert answered is not None and answered > 5
    assert primary.n_responses == answered
    assert "2–4" in primary.audience_label
    bullying = next(r for r in primary.rows if r.code == "bullying")
    assert not bullying.suppressed and bullying.prevalence is not None
    assert reference.risk is not None
    wellbeing = next(f for f in reference.risk.factors if f.code == "wellbeing")
    titles = [row.title for row in wellbeing.indicators]
    assert any("2–4" in t for t in titles) and any("2–4" not in t for t in titles), titles


def test_prevalence_base_rates_follow_the_published_surveys() -> None:
    """At the district's typical risk the bullying and teacher-need items come out at their
    published rates (ITEM_PREVALENCE), so the scale prevalences land where PISA and TALIS put
    the same rules; a planted cause is well above them."""
    rng = np.random.default_rng(3)
    typical = dict.fromkeys(FACTORS, 0.0)
    for code, scale_code, low, high in (
        ("student_5_11", "bullying", 0.18, 0.25),  # PISA: 1 in 5 (2015), 23 % (2018)
        ("student_2_4", "bullying", 0.10, 0.16),  # TIMSS grade 4 "about weekly": 8–15 %
        ("teacher", "prof_deficits", 0.34, 0.47),
    ):
        instrument = builtin(code)
        low_grade, high_grade = instrument.grades or (5, 11)
        grades = rng.integers(low_grade, high_grade + 1, 6000)
        drawn = simulate_answers(instrument, 6000, typical, rng, grades=grades, missing_rate=0)
        answers = pd.DataFrame(drawn)
        scale = next(s for s in instrument.scales if s.code == scale_code)
        assert scale.prevalence is not None
        rates = FORM_ITEM_PREVALENCE.get(code, ITEM_PREVALENCE)
        for item in scale.items:
            share = float((answers[item] >= scale.prevalence.at_least).mean())
            assert abs(share - rates[item]) < 0.015, (code, item, share)
        prevalence = score_scales(answers, instrument, [scale_code]).prevalence[scale_code]
        assert low < prevalence.mean() < high, (scale_code, prevalence.mean())
    student = builtin("student_5_11")
    unsafe = {**typical, "wellbeing": PLANTED_SHIFT}
    planted = simulate_answers(student, 3000, unsafe, rng, grades=rng.integers(5, 12, 3000))
    bullied = score_scales(pd.DataFrame(planted), student, ["bullying"]).prevalence["bullying"]
    assert bullied.mean() > 0.45


def test_specialists_on_the_school_card_answer_their_form(db: Session) -> None:
    """Each specialist the school card lists answers the specialists' form once, with the
    post the card gives; their counts agree with each other; the administration says who is
    on the staff as the card does; the reference lists the facts and hides the views."""
    from surveys.demo import POSTS, STAFF_QUESTIONS

    demo = generate_demo(db, seed=2026, today=DAY, with_users=False)
    db.commit()
    assert demo.counts["specialist"] > 0
    with_staff = None
    for school in db.scalars(select(m.School).order_by(m.School.code)):
        rows = db.scalars(
            select(m.Response.answers).where(
                m.Response.school_id == school.id, m.Response.audience == "specialist"
            )
        ).all()
        card = {flag: bool(getattr(school, flag)) for flag in POSTS}
        assert len(rows) == sum(card.values()) <= 3, school.code
        posts = sorted(a["position"] for a in rows if "position" in a)
        assert set(posts) <= {POSTS[flag] for flag, has in card.items() if has}
        for answer in rows:
            kinds = [answer.get(k, 0) for k in ("kind_sen", "kind_learning")]
            if "caseload" in answer:
                assert sum(kinds) <= answer["caseload"]
            if answer.get("pmpk_total", 0) > 0 and "pmpk_full" in answer:
                assert answer["pmpk_full"] <= answer["pmpk_total"]
            if answer.get("position") == 4:  # a social pedagogue: no sessions of the commission
                assert answer.get("pmpk_total", 0) == 0 and "pmpk_full" not in answer
        administration = db.scalars(
            select(m.Response.answers).where(
                m.Response.school_id == school.id, m.Response.audience == "administration"
            )
        ).one()
        for flag, question in STAFF_QUESTIONS.items():
            assert (administration[question] == 1) == card[flag], (school.code, question)
        if len(rows) >= 2 and with_staff is None:
            with_staff = school.code
    assert with_staff is not None
    reference = school_reference(db, demo.campaign_id, with_staff)
    assert reference.support is not None
    facts = reference.support.forms[0]
    assert facts.n_responses >= 2 and facts.rows[0].value not in ("—", "0")
    section = next(s for s in reference.sections if s.instrument_code == "specialist")
    assert all(row.suppressed for row in section.rows)
    assert reference.risk is not None
    sen = next(f for f in reference.risk.factors if f.code == "sen_support")
    pmpk = next(i for i in sen.indicators if i.title.startswith("Доля детей с рекомендациями"))
    assert pmpk.value.endswith("%") and pmpk.band is not None
