"""A campaign of the psychologist's own questionnaire, end to end through the web client: made
in the designer (new instrument, YAML draft, publish), fielded alone in one campaign and by the
designer's field action beside a built-in form in another, answered through its links; then
every staff role opens the school page, the reference and the factor download, designers the
psychometrics page, and ``rootcause report`` writes the reference, before and after answers.

The questionnaire declares no risk indicators: its scale is reported (hidden where a school has
fewer answers than the minimum), and the reference says why it has no risk profile instead of
failing (it once raised KeyError 'indicator' and took every school page of the campaign's
schools down)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.schema import Instrument, ItemType
from surveys import models as m
from surveys.benchmarks import set_previous_wave
from surveys.campaigns import create_campaign, create_links
from surveys.instrument_store import instrument_of, latest_version
from tests.conftest import csrf_token, hidden_field
from tests.factories import (
    PASSWORD,
    TODAY,
    link_for,
    make_campaign,
    make_district,
    make_response,
    make_school,
    make_user,
)
from web.cli import main

CODE = "team_climate"
TITLE = "Климат в педагогическом коллективе"
SCALE = "Психологический климат"
OWN_YAML = f"""\
code: {CODE}
version: 1
title:
  ru: "{TITLE}"
audience: teacher
languages: [ru]
introduction:
  ru: "Анкета анонимная: результаты показываются только по школе в целом."
response_scales:
  - code: agree4
    options:
      - {{value: 1, label: {{ru: "Совсем не согласен(на)"}}}}
      - {{value: 2, label: {{ru: "Скорее не согласен(на)"}}}}
      - {{value: 3, label: {{ru: "Скорее согласен(на)"}}}}
      - {{value: 4, label: {{ru: "Полностью согласен(на)"}}}}
sections:
  - code: climate
    title: {{ru: "Коллектив"}}
    items:
      - code: cl_1
        type: likert
        response_scale: agree4
        text: {{ru: "Коллеги готовы помочь, если у меня что-то не получается."}}
      - code: cl_2
        type: likert
        response_scale: agree4
        text: {{ru: "Администрация прислушивается к мнению учителей."}}
      - code: cl_3
        type: likert
        response_scale: agree4
        reverse: true
        text: {{ru: "В коллективе часто возникают конфликты."}}
      - code: cl_4
        type: likert
        response_scale: agree4
        text: {{ru: "Я могу открыто обсудить с коллегами трудности в работе."}}
scales:
  - code: climate
    title: {{ru: "{SCALE}"}}
    items: [cl_1, cl_2, cl_3, cl_4]
    higher_is: favourable
