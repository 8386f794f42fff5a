"""web.reference_cache: a campaign's answers are loaded once for all its schools' references
and loaded again as soon as what they depend on changes (a new complete response, a setting)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from analysis.report import ReferenceModel
from analysis.report.charts import ChartMedia
from analysis.report.html import render_html
from surveys import models as m
from tests.factories import link_for, make_campaign, make_district, make_response, make_school
from web import disk_cache, reference_cache
from web.reporting import school_reference

TEACHER_SCALE = "burnout"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _empty() -> Iterator[None]:
    reference_cache.clear()
    yield
    reference_cache.clear()


def _answers(rng: np.random.Generator) -> dict[str, int]:
    from instruments.library import builtin

    teacher = builtin("teacher")
    out = {}
    for item in teacher.items():
        if item.type.value in ("likert", "single") and item.options:
            out[item.code] = int(rng.integers(1, len(item.options) + 1))
    return out


def _scenario(db: Session) -> tuple[m.Campaign, list[m.School]]:
    district = make_district(db, name="Район кэша")
    schools = [make_school(db, district, code=code) for code in ("K1", "K2", "K3")]
    campaign = make_campaign(db, schools, audiences={"teacher": "teacher"}, min_group_size=3)
    rng = np.random.default_rng(5)
    for school in schools:
        link = link_for(db, campaign, school, "teacher")
        for _ in range(6):
            make_response(db, link, answers=_answers(rng))
    db.commit()
    return campaign, schools


def _teachers(model: ReferenceModel) -> int:
    return next(s.n_responses for s in model.sections if s.audience == "teacher")


def test_answers_are_loaded_once_for_every_school_of_the_campaign(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, _schools = _scenario(db)
    loads: list[int] = []
    real = reference_cache.campaign_answers

    def counting(session, campaign_id, forms=None, **kwargs):  # type: ignore[no-untyped-def]
        loads.append(campaign_id)
        return real(session, campaign_id, forms, **kwargs)

    monkeypatch.setattr(reference_cache, "campaign_answers", counting)
    first = school_reference(db, campaign.id, "K1")
    store = reference_cache.campaign_entry(db, campaign).store
    misses = store.misses
    second = school_reference(db, campaign.id, "K2")
    again = school_reference(db, campaign.id, "K1")
    assert loads == [campaign.id]
    assert reference_cache.cached_campaigns() == 1
    # The second school computed nothing district-wide afresh; the first again nothing at all.
    assert store.misses == misses
    assert _teachers(first) == _teachers(second) == _teachers(again) == 6
    assert again == first


def test_a_new_response_or_a_changed_setting_loads_the_answers_again(db: Session) -> None:
    campaign, schools = _scenario(db)
    assert _teachers(school_reference(db, campaign.id, "K1")) == 6
    before = reference_cache.campaign_entry(db, campaign)

    make_response(db, link_for(db, campaign, schools[0], "teacher"), answers={})
    db.commit()
    assert _teachers(school_reference(db, campaign.id, "K1")) == 7
    after = reference_cache.campaign_entry(db, campaign)
    assert after is not before

    campaign.min_group_size = 10  # every school now under the minimum
    db.commit()
    model = school_reference(db, campaign.id, "K1")
    assert reference_cache.campaign_entry(db, campaign) is not after
    assert model.min_group_size == 10


def test_a_partial_response_leaves_the_entry_alone(db: Session) -> None:
    campaign, schools = _scenario(db)
    school_reference(db, campaign.id, "K2")
    entry = reference_cache.campaign_entry(db, campaign)
    make_response(
        db,
        link_for(db, campaign, schools[1], "teacher"),
        status=m.ResponseStatus.partial.value,
    )
    db.commit()
    assert reference_cache.campaign_entry(db, campaign) is entry


# -- the analysis kept on disk for the next process -------------------------------------------


def _disk_files() -> list[Path]:
    folder = disk_cache.cache_dir()
    assert folder is not None
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def _without_disk(monkeypatch: pytest.MonkeyPatch, db: Session, campaign_id: int) -> dict:
    """Every school's model computed from the database alone, as the reference to compare."""
    with monkeypatch.context() as patch:
        patch.setenv(disk_cache.CACHE_DIR_ENV, "off")
        reference_cache.clear()
        models = {code: school_reference(db, campaign_id, code) for code in ("K1", "K2")}
        assert disk_cache.cache_dir() is None
    reference_cache.clear()
    return models


def _no_database_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the answers were read from the database, not from disk")

    monkeypatch.setattr(reference_cache, "campaign_answers", refuse)


