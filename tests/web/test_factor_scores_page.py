"""The school page's empirical factor scores beside its scale scores, and their CSV download:
values as the analysis computes them, suppression of small schools, scoping, safe CSV cells,
and the in-process cache of each campaign's solution."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from analysis.factor_scores import school_factor_scores
from analysis.report.html import ru_number
from analysis.report.model import audience_section, form_labels
from instruments.io.spreadsheet import DANGEROUS_PREFIXES, XLSX_MIMETYPE, put
from surveys import models as m
from surveys.campaign_forms import campaign_forms
from surveys.dataset import form_data
from surveys.demo import generate_demo
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_district, make_school, make_user
from web.staff import factor_cache
from web.staff.factor_table import CSV_HEADER, csv_cell

HEADING = "Эмпирические факторы (по ответам всех школ кампании)"
TODAY = dt.date(2026, 11, 1)


@dataclass
class Demo:
    campaign_id: int
    district: str
    big: str  # a school with many answers
    other: str  # another school of the campaign
    small: str  # a school left with 3 student answers (below the minimum of 5)
    #: the label of the grades 5–11 form's sections (names the form if the demo has two)
    students: str


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    factor_cache.clear()
    yield
    factor_cache.clear()


@pytest.fixture
def demo(db: Session) -> Demo:
    generated = generate_demo(db, n_schools=3, seed=7, with_users=False, today=TODAY)
    district = db.get(m.District, generated.district_id)
    assert district is not None
    by_size = sorted(
        db.scalars(select(m.School).where(m.School.district_id == district.id)),
        key=lambda s: -sum(generated.schools[int(s.code[1:]) - 1].enrolment.values()),
    )
    big, other, small = by_size
    forms = campaign_forms(db, generated.campaign_id)
    main = next(f for f in forms if f.instrument_code == "student_5_11")
    keep = db.scalars(
        select(m.Response.id)
        .where(
            m.Response.school_id == small.id, m.Response.instrument_version_id == main.version_id
        )
        .order_by(m.Response.id)
        .limit(3)
    ).all()
    db.execute(
        delete(m.Response).where(
            m.Response.school_id == small.id,
            m.Response.instrument_version_id == main.version_id,
            m.Response.id.not_in(keep),
        )
    )
    make_user(db, "admin", login="boss")
    make_user(db, "deputy", login="zam", school_code=big.code)
    make_user(db, "coordinator", login="coord", district_name=district.name)
    elsewhere = make_school(db, make_district(db, name="Южный район"), code="Z99")
    make_user(db, "deputy", login="zam-z", school_code=elsewhere.code)
    make_user(db, "coordinator", login="coord-z", district_name="Южный район")
    db.commit()
    label = form_labels((f.instrument_code, f.instrument) for f in forms)["student_5_11"]
    return Demo(generated.campaign_id, district.name, big.code, other.code, small.code, label)


def _login(client: FlaskClient, login: str) -> None:
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _factor_block(page: str, audience_heading: str) -> str:
    """The factor table that follows the scale table of one audience."""
    start = page.index(audience_heading)
    start = page.index(HEADING, start)
    end = page.find("<h3>", start)
    return page[start : end if end != -1 else None]


def _csv(client: FlaskClient, campaign_id: int, code: str) -> list[list[str]]:
    response = client.get(f"/staff/campaigns/{campaign_id}/schools/{code}/factors.csv")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f'filename="factors-{campaign_id}-{code}.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_page_shows_the_analysis_factor_scores_with_intervals(
    client: FlaskClient, db: Session, demo: Demo
) -> None:
    data = form_data(db, demo.campaign_id, "student_5_11")
    expected = school_factor_scores(data.answers, data.instrument, min_group_size=5, seed=0)
    bullying = next(f for f, s in expected.scales.items() if s == "bullying")
    row = expected.schools.set_index(["school_code", "factor"]).loc[(demo.big, bullying)]
    _login(client, "boss")
    page = client.get(f"/staff/schools/{demo.big}")
    assert page.status_code == 200
    block = _factor_block(page.text, f"<h3>{demo.students}")
    assert "Факторные баллы стандартизованы по всем ответившим: среднее по кампании — 0" in block
    assert (
        f"по {expected.solution.n_obs} полностью заполненным анкетам всех школ кампании "
        f"(из {len(data.answers)})"
    ) in block
    line = next(r for r in block.split("<tr>") if "Подверженность травле" in r)
    interval = f"{ru_number(row['mean'])} [{ru_number(row['ci_low'])}; {ru_number(row['ci_high'])}]"
    assert interval in line
    assert f"{int(row['rank'])}-е место из 2" in line  # the small school is not ranked
    assert f">{int(row['n'])}<" in line
    # the theory-driven scale score of the same scale, as the reference computes it
    section = audience_section("student", data.instrument, data.answers, demo.big, min_group_size=5)
    pomp = next(r.pomp for r in section.rows if r.code == "bullying")
    assert f'data-label="Балл по шкале, 0–100">{ru_number(pomp, 0)}</td>' in line
    assert "(выше — хуже)" in line
    # Teachers are too few for 41 items: the reason, not a failure.
    teachers = _factor_block(page.text, "<h3>Педагоги")
    assert "Факторный анализ не выполнен: для факторного анализа мало полных анкет" in teachers


def test_school_below_the_minimum_is_suppressed_on_the_page_and_in_the_csv(
    client: FlaskClient, db: Session, demo: Demo
) -> None:
    _login(client, "boss")
    block = _factor_block(client.get(f"/staff/schools/{demo.small}").text, f"<h3>{demo.students}")
    rows = block.split("<tr>")[2:]
    assert rows and all("скрыто (меньше 5 ответов)" in r for r in rows)
    assert not any(re.search(r"\[-?\d+,\d\d;", r) for r in rows)  # no interval anywhere
    table = _csv(client, demo.campaign_id, demo.small)
    assert table[0] == list(CSV_HEADER)
    students = [r for r in table[1:] if r[0] == demo.students]
    assert students
    col = {name: i for i, name in enumerate(CSV_HEADER)}
    for r in students:
        assert r[col["n"]] == "3"
        for name in (
            "Факторный балл школы",
            "95 % ДИ, нижняя граница",
            "95 % ДИ, верхняя граница",
            "Место среди школ кампании",
            "Шкальный балл 0–100",
            "Шкальный балл (среднее)",
        ):
            assert r[col[name]] == "", (name, r)
        assert "скрыто (меньше 5 ответов)" in r[col["Примечание"]]
        assert r[col["Школ в сравнении"]] == "2"  # the small school is not ranked
    # The big school's file has values for the same factors.
    big = [r for r in _csv(client, demo.campaign_id, demo.big)[1:] if r[0] == demo.students]
    assert big and all(r[col["Факторный балл школы"]] for r in big)
    assert all(r[col["Примечание"]] in ("", "выше — хуже") for r in big)


def test_csv_has_no_formula_leading_cells(client: FlaskClient, db: Session, demo: Demo) -> None:
    _login(client, "boss")
    table = _csv(client, demo.campaign_id, demo.other)
    cells = [cell for row in table for cell in row]
    # Only numbers may start with "-": a negative score stays a number in Russian Excel.
    text_cells = [c for c in cells if not re.fullmatch(r"-?\d+(,\d+)?", c)]
    assert not [c for c in text_cells if c.startswith(DANGEROUS_PREFIXES)]
    assert any(re.fullmatch(r"-\d+,\d{3}", c) for c in cells)  # negative scores
    assert any(re.fullmatch(r"\d+,\d{3}", c) for c in cells)
    teacher = next(r for r in table if r[0] == "Педагоги")
    assert teacher[-1].startswith("Факторный анализ не выполнен")


def _xlsx(client: FlaskClient, campaign_id: int, code: str) -> list[list[object]]:
    response = client.get(f"/staff/campaigns/{campaign_id}/schools/{code}/factors.xlsx")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == XLSX_MIMETYPE
    assert (
        f'filename="factors-{campaign_id}-{code}.xlsx"' in response.headers["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.title == "Факторы"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_xlsx_has_the_csv_rows_with_numbers_as_numbers(
    client: FlaskClient, db: Session, demo: Demo
) -> None:
    """The workbook holds what the CSV holds; a negative factor score is a number a
    spreadsheet computes with (in the CSV too, as "-0,123")."""
    _login(client, "boss")
    table = _csv(client, demo.campaign_id, demo.other)
    book = _xlsx(client, demo.campaign_id, demo.other)
    assert book[0] == list(CSV_HEADER)
    assert len(book) == len(table)
    for csv_row, book_row in zip(table[1:], book[1:], strict=True):
        assert [csv_cell(value) for value in book_row] == csv_row
    numbers = [v for row in book[1:] for v in row if isinstance(v, float)]
    assert any(v < 0 for v in numbers) and any(v > 0 for v in numbers)
    texts = [v for row in book for v in row if isinstance(v, str)]
    assert not [t for t in texts if t.startswith(DANGEROUS_PREFIXES)]
    small = _xlsx(client, demo.campaign_id, demo.small)
    col = {name: i for i, name in enumerate(CSV_HEADER)}
    students = [r for r in small[1:] if r[0] == demo.students]
    assert students and all(r[col["Факторный балл школы"]] is None for r in students)


def test_xlsx_text_that_looks_like_a_formula_stays_text() -> None:
    sheet = Workbook().worksheets[0]
    put(sheet["A1"], '=HYPERLINK("http://x")')
    assert sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix


def test_csv_cell_neutralises_formulas() -> None:
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for prefix in DANGEROUS_PREFIXES:
        assert csv_cell(f"{prefix}1+1") == f"'{prefix}1+1"
    assert csv_cell(-0.5) == "-0,500"  # a number, not a formula: it stays a number
    assert csv_cell(-3) == "-3"
    assert csv_cell(float("nan")) == "" and csv_cell(None) == ""
    assert csv_cell("Травля") == "Травля"


def test_deputy_sees_only_own_school_coordinator_only_the_district(
    client: FlaskClient, db: Session, demo: Demo
) -> None:
    own = f"/staff/campaigns/{demo.campaign_id}/schools/{demo.big}/factors.csv"
    foreign = f"/staff/campaigns/{demo.campaign_id}/schools/{demo.other}/factors.csv"
    _login(client, "zam")
    assert client.get(own).status_code == 200
    assert client.get(own.replace(".csv", ".xlsx")).status_code == 200
    assert client.get(f"/staff/schools/{demo.other}").status_code == 404
    assert client.get(foreign).status_code == 404
    assert client.get(foreign.replace(".csv", ".xlsx")).status_code == 404
    assert client.get(own.replace(".csv", ".json")).status_code == 404
    assert client.get(own.replace(f"/{demo.campaign_id}/", "/999/")).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff/").text)})

    _login(client, "zam-z")  # a deputy of a school in another district
    assert client.get(own).status_code == 404
    assert client.get(f"/staff/schools/{demo.big}").status_code == 404
    # their own school, but not in this campaign (nor in their district's campaigns)
    assert client.get(own.replace(demo.big, "Z99")).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff/").text)})

    _login(client, "coord-z")
    assert client.get(own).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff/").text)})

    _login(client, "coord")
    assert client.get(own).status_code == 200
    assert client.get(foreign).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff/").text)})

    _login(client, "boss")  # an administrator sees every school, but Z99 is not in the campaign
    assert client.get(own.replace(demo.big, "Z99")).status_code == 404
    db.expire_all()
    audited = db.scalars(
        select(m.AuditEvent.target).where(m.AuditEvent.action == "factor_scores_downloaded")
    ).all()
    assert f"campaign {demo.campaign_id} school {demo.big} (csv)" in audited
    assert f"campaign {demo.campaign_id} school {demo.big} (xlsx)" in audited


def test_solution_is_cached_until_the_answers_change(
    client: FlaskClient, db: Session, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted: list[str] = []

    def counting(answers, instrument, **options):  # type: ignore[no-untyped-def]
        fitted.append(instrument.audience)
        assert options["seed"] == factor_cache.SEED
        return school_factor_scores(answers, instrument, **options)

    monkeypatch.setattr(factor_cache, "school_factor_scores", counting)
    _login(client, "boss")
    page = client.get(f"/staff/schools/{demo.big}").text
    fitted_once = list(fitted)
    assert "student" in fitted_once and HEADING in page
    # The other school's file and a repeat of it use the page's solutions: no refit.
    first = _csv(client, demo.campaign_id, demo.other)
    again = _csv(client, demo.campaign_id, demo.other)
    assert fitted == fitted_once
    assert first == again
    # A new complete student response changes the fingerprint: the students are refitted.
    template = db.scalars(
        select(m.Response).where(
            m.Response.campaign_id == demo.campaign_id, m.Response.audience == "student"
        )
    ).first()
    assert template is not None
    db.add(
        m.Response(
            submission_id="00000000-0000-4000-8000-000000000001",
            campaign_id=template.campaign_id,
            school_id=template.school_id,
            link_id=template.link_id,
            audience="student",
            instrument_version_id=template.instrument_version_id,
            answers=dict(template.answers),
            status=m.ResponseStatus.complete.value,
            submitted_on=template.submitted_on,
        )
    )
    db.commit()
    _csv(client, demo.campaign_id, demo.other)
    assert fitted.count("student") == fitted_once.count("student") + 1
    assert fitted.count("parent") == fitted_once.count("parent")


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch, db: Session, demo: Demo) -> None:
    campaign = db.get(m.Campaign, demo.campaign_id)
    assert campaign is not None
    monkeypatch.setattr(factor_cache, "CACHE_SIZE", 2)
    # One solution per form, keyed by the instrument's code.
    for form in ("student_5_11", "parent", "teacher", "administration"):
        factor_cache.campaign_factors(db, campaign, form)
    assert factor_cache.cached_entries() == 2
    # the most recent two are kept: asking again for the teachers does not refit
    monkeypatch.setattr(factor_cache, "_fit", lambda *a: pytest.fail("refitted"))
    assert factor_cache.campaign_factors(db, campaign, "teacher").error