"""
ITEMS = ("cl_1", "cl_2", "cl_3", "cl_4")
#: teachers answering per school: S2 stays below the campaign's minimum of 5
ANSWERS_PER_SCHOOL = {"S1": 12, "S2": 2, "S3": 10}
NOTE = "В кампании использованы только авторские методики без индикаторов факторов риска"
MIXED_NOTE = "в профиль рисков не входят"
LOGINS = ("admin", "coord", "psy", "zam")
DESIGNERS = ("admin", "psy")


def _sign_in(client: FlaskClient, login: str) -> str:
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    return csrf_token(client.get("/").text)


def _world(db: Session) -> m.District:
    district = make_district(db, name="Район психолога")
    for code in ANSWERS_PER_SCHOOL:
        make_school(db, district, code=code, name=f"МБОУ «Школа {code}»")
    make_user(db, "admin", login="admin")
    make_user(db, "coordinator", login="coord", district_name=district.name)
    make_user(db, "psychologist", login="psy", district_name=district.name)
    make_user(db, "deputy", login="zam", school_code="S1")
    db.commit()
    return district


def _design(client: FlaskClient, token: str) -> int:
    """The questionnaire made as a psychologist makes it: a new instrument from the designer's
    template, its YAML draft replaced, saved without problems and published."""
    created = client.post(
        "/designer/new",
        data={"code": CODE, "title": TITLE, "audience": "teacher", "csrf_token": token},
    )
    assert created.status_code == 302, created.text
    version_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    saved = client.post(
        f"/designer/versions/{version_id}", data={"source": OWN_YAML, "csrf_token": token}
    )
    assert saved.status_code == 302, saved.text
    published = client.post(f"/designer/versions/{version_id}/publish", data={"csrf_token": token})
    assert published.status_code == 302, published.text
    return version_id


def _respond(app: Flask, code: str, answers: dict[str, int]) -> None:
    """One teacher through the open link, on a device of their own: the one page, then thanks."""
    respondent = app.test_client()
    page = respondent.get(f"/s/{code}")
    assert page.status_code == 200 and "Коллеги готовы помочь" in page.text
    fields = {
        "csrf_token": csrf_token(page.text),
        **{n: hidden_field(page.text, n) for n in ("submission_id", "started", "page")},
    }
    posted = respondent.post(
        f"/s/{code}",
        data={**fields, **{k: str(v) for k, v in answers.items()}, "direction": "next"},
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["Location"].endswith(f"/s/{code}/thanks")


def _teachers(n: int, rng: np.random.Generator) -> list[dict[str, int]]:
    """Answers with a common factor (the climate) and noise; cl_3 is keyed in reverse."""
    out = []
    for _ in range(n):
        climate = rng.normal(2.6, 0.8)
        row = {c: int(np.clip(round(climate + rng.normal(0, 0.5)), 1, 4)) for c in ITEMS}
        row["cl_3"] = 5 - row["cl_3"]
        out.append(row)
    return out


def _scale_mean(rows: list[dict[str, int]]) -> float:
    return float(np.mean([np.mean([r["cl_1"], r["cl_2"], 5 - r["cl_3"], r["cl_4"]]) for r in rows]))


def _ru(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _check_exports(client: FlaskClient, login: str, campaign: int, answered: bool) -> None:
    """The questionnaire's respondent-level answers, scale scores and codebook, for the roles
    that export (a deputy gets the school's aggregates only)."""
    base = f"/staff/campaigns/{campaign}/exports/{CODE}"
    if login == "zam":
        assert client.get(f"{base}/answers.csv").status_code == 403
        return
    answers = client.get(f"{base}/answers.csv")
    assert answers.status_code == 200
    lines = answers.data.decode("utf-8-sig").splitlines()
    assert all(code in lines[0] for code in ITEMS)
    # One row per respondent (S2's two under the pooled code), none before anyone answered.
    assert len(lines) - 1 == (sum(ANSWERS_PER_SCHOOL.values()) if answered else 0)
    scores = client.get(f"{base}/scores.csv")
    assert scores.status_code == 200 and "climate" in scores.data.decode("utf-8-sig")
    codebook = client.get(f"{base}/codebook.html")
    assert codebook.status_code == 200 and SCALE in codebook.text and "cl_3" in codebook.text


def _check_pages(
    app: Flask, tmp_path: Path, own: int, mixed: int, version_id: int, means: dict[int, float]
) -> None:
    """Each role's pages of S1 in both campaigns; S2 (below the minimum) as its coordinator
    sees it; the psychometrics page; ``rootcause report``. ``means``: S1's scale mean per
    campaign, empty before anyone has answered."""
    answered = bool(means)
    for login in LOGINS:
        client = app.test_client()
        _sign_in(client, login)
        for school in ("S1", "S2") if login == "coord" else ("S1",):
            page = client.get(f"/staff/schools/{school}")
            assert page.status_code == 200, (login, school, page.text[-2000:])
            assert SCALE in page.text and "Эмпирические факторы" in page.text
            # The factor table of the questionnaire: fitted once there are answers.
            assert (f'{SCALE} <span class="muted">· F1</span>' in page.text) is answered
            for campaign in (own, mixed):
                url = f"/staff/campaigns/{campaign}/schools/{school}"
                reference = client.get(f"{url}/reference.html")
                assert reference.status_code == 200, (login, school, campaign)
                text = reference.text
                assert SCALE in text and TITLE in text
                if campaign == own:
                    assert NOTE in text and "Вероятные причины" not in text
                else:
                    assert NOTE not in text and MIXED_NOTE in text and "Вероятные причины" in text
                # The school's results on the scale (Приложение 1); none without its answers.
                row = re.search(
                    rf'<td>{SCALE}(?:[^<]|<(?!/td>))*</td>\s*<td class="n">(\d+)</td>'
                    r"\s*<td[^>]*>([^<]*)",
                    text,
                )
                if not answered:
                    assert row is None
                    assert "Результаты школы: анкет этой группы в школе нет." in text
                else:
                    assert row is not None, text
                    n, first_cell = int(row.group(1)), row.group(2)
                    assert n == ANSWERS_PER_SCHOOL[school]
                    if school == "S1":
                        assert first_cell.strip() == _ru(means[campaign])
                    else:
                        assert "не показывается" in first_cell
                download = client.get(f"{url}/factors.csv")
                assert download.status_code == 200 and (SCALE in download.text) is answered
        if login == "zam":
            assert client.get("/staff/schools/S2").status_code == 404
        _check_exports(client, login, own, answered)
        psychometrics = client.get(f"/designer/versions/{version_id}/psychometrics")
        if login in DESIGNERS:
            assert psychometrics.status_code == 200
            reliability = re.search(
                rf'<td>{SCALE} <span class="muted">\(climate\)</span></td><td class="n">4</td>'
                r'<td class="n">(\d+)</td>\s*<td class="n">([^<]+)</td>',
                psychometrics.text,
            )
            assert reliability is not None, psychometrics.text
            # The pooled answers leave S2 out (below the minimum).
            fitted = ANSWERS_PER_SCHOOL["S1"] + ANSWERS_PER_SCHOOL["S3"] if answered else 0
            assert int(reliability.group(1)) == fitted
            if answered:
                assert re.fullmatch(r"0,\d\d", reliability.group(2))
                # One factor, named after the scale; the reversed item loads on it positively.
                assert f"{SCALE} (climate)</span></th>" in psychometrics.text
                assert re.search(r'<td>cl_3</td><td class="n">0,[3-9]', psychometrics.text)
            else:
                assert reliability.group(2) == "—"
                assert "мало полных анкет: 0" in psychometrics.text
        else:
            assert psychometrics.status_code == 403
    runner = CliRunner()
    for campaign in (own, mixed):
        out = tmp_path / f"reference-{campaign}-{answered}.html"
        result = runner.invoke(
            main, ["report", "--campaign", str(campaign), "--school", "S1", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        written = out.read_text(encoding="utf-8")
        assert SCALE in written and (NOTE in written) is (campaign == own)


def test_own_questionnaire_from_the_designer_works_end_to_end(
    app: Flask, client: FlaskClient, db: Session, cli_env: str, tmp_path: Path
) -> None:
    district = _world(db)
    token = _sign_in(client, "psy")
    version_id = _design(client, token)
    version = db.get(m.InstrumentVersion, version_id)
    assert version is not None and version.status == "published"
    schools = list(db.scalars(select(m.School).order_by(m.School.code)))
    # A campaign of this questionnaire alone...
    own = create_campaign(
        db,
        district=district,
        title="Климат: волна психолога",
        opens_on=TODAY - dt.timedelta(days=5),
        closes_on=TODAY + dt.timedelta(days=20),
        schools=schools,
        fieldings={"teacher": version},
    )
    create_links(db, own)
    # ...and one of the built-in student form, to which the psychologist adds it.
    mixed = make_campaign(db, schools, title="Весенняя диагностика")
    # The mixed wave opened earlier: it is the previous wave of the questionnaire's own, which
    # has no risk factor whose change could be shown.
    set_previous_wave(db, own, mixed.id)
    own_id, mixed_id = own.id, mixed.id
    db.commit()
    fielded = client.post(
        f"/designer/versions/{version_id}/field",
        data={"campaign_id": str(mixed_id), "csrf_token": token},
    )
    assert fielded.status_code == 302, fielded.text
    db.expire_all()
    assert db.scalar(
        select(m.Fielding.id).where(
            m.Fielding.campaign_id == mixed_id, m.Fielding.instrument_version_id == version_id
        )
    )

    _check_pages(app, tmp_path, own_id, mixed_id, version_id, {})

    rng = np.random.default_rng(13)
    means: dict[int, float] = {}
    for campaign_id in (own_id, mixed_id):
        campaign = db.get(m.Campaign, campaign_id)
        assert campaign is not None
        for school in schools:
            rows = _teachers(ANSWERS_PER_SCHOOL[school.code], rng)
            if school.code == "S1":
                means[campaign_id] = _scale_mean(rows)
            code = link_for(db, campaign, school, "teacher").code
            for answers in rows:
                _respond(app, code, answers)
    db.expire_all()
    stored = db.scalars(select(m.Response).where(m.Response.campaign_id == own_id)).all()
    assert len(stored) == sum(ANSWERS_PER_SCHOOL.values())
    assert all(r.status == "complete" and set(r.answers) == set(ITEMS) for r in stored)

    _check_pages(app, tmp_path, own_id, mixed_id, version_id, means)

    # A benchmark holds the means of risk indicators: the campaign has none, and says so.
    coordinator = app.test_client()
    token = _sign_in(coordinator, "coord")
    assert coordinator.get(f"/staff/campaigns/{own_id}/").status_code == 200
    refused = coordinator.post(
        f"/staff/campaigns/{own_id}/benchmark", data={"title": "Эталон", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert "нет анкет с показателями факторов риска" in refused.text


def _built_in_answers(instrument: Instrument, rng: np.random.Generator) -> dict[str, int]:
    """A teacher's random answers to every likert item of a built-in form."""
    answers = {}
    for item in instrument.items():
        if item.type is ItemType.likert:
            low, high = instrument.item_range(item)
            answers[item.code] = int(rng.integers(low, high + 1))
    return answers


def test_own_questionnaire_beside_the_built_in_form_of_its_audience(
    app: Flask, client: FlaskClient, db: Session, cli_env: str, tmp_path: Path
) -> None:
    """The psychologist adds the questionnaire for teachers to a campaign that fields the
    built-in teachers' form: both are answered by the same schools' teachers, each through its
    own link, and neither form's answers enter the other's figures."""
    _world(db)
    token = _sign_in(client, "psy")
    version_id = _design(client, token)
    schools = list(db.scalars(select(m.School).order_by(m.School.code)))
    campaign = make_campaign(db, schools, forms=["teacher"], title="Диагностика педагогов")
    campaign_id = campaign.id
    db.commit()
    fielded = client.post(
        f"/designer/versions/{version_id}/field",
        data={"campaign_id": str(campaign_id), "csrf_token": token},
    )
    assert fielded.status_code == 302, fielded.text
    db.expire_all()
    rng = np.random.default_rng(7)
    built_in = instrument_of(latest_version(db, "teacher"))
    for school in schools:
        rows = _teachers(ANSWERS_PER_SCHOOL[school.code], rng)
        if school.code == "S1":
            mean = _scale_mean(rows)
        own_link = link_for(db, campaign, school, "teacher", form=CODE)
        for answers in rows:
            _respond(app, own_link.code, answers)
    # The built-in form's teachers, stored as the web path stores them: 8 per school.
    for school in schools:
        built_in_link = link_for(db, campaign, school, "teacher", form="teacher")
        for _ in range(8):
            make_response(db, built_in_link, answers=_built_in_answers(built_in, rng))
    db.commit()

    for login in LOGINS:
        staff = app.test_client()
        _sign_in(staff, login)
        page = staff.get("/staff/schools/S1")
        assert page.status_code == 200, (login, page.text[-2000:])
        assert f'{SCALE} <span class="muted">· F1</span>' in page.text
        reference = staff.get(f"/staff/campaigns/{campaign_id}/schools/S1/reference.html")
        assert reference.status_code == 200, login
        text = reference.text
        # The risk part rests on the built-in form and names the questionnaire it leaves out.
        assert "Профиль рисков" in text and MIXED_NOTE in text and f"«{TITLE}»" in text
        assert NOTE not in text
        # a level: a part of its own, or its line among the other factors
        burnout = re.search(
            r"Профессиональное выгорание педагогов(» — <span class=\"level level-\w+\">"
            r"| — (высокий|повышенный) уровень риска</h3>)",
            text,
        )
        assert burnout is not None
        # Both forms' scales, each on its own answers: the own scale's n and mean are S1's 12.
        assert "Личное выгорание" in text
        row = re.search(rf'<td>{SCALE}</td>\s*<td class="n">(\d+)</td>\s*<td[^>]*>([^<]*)', text)
        assert row is not None
        assert int(row.group(1)) == ANSWERS_PER_SCHOOL["S1"]
        assert row.group(2).strip() == _ru(mean)
        download = staff.get(f"/staff/campaigns/{campaign_id}/schools/S1/factors.csv")
        assert download.status_code == 200 and SCALE in download.text
        psychometrics = staff.get(f"/designer/versions/{version_id}/psychometrics")
        assert psychometrics.status_code == (200 if login in DESIGNERS else 403)
        if login in DESIGNERS:
            # The questionnaire's own answers only (S2 below the minimum left out), never the
            # built-in form's 24.
            assert re.search(
                rf'<td>{SCALE} <span class="muted">\(climate\)</span></td><td class="n">4</td>'
                rf'<td class="n">{ANSWERS_PER_SCHOOL["S1"] + ANSWERS_PER_SCHOOL["S3"]}</td>',
                psychometrics.text,
            )
    out = tmp_path / "reference.html"
    result = CliRunner().invoke(
        main, ["report", "--campaign", str(campaign_id), "--school", "S1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert MIXED_NOTE in out.read_text(encoding="utf-8")
