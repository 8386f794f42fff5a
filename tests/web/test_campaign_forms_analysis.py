"""A campaign that gives students two forms (grades 2–4 and 5–11) end to end: answers loaded
per form, the grades 2–4 risk indicators with values, the school page, the reference (web and
CLI), factor tables, psychometrics, benchmark freezing and dynamics, the privacy gate per
school × form, and imports that name the form."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from analysis.indicators import reportable_indicators, school_indicators
from analysis.privacy import reportable_audiences
from analysis.report.model import form_labels
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import Instrument, ItemType
from surveys import models as m
from surveys.benchmarks import campaign_answers, freeze_benchmark
from surveys.campaign_forms import campaign_forms
from surveys.dataset import audience_data, form_data
from surveys.errors import InvalidInput
from surveys.instrument_store import instrument_of, latest_version
from tests.conftest import csrf_token, without_charts
from tests.factories import PASSWORD, make_campaign, make_district, make_school, make_user
from web.cli import main
from web.staff import factor_cache

LABEL_2_4 = "Обучающиеся — Анкета для обучающихся 2–4 классов"
LABEL_5_11 = "Обучающиеся — Анкета для обучающихся 5–11 классов"
#: per form: respondents in each big school, and in the small school
SIZES = {"student_5_11": (60, 40), "student_2_4": (30, 3)}
SMALL_2_4 = SIZES["student_2_4"][1]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    factor_cache.clear()
    yield
    factor_cache.clear()


def _answers(instrument: Instrument, n: int, shift: float, seed: int) -> list[dict[str, Any]]:
    """Simulated answers: each scale's items follow one latent trait per respondent (shifted
    per school), the grade within the form's grades; other items unanswered."""
    rng = np.random.default_rng(seed)
    owner = {code: scale.code for scale in instrument.scales for code in scale.items}
    low_grade, high_grade = instrument.grades or (1, 11)
    rows = []
    for _ in range(n):
        latent = {s.code: rng.normal(shift, 1.0) for s in instrument.scales}
        answers: dict[str, Any] = {}
        for item in instrument.items():
            if item.code in owner:
                low, high = instrument.item_range(item)
                raw = (low + high) / 2 + latent[owner[item.code]] * (high - low) / 3
                answers[item.code] = int(np.clip(round(raw + rng.normal(0, 0.5)), low, high))
            elif item.type is ItemType.grade:
                answers[item.code] = int(rng.integers(low_grade, high_grade + 1))
        rows.append(answers)
    return rows


@dataclass
class Scenario:
    campaign_id: int
    previous_id: int
    schools: list[str]
    small: str
    versions: dict[str, int]


def _two_forms(db: Session, schools: list[m.School], **options: Any) -> m.Campaign:
    """A campaign giving students both forms, with a link per school and form."""
    campaign = make_campaign(db, schools, forms=["student_2_4", "student_5_11"], **options)
    links = db.scalars(select(m.SurveyLink).where(m.SurveyLink.campaign_id == campaign.id)).all()
    assert len(links) == 2 * len(schools)
    return campaign


def _fill(db: Session, campaign: m.Campaign, schools: list[m.School], seed: int) -> None:
    versions = {f.instrument_code: f.version_id for f in campaign_forms(db, campaign.id)}
    rows = []
    for number, (code, (big, small)) in enumerate(SIZES.items()):
        version = db.get(m.InstrumentVersion, versions[code])
        assert version is not None
        for index, school in enumerate(schools):
            n, shift = (small, 0.0) if index == len(schools) - 1 else (big, (-0.6, 0.0, 0.6)[index])
            for answers in _answers(instrument_of(version), n, shift, seed + 10 * number + index):
                rows.append(
                    {
                        "submission_id": str(uuid.uuid4()),
                        "campaign_id": campaign.id,
                        "school_id": school.id,
                        "audience": "student",
                        "instrument_version_id": version.id,
                        "answers": answers,
                        "submitted_on": campaign.opens_on,
                    }
                )
    db.execute(insert(m.Response), rows)


