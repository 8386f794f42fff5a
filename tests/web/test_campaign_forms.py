"""Campaigns that field several forms to one audience (the grades 2–4 and 5–11 student
questionnaires in one wave): a link per school × form, answers pinned to the form they went
through, class links choosing the form by grade, rates per form against the enrolment of its
grades, the new-campaign form's defaults, the CLI's create and copy, the designer's «field»."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from instruments.library import builtin
from instruments.schema import Instrument
from surveys import models as m
from surveys.campaign_forms import add_form, campaign_forms
from surveys.campaigns import class_link, load_link
from surveys.errors import Conflict, InvalidInput
from surveys.instrument_store import latest_version, store_instrument
from surveys.rates import response_rates
from surveys.tokens import token_link
from tests.conftest import csrf_token, hidden_field
from tests.factories import (
    PASSWORD,
    TODAY,
    link_for,
    make_campaign,
    make_district,
    make_school,
    make_user,
)
from web.cli import main

#: students per grade 1..11 of the test school
BY_GRADE = dict(
    zip(map(str, range(1, 12)), [30, 28, 26, 24, 50, 50, 50, 50, 50, 20, 20], strict=True)
)
#: sections (pages) of each built-in student form
PAGES = {"student_2_4": 5, "student_5_11": 6}


def _two_forms(db: Session, n_schools: int = 2) -> tuple[m.Campaign, list[m.School]]:
    district = make_district(db, name="Район двух анкет")
    schools = [
        make_school(
            db,
            district,
            code=f"F{i:02d}",
            enrolment_by_grade=BY_GRADE,
            enrolment_primary=108,
            enrolment_basic=250,
            enrolment_secondary=40,
        )
        for i in range(1, n_schools + 1)
    ]
    campaign = make_campaign(db, schools, forms=["student_2_4", "student_5_11"])
    db.commit()
    return campaign, schools


def _sign_in(client: FlaskClient, login: str) -> None:
    client.get("/logout")
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})


def _answer(client: FlaskClient, code: str, pages: int, grade: str) -> int:
    """Go through a form answering only the grade; the status of the last post."""
    status = 0
    for p in range(1, pages + 1):
        page = client.get(f"/s/{code}?p={p}").text
        fields = {n: hidden_field(page, n) for n in ("submission_id", "started", "page")}
        answers = {"grade": grade} if p == 1 else {}
        response = client.post(
            f"/s/{code}",
            data={"csrf_token": csrf_token(page), **fields, **answers, "direction": "next"},
        )
        status = response.status_code
        if p < pages:
            assert status == 303, response.text[:500]
    return status


def test_a_school_gets_a_link_per_form_each_opening_its_own_form(db: Session) -> None:
    campaign, schools = _two_forms(db)
    links = db.scalars(select(m.SurveyLink).where(m.SurveyLink.campaign_id == campaign.id)).all()
    assert len(links) == 4  # 2 schools × 2 forms
    forms = {f.fielding_id: f.instrument_code for f in campaign_forms(db, campaign.id)}
    assert sorted(forms.values()) == ["student_2_4", "student_5_11"]
    for school in schools:
        opened = {forms[link.fielding_id] for link in links if link.school_id == school.id}
        assert opened == {"student_2_4", "student_5_11"}
    for link in links:
        assert load_link(db, link.code).instrument.code == forms[link.fielding_id]
    # Personal-token links are per form too.
    junior = link_for(db, campaign, schools[0], form="student_2_4")
    senior = link_for(db, campaign, schools[0], form="student_5_11")
    tokened = token_link(db, junior)
    assert tokened.fielding_id == junior.fielding_id
    assert token_link(db, senior).id != tokened.id
    assert load_link(db, tokened.code).instrument.code == "student_2_4"


def test_answers_through_each_form_keep_its_version(client: FlaskClient, db: Session) -> None:
    campaign, schools = _two_forms(db, n_schools=1)
    junior = link_for(db, campaign, schools[0], form="student_2_4")
    senior = link_for(db, campaign, schools[0], form="student_5_11")
    first = client.get(f"/s/{junior.code}").text
    assert "Привет!" in first  # the grades 2–4 form's introduction
    assert _answer(client, junior.code, PAGES["student_2_4"], "3") == 303
    client.get("/logout")
    assert _answer(client, senior.code, PAGES["student_5_11"], "7") == 303
    # The 5–11 form refuses a third-grader's grade: each link validates against its form.
    page = client.get(f"/s/{senior.code}?p=1").text
    refused = client.post(
        f"/s/{senior.code}",
        data={
            "csrf_token": csrf_token(page),
            **{n: hidden_field(page, n) for n in ("submission_id", "started", "page")},
            "grade": "3",
            "direction": "next",
        },
    )
    assert refused.status_code == 400
    stored = db.execute(
        select(m.Response.link_id, m.Response.instrument_version_id, m.Response.answers).where(
            m.Response.campaign_id == campaign.id,
            m.Response.status == m.ResponseStatus.complete.value,
        )
    ).all()
    by_link = {link_id: (version, answers) for link_id, version, answers in stored}
    assert by_link[junior.id][0] == latest_version(db, "student_2_4").id
    assert by_link[senior.id][0] == latest_version(db, "student_5_11").id
    assert by_link[junior.id][1]["grade"] == 3 and by_link[senior.id][1]["grade"] == 7


def test_class_links_open_the_form_of_their_grade(client: FlaskClient, db: Session) -> None:
    campaign, schools = _two_forms(db, n_schools=1)
    school = schools[0]
    third = class_link(db, campaign, school, "student", "3а")
    seventh = class_link(db, campaign, school, "student", "7Б")
    db.commit()
    assert load_link(db, third.code).instrument.code == "student_2_4"
    assert load_link(db, seventh.code).instrument.code == "student_5_11"
    assert third.class_name == "3А" and seventh.class_name == "7Б"
    assert class_link(db, campaign, school, "student", "3А").id == third.id
    with pytest.raises(InvalidInput, match="Для 1 класса в кампании нет анкеты"):
        class_link(db, campaign, school, "student", "1А")
    # Two forms covering one grade: the class link cannot choose, and says so.
    wide = make_campaign(db, [school], forms=["student_5_11"], title="Две анкеты")
    add_form(db, wide, store_instrument(db, _copy_of("student_5_11", code="student_pilot")))
    with pytest.raises(InvalidInput, match="несколько анкет"):
        class_link(db, wide, school, "student", "7Б")
    # On the staff page the class form on any student row makes the link of the class's form.
    make_user(db, "coordinator", login="coord", district_name=_district_name(db, school))
    db.commit()
    _sign_in(client, "coord")
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    senior = link_for(db, campaign, school, form="student_5_11")
    made = client.post(
        f"/staff/campaigns/{campaign.id}/links/{senior.code}/class",
        data={"csrf_token": csrf_token(page), "class_name": "2В", "enrolment": "20"},
    )
    assert made.status_code == 302
    page = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert (
        "Ссылка для класса 2В готова. Кто отвечает: обучающиеся, анкета "
        "«Анкета для обучающихся 2–4 классов»." in page
    )
    second = db.scalars(select(m.SurveyLink).where(m.SurveyLink.class_name == "2В")).one()
    assert load_link(db, second.code).instrument.code == "student_2_4"


def _copy_of(builtin_code: str, **changes: object) -> Instrument:
    """A built-in form under another code or version number."""
    return builtin(builtin_code).model_copy(update=changes)


def _district_name(db: Session, school: m.School) -> str:
    return db.scalars(select(m.District.name).where(m.District.id == school.district_id)).one()


def test_rates_per_form_use_the_enrolment_of_its_grades(db: Session) -> None:
    from tests.factories import make_response

    campaign, schools = _two_forms(db, n_schools=1)
    school = schools[0]
    junior = link_for(db, campaign, school, form="student_2_4")
    senior = link_for(db, campaign, school, form="student_5_11")
    for _ in range(3):
        make_response(db, junior)
    make_response(db, senior)
    make_response(db, class_link(db, campaign, school, "student", "3А"))
    db.commit()
    rows = {(r.form, r.class_name): r for r in response_rates(db, campaign)}
    assert set(rows) == {("2–4 классы", None), ("5–11 классы", None), ("2–4 классы", "3А")}
    assert rows[("2–4 классы", None)].eligible == 28 + 26 + 24
    assert rows[("5–11 классы", None)].eligible == 5 * 50 + 20 + 20
    assert rows[("2–4 классы", None)].complete == 4  # the class's answer counts for the school
    assert rows[("5–11 классы", None)].complete == 1
    assert rows[("2–4 классы", "3А")].complete == 1
    # Without per-grade figures: pro rata from the levels (3 of the 4 primary grades).
    school.enrolment_by_grade = {}
    db.commit()
    rows = {(r.form, r.class_name): r for r in response_rates(db, campaign)}
    assert rows[("2–4 классы", None)].eligible == round(108 * 3 / 4)


def _checked(page: str, name: str) -> set[int]:
    return {
        int(value)
        for value in re.findall(
            rf'<input type="checkbox" id="[^"]+" name="{name}" value="(\d+)" checked>', page
        )
    }


def _offered(page: str, name: str) -> set[int]:
    return {
        int(v)
        for v in re.findall(rf'<input type="checkbox" id="[^"]+" name="{name}" value="(\d+)"', page)
    }


def test_the_campaign_form_preselects_the_main_forms_and_posts_as_displayed(
    client: FlaskClient, db: Session
) -> None:
    district = make_district(db, name="Район формы")
    active = make_school(db, district, code="A01")
    closed = make_school(db, district, code="Z99", is_active=False)
    make_campaign(db, [active])  # loads the built-in forms
    make_user(db, "coordinator", login="coord", district_name=district.name)
    db.commit()
    ids = {
        code: latest_version(db, code).id
        for code in (
            "student_2_4",
            "student_5_11",
            "parent",
            "teacher",
            "specialist",
            "administration",
        )
    }
    _sign_in(client, "coord")
    page = client.get("/staff/campaigns/new").text
    checked = _checked(page, "form")
    assert ids["student_5_11"] in checked and ids["student_2_4"] not in checked
    assert {ids["parent"], ids["teacher"], ids["specialist"], ids["administration"]} <= checked
    assert ids["student_2_4"] in _offered(page, "form")  # offered, not checked
    assert "Отмечена последняя опубликованная версия основной анкеты" in page
    assert "«Анкета для обучающихся 5–11 классов» (версия" in page
    assert _offered(page, "school") == {active.id}  # an inactive school is not offered
    posted = client.post(
        "/staff/campaigns/new",
        data={
            "csrf_token": csrf_token(page),
            "title": "Как показано",
            "opens_on": TODAY.isoformat(),
            "closes_on": (TODAY + dt.timedelta(days=20)).isoformat(),
            "min_group_size": "5",
            "school": [str(i) for i in _checked(page, "school")],
            "form": [str(i) for i in checked],
        },
    )
    assert posted.status_code == 302, posted.text[:500]
    campaign = db.scalars(select(m.Campaign).where(m.Campaign.title == "Как показано")).one()
    codes = {f.instrument_code for f in campaign_forms(db, campaign.id)}
    assert codes == {"student_5_11", "parent", "teacher", "specialist", "administration"}
    shown = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert "Анкеты кампании: обучающиеся — «Анкета для обучающихся 5–11 классов»" in shown
    audit = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "campaign_created")).one()
    assert audit.details["campaign"] == campaign.id
    # Both student forms when both are ticked; an inactive school posted anyway is refused.
    both = client.post(
        "/staff/campaigns/new",
        data={
            "csrf_token": csrf_token(page),
            "title": "Обе анкеты",
            "opens_on": TODAY.isoformat(),
            "closes_on": (TODAY + dt.timedelta(days=20)).isoformat(),
            "min_group_size": "5",
            "school": [str(active.id), str(closed.id)],
            "form": [str(ids["student_2_4"]), str(ids["student_5_11"])],
        },
    )
    assert both.status_code == 400 and "Z99" in both.text and "выведены из работы" in both.text
    both = client.post(
        "/staff/campaigns/new",
        data={
            "csrf_token": csrf_token(page),
            "title": "Обе анкеты",
            "opens_on": TODAY.isoformat(),
            "closes_on": (TODAY + dt.timedelta(days=20)).isoformat(),
            "min_group_size": "5",
            "school": [str(active.id)],
            "form": [str(ids["student_2_4"]), str(ids["student_5_11"])],
        },
    )
    assert both.status_code == 302
    campaign = db.scalars(select(m.Campaign).where(m.Campaign.title == "Обе анкеты")).one()
    shown = client.get(f"/staff/campaigns/{campaign.id}/").text
    assert '<span class="form-title">2–4 классы</span>' in shown
    assert '<span class="form-title">5–11 классы</span>' in shown


def test_two_versions_of_one_form_are_refused(db: Session) -> None:
    from surveys.campaigns import create_campaign

    school = make_school(db)
    campaign = make_campaign(db, [school], forms=["student_5_11"])
    fielded = latest_version(db, "student_5_11")
    newer = store_instrument(db, _copy_of("student_5_11", version=99))
    with pytest.raises(Conflict, match=f"уже есть версия {fielded.version} анкеты"):
        add_form(db, campaign, newer)
    assert add_form(db, campaign, fielded).instrument_version_id == fielded.id  # already there
    district = db.get(m.District, school.district_id)
    assert district is not None
    with pytest.raises(InvalidInput, match="в двух версиях"):
        create_campaign(
            db,
            district=district,
            title="Две версии",
            opens_on=TODAY,
            closes_on=TODAY,
            schools=[school],
            fieldings=[fielded, newer],
        )


def test_the_designer_adds_a_form_beside_the_others(client: FlaskClient, db: Session) -> None:
    district = make_district(db, name="Район дизайнера")
    school = make_school(db, district)
    campaign = make_campaign(db, [school], forms=["student_5_11"], title="Осень")
    make_user(db, "psychologist", login="psy", district_name=district.name)
    junior = latest_version(db, "student_2_4")
    db.commit()
    _sign_in(client, "psy")
    page = client.get(f"/designer/versions/{junior.id}").text
    added = client.post(
        f"/designer/versions/{junior.id}/field",
        data={"campaign_id": str(campaign.id), "csrf_token": csrf_token(page)},
    )
    assert added.status_code == 302
    db.expire_all()
    assert {f.instrument_code for f in campaign_forms(db, campaign.id)} == {
        "student_2_4",
        "student_5_11",
    }
    assert db.scalar(select(func.count()).where(m.SurveyLink.campaign_id == campaign.id)) == 2
    assert load_link(
        db, link_for(db, campaign, school, form="student_2_4").code
    ).instrument.code == ("student_2_4")
    # A second version of a fielded form is refused with the reason.
    newer = store_instrument(db, _copy_of("student_2_4", version=junior.version + 7))
    db.commit()
    refused = client.post(
        f"/designer/versions/{newer.id}/field",
        data={"campaign_id": str(campaign.id), "csrf_token": csrf_token(page)},
    )
    assert refused.status_code == 409
    assert f"уже есть версия {junior.version} анкеты" in refused.text


def test_cli_creates_a_campaign_and_copies_it_as_the_next_wave(cli_env: str, db: Session) -> None:
    district = make_district(db, name="Район CLI")
    first = make_school(db, district, code="C01")
    second = make_school(db, district, code="C02")
    make_school(db, district, code="C03", is_active=False)
    make_campaign(db, [first])  # loads the built-in forms
    senior = latest_version(db, "student_5_11")
    db.commit()
    runner = CliRunner()
    created = runner.invoke(
        main,
        [
            "campaigns", "create", "--district", "Район CLI", "--title", "Январь",
            "--opens", "2027-01-10", "--closes", "2027-01-31", "--period", "2026/27",
            "--form", "student_2_4", "--form", f"student_5_11:{senior.version}",
            "--min-group-size", "6",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    campaign_id = int(created.stdout.strip())
    db.expire_all()
    campaign = db.get(m.Campaign, campaign_id)
    assert campaign is not None and campaign.min_group_size == 6 and campaign.period == "2026/27"
    assert {f.instrument_code for f in campaign_forms(db, campaign_id)} == {
        "student_2_4",
        "student_5_11",
    }
    schools = db.scalars(
        select(m.CampaignSchool.school_id).where(m.CampaignSchool.campaign_id == campaign_id)
    ).all()
    assert sorted(schools) == sorted([first.id, second.id])  # active schools only
    assert db.scalar(select(func.count()).where(m.SurveyLink.campaign_id == campaign_id)) == 4
    # Default forms: the main form of each audience, never the grades 2–4 one.
    default = runner.invoke(
        main,
        [
            "campaigns", "create", "--district", "Район CLI", "--title", "По умолчанию",
            "--opens", "2027-01-10", "--closes", "2027-01-31", "--schools", "C02",
        ],
    )  # fmt: skip
    assert default.exit_code == 0, default.output
    codes = {f.instrument_code for f in campaign_forms(db, int(default.stdout.strip()))}
    assert codes == {"student_5_11", "parent", "teacher", "specialist", "administration"}
    bad = runner.invoke(
        main,
        [
            "campaigns", "create", "--district", "Район CLI", "--title", "x",
            "--opens", "2027-01-10", "--closes", "2027-01-31", "--schools", "C01,NOPE",
        ],
    )  # fmt: skip
    assert bad.exit_code == 1 and "NOPE" in bad.output
    copied = runner.invoke(
        main,
        ["campaigns", "copy", "--campaign", str(campaign_id), "--opens", "2027-02-07",
         "--closes", "2027-02-28", "--title", "Февраль"],
    )  # fmt: skip
    assert copied.exit_code == 0, copied.output
    copy_id = int(copied.stdout.strip())
    db.expire_all()
    copy = db.get(m.Campaign, copy_id)
    assert copy is not None and copy.title == "Февраль"
    assert copy.previous_campaign_id == campaign_id and copy.min_group_size == 6
    assert copy.district_id == district.id and copy.opens_on == dt.date(2027, 2, 7)
    assert [(f.instrument_code, f.version_id) for f in campaign_forms(db, copy_id)] == [
        (f.instrument_code, f.version_id) for f in campaign_forms(db, campaign_id)
    ]
    assert db.scalar(select(func.count()).where(m.SurveyLink.campaign_id == copy_id)) == 4
    earlier = runner.invoke(
        main,
        ["campaigns", "copy", "--campaign", str(campaign_id), "--opens", "2027-01-01",
         "--closes", "2027-01-20"],
    )  # fmt: skip
    assert earlier.exit_code == 1 and "позже" in earlier.output
    actions = db.scalars(select(m.AuditEvent.action).order_by(m.AuditEvent.id)).all()
    assert actions.count("campaign_created") == 2 and actions.count("campaign_copied") == 1


def test_the_next_wave_keeps_the_schools_of_its_source_still_active(
    cli_env: str, db: Session
) -> None:
    """The copy fields the source's schools, not the district's: a school left out of the
    first wave stays out, one deactivated since leaves; each keeps a link per form."""
    district = make_district(db, name="Район волн")
    kept = make_school(db, district, code="W01")
    closed_since = make_school(db, district, code="W02")
    make_school(db, district, code="W03")  # never in the source
    source = make_campaign(
        db, [kept, closed_since], forms=["student_2_4", "student_5_11"], exclude_flagged=True
    )
    closed_since.is_active = False
    db.commit()
    copied = CliRunner().invoke(
        main,
        ["campaigns", "copy", "--campaign", str(source.id), "--opens", "2099-02-07",
         "--closes", "2099-02-28"],
    )  # fmt: skip
    assert copied.exit_code == 0, copied.output
    db.expire_all()
    copy = db.get(m.Campaign, int(copied.stdout.strip()))
    assert copy is not None and copy.exclude_flagged and copy.title.startswith(source.title)
    schools = db.scalars(
        select(m.School.code)
        .join(m.CampaignSchool, m.CampaignSchool.school_id == m.School.id)
        .where(m.CampaignSchool.campaign_id == copy.id)
    ).all()
    assert schools == ["W01"]
    links = db.scalars(
        select(m.SurveyLink.fielding_id).where(m.SurveyLink.campaign_id == copy.id)
    ).all()
    assert len(links) == len(set(links)) == 2  # one per form of W01


def test_older_versions_are_offered_unchecked(client: FlaskClient, db: Session) -> None:
    district = make_district(db, name="Район версий")
    make_school(db, district, code="V01")
    make_user(db, "coordinator", login="coord", district_name=district.name)
    make_campaign(db, db.scalars(select(m.School)).all())  # loads the built-in forms
    older = latest_version(db, "parent")
    newer = store_instrument(db, _copy_of("parent", version=older.version + 1))
    db.commit()
    _sign_in(client, "coord")
    page = client.get("/staff/campaigns/new").text
    assert newer.id in _checked(page, "form") and older.id not in _checked(page, "form")
    assert older.id in _offered(page, "form")
    folded = page[page.index("Прежние версии (родители)") :]
    assert f'value="{older.id}"' in folded.split("</details>")[0]
