"""Where a new campaign starts for an administrator, who belongs to no district: the only
district, a choice among several, or the steps that come first when there is none."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_district, make_school, make_user


def _admin(client: FlaskClient, db: Session) -> None:
    make_user(db, "admin", login="boss")
    db.commit()
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": "boss", "password": PASSWORD, "csrf_token": token})


def test_without_districts_the_administrator_is_told_what_comes_first(
    client: FlaskClient, db: Session
) -> None:
    _admin(client, db)
    page = client.get("/staff/campaigns/new")
    assert page.status_code == 200
    assert "Районов пока нет" in page.text and "/staff/manage/schools" in page.text
    listing = client.get("/staff/campaigns/")
    assert "сначала добавьте район и загрузите его школы" in listing.text
    assert "Новая кампания</a>" not in listing.text


def test_one_district_opens_its_form_and_several_are_offered_to_choose(
    client: FlaskClient, db: Session
) -> None:
    north = make_district(db, name="Северный район")
    make_school(db, north, code="N01", name="Школа Север")
    db.commit()
    _admin(client, db)
    page = client.get("/staff/campaigns/new")
    assert page.status_code == 200 and "N01" in page.text  # the form of the only district
    south = make_district(db, name="Южный район")
    make_school(db, south, code="S01", name="Школа Юг")
    db.commit()
    choice = client.get("/staff/campaigns/new")
    assert choice.status_code == 200
    assert f"district_id={north.id}" in choice.text and f"district_id={south.id}" in choice.text
    assert "N01" not in choice.text
    form = client.get(f"/staff/campaigns/new?district_id={south.id}")
    assert "S01" in form.text and "N01" not in form.text
    assert client.get("/staff/campaigns/new?district_id=999").status_code == 404
    assert "Новая кампания</a>" in client.get("/staff/campaigns/").text
