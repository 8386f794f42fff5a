"""Every route of the application against every role: the declared table of who gets what.

The table below names, for each endpoint, the status each role gets on its own objects, on
another school's of the same district and on another district's (addressed by id or code).
A test walks ``app.url_map``: a route missing from the table fails, so a new view cannot be
added without deciding who may use it. The access rules themselves live in
``surveys.access``; this file checks that every view asks them.

Requests are made as the signed-in user with CSRF checks off (CSRF has tests of its own) and,
for POST, an empty form: a role that may use the route gets past the access check and then
meets validation (400) or does the harmless thing an empty form asks (302); a role that may
not gets 403 (never for this role) or 404 (not in its scope: ids elsewhere are not probed).
Routes whose empty POST changes something run on a fresh world for each request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from surveys import access
from surveys import models as m
from surveys.db import make_sessionmaker
from surveys.instrument_store import latest_version
from surveys.tokens import issue_tokens, token_link
from tests.conftest import _empty_all_tables, make_app
from tests.factories import make_campaign, make_district, make_school

ROLES = ("anonymous", "deputy", "psychologist", "coordinator", "admin")
SCOPES = ("own", "other_school", "other_district")


@dataclass
class World:
    """Objects of three scopes as seen from the signed-in staff of district 1 (the deputy's
    school is school A): ``own`` (school A), ``other_school`` (school B, same district) and
    ``other_district`` (school C of district 2)."""

    users: dict[str, int] = field(default_factory=dict)
    district: dict[str, int] = field(default_factory=dict)
    school: dict[str, str] = field(default_factory=dict)
    campaign: dict[str, int] = field(default_factory=dict)
    # the campaign of the school's scope, for routes that name a campaign and a school
    school_campaign: dict[str, int] = field(default_factory=dict)
    link: dict[str, str] = field(default_factory=dict)
    token_link: dict[str, str] = field(default_factory=dict)
    target_user: dict[str, int] = field(default_factory=dict)
    version: int = 0
    draft: int = 0
    instrument: str = ""


def _user(db: Session, role: str, login: str, **scope: int | None) -> m.User:
    # No password: the tests sign in through the session, and hashing would cost seconds.
    user = m.User(login=login, password_hash="", role=role, full_name=login, **scope)
    db.add(user)
    db.flush()
    return user


def build_world(db: Session) -> World:
    w = World()
    d1 = make_district(db, name="Район один")
    d2 = make_district(db, name="Район два")
    a = make_school(db, d1, code="A01", name="Школа А")
    b = make_school(db, d1, code="B01", name="Школа Б")
    c = make_school(db, d2, code="C01", name="Школа В")
    own = make_campaign(db, [a, b], title="Кампания района один")
    only_b = make_campaign(db, [b], title="Кампания школы Б")
    far = make_campaign(db, [c], title="Кампания района два")
    w.district = {"own": d1.id, "other_school": d1.id, "other_district": d2.id}
    w.school = {"own": a.code, "other_school": b.code, "other_district": c.code}
    w.campaign = {"own": own.id, "other_school": only_b.id, "other_district": far.id}
    w.school_campaign = {"own": own.id, "other_school": own.id, "other_district": far.id}
    for scope, campaign, school in (
        ("own", own, a),
        ("other_school", own, b),
        ("other_district", far, c),
    ):
        link = db.query(m.SurveyLink).filter_by(campaign_id=campaign.id, school_id=school.id).one()
        w.link[scope] = link.code
        personal = token_link(db, link)
        issue_tokens(db, personal, 1)
        w.token_link[scope] = personal.code
    w.users = {
        "admin": _user(db, "admin", "admin").id,
        "coordinator": _user(db, "coordinator", "coordinator", district_id=d1.id).id,
        "psychologist": _user(db, "psychologist", "psychologist", district_id=d1.id).id,
        "deputy": _user(db, "deputy", "deputy", school_id=a.id, district_id=d1.id).id,
    }
    w.target_user = {
        "own": _user(db, "deputy", "deputy-a2", school_id=a.id, district_id=d1.id).id,
        "other_school": _user(db, "deputy", "deputy-b", school_id=b.id, district_id=d1.id).id,
        "other_district": _user(db, "deputy", "deputy-c", school_id=c.id, district_id=d2.id).id,
    }
    version = latest_version(db, "student_5_11")
    w.version = version.id
    w.instrument = "student_5_11"
    draft = m.InstrumentVersion(
        instrument_id=version.instrument_id,
        version=version.version + 1,
        status=m.VersionStatus.draft.value,
        definition=version.definition,
        checksum=version.checksum,
        source_text="",
    )
    db.add(draft)
    db.flush()
    w.draft = draft.id
    db.commit()
    return w


UrlFor = Callable[[World, str], str]


@dataclass(frozen=True)
class Route:
    """How to call one endpoint and what each role gets: one status for a route without
    an object, or three (own, other school, other district) separated by spaces."""

    method: str
    url: UrlFor
    expected: dict[str, str]
    scoped: bool = True
    #: an empty POST changes something: each request gets a fresh world
    mutates: bool = False


def staff(expected_for_staff: str, **overrides: str) -> dict[str, str]:
    """Anonymous visitors are sent to sign in; the same status for every staff role unless
    ``overrides`` says otherwise."""
    out = {"anonymous": "302"}
    out.update({role: expected_for_staff for role in ROLES if role != "anonymous"})
    out.update(overrides)
    return out


def managing(status: str) -> dict[str, str]:
    """Campaign settings: administrators anywhere, coordinators in their district."""
    return staff(
        NEVER,
        coordinator=f"{status} {status} 404",
        admin=f"{status} {status} {status}",
        anonymous=LOGIN,
    )


def public(status: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, status)


ALL = "200 200 200"
LOGIN = "302 302 302"
NEVER = "403 403 403"
#: statuses of a request turned away before it could change anything
REFUSED = {"400", "403", "404", "409"}
TABLE: dict[str, Route] = {}


def _fill() -> None:
    # Public pages.
    TABLE["public.index"] = Route("GET", lambda w, s: "/", public("200"), scoped=False)
    TABLE["public.healthz"] = Route("GET", lambda w, s: "/healthz", public("200"), scoped=False)
    TABLE["static"] = Route("GET", lambda w, s: "/static/app.css", public("200"), scoped=False)
    # The app's own plotly.js (web/chart_assets.py): a library, public like /static.
    TABLE["charts.plotly_js"] = Route(
        "GET", lambda w, s: "/assets/plotly-0123456789ab.min.js", public("200"), scoped=False
    )
    TABLE["auth.login"] = Route("GET", lambda w, s: "/login", public("200"), scoped=False)
    TABLE["auth.logout"] = Route(
        "POST", lambda w, s: "/logout", public("302"), scoped=False, mutates=True
    )
    TABLE["respond.questionnaire"] = Route("GET", lambda w, s: f"/s/{w.link[s]}", public(ALL))
    TABLE["respond.submit"] = Route("POST", lambda w, s: f"/s/{w.link[s]}", public("400 400 400"))
    TABLE["respond.thanks"] = Route("GET", lambda w, s: f"/s/{w.link[s]}/thanks", public(ALL))
    TABLE["respond.token"] = Route("GET", lambda w, s: f"/s/{w.token_link[s]}/token", public(ALL))

    # Designer: instruments are shared by the whole installation (no district).
    designers = staff("200", deputy="403", coordinator="403")
    TABLE["designer.index"] = Route("GET", lambda w, s: "/designer/", designers, scoped=False)
    TABLE["designer.new"] = Route(
        "POST",
        lambda w, s: "/designer/new",
        staff("302", deputy="403", coordinator="403"),
        scoped=False,
    )
    TABLE["designer.import_file"] = Route(
        "POST",
        lambda w, s: "/designer/import",
        staff("302", deputy="403", coordinator="403"),
        scoped=False,
    )
    TABLE["designer.start_draft"] = Route(
        "POST",
        lambda w, s: f"/designer/instruments/{w.instrument}/draft",
        staff("409", deputy="403", coordinator="403"),
        scoped=False,
        mutates=True,
    )
    TABLE["designer.version"] = Route(
        "GET", lambda w, s: f"/designer/versions/{w.version}", designers, scoped=False
    )
    TABLE["designer.check"] = Route(
        "POST", lambda w, s: f"/designer/versions/{w.draft}/check", designers, scoped=False
    )
    TABLE["designer.delete"] = Route(
        "POST",
        lambda w, s: f"/designer/versions/{w.draft}/delete",
        staff("302", deputy="403", coordinator="403"),
        scoped=False,
        mutates=True,
    )
    TABLE["designer.publish"] = Route(
        "POST",
        lambda w, s: f"/designer/versions/{w.draft}/publish",
        staff("400", deputy="403", coordinator="403"),
        scoped=False,
        mutates=True,
    )
    TABLE["designer.field"] = Route(
        "POST",
        lambda w, s: f"/designer/versions/{w.version}/field",
        staff("400", deputy="403", coordinator="403"),
        scoped=False,
    )
    TABLE["designer.diff"] = Route(
        "GET",
        lambda w, s: f"/designer/versions/{w.draft}/diff",
        staff("400", deputy="403", coordinator="403"),
        scoped=False,
    )
    TABLE["designer.export"] = Route(
        "GET", lambda w, s: f"/designer/versions/{w.version}/export.yaml", designers, scoped=False
    )
    TABLE["designer.preview"] = Route(
        "GET", lambda w, s: f"/designer/versions/{w.version}/preview", designers, scoped=False
    )
    TABLE["designer.render"] = Route(
        "GET", lambda w, s: f"/designer/versions/{w.version}/render", designers, scoped=False
    )
    TABLE["designer.psychometrics"] = Route(
        "GET", lambda w, s: f"/designer/versions/{w.version}/psychometrics", designers, scoped=False
    )

    # A school's pages: the deputy their own school, district staff their district.
    seen = staff("200 404 404", psychologist="200 200 404", coordinator="200 200 404")
    seen.update(admin=ALL, anonymous=LOGIN)
    # Class links and their enrolment (an empty class name is refused: 400).
    hand_out = staff("400 404 404", psychologist=NEVER, coordinator="400 400 404")
    hand_out.update(admin="400 400 400", anonymous=LOGIN)

    # Schools and references.
    TABLE["staff.schools"] = Route("GET", lambda w, s: "/staff/", staff("200"), scoped=False)
    TABLE["staff.school"] = Route("GET", lambda w, s: f"/staff/schools/{w.school[s]}", seen)
    TABLE["staff.reference"] = Route(
        "GET",
        lambda w, s: (
            f"/staff/campaigns/{w.school_campaign[s]}/schools/{w.school[s]}/reference.html"
        ),
        seen,
    )
    # The reference as DOCX (PDF: the same view, tests/web/test_reference_files.py).
    TABLE["staff.reference_file"] = Route(
        "GET",
        lambda w, s: (
            f"/staff/campaigns/{w.school_campaign[s]}/schools/{w.school[s]}/reference.docx"
        ),
        seen,
    )
    TABLE["staff.factor_scores_download"] = Route(
        "GET",
        lambda w, s: f"/staff/campaigns/{w.school_campaign[s]}/schools/{w.school[s]}/factors.csv",
        seen,
    )
    TABLE["staff.results"] = Route(
        "GET",
        lambda w, s: "/staff/results",
        staff("200", deputy="403", psychologist="403"),
        scoped=False,
    )

    # Campaigns.
    TABLE["staff.campaigns"] = Route(
        "GET", lambda w, s: "/staff/campaigns/", staff("200"), scoped=False
    )
    TABLE["staff.new_campaign"] = Route(
        "GET",
        lambda w, s: "/staff/campaigns/new",
        staff("200", deputy="403", psychologist="403"),
        scoped=False,
    )
    TABLE["staff.campaign"] = Route(
        "GET",
        lambda w, s: f"/staff/campaigns/{w.campaign[s]}/",
        staff(
            "200 404 404",
            psychologist="200 200 404",
            coordinator="200 200 404",
            admin=ALL,
            anonymous=LOGIN,
        ),
    )
    # An empty form: the status view asks which status (400), the others keep the settings.
    for endpoint, tail, managed in (
        ("staff.campaign_status", "status", managing("400")),
        ("staff.campaign_quality", "quality", managing("302")),
        ("staff.campaign_comparison", "comparison", managing("302")),
        ("staff.freeze_campaign", "benchmark", managing("400")),
    ):
        TABLE[endpoint] = Route(
            "POST", lambda w, s, tail=tail: f"/staff/campaigns/{w.campaign[s]}/{tail}", managed
        )

    # Respondent-level exports of a campaign's forms (surveys.access.can_export_responses):
    # never a deputy, the district's coordinators and psychologists, administrators anywhere.
    exporting = staff(NEVER, psychologist="200 200 404", coordinator="200 200 404")
    exporting.update(admin=ALL, anonymous=LOGIN)
    TABLE["staff.campaign_exports"] = Route(
        "GET", lambda w, s: f"/staff/campaigns/{w.campaign[s]}/exports/", exporting
    )
    TABLE["staff.export_file"] = Route(
        "GET",
        lambda w, s: f"/staff/campaigns/{w.campaign[s]}/exports/student_5_11/answers.sav",
        exporting,
    )

    # Links of a school in a campaign.
    def link_url(tail: str) -> UrlFor:
        return lambda w, s: f"/staff/campaigns/{w.school_campaign[s]}/links/{w.link[s]}/{tail}"

    TABLE["staff.link_qr"] = Route("GET", lambda w, s: f"/staff/links/{w.link[s]}/qr.svg", seen)
    TABLE["staff.poster"] = Route("GET", link_url("poster.pdf"), seen)
    TABLE["staff.add_class_link"] = Route("POST", link_url("class"), hand_out)
    TABLE["staff.class_link_enrolment"] = Route("POST", link_url("enrolment"), hand_out)
    TABLE["staff.slips"] = Route(
        "POST",
        link_url("slips"),
        staff(
            "200 404 404", psychologist=NEVER, coordinator="200 200 404", admin=ALL, anonymous=LOGIN
        ),
    )

    # Districts and schools (administration).
    school_admins = {"deputy": "403", "psychologist": "403"}
    TABLE["staff.manage_schools"] = Route(
        "GET", lambda w, s: "/staff/manage/schools", staff("200", **school_admins), scoped=False
    )
    TABLE["staff.add_district"] = Route(
        # an empty name: the administrator meets validation; only administrators create districts
        "POST",
        lambda w, s: "/staff/manage/districts",
        staff("403", admin="400"),
        scoped=False,
    )
    TABLE["staff.new_school"] = Route(
        "GET", lambda w, s: "/staff/manage/schools/new", staff("200", **school_admins), scoped=False
    )
    TABLE["staff.edit_school"] = Route(
        "GET",
        lambda w, s: f"/staff/manage/schools/{w.school[s]}/edit",
        staff(
            "200 200 200",
            coordinator="200 200 404",
            deputy="403 403 403",
            psychologist="403 403 403",
            anonymous="302 302 302",
        ),
    )
    TABLE["staff.school_active"] = Route(
        # an empty form deactivates the school
        "POST",
        lambda w, s: f"/staff/manage/schools/{w.school[s]}/active",
        staff(
            "302 302 302",
            coordinator="302 302 404",
            deputy="403 403 403",
            psychologist="403 403 403",
            anonymous="302 302 302",
        ),
        mutates=True,
    )
    TABLE["staff.import_schools_preview"] = Route(
        # no file: the form is refused
        "POST",
        lambda w, s: "/staff/manage/schools/import",
        staff("400", **school_admins),
        scoped=False,
    )
    TABLE["staff.import_schools_confirm"] = Route(
        # an empty payload is an empty table: refused
        "POST",
        lambda w, s: "/staff/manage/schools/import/confirm",
        staff("400", **school_admins),
        scoped=False,
    )
    TABLE["staff.schools_template_download"] = Route(
        "GET",
        lambda w, s: "/staff/manage/schools/template.xlsx",
        staff("200", **school_admins),
        scoped=False,
    )

    # Accounts and the audit log.
    managers = {"deputy": "403 403 403", "psychologist": "403 403 403"}
    TABLE["auth.change_password"] = Route(
        "GET", lambda w, s: "/account/password", staff("200"), scoped=False
    )
    TABLE["auth.set_password_by_link"] = Route(
        "GET", lambda w, s: "/set-password?t=unknown", public("404"), scoped=False
    )
    TABLE["staff.users"] = Route(
        "GET",
        lambda w, s: "/staff/users/",
        staff("200", deputy="403", psychologist="403"),
        scoped=False,
    )
    TABLE["staff.user_new"] = Route(
        "GET",
        lambda w, s: "/staff/users/new",
        staff("200", deputy="403", psychologist="403"),
        scoped=False,
    )
    TABLE["staff.user_edit"] = Route(
        "GET",
        lambda w, s: f"/staff/users/{w.target_user[s]}/",
        staff("200 200 200", coordinator="200 200 404", anonymous="302 302 302", **managers),
    )
    TABLE["staff.user_active"] = Route(
        "POST",
        lambda w, s: f"/staff/users/{w.target_user[s]}/active",
        staff("302 302 302", coordinator="302 302 404", anonymous="302 302 302", **managers),
        mutates=True,
    )
    TABLE["staff.user_reset_password"] = Route(
        "POST",
        lambda w, s: f"/staff/users/{w.target_user[s]}/reset-password",
        staff("200 200 200", coordinator="200 200 404", anonymous="302 302 302", **managers),
        mutates=True,
    )
    TABLE["staff.audit_log"] = Route(
        "GET", lambda w, s: "/staff/audit/", staff("403", admin="200"), scoped=False
    )
    TABLE["staff.audit_csv"] = Route(
        "GET", lambda w, s: "/staff/audit/audit.csv", staff("403", admin="200"), scoped=False
    )

    # The POST of the pages that are a form (their GET rows are above): an empty form is
    # refused by validation (400) once the access check is passed, so nothing changes.
    TABLE["respond.token:POST"] = Route(
        "POST", lambda w, s: f"/s/{w.token_link[s]}/token", public("400 400 400")
    )
    TABLE["auth.login:POST"] = Route("POST", lambda w, s: "/login", public("400"), scoped=False)
    TABLE["auth.change_password:POST"] = Route(
        "POST", lambda w, s: "/account/password", staff("400"), scoped=False
    )
    TABLE["auth.set_password_by_link:POST"] = Route(
        # no link: nothing to set a password for
        "POST",
        lambda w, s: "/set-password",
        public("404"),
        scoped=False,
    )
    TABLE["designer.version:POST"] = Route(
        "POST",
        lambda w, s: f"/designer/versions/{w.draft}",
        staff("400", deputy="403", coordinator="403"),
        scoped=False,
    )
    TABLE["staff.new_campaign:POST"] = Route(
        # an administrator without a district named is asked which district (the form again)
        "POST",
        lambda w, s: "/staff/campaigns/new",
        staff("400", deputy="403", psychologist="403", admin="200"),
        scoped=False,
    )
    TABLE["staff.results:POST"] = Route(
        "POST",
        lambda w, s: "/staff/results",
        staff("400", deputy="403", psychologist="403"),
        scoped=False,
    )
    TABLE["staff.new_school:POST"] = Route(
        "POST",
        lambda w, s: "/staff/manage/schools/new",
        staff("400", **school_admins),
        scoped=False,
    )
    TABLE["staff.edit_school:POST"] = Route(
        "POST",
        lambda w, s: f"/staff/manage/schools/{w.school[s]}/edit",
        staff("400 400 400", coordinator="400 400 404", anonymous=LOGIN, **managers),
    )
    TABLE["staff.user_new:POST"] = Route(
        "POST",
        lambda w, s: "/staff/users/new",
        staff("400", deputy="403", psychologist="403"),
        scoped=False,
    )
    TABLE["staff.user_edit:POST"] = Route(
        "POST",
        lambda w, s: f"/staff/users/{w.target_user[s]}/",
        staff("400 400 400", coordinator="400 400 404", anonymous=LOGIN, **managers),
    )


_fill()


@dataclass
class Harness:
    app: Flask
    engine: Engine
    session: Session
    world: World | None = None

    def fresh(self) -> World:
        self.session.rollback()
        _empty_all_tables(self.engine)
        self.world = build_world(self.session)
        return self.world

    def current(self) -> World:
        return self.world or self.fresh()


@pytest.fixture(scope="module")
def harness(engine: Engine, database_url: str) -> Iterator[Harness]:
    """One world per back end, shared by the routes that change nothing."""
    app = make_app(engine, database_url, WTF_CSRF_ENABLED=False, RESPONDENT_FAST_PATH=False)
    session = make_sessionmaker(engine)()
    # Access is the question here, not printing: posters and slips skip Chromium.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("web.staff.links.html_to_pdf", lambda html, **_: b"%PDF-1.4 access test")
        yield Harness(app, engine, session)
    session.close()
    _empty_all_tables(engine)


def _client(app: Flask, world: World, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        with client.session_transaction() as flask_session:
            flask_session["user_id"] = world.users[role]
            flask_session["session_version"] = 0
    return client


def _status(app: Flask, world: World, role: str, route: Route, scope: str) -> str:
    client = _client(app, world, role)
    url = route.url(world, scope)
    response = client.open(url, method=route.method, data={} if route.method == "POST" else None)
    status = response.status_code
    response.close()
    if status == 302 and role != "anonymous":
        # A staff redirect to the sign-in page would mean the session was not accepted.
        assert "/login" not in response.headers.get("Location", ""), (role, url)
    return str(status)


def _routes(app: Flask) -> set[tuple[str, str]]:
    """Every endpoint × method the application answers (HEAD and OPTIONS aside)."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def _declared() -> set[tuple[str, str]]:
    """The endpoint × method of every row (a row's key is the endpoint, with ``:METHOD``
    after it for the second method of a form page)."""
    return {(key.split(":", 1)[0], route.method) for key, route in TABLE.items()}


