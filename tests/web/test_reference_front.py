"""The reference's title block, study plan and coverage from the database: the campaign's
dates and forms, the school's enrolment and response counts as the campaign page counts them
(flagged answers excluded when the campaign says so), who prepared it (the signed-in user on
the staff pages, ``--prepared-by`` on the command line) and the optional approval block."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from pathlib import Path
from typing import Any

import docx
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from analysis.report.study import school_year
from surveys import models as m
from surveys.campaign_forms import campaign_forms
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_campaign, make_district, make_school, make_user
from web.cli import main
from web.reporting import school_reference

TODAY = dt.date.today()
OPENS, CLOSES = TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=20)
DEPUTY = ("Петрова Анна Ивановна", "заместитель директора по УВР")


def _scenario(db: Session) -> int:
    """School A (grades 5–11: 40 pupils a grade in 5–9, 20 in 10 and 11; 30 teachers) and
    school B; A's answers: 30 pupils of grade 7, 5 of grade 10 and 2 of grade 8 flagged as
    too fast (the campaign leaves flagged answers out), 3 unfinished; 10 parents of grade 6
    pupils; 12 teachers. A deputy of A with a full name and position."""
    district = make_district(db, name="Район титульного листа", region="Тестовая область")
    grades = {str(g): 40 for g in range(5, 10)} | {"10": 20, "11": 20}
    school = make_school(
        db,
        district,
        code="A",
        name="Муниципальное бюджетное общеобразовательное учреждение «Средняя школа № 7»",
        short_name="МБОУ «СШ № 7»",
        teaches_primary=False,
        enrolment_by_grade=grades,
        enrolment_basic=200,
        enrolment_secondary=40,
        teachers=30,
    )
    other = make_school(db, district, code="B", name="Школа Б")
    campaign = make_campaign(
        db,
        [school, other],
        audiences={"student": "student_5_11", "parent": "parent", "teacher": "teacher"},
        title="Осенняя волна",
        opens_on=OPENS,
        closes_on=CLOSES,
        exclude_flagged=True,
    )
    versions = {f.audience: f.version_id for f in campaign_forms(db, campaign.id)}
    rows: list[dict[str, Any]] = []

    def add(audience: str, n: int, answers: dict[str, Any], **extra: Any) -> None:
        for _ in range(n):
            rows.append(
                {
                    "submission_id": str(uuid.uuid4()),
                    "campaign_id": campaign.id,
                    "school_id": school.id,
                    "audience": audience,
                    "instrument_version_id": versions[audience],
                    "answers": answers,
                    "submitted_on": OPENS,
                    **extra,
                }
            )

    add("student", 30, {"grade": 7})
    add("student", 5, {"grade": 10})
    add("student", 2, {"grade": 8}, flags=["too_fast"])
    add("student", 3, {"grade": 9}, status=m.ResponseStatus.partial.value)
    add("parent", 10, {"child_grade": 6})
    add("teacher", 12, {})
    db.execute(insert(m.Response), rows)
    make_user(db, "deputy", login="zam", school_code="A", full_name=DEPUTY[0], position=DEPUTY[1])
    db.commit()
    return campaign.id


def test_coverage_and_plan_come_from_the_campaign_and_the_school(db: Session) -> None:
    campaign_id = _scenario(db)
    model = school_reference(db, campaign_id, "A")
    assert model.front is not None
    title = model.front.title
    assert title.region == "Тестовая область" and title.director_of == "МБОУ «СШ № 7»"
    assert title.school_year == school_year(OPENS, CLOSES)
    assert title.dates == f"{OPENS:%d.%m.%Y}–{CLOSES:%d.%m.%Y}"
    assert title.collection == "сбор ответов продолжается"
    assert title.prepared_by is None and not title.approval
    versions = {f.instrument_code: f.version for f in campaign_forms(db, campaign_id)}
    assert [(f.title, f.version) for f in model.front.plan.forms] == [
        ("Анкета для обучающихся 5–11 классов", versions["student_5_11"]),
        ("Анкета для родителей (законных представителей)", versions["parent"]),
        ("Анкета для педагогов", versions["teacher"]),
    ]

    coverage = model.front.coverage
    students = coverage.forms["student_5_11"]
    # the two flagged answers are left out; the unfinished ones never count
    assert (students.complete, students.flagged, students.partial) == (37, 2, 3)
    assert (students.total.n, students.total.eligible) == (35, 240)
    assert [(r.label, r.n, r.eligible) for r in students.levels] == [
        ("в т. ч. 5–9 классы", 30, 200),
        ("в т. ч. 10–11 классы", 5, 40),
    ]
    parents = coverage.forms["parent"]
    assert (parents.total.n, parents.total.eligible) == (10, 240)
    # one level answered: 5–9 (10 of 200); 10–11 none of 40
    assert [(r.label, r.n, r.eligible) for r in parents.levels] == [
        ("в т. ч. 5–9 классы", 10, 200),
        ("в т. ч. 10–11 классы", 0, 40),
    ]
    teachers = coverage.forms["teacher"]
    assert (teachers.total.n, teachers.total.eligible, teachers.total.low) == (12, 30, True)
    assert coverage.total == "57 анкет"
    assert coverage.quality == (
        "Анкет с признаками недобросовестного заполнения (слишком быстро для прочтения "
        "вопросов; один и тот же ответ на все вопросы длинного блока) — 2 (обучающиеся 5–11 "
        "классов — 2); по решению координатора волны они исключены из анализа. Незавершённые "
        "анкеты (3) в анализ не входят."
    )
    warnings = "\n".join(coverage.warnings)
    assert "Обучающиеся 5–11 классов: охват 15\u00a0% (35 анкет из 240)" in warnings
    assert "Родители: охват 4\u00a0% (10 анкет из 240) — ниже порога 30\u00a0%" in warnings
    assert "Педагоги: охват 40\u00a0% (12 анкет из 30) — ниже порога 50\u00a0%" in warnings


def _signed_in(app: Flask, login: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    signed = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    return client


def _docx_paragraphs(data: bytes) -> list[tuple[str, str]]:
    """Style and text of the body's paragraphs, then of the tables' cells (where the
    approval block's two columns are)."""
    document = docx.Document(io.BytesIO(data))
    cells = [p for t in document.tables for c in t._cells for p in c.paragraphs]
    return [(p.style.name, p.text) for p in [*document.paragraphs, *cells]]


def test_staff_reference_is_prepared_by_the_signed_in_user(app: Flask, db: Session) -> None:
    campaign_id = _scenario(db)
    client = _signed_in(app, "zam")
    base = f"/staff/campaigns/{campaign_id}/schools/A/reference"
    page = client.get(f"{base}.html").text
    assert f"Справку подготовил(а): {DEPUTY[0]}, {DEPUTY[1]}" in page
    assert "УТВЕРЖДАЮ" not in page
    assert "Выборка и охват" in page and "ниже порога" in page
    approved = client.get(f"{base}.html?approval=1").text
    assert re.search(r"УТВЕРЖДАЮ<br>\s*Директор МБОУ «СШ № 7»", approved.replace("&#34;", '"'))
    reply = client.get(f"{base}.docx?approval=1")
    assert reply.status_code == 200
    paragraphs = _docx_paragraphs(reply.data)
    assert any(s == "Approval" and t.startswith("УТВЕРЖДАЮ") for s, t in paragraphs)
    assert ("Meta", f"Справку подготовил(а): {DEPUTY[0]}, {DEPUTY[1]}") in paragraphs
    # the school page offers the approved DOCX
    school_page = client.get("/staff/schools/A").text
    assert f"{base}.docx?approval=1" in school_page


def test_cli_report_options_sign_and_approve(cli_env: str, db: Session, tmp_path: Path) -> None:
    campaign_id = _scenario(db)
    runner = CliRunner()
    args = ["report", "--campaign", str(campaign_id), "--school", "A"]
    signed = tmp_path / "signed.docx"
    preparer = "Сидоров Пётр Ильич, заместитель директора по УВР"
    options = ["--format", "docx", "-o", str(signed), "--approval", "--prepared-by", preparer]
    result = runner.invoke(main, [*args, *options])
    assert result.exit_code == 0, result.output
    paragraphs = _docx_paragraphs(signed.read_bytes())
    assert (
        "Meta",
        "Справку подготовил(а): Сидоров Пётр Ильич, заместитель директора по УВР",
    ) in paragraphs
    assert [s for s, _ in paragraphs].count("Approval") == 1

    plain = tmp_path / "plain.html"
    assert runner.invoke(main, [*args, "-o", str(plain)]).exit_code == 0
    html = plain.read_text(encoding="utf-8")
    assert "Справку подготовил(а): ____" in html and "(ФИО, должность)" in html
    assert "УТВЕРЖДАЮ" not in html

    nameless = tmp_path / "nameless.html"
    result = runner.invoke(main, [*args, "-o", str(nameless), "--prepared-by", " , директор"])
    assert result.exit_code == 1
    assert "--prepared-by: Укажите ФИО" in result.output
    assert not nameless.exists()