def _scenario(db: Session) -> Scenario:
    district = make_district(db, name="Район двух анкет")
    schools = [make_school(db, district, code=f"F{i}", name=f"Школа {i}") for i in range(1, 5)]
    today = dt.date.today()
    campaign = _two_forms(db, schools, title="Весенняя волна")
    earlier = _two_forms(
        db,
        schools,
        title="Осенняя волна",
        opens_on=today - dt.timedelta(days=200),
        closes_on=today - dt.timedelta(days=150),
        status=m.CampaignStatus.closed.value,
    )
    _fill(db, campaign, schools, seed=1)
    _fill(db, earlier, schools, seed=2)
    campaign.previous_campaign_id = earlier.id
    make_user(db, "admin", login="boss")
    versions = {f.instrument_code: f.version_id for f in campaign_forms(db, campaign.id)}
    db.commit()
    return Scenario(campaign.id, earlier.id, [s.code for s in schools], schools[-1].code, versions)


def _signed_in(app: Flask, login: str = "boss") -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    signed = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    return client


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1…", response.get_data(as_text=True))
    return re.sub(r"Дата формирования: \d\d\.\d\d\.\d{4}", "Дата формирования: …", text)


def _section(html: str, heading: str, until: str = "</table>") -> str:
    start = html.index(heading)
    return html[start : html.index(until, start)]


def _school_scales(html: str, label: str) -> str:
    """The school's results on a form's scales, in the reference's appendix (after the
    campaign's reliability table of the form)."""
    start = html.index(f"<h4>{label}")
    return _section(html[start:], "Результаты школы")


YOUNG_TITLES = [
    i.title["ru"]
    for factor in builtin_risk_factors().factors
    for i in factor.indicators
    if i.instrument == "student_2_4"
]


def _young_indicators(profile: str) -> list[tuple[int, str]]:
    """(n, value shown) of each grades 2–4 indicator in a reference's risk profile: in the
    table of a factor's part (a factor at the district's level has one line, no table)."""
    found = []
    for title in YOUNG_TITLES:
        for match in re.finditer(
            re.escape(title) + r' <span class="muted">\(обучающиеся, ответов: (\d+)\)</span>'
            r'</td><td class="num">([^<]*)',
            profile,
        ):
            found.append((int(match.group(1)), match.group(2)))
    return found


# -- pure analysis ----------------------------------------------------------------------------


def test_labels_name_the_form_only_when_an_audience_has_several() -> None:
    forms = [(code, builtin(code)) for code in ("student_2_4", "student_5_11", "teacher")]
    assert form_labels(forms) == {
        "student_2_4": LABEL_2_4,
        "student_5_11": LABEL_5_11,
        "teacher": "Педагоги",
    }
    assert form_labels(forms[1:]) == {"student_5_11": "Обучающиеся", "teacher": "Педагоги"}


def test_privacy_gate_is_per_school_and_form() -> None:
    younger, older = builtin("student_2_4"), builtin("student_5_11")
    data = {
        "student_2_4": (younger, pd.DataFrame({"school_code": ["A"] * 3 + ["B"] * 6})),
        "student_5_11": (older, pd.DataFrame({"school_code": ["A"] * 9 + ["B"] * 2})),
    }
    pooled, hidden = reportable_audiences(data, min_group_size=5)
    assert hidden == {"student_2_4": {"A": 3}, "student_5_11": {"B": 2}}
    assert set(pooled["student_2_4"][1]["school_code"]) == {"B"}
    assert set(pooled["student_5_11"][1]["school_code"]) == {"A"}


# -- the dataset and the indicators -----------------------------------------------------------


