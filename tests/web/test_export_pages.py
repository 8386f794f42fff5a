"""Downloads of respondent-level data on the campaign page and ``rootcause export responses``:
who may download (administrators, the district's coordinators and psychologists; deputies 403,
another district 404), what is sent (the .sav with labels, CSV for Russian Excel with formulas
neutralised, the codebook), and the audit entry written before each file leaves."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.exports import POOLED_SCHOOL
from tests.conftest import csrf_token
from tests.factories import (
    PASSWORD,
    link_for,
    make_campaign,
    make_district,
    make_response,
    make_school,
    make_user,
)
from web.cli import main

COMMAND = ["export", "responses", "--audience", "teacher", "--campaign"]
INJECTION = '=HYPERLINK("http://evil.example","нажмите")'


@dataclass
class World:
    campaign_id: int
    far_campaign_id: int


@pytest.fixture
def world(db: Session) -> World:
    """A campaign fielding the teachers' form in BIG (6 answers) and SMALL (2), the staff of
    its district and a coordinator and a psychologist of another district."""
    district = make_district(db, name="Северный район")
    big = make_school(db, district, code="BIG")
    small = make_school(db, district, code="SMALL")
    campaign = make_campaign(db, [big, small], audiences={"teacher": "teacher"})
    for n in range(6):
        answers = {"comment": INJECTION if n == 0 else "Больше методической помощи"}
        make_response(db, link_for(db, campaign, big, "teacher"), answers=answers)
    for _ in range(2):
        make_response(
            db, link_for(db, campaign, small, "teacher"), answers={"comment": "Нужны психологи"}
        )
    far_district = make_district(db, name="Южный район")
    far = make_school(db, far_district, code="FAR")
    far_campaign = make_campaign(db, [far], audiences={"teacher": "teacher"})
    make_user(db, "admin", login="boss")
    make_user(db, "coordinator", login="coord", district_name=district.name)
    make_user(db, "psychologist", login="psy", district_name=district.name)
    make_user(db, "deputy", login="zam", school_code="BIG")
    make_user(db, "coordinator", login="coord-far", district_name=far_district.name)
    make_user(db, "psychologist", login="psy-far", district_name=far_district.name)
    db.commit()
    return World(campaign.id, far_campaign.id)


def _login(client: FlaskClient, login: str) -> None:
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _events(db: Session) -> list[m.AuditEvent]:
    db.expire_all()
    return list(
        db.scalars(
            select(m.AuditEvent)
            .where(m.AuditEvent.action == "responses_exported")
            .order_by(m.AuditEvent.id)
        )
    )


@pytest.mark.parametrize("login", ["boss", "coord", "psy"])
def test_exporters_download_the_sav_and_each_download_is_audited(
    client: FlaskClient, db: Session, world: World, login: str, tmp_path: Path
) -> None:
    _login(client, login)
    page = client.get(f"/staff/campaigns/{world.campaign_id}/")
    assert page.status_code == 200
    assert f"/staff/campaigns/{world.campaign_id}/exports/" in page.text
    listing = client.get(f"/staff/campaigns/{world.campaign_id}/exports/")
    assert listing.status_code == 200
    url = f"/staff/campaigns/{world.campaign_id}/exports/teacher/answers.sav"
    assert url in listing.text
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-spss-sav"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{world.campaign_id}-teacher-answers.sav"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    path = tmp_path / "answers.sav"
    path.write_bytes(response.data)
    data, meta = pyreadstat.read_sav(str(path))
    assert len(data) == 8
    assert sorted(set(data["school"])) == ["BIG", POOLED_SCHOOL]
    assert meta.column_names_to_labels["comment"].startswith("Что, по-вашему")
    user = db.scalar(select(m.User).where(m.User.login == login))
    assert user is not None
    (event,) = _events(db)
    assert event.user_id == user.id
    assert event.target == f"campaign {world.campaign_id} teacher teacher"
    assert event.details["files"] == {"answers": "sav"}
    assert event.details["via"] == "web"
    assert "SMALL" not in str(event.details) and "методической" not in str(event.details)


def test_csv_for_russian_excel_neutralises_formulas(
    client: FlaskClient, db: Session, world: World
) -> None:
    _login(client, "psy")
    base = f"/staff/campaigns/{world.campaign_id}/exports/teacher"
    response = client.get(f"{base}/answers-ru.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    comments = [r[rows[0].index("comment")] for r in rows[1:]]
    assert "'" + INJECTION in comments and INJECTION not in comments
    assert "-9" in {c for r in rows[1:] for c in r}  # a missing code stays a number
    book = load_workbook(io.BytesIO(client.get(f"{base}/answers.xlsx").data))["Данные"]
    cells = [c for row in book.iter_rows() for c in row if c.value == INJECTION]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    codebook = client.get(f"{base}/codebook.html")
    assert codebook.status_code == 200
    assert codebook.headers["Content-Type"] == "text/html; charset=utf-8"
    assert codebook.headers["Content-Disposition"].startswith("attachment;")
    assert "Кодовая книга" in codebook.text and "другие школы" in codebook.text
    scores = client.get(f"{base}/scores.sav")
    assert scores.status_code == 200
    files = [e.details["files"] for e in _events(db)]
    assert files == [
        {"answers": "csv-ru"},
        {"answers": "xlsx"},
        {"codebook": "html"},
        {"scores": "sav"},
    ]


def test_deputies_get_403_and_other_districts_404(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    own = f"/staff/campaigns/{world.campaign_id}/exports/"
    far = f"/staff/campaigns/{world.far_campaign_id}/exports/"
    assert client.get(own).status_code == 302  # not signed in: to the sign-in page
    _login(client, "zam")
    page = client.get(f"/staff/campaigns/{world.campaign_id}/")
    assert page.status_code == 200 and own not in page.text
    assert client.get(own).status_code == 403
    assert client.get(own + "teacher/answers.sav").status_code == 403
    for login in ("coord-far", "psy-far"):
        client = app.test_client()
        _login(client, login)
        assert client.get(own).status_code == 404
        assert client.get(own + "teacher/answers.csv").status_code == 404
        assert client.get(far).status_code == 200
    client = app.test_client()
    _login(client, "psy")
    assert client.get(far + "teacher/answers.csv").status_code == 404
    assert client.get(own + "student_5_11/answers.csv").status_code == 404  # not fielded
    assert client.get(own + "teacher/answers.pdf").status_code == 404
    assert client.get("/staff/campaigns/999999/exports/").status_code == 404
    assert _events(db) == []


def test_cli_writes_the_files_and_records_the_export(
    cli_env: str, db: Session, world: World, tmp_path: Path
) -> None:
    runner = CliRunner()
    answers, scores, codebook = tmp_path / "a.csv", tmp_path / "s.csv", tmp_path / "cb.xlsx"
    result = runner.invoke(
        main,
        [
            "export",
            "responses",
            "--campaign",
            str(world.campaign_id),
            "--audience",
            "teacher",
            "--format",
            "csv",
            "--semicolon",
            "-o",
            str(answers),
            "--scores",
            str(scores),
            "--codebook",
            str(codebook),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "8 респондентов" in result.output
    rows = list(csv.reader(io.StringIO(answers.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert "'" + INJECTION in [r[rows[0].index("comment")] for r in rows[1:]]
    assert "SMALL" not in {c for r in rows for c in r}
    assert scores.read_text(encoding="utf-8-sig").startswith("resp_id;school;class;")
    assert load_workbook(codebook).sheetnames == ["О файле", "Переменные", "Шкалы"]
    (event,) = _events(db)
    assert event.user_id is None and event.details["via"] == "cli"
    assert event.details["files"] == {"answers": "csv", "scores": "csv", "codebook": "xlsx"}
    sav = tmp_path / "a.sav"
    result = runner.invoke(
        main,
        [*COMMAND, str(world.campaign_id), "--format", "sav", "-o", str(sav), "--form", "teacher"],
    )
    assert result.exit_code == 0, result.output
    assert len(pyreadstat.read_sav(str(sav))[0]) == 8


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "sav", "--semicolon"], "--semicolon относится только к --format csv"),
        (["--format", "csv", "--codebook", "cb.pdf"], "в .xlsx или .html"),
        (["--format", "csv", "--form", "student_5_11"], "нет анкеты «student_5_11»"),
    ],
)
def test_cli_errors_are_one_line_and_write_nothing(
    cli_env: str, db: Session, world: World, tmp_path: Path, extra: list[str], message: str
) -> None:
    output = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [*COMMAND, str(world.campaign_id), "-o", str(output), *extra],
    )
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not output.exists()
    assert _events(db) == []


def test_each_form_of_an_audience_has_its_own_files(
    client: FlaskClient, cli_env: str, db: Session, tmp_path: Path
) -> None:
    """Students answer the grades 2–4 and 5–11 forms in one wave: each has its downloads, with
    its own questions and version, and the CLI asks which one when none is named."""
    district = make_district(db, name="Район двух анкет")
    school = make_school(db, district, code="TWO")
    campaign = make_campaign(db, [school], forms=["student_2_4", "student_5_11"])
    make_response(db, link_for(db, campaign, school, form="student_2_4"), answers={"grade": 3})
    make_response(db, link_for(db, campaign, school, form="student_5_11"), answers={"grade": 7})
    make_user(db, "psychologist", login="psy2", district_name=district.name)
    db.commit()
    _login(client, "psy2")
    listing = client.get(f"/staff/campaigns/{campaign.id}/exports/").text
    for code in ("student_2_4", "student_5_11"):
        url = f"/staff/campaigns/{campaign.id}/exports/{code}/answers.sav"
        assert url in listing
        path = tmp_path / f"{code}.sav"
        path.write_bytes(client.get(url).data)
        data, meta = pyreadstat.read_sav(str(path))
        assert set(data["form"]) == {code}
        assert meta.file_label.startswith(f"{code} v")
    # one school, one answer per form: below the minimum, so pooled
    assert set(data["school"]) == {POOLED_SCHOOL}
    assert [e.details["form"] for e in _events(db)] == ["student_2_4", "student_5_11"]
    result = CliRunner().invoke(
        main,
        [
            "export",
            "responses",
            "--campaign",
            str(campaign.id),
            "--audience",
            "student",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "x.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "несколько анкет: student_2_4, student_5_11" in result.output
    assert "Укажите нужную параметром --form." in result.output
    assert not (tmp_path / "x.csv").exists()