def test_the_next_process_starts_from_the_analysis_on_disk(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, _schools = _scenario(db)
    expected = _without_disk(monkeypatch, db, campaign.id)

    first = school_reference(db, campaign.id, "K1")
    (path,) = _disk_files()
    assert path.stat().st_mode & 0o777 == 0o600
    assert first == expected["K1"]
    written = path.stat().st_mtime_ns

    reference_cache._cache.clear()  # as a new process finds it
    _no_database_answers(monkeypatch)
    again = school_reference(db, campaign.id, "K1")
    entry = reference_cache.campaign_entry(db, campaign)
    assert entry.path == path and entry.saved == len(entry.store.results) - entry.store.misses
    assert entry.store.hits > 0 and entry.store.misses == 0
    assert again == expected["K1"]
    assert school_reference(db, campaign.id, "K2") == expected["K2"]
    # Read, not written again: what a later school adds is its own part.
    assert _disk_files() == [path] and path.stat().st_mtime_ns == written


def test_a_fresh_interpreter_finds_every_district_result_on_disk(
    db: Session, database_url: str, tmp_path: Path
) -> None:
    """In another process (another hash seed, other object ids) the store's keys still match:
    the district's results are all read, none computed again, and the text is the same."""
    campaign, _schools = _scenario(db)
    school_reference(db, campaign.id, "K1")
    assert len(_disk_files()) == 1
    script = tmp_path / "child.py"
    script.write_text(
        "import sys\n"
        "from sqlalchemy.orm import Session\n"
        "from surveys.db import make_engine\n"
        "from web import reference_cache\n"
        "from web.reporting import school_reference\n"
        "from surveys.campaigns import get_campaign\n"
        "from analysis.report.charts import ChartMedia\n"
        "from analysis.report.html import render_html\n"
        "def refuse(*a, **k):\n"
        "    raise SystemExit('answers read from the database')\n"
        "reference_cache.campaign_answers = refuse\n"
        "with Session(make_engine(sys.argv[1])) as session:\n"
        "    model = school_reference(session, int(sys.argv[2]), 'K2')\n"
        "    store = reference_cache.campaign_entry(\n"
        "        session, get_campaign(session, int(sys.argv[2]))\n"
        "    ).store\n"
        "print(store.misses)\n"
        "sys.stdout.write(render_html(model, ChartMedia()))\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script), database_url, str(campaign.id)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    misses, page = done.stdout.split("\n", 1)
    store = reference_cache.campaign_entry(db, campaign).store
    before = store.misses
    expected = render_html(school_reference(db, campaign.id, "K2"), ChartMedia())
    # Only K2's own part was computed there (as here, where K1 came first).
    assert int(misses) == store.misses - before
    assert page == expected


def test_an_unreadable_file_is_computed_again_and_replaced(
    db: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    campaign, _schools = _scenario(db)
    expected = _without_disk(monkeypatch, db, campaign.id)
    school_reference(db, campaign.id, "K1")
    (path,) = _disk_files()
    path.write_bytes(b"not a pickle")
    reference_cache._cache.clear()
    assert school_reference(db, campaign.id, "K1") == expected["K1"]
    assert "не читается" in caplog.text
    (path2,) = _disk_files()
    assert path2 == path and path.read_bytes() != b"not a pickle"


def test_other_code_or_another_database_never_reads_the_file(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, _schools = _scenario(db)
    school_reference(db, campaign.id, "K1")
    (path,) = _disk_files()
    reference_cache._cache.clear()
    monkeypatch.setattr(reference_cache, "code_version", lambda: "другая версия кода")
    school_reference(db, campaign.id, "K1")
    assert len(_disk_files()) == 2 and path in _disk_files()


def test_off_keeps_nothing_on_disk_and_only_the_newest_files_are_kept(
    db: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    campaign, _schools = _scenario(db)
    monkeypatch.setenv(disk_cache.CACHE_DIR_ENV, "off")
    school_reference(db, campaign.id, "K1")
    assert reference_cache.campaign_entry(db, campaign).path is None

    monkeypatch.setattr(reference_cache, "DISK_ENTRIES", 2)
    for n in range(3):
        reference_cache._write(tmp_path / f"{n}.pickle", b"x")
        os.utime(tmp_path / f"{n}.pickle", (n, n))
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == ["1.pickle", "2.pickle"]
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_a_folder_others_may_write_in_is_never_used(
    db: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A pickle is code: files another user could have put there are never read."""
    campaign, _schools = _scenario(db)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(disk_cache.CACHE_DIR_ENV, str(shared))
    school_reference(db, campaign.id, "K1")
    assert reference_cache.campaign_entry(db, campaign).path is None
    assert not list(shared.iterdir())
    assert "может писать другой пользователь" in caplog.text


def test_compiled_templates_are_kept_and_a_damaged_one_is_compiled_again(
    db: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from analysis.report import html

    campaign, _schools = _scenario(db)
    monkeypatch.setenv(disk_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(html._env, "bytecode_cache", None)
    monkeypatch.setattr(html._env, "cache", None)  # every template compiled or loaded anew
    reference_cache.keep_compiled_templates.cache_clear()
    try:
        page = render_html(school_reference(db, campaign.id, "K1"), ChartMedia())
        compiled = sorted((tmp_path / "cache" / "templates").iterdir())
        assert compiled and all(p.stat().st_size > 0 for p in compiled)
        for path in compiled:
            path.write_bytes(path.read_bytes()[:40])  # cut short
        assert render_html(school_reference(db, campaign.id, "K1"), ChartMedia()) == page
        (tmp_path / "cache" / "templates").rename(tmp_path / "gone")  # removed meanwhile
        assert render_html(school_reference(db, campaign.id, "K1"), ChartMedia()) == page
    finally:
        reference_cache.keep_compiled_templates.cache_clear()


def test_a_one_shot_command_keeps_its_schools_part_on_disk_too(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, _schools = _scenario(db)
    school_reference(db, campaign.id, "K1")
    (path,) = _disk_files()
    written = path.stat().st_mtime_ns
    entry = reference_cache.campaign_entry(db, campaign)
    entry.store.results[("a school's own part",)] = 1.0  # what K2 would add
    reference_cache.persist(entry)  # a web worker: kept in memory only
    assert path.stat().st_mtime_ns == written
    reference_cache.persist(entry, again=True)  # the command line: written
    assert path.stat().st_mtime_ns != written
    written = path.stat().st_mtime_ns
    reference_cache.persist(entry, again=True)  # nothing new: nothing written
    assert path.stat().st_mtime_ns == written

    reference_cache._cache.clear()  # the same command again: nothing left to compute
    _no_database_answers(monkeypatch)
    school_reference(db, campaign.id, "K3", one_shot=True)
    again = reference_cache.campaign_entry(db, campaign).store
    assert again.results[("a school's own part",)] == 1.0
    school_reference(db, campaign.id, "K1", one_shot=True)
    assert again.misses == 0
