"""A multiple choice limited to N answers (max_choices, «не более трёх» on the teachers' form):
the page says so to its script, and the server refuses a fourth with a Russian message next to
the question, whether the page was posted the ordinary way or by the page script."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.conftest import csrf_token, hidden_field, response_count
from tests.factories import link_for, make_campaign, make_school

PAGES = 8  # sections of the teacher form; main_obstacles is on the last
IN_PLACE = {"X-Rootcause-In-Place": "1"}
MESSAGE = "можно выбрать не больше трёх вариантов"


def _teacher_link(db: Session) -> str:
    school = make_school(db)
    campaign = make_campaign(db, [school], audiences={"teacher": "teacher"})
    link = link_for(db, campaign, school, "teacher")
    db.commit()
    return link.code


def _fields(page: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token(page),
        **{n: hidden_field(page, n) for n in ("submission_id", "started", "page")},
        "direction": "next",
    }


def _last_page(client: FlaskClient, code: str, headers: dict[str, str]) -> str:
    """Go through the pages before the last one without answering; the last page's HTML."""
    page = client.get(f"/s/{code}").text
    for p in range(1, PAGES):
        reply = client.post(f"/s/{code}", data=_fields(page), headers=headers)
        if headers:
            assert reply.status_code == 200, reply.text
            page = reply.text
        else:
            assert reply.status_code == 303, reply.text
            page = client.get(reply.headers["Location"]).text
        assert f"Раздел {p + 1} из {PAGES}" in page
    return page


def _send(
    client: FlaskClient, code: str, page: str, chosen: list[str], headers: dict[str, str]
) -> TestResponse:
    return client.post(
        f"/s/{code}", data={**_fields(page), "main_obstacles": chosen}, headers=headers
    )


@pytest.mark.parametrize("headers", [{}, IN_PLACE], ids=["no-js", "in-place"])
def test_a_fourth_choice_is_refused_next_to_the_question(
    client: FlaskClient, db: Session, headers: dict[str, str]
) -> None:
    code = _teacher_link(db)
    page = _last_page(client, code, headers)
    # The page tells its script the limit and the words to say.
    assert re.search(r'<fieldset[^>]*data-max-choices="3" data-max-message="' + MESSAGE + '"', page)
    reply = _send(client, code, page, ["1", "2", "3", "4"], headers)
    assert reply.status_code == 400
    assert "X-Rootcause-Location" not in reply.headers
    html = reply.text
    assert f'<p class="err" id="q-main_obstacles-err">{MESSAGE}</p>' in html
    assert html.index('id="errors"') < html.index('id="q-main_obstacles-1"')
    assert response_count(db, "complete") == 0
    # Three are fine, and the last page completes the questionnaire.
    reply = _send(client, code, reply.text, ["1", "2", "3"], headers)
    assert reply.status_code == (200 if headers else 303), reply.text
    assert response_count(db, "complete") == 1
