"""Built-in instruments change only as new versions: a shipped version's content is recorded,
and `rootcause init` adds a new version beside the old one, which campaigns keep fielding."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.io.yaml_io import read_yaml, to_data
from instruments.library import builtin, builtin_instruments
from instruments.schema import Instrument
from surveys import drafts
from surveys import models as m
from surveys.campaigns import create_campaign
from surveys.instrument_store import (
    checksum,
    latest_version,
    load_builtin_instruments,
    store_instrument,
)
from tests.factories import TODAY, make_school
from web.cli import main

#: the versions of the built-in files as shipped, by their content: installations hold them
#: and campaigns field them, so a shipped version never changes. Changing a built-in file
#: means raising its ``version`` and adding the new line here.
SHIPPED = {
    ("administration", 1): "2f7ea73e3b20f9d7ff0bcb111d3cb96e47bf915fd16711a68814079640e81c1a",
    ("parent", 1): "24cada1d00ffb9f6c7c0eced9e0585bcd467ee5dbee12d71acbf6768b647b5b9",
    ("parent", 2): "043fe8b90297496bc3ec3e1cf4bea4964a3f973f2da19171c913d8c3b277d1f6",
    ("student_2_4", 1): "96699ab9abfde668d66b6d85d50590db4981a042fdfbbdee95e20b84706e8148",
    ("student_5_11", 3): "105f94ace390efed311d37bbdec5d652d2e6cc91fafc47216b1dddb71be07be2",
    ("specialist", 1): "b89cb051bdb0195dd20e853c5c6d4bda5235bcd14bdb29fd2024e81af202d122",
    ("teacher", 1): "39fb34222c7ac863901be2763f24bdd1f06e1856449a3ebd0fb95f53d479ec90",
    ("teacher", 2): "ce44022a2a23d39a486ef8cd94de3aa7ad6c3915999a0c9fd932790f557fec1a",
}
#: the first versions of the parent and teacher forms as shipped, as installations hold them
OLD = Path(__file__).resolve().parents[1] / "data" / "library_v1"


def _old(code: str) -> Instrument:
    return read_yaml(OLD / f"{code}.yaml")


def test_a_changed_built_in_file_is_a_new_version() -> None:
    for instrument in builtin_instruments():
        key = (instrument.code, instrument.version)
        digest = checksum(to_data(instrument))
        assert key in SHIPPED, (
            f"{instrument.code} version {instrument.version} is not recorded: add it to SHIPPED "
            "once the file is final"
        )
        assert SHIPPED[key] == digest, (
            f"{instrument.code} version {instrument.version} changed after it was shipped: "
            "raise its version number instead"
        )
    for code in ("parent", "teacher"):
        old = _old(code)
        assert SHIPPED[(code, old.version)] == checksum(to_data(old))


def test_init_adds_the_new_versions_and_campaigns_keep_theirs(cli_env: str, db: Session) -> None:
    # An installation from before: the first versions stored, a campaign fielding them.
    old = {code: store_instrument(db, _old(code), builtin=True) for code in ("parent", "teacher")}
    school = make_school(db)
    district = db.get(m.District, school.district_id)
    assert district is not None
    campaign = create_campaign(
        db,
        district=district,
        title="Волна до обновления",
        opens_on=TODAY,
        closes_on=TODAY,
        schools=[school],
        fieldings=old,
    )
    db.add(
        m.Response(
            submission_id="00000000-0000-4000-8000-000000000001",
            campaign_id=campaign.id,
            school_id=school.id,
            audience="parent",
            instrument_version_id=old["parent"].id,
            answers={"child_grade": 7, "ts_1": 3},
            status=m.ResponseStatus.complete.value,
            submitted_on=TODAY,
        )
    )
    before = {code: (v.id, v.checksum, dict(v.definition)) for code, v in old.items()}
    db.commit()

    runner = CliRunner()
    for _ in range(2):  # the second run finds everything stored
        result = runner.invoke(main, ["init"])
        assert result.exit_code == 0, result.output
    db.expire_all()
    for code in ("parent", "teacher"):
        versions = db.scalars(
            select(m.InstrumentVersion)
            .join(m.Instrument)
            .where(m.Instrument.code == code)
            .order_by(m.InstrumentVersion.version)
        ).all()
        assert [v.version for v in versions] == [1, 2]
        first, second = versions
        assert (first.id, first.checksum, first.definition) == before[code]
        assert second.status == "published"
        assert second.checksum == SHIPPED[(code, 2)]
        assert latest_version(db, code).id == second.id  # new campaigns get the new version
    fielded = db.scalars(
        select(m.Fielding.instrument_version_id).where(m.Fielding.campaign_id == campaign.id)
    ).all()
    assert sorted(fielded) == sorted(v for v, _, _ in before.values())
    stored = db.scalars(select(m.Response.instrument_version_id)).all()
    assert stored == [before["parent"][0]]


def test_a_psychologists_version_with_the_same_number_does_not_stop_init(db: Session) -> None:
    store_instrument(db, _old("parent"), builtin=True)
    draft = drafts.start_draft(db, "parent")  # the psychologist's version 2, a draft
    assert draft.version == 2
    draft_state = (draft.id, draft.checksum)
    first = {v.id for v in load_builtin_instruments(db)}
    again = {v.id for v in load_builtin_instruments(db)}
    assert first == again  # found by its content the second time
    shipped = db.scalars(
        select(m.InstrumentVersion)
        .join(m.Instrument)
        .where(m.Instrument.code == "parent", m.InstrumentVersion.version == 3)
    ).one()
    assert shipped.status == "published"
    assert shipped.definition["version"] == 3
    assert {k: v for k, v in shipped.definition.items() if k != "version"} == {
        k: v for k, v in to_data(builtin("parent")).items() if k != "version"
    }
    db.refresh(draft)
    assert (draft.id, draft.checksum, draft.status) == (*draft_state, "draft")


def test_fresh_install_has_the_library_versions(db: Session) -> None:
    stored = load_builtin_instruments(db)
    assert [v.version for v in stored] == [i.version for i in builtin_instruments()]
    assert {checksum(v.definition) for v in stored} == {
        SHIPPED[(i.code, i.version)] for i in builtin_instruments()
    }