def test_answers_are_loaded_per_form_and_feed_the_grades_2_4_indicators(db: Session) -> None:
    scenario = _scenario(db)
    forms = campaign_forms(db, scenario.campaign_id)
    assert [f.instrument_code for f in forms] == ["student_2_4", "student_5_11"]
    assert {f.audience for f in forms} == {"student"}
    big = SIZES["student_2_4"][0]
    younger = form_data(db, scenario.campaign_id, "student_2_4")
    assert younger.instrument.code == "student_2_4" and younger.audience == "student"
    assert younger.form.version_id == scenario.versions["student_2_4"]
    assert len(younger.answers) == 3 * big + SMALL_2_4
    assert younger.answers["grade"].between(2, 4).all()
    older = form_data(db, scenario.campaign_id, "student_5_11", school_codes=["F1"])
    assert len(older.answers) == SIZES["student_5_11"][0]
    assert "usual_marks" in older.answers and "usual_marks" not in younger.answers
    # "The only form of students" no longer exists: the error names both.
    with pytest.raises(InvalidInput, match="student_2_4, student_5_11"):
        audience_data(db, scenario.campaign_id, "student")

    data = campaign_answers(db, scenario.campaign_id)
    assert list(data) == ["student_2_4", "student_5_11"]
    assert all(instrument.code == code for code, (instrument, _) in data.items())
    by_factor = builtin_risk_factors().indicators_by_factor(i for i, _ in data.values())
    indicators = [i for items in by_factor.values() for i in items]
    table = school_indicators(data, indicators)
    young = table[table["indicator"].str.startswith("stu24_")]
    assert set(young["indicator"]) == {
        "stu24_teacher_help",
        "stu24_interest",
        "stu24_bullying",
        "stu24_belonging",
        "stu24_classroom_disorder",
        "stu24_home_support",
    }
    shown = young[young["school_code"] != scenario.small]
    assert shown["value"].notna().all() and (shown["n"] == big).all()
    # The small school: enough answers to the 5–11 form, three to the 2–4 one. Its 2–4
    # figures are hidden, and left out of the district's; its 5–11 figures are shown.
    gated = reportable_indicators(data, indicators, school_code=scenario.small)
    mine = gated[gated["school_code"] == scenario.small].set_index("indicator")
    assert mine.loc["stu24_bullying", "suppressed"] and mine.loc["stu24_bullying", "n"] == 3
    assert np.isnan(mine.loc["stu24_bullying", "value"])
    assert not mine.loc["stu_bullying", "suppressed"] and mine.loc["stu_bullying", "n"] == 40
    others = gated[gated["school_code"] != scenario.small]
    pooled = reportable_indicators(
        {k: (i, a[a["school_code"] != scenario.small]) for k, (i, a) in data.items()},
        indicators,
    )
    young_cols = ["school_code", "indicator", "shrunken"]
    pd.testing.assert_frame_equal(
        others[others["indicator"].str.startswith("stu24_")][young_cols].reset_index(drop=True),
        pooled[pooled["indicator"].str.startswith("stu24_")][young_cols].reset_index(drop=True),
    )


# -- every page and file ----------------------------------------------------------------------


