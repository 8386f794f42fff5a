"""The page of districts and schools: a new installation's first steps, the upload with a
preview and a confirmation, the school form, deactivation, and who may do what."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveys import models as m
from tests.conftest import csrf_token, hidden_field
from tests.factories import (
    PASSWORD,
    link_for,
    make_campaign,
    make_district,
    make_response,
    make_school,
    make_user,
)

HEADERS = (
    "Район;Код школы;Полное наименование;Краткое наименование;Местность;Уровни образования;"
    "ШНОР;ШНСУ;5 класс;6 класс;10 класс;Педагогов;Педагог-психолог"
)
FILE = f"""{HEADERS}
Северный район;N01;МБОУ «Северная школа № 1»;СШ № 1;городская;НОО, ООО, СОО;да;нет;25;24;12;30;да
Северный район;N02;МКОУ «Озёрная школа»;Озёрная ООШ;сельская;НОО, ООО;нет;да;8;7;;11;нет
"""


def _login(client: FlaskClient, login: str) -> None:
    token = csrf_token(client.get("/login").text)
    answer = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.text


def _count(db: Session, model: type[m.Base]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def _upload(client: FlaskClient, content: str, name: str = "школы.csv") -> TestResponse:
    token = csrf_token(client.get("/staff/manage/schools").text)
    return client.post(
        "/staff/manage/schools/import",
        data={"csrf_token": token, "file": (io.BytesIO(content.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


def _district_world(db: Session) -> tuple[m.District, m.District, m.School]:
    north = make_district(db, name="Северный район")
    south = make_district(db, name="Южный район")
    far = make_school(db, south, code="S01", name="Южная школа")
    make_user(db, "coordinator", login="coord", district_name=north.name)
    make_user(db, "deputy", login="deputy", school_code=far.code)
    make_user(db, "psychologist", login="psy", district_name=north.name)
    db.commit()
    return north, south, far


def test_empty_install_tells_the_administrator_what_to_do_next(
    client: FlaskClient, db: Session
) -> None:
    make_user(db, "admin", login="boss")
    db.commit()
    _login(client, "boss")
    home = client.get("/staff/").text
    assert "С чего начать" in home
    assert 'href="/staff/manage/schools#district">Создайте район' in home
    assert "Загрузите школы района из файла" in home and "/staff/users/" in home
    assert "Создайте кампанию, когда школы будут загружены" in home
    assert 'href="/staff/manage/schools">Районы и школы</a>' in home  # the navigation

    page = client.get("/staff/manage/schools").text
    bad = client.post(
        "/staff/manage/districts", data={"csrf_token": csrf_token(page), "name": "  "}
    )
    assert bad.status_code == 400 and "Укажите название района." in bad.text
    made = client.post(
        "/staff/manage/districts",
        data={"csrf_token": csrf_token(page), "name": "Северный район", "region": "Область"},
    )
    assert made.status_code == 302
    again = client.post(
        "/staff/manage/districts", data={"csrf_token": csrf_token(page), "name": "северный район"}
    )
    assert again.status_code == 400 and "уже есть" in again.text
    home = client.get("/staff/").text
    assert "<s>Создайте район</s>" in home
    assert 'href="/staff/manage/schools#import">Загрузите школы из файла' in home
    event = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "district_created")).one()
    assert event.details["changed"]["name"] == [None, "Северный район"]

    assert _upload(client, FILE).status_code == 200
    confirm = client.post(
        "/staff/manage/schools/import/confirm",
        data={
            "csrf_token": csrf_token(page),
            "payload": hidden_field(_upload(client, FILE).text, "payload"),
            "filename": "школы.csv",
        },
    )
    assert confirm.status_code == 302
    home = client.get("/staff/").text
    assert "<s>Загрузите школы</s>" in home
    district = db.scalars(select(m.District)).one()
    new_campaign = f"/staff/campaigns/new?district_id={district.id}"
    assert f'href="{new_campaign}">Создайте кампанию' in home
    assert client.get(new_campaign).status_code == 200
    make_campaign(db, db.scalars(select(m.School)).all())
    db.commit()
    assert "С чего начать" not in client.get("/staff/").text


def test_an_administrator_can_start_from_the_schools_file_alone(
    client: FlaskClient, db: Session
) -> None:
    """On a new installation the file may come first: its districts are created with its
    schools, after the same preview and confirmation."""
    make_user(db, "admin", login="boss")
    db.commit()
    _login(client, "boss")
    home = client.get("/staff/").text
    assert 'href="/staff/manage/schools#import">Загрузите школы района из файла</a>' in home
    page = client.get("/staff/manage/schools").text
    assert 'id="import"' in page and "/staff/manage/schools/template.xlsx" in page
    assert "Добавить школу" not in page  # a school of its own needs a district first
    preview = _upload(client, FILE)
    assert preview.status_code == 200
    assert "Будут созданы районы: Северный район." in preview.text
    assert _count(db, m.District) == 0 and _count(db, m.School) == 0
    confirm = client.post(
        "/staff/manage/schools/import/confirm",
        data={
            "csrf_token": csrf_token(page),
            "payload": hidden_field(preview.text, "payload"),
            "filename": "школы.csv",
        },
    )
    assert confirm.status_code == 302
    assert _count(db, m.District) == 1 and _count(db, m.School) == 2
    assert "<s>Загрузите школы</s>" in client.get("/staff/").text


def test_coordinator_previews_then_confirms_an_upload(client: FlaskClient, db: Session) -> None:
    _district_world(db)
    _login(client, "coord")
    preview = _upload(client, FILE)
    assert preview.status_code == 200, preview.text
    assert "Будет создано школ: 2, обновлено: 0, без изменений: 0" in preview.text
    assert "МКОУ «Озёрная школа»" in preview.text and "Сохранить изменения" in preview.text
    assert _count(db, m.School) == 1  # the preview stored nothing
    payload = hidden_field(preview.text, "payload")
    done = client.post(
        "/staff/manage/schools/import/confirm",
        data={"csrf_token": csrf_token(preview.text), "payload": payload, "filename": "школы.csv"},
    )
    assert done.status_code == 302
    assert "Строк: 2; школ создано: 2" in client.get("/staff/manage/schools").text
    assert _count(db, m.School) == 3
    coordinator = db.scalars(select(m.User).where(m.User.login == "coord")).one()
    created = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "school_created")).all()
    assert len(created) == 2 and {e.user_id for e in created} == {coordinator.id}
    # The same file again changes nothing and duplicates nothing.
    again = _upload(client, FILE)
    assert "Будет создано школ: 0, обновлено: 0, без изменений: 2" in again.text
    # A confirmation is checked again: a forged payload touching another district is refused.
    forged = FILE.replace("Северный район;N02", "Южный район;S01")
    import base64

    refused = client.post(
        "/staff/manage/schools/import/confirm",
        data={
            "csrf_token": csrf_token(preview.text),
            "payload": base64.b64encode(forged.encode()).decode(),
            "filename": "школы.csv",
        },
    )
    assert refused.status_code == 400
    assert "«Южный район» — не ваш район" in refused.text
    db.expire_all()
    assert db.scalars(select(m.School).where(m.School.code == "S01")).one().name == "Южная школа"


def test_rows_of_another_district_are_refused_with_row_and_column(
    client: FlaskClient, db: Session
) -> None:
    _district_world(db)
    _login(client, "coord")
    content = FILE + "Южный район;S09;Чужая школа;;городская;ООО;;;1;;;;\n"
    content += "Северный район;S01;Подмена;;городская;ООО;;;1;;;;\n"
    content = content.replace(";городская;НОО, ООО, СОО;да;", ";городская;НОО, ООО, СОО;может;")
    page = _upload(client, content)
    assert page.status_code == 400
    text = re.sub(r"\s+", " ", page.text)
    assert '<td class="n">4</td><td>A «Район»</td><td>«Южный район» — не ваш район' in text
    assert '<td class="n">5</td><td>B «Код школы»</td><td>код «S01» занят школой' in text
    assert '<td class="n">2</td><td>G «ШНОР»</td><td>«может»' in text
    assert "Сохранить изменения" not in text and "payload" not in text
    assert _count(db, m.School) == 1


def test_school_form_validates_in_russian_and_deactivation_keeps_responses(
    client: FlaskClient, db: Session
) -> None:
    north, _, _ = _district_world(db)
    _login(client, "coord")
    form = client.get("/staff/manage/schools/new")
    assert form.status_code == 200
    assert '<option value="Северный район">' in form.text and "Южный район" not in form.text
    fields = {
        "csrf_token": csrf_token(form.text),
        "district": "Северный район",
        "code": "N 05",
        "name": "",
        "locality": "rural",
        "level_primary": "y",
        "grade_10": "12",
        "teachers": "десять",
    }
    bad = client.post("/staff/manage/schools/new", data=fields)
    assert bad.status_code == 400
    assert "код из букв и цифр" in bad.text and "не заполнено" in bad.text
    assert "в 10 классе указаны обучающиеся, но уровень СОО" in bad.text
    assert "нужно целое число" in bad.text
    assert _count(db, m.School) == 1
    fields.update(code="N05", name="Школа № 5", grade_10="", grade_2="20", teachers="4")
    fields["has_psychologist"] = "y"
    made = client.post("/staff/manage/schools/new", data=fields)
    assert made.status_code == 302, made.text
    school = db.scalars(select(m.School).where(m.School.code == "N05")).one()
    assert school.district_id == north.id and school.enrolment_primary == 20
    assert school.has_psychologist and not school.teaches_basic

    edit = client.get("/staff/manage/schools/N05/edit")
    assert (
        'value="Школа № 5"' in edit.text
        and 'name="grade_2" size="4" type="text" value="20"' in (edit.text)
    )
    fields.update(csrf_token=csrf_token(edit.text), short_name="Школа 5", teachers="6")
    assert client.post("/staff/manage/schools/N05/edit", data=fields).status_code == 302
    db.expire_all()
    assert school.short_name == "Школа 5" and school.teachers == 6
    update = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "school_edited")).one()
    assert update.details["changed"] == {"short_name": ["", "Школа 5"], "teachers": [4, 6]}

    campaign = make_campaign(db, [school])
    make_response(db, link_for(db, campaign, school))
    db.commit()
    token = csrf_token(client.get("/staff/manage/schools").text)
    off = client.post("/staff/manage/schools/N05/active", data={"csrf_token": token, "active": "0"})
    assert off.status_code == 302
    db.expire_all()
    assert not school.is_active and _count(db, m.Response) == 1
    assert "неактивна" in client.get("/staff/").text
    assert "неактивна" in client.get("/staff/manage/schools").text
    school_page = client.get("/staff/schools/N05").text
    assert "школа деактивирована" in school_page and "педагог-психолог" in school_page
    no_csrf = client.post("/staff/manage/schools/N05/active", data={"active": "1"})
    assert no_csrf.status_code == 400
    client.post("/staff/manage/schools/N05/active", data={"csrf_token": token, "active": "1"})
    db.expire_all()
    assert school.is_active
    actions = set(db.scalars(select(m.AuditEvent.action)))
    assert {"school_created", "school_edited", "school_deactivated", "school_reactivated"} <= (
        actions
    )


def test_who_may_manage_what(client: FlaskClient, db: Session) -> None:
    _, _, far = _district_world(db)
    _login(client, "coord")
    assert client.get("/staff/manage/schools").status_code == 200
    assert "Южная школа" not in client.get("/staff/manage/schools").text
    assert client.get(f"/staff/manage/schools/{far.code}/edit").status_code == 404
    token = csrf_token(client.get("/staff/manage/schools").text)
    hidden = client.post(
        f"/staff/manage/schools/{far.code}/active", data={"csrf_token": token, "active": "0"}
    )
    assert hidden.status_code == 404
    assert client.get("/staff/manage/schools/NOPE/edit").status_code == 404
    # Only the administrator creates districts.
    denied = client.post("/staff/manage/districts", data={"csrf_token": token, "name": "Новый"})
    assert denied.status_code == 403
    template = client.get("/staff/manage/schools/template.xlsx")
    assert template.status_code == 200
    workbook = load_workbook(io.BytesIO(template.data))
    listed = {row[4].value for row in workbook["коды"].iter_rows(min_row=2) if row[1].value}
    assert "Северный район" in listed and "Южный район" not in listed
    db.expire_all()
    assert db.get(m.School, far.id).is_active  # type: ignore[union-attr]

    for login in ("deputy", "psy"):
        client.post("/logout", data={"csrf_token": token})
        _login(client, login)
        token = csrf_token(client.get("/staff/").text)
        assert "Районы и школы" not in client.get("/staff/").text
        for url in (
            "/staff/manage/schools",
            "/staff/manage/schools/new",
            f"/staff/manage/schools/{far.code}/edit",
            "/staff/manage/schools/template.xlsx",
        ):
            assert client.get(url).status_code == 403, (login, url)
        posted = client.post(
            f"/staff/manage/schools/{far.code}/active", data={"csrf_token": token, "active": "0"}
        )
        assert posted.status_code == 403
