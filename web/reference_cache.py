"""A campaign's answers and its district-wide analysis, kept in-process between references.

Every school's reference of a campaign compares the school with all the campaign's schools:
the answers of every form are loaded, scored, turned into indicators of every school, shrunk,
profiled and fed to the district model of causes. None of that depends on which school the
reference is for. So each worker process keeps, for the last ``CACHE_SIZE`` campaigns, the
loaded answers (this wave's and the previous wave's) and an :class:`analysis.memo.MemoStore`
holding the district-wide results (:mod:`analysis.memo`); the staff school page, the web
reference and its DOCX and PDF then cost the school's own part only.

A process that starts afresh (each ``rootcause report``, each new web worker) would pay for the
whole analysis again, seconds, so an entry is also written to disk after its first reference
(:func:`persist`: the answers and the store, pickled together so that the store's identity
keys find the very frames they name; :meth:`analysis.memo.MemoStore.snapshot`) and read back
by the next process whose key is the same. The file's name is a digest of the key, of the
database's URL and of :func:`code_version` (the analysis code and library versions), so a
change of any of them is never answered from an older file; the newest ``DISK_ENTRIES``
files are kept, readable by the instance's user only, in ``<instance>/cache/analysis`` or
``ROOTCAUSE_CACHE_DIR`` (``off`` keeps nothing on disk). They hold answers as the database
does, and are trusted as the SQLite file beside them is: only this code writes them.

An entry is keyed, as ``web.staff.factor_cache`` is, by what the answers depend on: the
campaign's forms (instrument versions) and settings (``exclude_flagged``, ``min_group_size``,
the previous wave), and a fingerprint of the complete responses of the campaign and of its
previous wave (count, largest id, sum of ids, smallest and largest submission id: complete
responses are only ever added or removed, so any change of the set changes the key). Reading
the fingerprint is one aggregate query per campaign. What is cheap and may change by itself
(assessment results, the schools' status, the frozen benchmark chosen, enrolment and
response counts for the title block) is read for every reference and is not part of the key:
:mod:`analysis.memo` keys such small tables by their content.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session

from analysis.memo import MemoStore
from surveys import models as m
from surveys.benchmarks import Answers, campaign_answers
from surveys.campaign_forms import FieldedForm, campaign_forms
from surveys.dataset import responses_fingerprint
from web.disk_cache import cache_dir, private_folder, write_private

#: campaigns kept per worker process
CACHE_SIZE = 8
#: results a store keeps before it starts afresh (a safety bound: a campaign's references
#: need a few hundred)
MAX_RESULTS = 20_000
#: entries kept on disk (the newest; each is a few megabytes)
DISK_ENTRIES = 16
#: the layout of a file on disk; a change of it, of the code or of the libraries that pickled
#: it makes older files unreachable (their names differ) and they age out
_DISK_FORMAT = 1

log = logging.getLogger(__name__)


@dataclass
class CampaignEntry:
    """The answers of a campaign (and of its previous wave) and their shared analysis."""

    answers: Answers
    #: the previous wave's answers to the forms both waves fielded, or None
    previous: Answers | None
    store: MemoStore = field(default_factory=MemoStore)
    #: its file on disk (None: not kept on disk)
    path: Path | None = None
    #: the store's size when written to or read from disk (-1: neither yet)
    saved: int = -1


Fingerprint = tuple[object, ...]

_cache: OrderedDict[Fingerprint, CampaignEntry] = OrderedDict()
_lock = threading.Lock()


def _campaign_key(
    session: Session, campaign: m.Campaign, forms: list[FieldedForm]
) -> tuple[object, ...]:
    return (
        campaign.id,
        tuple((form.instrument_code, form.version_id) for form in forms),
        bool(campaign.exclude_flagged),
        int(campaign.min_group_size),
        responses_fingerprint(session, campaign.id),
    )


@dataclass(frozen=True)
class _Listed:
    """The forms of a campaign and of its previous wave, as the key was made from them: the
    answers, when loaded, are those of these forms (not listed a second time)."""

    key: Fingerprint
    forms: list[FieldedForm]
    #: None: no previous wave (or none found)
    previous_forms: list[FieldedForm] | None = None


def _listed(session: Session, campaign: m.Campaign) -> _Listed:
    """What the campaign's answers and their analysis depend on, and the forms listed for
    it."""
    forms = campaign_forms(session, campaign.id)
    key: tuple[object, ...] = (_campaign_key(session, campaign, forms),)
    if campaign.previous_campaign_id is not None:
        previous = session.get(m.Campaign, campaign.previous_campaign_id)
        if previous is not None:
            earlier = campaign_forms(session, previous.id)
            key += (_campaign_key(session, previous, earlier),)
            return _Listed(key, forms, earlier)
    return _Listed(key, forms)


def campaign_entry(session: Session, campaign: m.Campaign) -> CampaignEntry:
    """The campaign's answers and shared analysis, from the cache while still valid: this
    process's, else the one on disk, else loaded from the database."""
    listed = _listed(session, campaign)
    key = listed.key
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            if len(hit.store.results) > MAX_RESULTS:
                hit.store = MemoStore()
            return hit
    path = _disk_path(session, key)
    entry = _read(path) if path is not None else None
    if entry is None:
        answers = campaign_answers(session, campaign.id, listed=listed.forms)
        previous = None
        if campaign.previous_campaign_id is not None:
            previous = campaign_answers(
                session, campaign.previous_campaign_id, list(answers), listed=listed.previous_forms
            )
        entry = CampaignEntry(answers=answers, previous=previous, path=path)
        for data in (answers, previous or {}):
            for _instrument, frame in data.values():
                entry.store.pin(frame)
    with _lock:
        entry = _cache.setdefault(key, entry)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