def _outputs(app: Flask, scenario: Scenario, tmp_path: Path) -> dict[str, str]:
    factor_cache.clear()
    admin = _signed_in(app)
    campaign = scenario.campaign_id
    out: dict[str, str] = {}
    for code in (scenario.schools[0], scenario.small):
        out[f"page {code}"] = _get(admin, f"/staff/schools/{code}")
        base = f"/staff/campaigns/{campaign}/schools/{code}"
        out[f"reference {code}"] = _get(admin, f"{base}/reference.html")
        out[f"csv {code}"] = _get(admin, f"{base}/factors.csv")
    for code, version in scenario.versions.items():
        url = f"/designer/versions/{version}/psychometrics?campaign={campaign}"
        out[f"psychometrics {code}"] = _get(admin, url)
    path = tmp_path / "reference.html"
    result = CliRunner().invoke(
        main, ["report", "--campaign", str(campaign), "--school", scenario.small, "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    out["cli report"] = re.sub(
        r"Дата формирования: \d\d\.\d\d\.\d{4}",
        "Дата формирования: …",
        path.read_text(encoding="utf-8"),
    )
    return out


def test_pages_references_and_files_show_both_forms_gated_per_form(
    app: Flask, db: Session, cli_env: str, tmp_path: Path
) -> None:
    scenario = _scenario(db)
    out = _outputs(app, scenario, tmp_path)
    first, small = scenario.schools[0], scenario.small

    reference = out[f"reference {first}"]
    sample = _section(reference, "Выборка и охват</h2>")
    chunks = [r for r in sample.split("<tr")[1:] if "<td" in r]
    rows = [r for r in chunks if not r.startswith(' class="sub"')]
    assert [r.count("<td>Обучающиеся</td>") for r in rows] == [1, 1]
    assert "Анкета для обучающихся 2–4 классов" in rows[0]
    assert "Анкета для обучающихся 5–11 классов" in rows[1]
    assert '<td class="n">30</td>' in sample and '<td class="n">60</td>' in sample
    # the 5–11 form's answers split by the grade question: 5–9 and 10–11 (the 2–4 form is
    # one level, its own row says it)
    levels = [re.findall(r'<td class="n">(\d+)</td>', r)[-1] for r in chunks if r not in rows]
    assert len(levels) == 2 and sum(map(int, levels)) == 60
    for label in (LABEL_2_4, LABEL_5_11):
        table = _school_scales(reference, label)
        assert "не показывается" not in table and re.search(r">из [34]</span>", table)
    young = _young_indicators(_section(reference, ">Профиль рисков</h2>"))
    assert all(n == 30 and "скрыто" not in v for n, v in young), young
    # The change since the autumn wave, per form.
    dynamics = reference[reference.index("Сравниваются ответы групп") :]
    assert dynamics.startswith(
        "Сравниваются ответы групп: обучающиеся (Анкета для обучающихся 2–4 классов), "
        "обучающиеся (Анкета для обучающихся 5–11 классов)."
    )

    page = out[f"page {first}"]
    for label in (LABEL_2_4, LABEL_5_11):
        assert f"<h3>{label} <span" in page
    current = page[: page.index("Осенняя волна")]
    assert current.count("<h4>Эмпирические факторы") == 2
    assert "Факторный анализ не выполнен" not in current
    csv_rows = [line.split(";")[0] for line in out[f"csv {first}"].splitlines()[1:]]
    assert LABEL_2_4 in csv_rows and LABEL_5_11 in csv_rows

    for code in scenario.versions:
        assert "α Кронбаха" in out[f"psychometrics {code}"]
    assert "Подверженность травле" in out["psychometrics student_2_4"]

    # The small school: its 2–4 figures hidden on every path, its 5–11 figures shown.
    own = out[f"reference {small}"]
    assert without_charts(own) == without_charts(out["cli report"])
    hidden = _school_scales(own, LABEL_2_4)
    rows = [r for r in hidden.split("<tr>")[2:] if "<td" in r]
    assert rows and all("не показывается: ответов меньше 5" in r for r in rows)
    assert "не показывается" not in _school_scales(own, LABEL_5_11)
    # its coverage: the 2–4 form by its n alone (no rate), the 5–11 form with its rate
    coverage = [r for r in _section(own, "Выборка и охват</h2>").split("<tr")[2:] if "<td" in r]
    young_row = next(r for r in coverage if "Анкета для обучающихся 2–4 классов" in r)
    assert f'<td class="n">{SMALL_2_4}</td>' in young_row and "меньше 5 ответов" in young_row
    assert "%" not in young_row
    assert "%" in next(r for r in coverage if "Анкета для обучающихся 5–11 классов" in r)
    # the whole part: the groups under the minimum are named once, under its lists
    profile = _section(own, ">Профиль рисков</h2>", "<h2")
    young = _young_indicators(profile)
    assert all(n <= SMALL_2_4 and v.startswith("скрыто") for n, v in young), young
    # the factors with grades 2–4 indicators rest on the other forms, and say so
    assert f"группа «обучающиеся» — {SMALL_2_4} ответа при минимуме 5" in profile
    page = out[f"page {small}"]
    current = page[: page.index("Осенняя волна")]
    start = current.index(f'<h3>{LABEL_2_4} <span class="muted">— ответов: {SMALL_2_4}</span>')
    block = current[start : current.index(f"<h3>{LABEL_5_11}", start)]
    cells = [r for r in block.split("<tr>") if "<td" in r]
    assert cells and all("скрыто" in r for r in cells)

    # Nothing published moves when the small school's 2–4 answers (both waves') turn to the
    # other extreme.
    small_id = db.scalar(select(m.School.id).where(m.School.code == small))
    form = builtin("student_2_4")
    items = form.items_by_code()
    flipped = 0
    for response in db.scalars(
        select(m.Response).where(
            m.Response.school_id == small_id,
            m.Response.instrument_version_id == scenario.versions["student_2_4"],
        )
    ):
        response.answers = {
            code: value if code == "grade" else sum(form.item_range(items[code])) - value
            for code, value in response.answers.items()
        }
        flipped += 1
    db.commit()
    assert flipped == 2 * SMALL_2_4  # in both waves
    again = _outputs(app, scenario, tmp_path)
    moved = [name for name in out if out[name] != again[name]]
    assert not moved, moved


def test_benchmark_freezes_both_forms(db: Session) -> None:
    scenario = _scenario(db)
    frozen = freeze_benchmark(db, scenario.campaign_id, "Весна")
    stats = frozen.stats
    assert stats["instrument_versions"] == scenario.versions
    # The small school is below the minimum in the 2–4 form only.
    assert stats["schools"] == 4
    young = stats["indicators"]["stu24_bullying"]
    assert young["schools"] == 3 and young["sd"] > 0
    assert stats["indicators"]["stu_bullying"]["schools"] == 4


# -- imports name the form --------------------------------------------------------------------


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_imports_need_the_form_when_an_audience_has_several(
    cli_env: str, db: Session, tmp_path: Path
) -> None:
    district = make_district(db)
    schools = [make_school(db, district)]
    campaign = _two_forms(db, schools)
    younger = latest_version(db, "student_2_4").id
    db.commit()
    campaign_id = str(campaign.id)
    template = tmp_path / "2-4.xlsx"
    base = ["import", "template", "--campaign", campaign_id, "--audience", "student"]

    refused = _invoke(*base, "-o", str(template))
    assert refused.exit_code != 0
    assert "несколько анкет: student_2_4, student_5_11" in refused.output
    assert "--form" in refused.output and not template.exists()
    unknown = _invoke(*base, "--form", "teacher", "-o", str(template))
    assert unknown.exit_code != 0 and "нет анкеты «teacher»" in unknown.output

    made = _invoke(*base, "--form", "student_2_4", "-o", str(template))
    assert made.exit_code == 0, made.output
    sheet = load_workbook(template)["ответы"]
    codes = [cell.value for cell in sheet[1]]
    assert {"school_code", "grade", "bul_1"} <= set(codes) and "usual_marks" not in codes
    workbook = load_workbook(io.BytesIO(template.read_bytes()))
    answers = workbook["ответы"]
    for row, grade in ((3, 2), (4, 4)):
        values = {"school_code": schools[0].code, "grade": grade, "mot_int_1": 3}
        for code, value in values.items():
            answers.cell(row=row, column=codes.index(code) + 1, value=value)
    filled = tmp_path / "анкеты 3А.xlsx"
    workbook.save(filled)

    command = ["import", "responses", str(filled), "--campaign", campaign_id]
    command += ["--audience", "student"]
    refused = _invoke(*command)
    assert refused.exit_code != 0 and "student_2_4, student_5_11" in refused.output
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(m.Response)) == 0

    stored = _invoke(*command, "--form", "student_2_4")
    assert stored.exit_code == 0, stored.output
    assert "Импортировано: 2 строки." in stored.output
    db.expire_all()
    responses = db.scalars(select(m.Response)).all()
    assert len(responses) == 2
    assert {r.instrument_version_id for r in responses} == {younger}
    assert {r.audience for r in responses} == {"student"}
    assert len(form_data(db, campaign.id, "student_2_4").answers) == 2
    assert len(form_data(db, campaign.id, "student_5_11").answers) == 0
