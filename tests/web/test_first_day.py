"""A municipality's first day, from an empty database, the way issue 13 will be checked.

An administrator imports the district's schools from a file typed by hand (its mistakes
refused with row and column, nothing stored), then the corrected file, then the staff from a
second file; the coordinator sets a password by the one-time link, signs in and creates a
campaign fielding the grades 2–4 and 5–11 student forms through the web form; pupils answer
through both forms' links; the answers leave as an SPSS file whose labels read back (and in
R's haven, where R is installed).
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from tests.conftest import IN_CI, csrf_token, hidden_field
from web.cli import main

HEADER = (
    "Район;Код школы;Полное наименование;Краткое наименование;Местность;Уровни образования;"
    "ШНОР;ШНСУ;2 класс;3 класс;4 класс;5 класс;6 класс;7 класс;10 класс;Педагогов;"
    "Педагог-психолог"
)
FIRST = (
    "Приречный район;PR-01;МБОУ «Средняя школа № 1 г. Приречье»;СШ № 1;городская;"
    "НОО, ООО, СОО;да;нет;40;38;41;45;44;40;25;48;да"
)
SECOND = "Приречный район;PR-02;МБОУ «Основная школа с. Луговое»;ОШ Луговое;{};НОО, ООО;нет;да;"
SECOND_GRADES = "8;7;9;10;9;8;0;14;нет"
THIRD = "Приречный район;PR-03;МКОУ «Основная школа д. Ключи»;ОШ Ключи;сельская;НОО, ООО;да;да;"
# Typed by hand: Russian headers, a semicolon, «да»/«нет», grades as the region's lists give
# them. Row 3 has a locality nobody knows and row 4 pupils in grade 10 of a school without
# СОО; row 5 repeats a code.
SCHOOLS_WITH_MISTAKES = "\n".join(
    (
        HEADER,
        FIRST,
        SECOND.format("горная") + SECOND_GRADES,
        THIRD + "5;6;4;7;6;5;3;9;нет",
        "Приречный район;PR-01;МБОУ «Гимназия № 2»;Гимназия № 2;городская;НОО, ООО, СОО;"
        "нет;нет;30;30;30;30;30;30;20;40;да",
    )
)
SCHOOLS = "\n".join(
    (HEADER, FIRST, SECOND.format("сельская") + SECOND_GRADES, THIRD + "5;6;4;7;6;5;0;9;нет")
)

USERS = """\
Логин;ФИО;Роль;Район;Код школы;Должность
koord;Иванова Мария Петровна;координатор;Приречный район;;главный специалист управления образования
psy;Петров Олег Ильич;психолог;Приречный район;;педагог-психолог ММС
zam01;Сидорова Анна Викторовна;заместитель директора;;PR-01;заместитель директора по УВР
"""

PASSWORD = "весна-2027-Приречье"
PUPILS = 6  # per form, at school PR-01


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def _answers(page: str, rng: random.Random) -> dict[str, str]:
    """Answers to every single-choice question and grade picker of a questionnaire page
    (a respondent who answers all but the open and multiple-choice questions)."""
    out: dict[str, str] = {}
    radios: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*type=\"radio\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and "opt-missing" not in tag:
            radios.setdefault(name.group(1), []).append(value.group(1))
    for name, values in radios.items():
        out[name] = rng.choice(values)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        grades = re.findall(r'<option value="(\d+)"', body)
        if grades:
            out[name] = rng.choice(grades)
    return out


def _answer_all(client: FlaskClient, url: str, rng: random.Random) -> None:
    """One respondent from the first page to the thank-you page."""
    path = url.split("://", 1)[-1]
    path = path[path.index("/") :]
    page = client.get(path)
    assert page.status_code == 200, page.text
    for _ in range(20):
        text = page.text
        fields = {
            "csrf_token": csrf_token(text),
            **{n: hidden_field(text, n) for n in ("submission_id", "started", "page")},
            **_answers(text, rng),
            "direction": "next",
        }
        posted = client.post(path, data=fields)
        assert posted.status_code == 303, posted.text
        target = posted.headers["Location"]
        if "thanks" in target:
            return
        page = client.get(target)
    raise AssertionError("the questionnaire did not end")


def _r_labels(sav: Path) -> str | None:
    """The variable and value labels of ``sav`` as R's haven reads them, or None without R."""
    if shutil.which("Rscript") is None or (
        subprocess.run(
            ["Rscript", "-e", "library(haven)"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        if IN_CI:
            pytest.fail("R with haven is not installed (CI=true: a missing component fails)")
        return None
    script = (
        "library(haven); d <- read_sav(commandArgs(TRUE)[1]); "
        "for (v in names(d)) { l <- attr(d[[v]], 'label'); "
        "cat(v, '|', if (is.null(l)) '' else l, '|', "
        "paste(names(attr(d[[v]], 'labels')), collapse=';'), '\\n', sep='') }"
    )
    done = subprocess.run(
        ["Rscript", "-e", script, str(sav)], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_a_district_from_an_empty_install_to_labelled_answers(
    client: FlaskClient, db: Session, cli_env: str, tmp_path: Path
) -> None:
    assert _run(["init"])[0] == 0

    # The schools file with mistakes: refused whole, each mistake with its row and column.
    typed = tmp_path / "школы.csv"
    typed.write_text(SCHOOLS_WITH_MISTAKES, encoding="utf-8")
    code, output = _run(["import", "schools", str(typed)])
    assert code != 0
    assert re.search(r"строка 3.*Местность", output), output
    assert re.search(r"строка 4.*10 класс", output), output
    assert re.search(r"строка 5.*Код школы", output), output
    assert db.scalar(select(func.count()).select_from(m.School)) == 0
    assert db.scalar(select(func.count()).select_from(m.District)) == 0

    typed.write_text(SCHOOLS, encoding="utf-8")
    code, output = _run(["import", "schools", str(typed)])
    assert code == 0, output
    db.expire_all()
    first = db.scalar(select(m.School).where(m.School.code == "PR-01"))
    assert first is not None and first.enrolment_primary == 40 + 38 + 41
    # Re-importing the same file changes nothing and duplicates nothing.
    assert _run(["import", "schools", str(typed)])[0] == 0
    assert db.scalar(select(func.count()).select_from(m.School)) == 3

    staff_file = tmp_path / "сотрудники.csv"
    staff_file.write_text(USERS, encoding="utf-8")
    code, output = _run(["import", "users", str(staff_file), "--base-url", "http://localhost/"])
    assert code == 0, output
    links = dict(line.split("\t") for line in output.splitlines() if "\t" in line)
    assert set(links) == {"koord", "psy", "zam01"}

    # The coordinator's first sign-in: a password through the one-time link.
    link = links["koord"].split("localhost", 1)[1]
    page = client.get(link)
    assert page.status_code == 200
    set_password = client.post(
        "/set-password",
        data={
            "csrf_token": csrf_token(page.text),
            "t": hidden_field(page.text, "t"),
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert set_password.status_code == 302, set_password.text
    login_page = client.get("/login")
    signed_in = client.post(
        "/login",
        data={"csrf_token": csrf_token(login_page.text), "login": "koord", "password": PASSWORD},
    )
    assert signed_in.status_code == 302

    # A campaign that fields both student forms, created through the web form.
    form_page = client.get("/staff/campaigns/new")
    assert form_page.status_code == 200
    versions = {
        code: db.scalar(
            select(m.InstrumentVersion.id)
            .join(m.Instrument)
            .where(m.Instrument.code == code, m.InstrumentVersion.status == "published")
            .order_by(m.InstrumentVersion.version.desc())
        )
        for code in ("student_2_4", "student_5_11", "parent", "teacher")
    }
    assert f'name="form" value="{versions["student_5_11"]}" checked' in form_page.text
    assert f'name="form" value="{versions["student_2_4"]}" checked' not in form_page.text
    schools = db.scalars(select(m.School.id)).all()
    created = client.post(
        "/staff/campaigns/new",
        data={
            "csrf_token": csrf_token(form_page.text),
            "title": "Диагностика причин низких результатов, волна 1",
            "period": "2026/27",
            "opens_on": "2026-01-12",
            "closes_on": "2099-02-20",
            "min_group_size": "5",
            "school": [str(s) for s in schools],
            "form": [str(versions["student_2_4"]), str(versions["student_5_11"])],
        },
    )
    assert created.status_code == 302, created.text
    campaign_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    # Pupils answer through both forms' links of school PR-01.
    code, output = _run(["links", "--campaign", str(campaign_id), "--school", "PR-01"])
    assert code == 0, output
    urls = {}
    for line in output.splitlines():
        url, _school, audience, class_name, _n, form = line.split("\t")
        if audience == "student" and not class_name:
            urls[form.split(":")[0]] = url
    assert set(urls) == {"student_2_4", "student_5_11"}
    rng = random.Random(13)
    for url in urls.values():
        for _ in range(PUPILS):
            _answer_all(FlaskClient(client.application), url, rng)
    db.expire_all()
    stored = dict(
        db.execute(
            select(m.Instrument.code, func.count(m.Response.id))
            .join(m.InstrumentVersion, m.InstrumentVersion.id == m.Response.instrument_version_id)
            .join(m.Instrument, m.Instrument.id == m.InstrumentVersion.instrument_id)
            .where(m.Response.status == "complete")
            .group_by(m.Instrument.code)
        ).all()
    )
    assert stored == {"student_2_4": PUPILS, "student_5_11": PUPILS}

    # The answers of each form leave as SPSS files with their labels.
    for form in ("student_2_4", "student_5_11"):
        sav = tmp_path / f"{form}.sav"
        code, output = _run(
            [
                "export",
                "responses",
                "--campaign",
                str(campaign_id),
                "--audience",
                "student",
                "--form",
                form,
                "--format",
                "sav",
                "-o",
                str(sav),
            ]
        )
        assert code == 0, output
        frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
        assert len(frame) == PUPILS
        labelled = [c for c, label in meta.column_names_to_labels.items() if label]
        assert len(labelled) > 10
        assert meta.variable_value_labels, "no value labels"
        in_r = _r_labels(sav)
        if in_r is not None:
            for column, label in list(meta.column_names_to_labels.items())[:20]:
                if label:
                    assert f"{column}|{label}|" in in_r, (column, label)
