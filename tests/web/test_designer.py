"""The designer: drafts, live validation, publishing, immutability, diff, preview, fielding."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.drafts import NEW_INSTRUMENT_TEMPLATE
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_campaign, make_district, make_school, make_user


def _sign_in(client: FlaskClient, login: str) -> str:
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    # Signing in starts a new session, and with it a new CSRF token.
    return csrf_token(client.get("/").text)


def _psychologist(db: Session):  # type: ignore[no-untyped-def]
    district = make_district(db, name="Район психолога")
    school = make_school(db, district, code="P01")
    campaign = make_campaign(db, [school], title="Осенняя волна")
    make_user(db, "psychologist", login="psy", district_name=district.name)
    db.commit()
    return district, school, campaign


def _create(client: FlaskClient, token: str, code: str = "wellbeing_short") -> int:
    response = client.post(
        "/designer/new",
        data={"code": code, "title": "Благополучие", "audience": "parent", "csrf_token": token},
    )
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_only_psychologists_and_admins_design(client: FlaskClient, db: Session) -> None:
    school = make_school(db)
    make_user(db, "deputy", login="zam", school_code=school.code)
    db.commit()
    _sign_in(client, "zam")
    assert client.get("/designer/").status_code == 403
    assert client.post("/designer/new", data={}).status_code in (400, 403)


def test_create_edit_validate_publish_and_immutability(client: FlaskClient, db: Session) -> None:
    _psychologist(db)
    token = _sign_in(client, "psy")
    version_id = _create(client, token)
    page = client.get(f"/designer/versions/{version_id}")
    assert page.status_code == 200 and "черновик" in page.text

    text = NEW_INSTRUMENT_TEMPLATE.format(
        code="wellbeing_short", title="Благополучие", audience="parent"
    )
    broken = text.replace("items: [q1, q2]", "items: [q1, q9]")
    live = client.post(
        f"/designer/versions/{version_id}/check", data={"source": broken, "csrf_token": token}
    )
    assert live.json == {
        "problems": [{"path": "scales[0].items[1]", "message": "неизвестный вопрос 'q9'"}]
    }

    saved = client.post(
        f"/designer/versions/{version_id}", data={"source": broken, "csrf_token": token}
    )
    assert saved.status_code == 400
    assert "scales[0].items[1]: неизвестный вопрос &#39;q9&#39;" in saved.text
    assert (
        client.post(
            f"/designer/versions/{version_id}/publish", data={"csrf_token": token}
        ).status_code
        == 400
    )

    fixed = text.replace("Первое утверждение.", "Мне спокойно за ребёнка в школе.")
    assert (
        client.post(
            f"/designer/versions/{version_id}", data={"source": fixed, "csrf_token": token}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/designer/versions/{version_id}/publish", data={"csrf_token": token}
        ).status_code
        == 302
    )
    db.expire_all()
    version = db.get(m.InstrumentVersion, version_id)
    assert version is not None and version.status == "published"
    assert (
        version.definition["sections"][0]["items"][0]["text"]["ru"]
        == "Мне спокойно за ребёнка в школе."
    )

    again = client.post(
        f"/designer/versions/{version_id}", data={"source": text, "csrf_token": token}
    )
    assert again.status_code == 409
    db.expire_all()
    assert db.get(m.InstrumentVersion, version_id).source_text == fixed  # type: ignore[union-attr]


def test_new_version_and_diff(client: FlaskClient, db: Session) -> None:
    _psychologist(db)
    token = _sign_in(client, "psy")
    first = _create(client, token)
    client.post(f"/designer/versions/{first}/publish", data={"csrf_token": token})
    started = client.post("/designer/instruments/wellbeing_short/draft", data={"csrf_token": token})
    second = int(started.headers["Location"].split("/")[-1])
    source = db.get(m.InstrumentVersion, second).source_text  # type: ignore[union-attr]
    assert "version: 2" in source
    changed = source.replace("Второе утверждение.", "Ребёнок рассказывает о школе.")
    client.post(f"/designer/versions/{second}", data={"source": changed, "csrf_token": token})
    diff = client.get(f"/designer/versions/{second}/diff?against={first}")
    assert "изменено: вопрос «q2» (text)" in diff.text
    # only one draft at a time
    refused = client.post("/designer/instruments/wellbeing_short/draft", data={"csrf_token": token})
    assert refused.status_code == 409


def test_preview_is_the_respondent_page_framed_by_us(client: FlaskClient, db: Session) -> None:
    _psychologist(db)
    token = _sign_in(client, "psy")
    version_id = _create(client, token)
    outer = client.get(f"/designer/versions/{version_id}/preview")
    assert outer.status_code == 200
    assert outer.text.count("<iframe") == 2
    assert "frame-ancestors 'self'" in outer.headers["Content-Security-Policy"]
    inner = client.get(f"/designer/versions/{version_id}/render")
    assert "Первое утверждение." in inner.text
    assert 'method="post"' not in inner.text
    assert inner.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_field_a_published_version_in_a_campaign(client: FlaskClient, db: Session) -> None:
    _, _school, campaign = _psychologist(db)
    token = _sign_in(client, "psy")
    version_id = _create(client, token)
    page = client.get(f"/designer/versions/{version_id}")
    assert "Включить в кампанию" not in page.text  # a draft cannot be fielded
    client.post(f"/designer/versions/{version_id}/publish", data={"csrf_token": token})
    page = client.get(f"/designer/versions/{version_id}").text
    assert "Осенняя волна" in page
    response = client.post(
        f"/designer/versions/{version_id}/field",
        data={"campaign_id": str(campaign.id), "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    db.expire_all()
    fielding = db.scalars(select(m.Fielding).where(m.Fielding.audience == "parent")).one()
    assert fielding.instrument_version_id == version_id
    links = db.scalar(
        select(func.count()).where(
            m.SurveyLink.campaign_id == campaign.id, m.SurveyLink.audience == "parent"
        )
    )
    assert links == 1
    link_code = db.scalar(select(m.SurveyLink.code).where(m.SurveyLink.audience == "parent"))
    assert "Первое утверждение." in client.get(f"/s/{link_code}?p=1").text


def test_campaigns_of_other_districts_cannot_be_targeted(client: FlaskClient, db: Session) -> None:
    _psychologist(db)
    other_school = make_school(db, make_district(db, name="Чужой район"), code="X01")
    foreign = make_campaign(db, [other_school], title="Чужая кампания")
    db.commit()
    token = _sign_in(client, "psy")
    version_id = _create(client, token)
    client.post(f"/designer/versions/{version_id}/publish", data={"csrf_token": token})
    page = client.get(f"/designer/versions/{version_id}").text
    assert "Чужая кампания" not in page
    response = client.post(
        f"/designer/versions/{version_id}/field",
        data={"campaign_id": str(foreign.id), "csrf_token": token},
    )
    assert response.status_code == 400
    assert re.search("Чужая", client.get("/designer/").text) is None


def test_import_yaml_file_and_download_it_back(client: FlaskClient, db: Session) -> None:
    import io

    from instruments.io.yaml_io import dump_yaml, load_yaml
    from instruments.library import builtin

    _psychologist(db)
    token = _sign_in(client, "psy")
    pilot = builtin("parent").model_copy(update={"code": "parent_pilot", "version": 1})
    upload = {"file": (io.BytesIO(dump_yaml(pilot).encode()), "pilot.yaml"), "csrf_token": token}
    response = client.post("/designer/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    version_id = int(response.headers["Location"].split("/")[-1])
    download = client.get(f"/designer/versions/{version_id}/export.yaml")
    assert download.headers["Content-Disposition"] == 'attachment; filename="parent_pilot-v1.yaml"'
    assert load_yaml(download.data.decode()) == pilot

    broken = dump_yaml(pilot).replace("higher_is: risk", "higher_is: dangerous")
    upload = {"file": (io.BytesIO(broken.encode()), "broken.yaml"), "csrf_token": token}
    refused = client.post("/designer/import", data=upload, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "Файл «broken.yaml» не импортирован" in refused.text
    assert "<li>scales[3].higher_is: недопустимое значение</li>" in refused.text
    db.expire_all()
    versions = db.scalars(
        select(m.InstrumentVersion).join(m.Instrument).where(m.Instrument.code == "parent_pilot")
    ).all()
    assert len(versions) == 1  # nothing stored by the refused file


def test_psychometrics_of_a_fielded_version(client: FlaskClient, db: Session) -> None:
    from surveys.demo import generate_demo

    demo = generate_demo(db, n_schools=4, seed=3, with_users=False)
    district = db.get(m.District, demo.district_id)
    assert district is not None
    make_user(db, "psychologist", login="psy", district_name=district.name)
    # The students' first form, the 5–11 questionnaire (the demo fields the 2–4 one after it).
    version_id = db.scalar(
        select(m.Fielding.instrument_version_id)
        .where(m.Fielding.campaign_id == demo.campaign_id, m.Fielding.audience == "student")
        .order_by(m.Fielding.id)
        .limit(1)
    )
    db.commit()
    _sign_in(client, "psy")
    page = client.get(f"/designer/versions/{version_id}/psychometrics")
    assert page.status_code == 200
    assert "α Кронбаха" in page.text and "Подверженность травле" in page.text
    assert "Эмпирическая факторная структура" in page.text and "bullying" in page.text