def undeclared_routes(app: Flask) -> list[str]:
    """The routes of ``app`` the table has no row for, as ``METHOD endpoint``."""
    return sorted(f"{method} {endpoint}" for endpoint, method in _routes(app) - _declared())


def test_every_route_is_in_the_table(harness: Harness) -> None:
    missing = undeclared_routes(harness.app)
    assert not missing, f"routes without a declared access row in {__name__}: {missing}"
    stale = sorted(
        f"{method} {endpoint}" for endpoint, method in _declared() - _routes(harness.app)
    )
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_a_route_added_without_a_row_is_caught(engine: Engine, database_url: str) -> None:
    """The check above fails for a new view nobody declared, and for a method added to a
    declared view (a GET page that starts taking POST)."""
    app = make_app(engine, database_url)
    before = set(undeclared_routes(app))  # empty, unless the test above fails too

    @app.route("/staff/undeclared")
    def undeclared() -> str:
        return "?"

    app.add_url_rule("/staff/audit/", "staff.audit_log", methods=["POST"])
    added = set(undeclared_routes(app)) - before
    assert added == {"GET undeclared", "POST staff.audit_log"}


@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_route_access(endpoint: str, harness: Harness) -> None:
    route = TABLE[endpoint]
    world = harness.current()
    got: dict[str, str] = {}
    for role in ROLES:
        statuses = []
        for scope in SCOPES if route.scoped else ("own",):
            status = _status(harness.app, world, role, route, scope)
            statuses.append(status)
            turned_away = status in REFUSED or (role == "anonymous" and status == "302")
            if route.mutates and not turned_away:
                # It may have changed something: the next request starts afresh.
                world = harness.fresh()
        got[role] = " ".join(statuses)
    if os.environ.get("ROUTE_ACCESS_PROBE"):
        print(f"\nPROBE {endpoint} {got}")
        return
    assert got == route.expected, f"{endpoint}: got {got}"


def test_views_name_their_roles_by_the_access_module() -> None:
    """Which roles open a page is a rule of surveys.access too: no view lists role names of
    its own in ``requires_role(...)``."""
    web = Path(__file__).resolve().parents[2] / "web"
    literal = re.compile(r"requires_role\(\s*[\"']")
    offenders = [
        f"{path.relative_to(web.parent)}:{number}"
        for path in sorted(web.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert not offenders, f"roles named outside surveys.access: {offenders}"


def test_a_staff_view_must_take_the_signed_in_user() -> None:
    """requires_role hands the view its account (never None): a view that does not take it
    is refused when the application is built, not when someone first opens it."""
    from web.auth import requires_role

    def no_user() -> str:
        return "?"

    with pytest.raises(TypeError, match="no_user: a staff view takes the signed-in `user`"):
        requires_role(*access.MANAGERS)(no_user)
