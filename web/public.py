"""Public pages: the landing page with the districts and schools taking part."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from surveys import models as m
from web.db import get_session

bp = Blueprint("public", __name__)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    db = get_session()
    districts = db.scalars(select(m.District).order_by(m.District.name)).all()
    schools = db.scalars(select(m.School).order_by(m.School.district_id, m.School.code)).all()
    by_district: dict[int, list[m.School]] = {}
    for school in schools:
        by_district.setdefault(school.district_id, []).append(school)
    return render_template("index.html", districts=districts, by_district=by_district)


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    get_session().execute(select(1))
    return {"status": "ok"}