def persist(entry: CampaignEntry, *, again: bool = False) -> None:
    """Write the entry to disk after its first reference (which computed the district's
    analysis), so that the next process (the next ``rootcause report``, another web worker)
    starts from it. What later references add is their own school's part, cheap to compute
    again, so a long-lived process does not write it (each write costs about a tenth of a
    second); a one-shot command, which is the next process's only reason to exist, passes
    ``again`` to write it whenever it grew. A failure to write is logged and changes nothing
    else."""
    if entry.path is None or (entry.saved >= 0 and not again):
        return
    with entry.store.lock:
        size = len(entry.store.results)
        if size == entry.saved:
            return
        results, objects = entry.store.snapshot()
        try:
            content = pickle.dumps(
                (_DISK_FORMAT, entry.answers, entry.previous, results, objects),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        except Exception:  # a result that cannot be pickled: keep it in this process only
            log.warning("Анализ кампании не сохранён на диск", exc_info=True)
            entry.path = None
            return
        entry.saved = size
    try:
        _write(entry.path, content)
    except OSError as exc:
        log.warning("Анализ кампании не сохранён на диск (%s): %s", entry.path, exc)


@cache
def code_version() -> str:
    """A digest of what the cached results were computed by: the source and data files of
    the packages that compute them, and the versions of Python, numpy and pandas."""
    import numpy
    import pandas

    digest = hashlib.sha256(
        f"{sys.version}|{numpy.__version__}|{pandas.__version__}|{_DISK_FORMAT}".encode()
    )
    root = Path(__file__).resolve().parents[1]
    for package in ("analysis", "instruments", "surveys"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in (".py", ".yaml", ".yml", ".json", ".csv") and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def keep_compiled_templates() -> None:
    """The reference's compiled templates kept beside the analyses (once per process), in a
    folder of their own: :func:`analysis.report.html.keep_compiled_templates`."""
    folder = cache_dir()
    if folder is not None and private_folder(folder):
        from analysis.report.html import keep_compiled_templates as keep

        keep(folder / "templates")


def _disk_path(session: Session, key: Fingerprint) -> Path | None:
    folder = cache_dir()
    if folder is None or not private_folder(folder):
        return None
    database = session.get_bind().url.render_as_string(hide_password=True)
    name = hashlib.sha256(repr((code_version(), database, key)).encode()).hexdigest()[:40]
    return folder / f"{name}.pickle"


def _read(path: Path) -> CampaignEntry | None:
    """The entry kept at ``path``, or None (none there, or unreadable: then it is removed).

    Files are only ever written by :func:`persist` into the instance's own folder (mode 600),
    which is trusted as the SQLite database beside it is."""
    try:
        content = path.read_bytes()
    except OSError:
        return None
    try:
        # Only this process's user can have written it (see private_folder).
        layout, answers, previous, results, objects = pickle.loads(content)  # noqa: S301
        if layout != _DISK_FORMAT:
            raise ValueError(f"layout {layout}")
        store = MemoStore.restore(results, objects)
    except Exception as exc:
        log.warning("Кэш анализа %s не читается (%s): пересчитывается", path, exc)
        path.unlink(missing_ok=True)
        return None
    return CampaignEntry(
        answers=answers, previous=previous, store=store, path=path, saved=len(store.results)
    )


def _write(path: Path, content: bytes) -> None:
    write_private(path, content, keep=DISK_ENTRIES)


def cached_campaigns() -> int:
    """How many campaigns this process holds now."""
    with _lock:
        return len(_cache)


def clear() -> None:
    """Forget every cached campaign, in this process and on disk (tests; a deployment never
    needs it)."""
    with _lock:
        _cache.clear()
        folder = cache_dir()
        if folder is not None and folder.is_dir():
            for path in folder.glob("*.pickle"):
                path.unlink(missing_ok=True)
