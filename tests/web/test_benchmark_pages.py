"""The campaign page's comparison settings (benchmark, previous wave) and the dynamics they add
to a school's reference: roles, CSRF, district scoping, and a planted change found."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import numpy as np
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.benchmarks import freeze_benchmark
from surveys.campaigns import create_campaign
from surveys.demo import DemoDistrict, generate_demo
from surveys.demo_answers import simulate_answers
from surveys.instrument_store import instrument_of
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_campaign, make_school, make_user

DAY = dt.date.today()


def _sign_in(client: FlaskClient, login: str) -> None:
    token = csrf_token(client.get("/login").text)
    data = {"login": login, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302


def _district_name(db: Session, demo: DemoDistrict) -> str:
    district = db.get(m.District, demo.district_id)
    assert district is not None
    return district.name


def _campaign(db: Session, campaign_id: int) -> m.Campaign:
    db.expire_all()
    campaign = db.get(m.Campaign, campaign_id)
    assert campaign is not None
    return campaign


def _earlier_wave(db: Session, demo: DemoDistrict, *, unplanted: str) -> m.Campaign:
    """The wave before the demo's: the same answers in every school but ``unplanted``, whose
    respondents are simulated afresh without its planted cause (so the demo wave shows it
    appearing)."""
    campaign = _campaign(db, demo.campaign_id)
    district = db.get(m.District, demo.district_id)
    assert district is not None
    schools = list(db.scalars(select(m.School).where(m.School.district_id == district.id)))
    # Every form of the demo wave, the grades 2–4 and 5–11 students' forms included.
    versions = {
        v.id: v
        for v in db.scalars(
            select(m.InstrumentVersion)
            .join(m.Fielding, m.Fielding.instrument_version_id == m.InstrumentVersion.id)
            .where(m.Fielding.campaign_id == campaign.id)
        )
    }
    earlier = create_campaign(
        db,
        district=district,
        title="Диагностика прошлого года",
        opens_on=campaign.opens_on - dt.timedelta(days=365),
        closes_on=campaign.closes_on - dt.timedelta(days=365),
        schools=schools,
        fieldings=list(versions.values()),
        status=m.CampaignStatus.closed.value,
    )
    target = next(s for s in schools if s.code == unplanted)
    rows: list[dict[str, Any]] = []

    def row(
        school_id: int, audience: str, version_id: int, answers: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "submission_id": str(uuid.uuid4()),
            "campaign_id": earlier.id,
            "school_id": school_id,
            "audience": audience,
            "instrument_version_id": version_id,
            "answers": answers,
            "submitted_on": earlier.opens_on,
        }

    counts: dict[tuple[str, int], int] = {}
    # In id order, and the audiences sorted below: the random draws must not depend on the
    # order a back end happens to return rows in, or the two back ends test different data.
    responses = db.scalars(
        select(m.Response).where(m.Response.campaign_id == campaign.id).order_by(m.Response.id)
    )
    for response in responses:
        form = (response.audience, response.instrument_version_id)
        if response.school_id == target.id:
            counts[form] = counts.get(form, 0) + 1
        else:
            rows.append(row(response.school_id, *form, response.answers))
    risks = dict(demo.truth["risks"][unplanted])
    planted = demo.truth["planted"][unplanted]
    risks[planted] = 0.0
    rng = np.random.default_rng(7)
    # The grades 2–4 form draws from its own stream: the other forms' answers stay the same.
    primary_rng = np.random.default_rng(24)
    for (audience, version_id), n in sorted(counts.items()):
        instrument = instrument_of(versions[version_id])
        draw = primary_rng if instrument.grades == (2, 4) else rng
        low, high = instrument.grades or (5, 11)
        grades = draw.integers(low, high + 1, n) if audience in ("student", "parent") else None
        for answers in simulate_answers(instrument, n, risks, draw, grades=grades):
            rows.append(row(target.id, audience, version_id, answers))
    db.execute(insert(m.Response), rows)
    db.flush()
    return earlier


def _section(html: str, heading: str) -> str:
    start = html.index(heading)
    end = html.find("<h2", start + 1)
    return html[start : end if end > 0 else len(html)]


def _factor_row(section: str, title: str) -> str:
    match = re.search(rf"<tr>\s*<td>{re.escape(title)}</td>.*?</tr>", section, re.S)
    assert match is not None, f"no row for {title}"
    return match.group(0)


def test_coordinator_freezes_a_benchmark_and_compares_with_it(
    client: FlaskClient, db: Session
) -> None:
    demo = generate_demo(db, n_schools=4, with_users=False)
    coordinator = make_user(
        db, "coordinator", login="coord", district_name=_district_name(db, demo)
    )
    db.commit()
    _sign_in(client, "coord")
    page = client.get(f"/staff/campaigns/{demo.campaign_id}/").text
    assert (
        "относительно: школы кампании" in page
        and "Предыдущая волна для динамики: не задана" in page
    )
    assert "Зафиксировать как эталон" in page

    frozen = client.post(
        f"/staff/campaigns/{demo.campaign_id}/benchmark",
        data={"title": "Осень <2026>", "csrf_token": csrf_token(page)},
    )
    assert frozen.status_code == 302
    benchmark = db.scalars(select(m.Benchmark)).one()
    assert benchmark.title == "Осень <2026>" and benchmark.created_by == coordinator.id
    assert benchmark.district_id == demo.district_id

    page = client.get(f"/staff/campaigns/{demo.campaign_id}/").text
    assert "зафиксирован по 4 школам" in page
    assert f'<option value="{benchmark.id}">эталон «Осень &lt;2026&gt;»' in page
    chosen = client.post(
        f"/staff/campaigns/{demo.campaign_id}/comparison",
        data={"benchmark": str(benchmark.id), "previous": "", "csrf_token": csrf_token(page)},
    )
    assert chosen.status_code == 302
    campaign = _campaign(db, demo.campaign_id)
    assert campaign.benchmark_id == benchmark.id and campaign.previous_campaign_id is None
    actions = db.execute(
        select(m.AuditEvent.action, m.AuditEvent.user_id).where(
            m.AuditEvent.action.in_(["benchmark_frozen", "campaign_reference_set"])
        )
    ).all()
    assert sorted(actions) == [
        ("benchmark_frozen", coordinator.id),
        ("campaign_reference_set", coordinator.id),
    ]
    page = client.get(f"/staff/campaigns/{demo.campaign_id}/").text
    assert "относительно: эталон «Осень &lt;2026&gt;», зафиксирован" in page
    assert f'<option selected value="{benchmark.id}">' in page

    reference = client.get(f"/staff/campaigns/{demo.campaign_id}/schools/S001/reference.html").text
    frozen_on = benchmark.created_at.strftime("%d.%m.%Y")
    assert f"в сравнении с эталоном «Осень &lt;2026&gt;», зафиксированным {frozen_on}" in reference

    # Back to the campaign's own schools; an unchanged setting records nothing.
    client.post(
        f"/staff/campaigns/{demo.campaign_id}/comparison",
        data={"benchmark": "", "previous": "", "csrf_token": csrf_token(page)},
    )
    client.post(
        f"/staff/campaigns/{demo.campaign_id}/comparison",
        data={"benchmark": "", "previous": "", "csrf_token": csrf_token(page)},
    )
    assert _campaign(db, demo.campaign_id).benchmark_id is None
    assert (
        len(
            db.scalars(
                select(m.AuditEvent).where(m.AuditEvent.action == "campaign_reference_set")
            ).all()
        )
        == 2
    )


def test_without_csrf_or_the_role_nothing_changes(client: FlaskClient, db: Session) -> None:
    demo = generate_demo(db, n_schools=4, with_users=False)
    benchmark = freeze_benchmark(db, demo.campaign_id, "Эталон")
    district = _district_name(db, demo)
    make_user(db, "coordinator", login="coord", district_name=district)
    make_user(db, "deputy", login="zam", school_code="S001")
    make_user(db, "psychologist", login="psy", district_name=district)
    db.commit()
    url = f"/staff/campaigns/{demo.campaign_id}"

    _sign_in(client, "coord")
    refused = client.post(f"{url}/comparison", data={"benchmark": str(benchmark.id)})
    assert refused.status_code == 400
    assert client.post(f"{url}/benchmark", data={"title": "Без токена"}).status_code == 400
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff/").text)})

    for login in ("zam", "psy"):
        _sign_in(client, login)
        page = client.get(f"{url}/").text
        assert "относительно: школы кампании" in page  # they see the choice...
        assert "Изменить сравнение" not in page and f"{url}/comparison" not in page
        token = csrf_token(page)
        data = {"benchmark": str(benchmark.id), "previous": "", "csrf_token": token}
        assert client.post(f"{url}/comparison", data=data).status_code == 403  # ...not change it
        freeze = {"title": "X", "csrf_token": token}
        assert client.post(f"{url}/benchmark", data=freeze).status_code == 403
        client.post("/logout", data={"csrf_token": token})

    assert _campaign(db, demo.campaign_id).benchmark_id is None
    assert db.scalars(select(m.Benchmark.title)).all() == ["Эталон"]


def test_other_districts_benchmarks_and_campaigns_are_refused(
    client: FlaskClient, db: Session
) -> None:
    demo = generate_demo(db, n_schools=4, with_users=False)
    foreign_school = make_school(db, code="F01")
    foreign = make_campaign(db, [foreign_school], opens_on=DAY - dt.timedelta(days=400))
    foreign_benchmark = m.Benchmark(
        district_id=foreign.district_id, title="Чужой", source_campaign_id=foreign.id, stats={}
    )
    db.add(foreign_benchmark)
    make_user(db, "coordinator", login="coord", district_name=_district_name(db, demo))
    db.commit()
    url = f"/staff/campaigns/{demo.campaign_id}"
    _sign_in(client, "coord")
    page = client.get(f"{url}/").text
    assert "Чужой" not in page
    token = csrf_token(page)

    wrong = client.post(
        f"{url}/comparison",
        data={"benchmark": str(foreign_benchmark.id), "previous": "", "csrf_token": token},
    )
    assert wrong.status_code == 400 and "другого района" in wrong.text
    wrong = client.post(
        f"{url}/comparison",
        data={"benchmark": "", "previous": str(foreign.id), "csrf_token": token},
    )
    assert wrong.status_code == 400 and "того же района" in wrong.text
    wrong = client.post(
        f"{url}/comparison", data={"benchmark": "x1", "previous": "", "csrf_token": token}
    )
    assert wrong.status_code == 400 and "Неверный номер" in wrong.text
    # The other district's campaign is not this coordinator's to see or to change.
    assert client.get(f"/staff/campaigns/{foreign.id}/").status_code == 404
    freeze = {"title": "Т", "csrf_token": token}
    assert client.post(f"/staff/campaigns/{foreign.id}/benchmark", data=freeze).status_code == 404
    campaign = _campaign(db, demo.campaign_id)
    assert campaign.benchmark_id is None and campaign.previous_campaign_id is None


def test_freezing_explains_what_is_missing(client: FlaskClient, db: Session) -> None:
    demo = generate_demo(db, n_schools=2, with_users=False)
    make_user(db, "admin", login="boss")
    db.commit()
    _sign_in(client, "boss")
    url = f"/staff/campaigns/{demo.campaign_id}"
    token = csrf_token(client.get(f"{url}/").text)
    empty = client.post(f"{url}/benchmark", data={"title": "", "csrf_token": token})
    assert empty.status_code == 400 and "Укажите название эталона" in empty.text
    few = client.post(f"{url}/benchmark", data={"title": "Два", "csrf_token": token})
    assert few.status_code == 400 and "таких школ: 2" in few.text
    assert db.scalars(select(m.Benchmark)).all() == []


def test_reference_shows_dynamics_since_the_previous_wave(client: FlaskClient, db: Session) -> None:
    """S003 has bullying planted in the demo wave, not in the wave before; S002 answered the
    same in both."""
    demo = generate_demo(db, n_schools=4, with_users=False)
    assert demo.truth["planted"]["S003"] == "wellbeing"
    earlier = _earlier_wave(db, demo, unplanted="S003")
    make_user(db, "coordinator", login="coord", district_name=_district_name(db, demo))
    db.commit()
    _sign_in(client, "coord")
    url = f"/staff/campaigns/{demo.campaign_id}"
    page = client.get(f"{url}/").text
    assert f'<option value="{earlier.id}">Диагностика прошлого года' in page
    saved = client.post(
        f"{url}/comparison",
        data={"benchmark": "", "previous": str(earlier.id), "csrf_token": csrf_token(page)},
    )
    assert saved.status_code == 302
    assert _campaign(db, demo.campaign_id).previous_campaign_id == earlier.id
    assert (
        "Предыдущая волна для динамики: «Диагностика прошлого года»" in client.get(f"{url}/").text
    )

    heading = "Динамика по сравнению с волной «Диагностика прошлого года»"
    reference = client.get(f"{url}/schools/S003/reference.html").text
    # the previous wave is named with its dates
    dates = f"{earlier.opens_on:%d.%m.%Y}–{earlier.closes_on:%d.%m.%Y}"
    assert f"{heading} ({dates})</h2>" in reference
    planted = _section(reference, heading)
    wellbeing = _factor_row(planted, "Школьное благополучие")
    assert "риск вырос" in wellbeing
    # Each indicator listed changed beyond noise: "before → after, change [low; high] — verdict".
    # Which of the factor's indicators (bullying, belonging, parents' safety concern) clears
    # the noise in a school of a few dozen respondents is left to the data; all that are
    # listed must be worsenings whose interval excludes zero.
    entries = re.findall(
        r"</span>: [^<]*?, ([+−][\d,]+)(?: п\. п\.)? \[([+−][\d,]+); ([+−][\d,]+)\] — ([^<]+)",
        wellbeing,
    )
    assert entries, wellbeing
    for *numbers, verdict in entries:
        change, low, high = (float(g.replace(",", ".").replace("−", "-")) for g in numbers)
        assert verdict.strip() == "ухудшение", wellbeing
        assert low <= change <= high and (low > 0 or high < 0), wellbeing

    unchanged = _section(client.get(f"{url}/schools/S002/reference.html").text, heading)
    rows = re.findall(r"<tr>\s*<td>[^<]+</td>.*?</tr>", unchanged, re.S)
    assert len(rows) >= 8
    assert all("без значимых изменений" in r for r in rows)
    verdicts = " ".join(rows)  # (the part's explanation names the verdicts too)
    assert "риск вырос" not in verdicts and "риск снизился" not in verdicts
