"""Pushes a simulated district through the product's public paths and reads its references.

A fresh SQLite database in a temporary folder; ``rootcause init``, ``import schools`` (a CSV
with the import's Russian headers), ``campaigns create`` with the five built-in forms,
``import responses`` (a CSV per school × form, columns named by the template's item codes),
``import results``; then each school's reference model from web.reporting.school_reference,
which is what the HTML reference and the pages show.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from analysis.report import ReferenceModel
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from surveys.db import make_engine, session_scope

from .answers import form_rows, item_models
from .district import District

FORMS = ("student_5_11", "student_2_4", "parent", "teacher", "administration")
DISTRICT = "Модельный район"


@dataclass(frozen=True)
class SchoolOutput:
    """What a user reads in one school's reference: its causes in order, its factors' levels."""

    causes: list[str]  # factor codes, rank order
    levels: dict[str, str | None]  # factor code -> "high", "elevated", ... (None: no data)
    composites: dict[str, float | None]  # factor code -> the profile's composite


@contextmanager
def _environment(url: str, folder: Path) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("ROOTCAUSE_DATABASE_URL", "ROOTCAUSE_INSTANCE_PATH")}
    os.environ["ROOTCAUSE_DATABASE_URL"] = url
    os.environ["ROOTCAUSE_INSTANCE_PATH"] = str(folder)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _cli(*args: str) -> str:
    from web.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"rootcause {' '.join(args[:2])} failed:\n{result.output[-3000:]}")
    return result.output


def _write_csv(path: Path, header: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})


def _schools_csv(district: District, path: Path) -> None:
    header = [
        "Район",
        "Код школы",
        "Полное наименование",
        "Местность",
        "Уровни образования",
        *[f"{g} класс" for g in range(1, 12)],
        "Педагогов",
    ]
    rows = []
    for school in district.schools:
        levels = ["НОО", "ООО"] + (["СОО"] if 11 in school.grades else [])
        row: dict[str, object] = {
            "Район": DISTRICT,
            "Код школы": school.code,
            "Полное наименование": school.name,
            "Местность": "сельская" if school.rural else "городская",
            "Уровни образования": ", ".join(levels),
            "Педагогов": school.teachers,
        }
        for grade in range(1, 12):
            row[f"{grade} класс"] = school.grades.get(grade, 0)
        rows.append(row)
    _write_csv(path, header, rows)


def run_pipeline(district: District, workdir: Path | None = None) -> dict[str, SchoolOutput]:
    """Import ``district`` through the CLI into a fresh database; each school's output."""
    with tempfile.TemporaryDirectory(prefix="causes-sim-") as tmp:
        folder = Path(workdir or tmp)
        url = f"sqlite:///{folder / 'sim.db'}"
        with _environment(url, folder):
            return _run(district, folder, url)


def _run(district: District, folder: Path, url: str) -> dict[str, SchoolOutput]:
    _cli("init")
    _schools_csv(district, folder / "schools.csv")
    _cli("import", "schools", str(folder / "schools.csv"))
    forms = [arg for code in FORMS for arg in ("--form", code)]
    created = _cli(
        "campaigns",
        "create",
        "--district",
        DISTRICT,
        "--title",
        "Симуляция",
        "--opens",
        "2026-10-01",
        "--closes",
        "2026-10-31",
        "--period",
        "2026/27",
        *forms,
    )
    campaign_id = re.findall(r"\d+", created.strip().splitlines()[-1])[0]

    catalogue = builtin_risk_factors()
    rng = np.random.default_rng([district.seed, round(district.intensity * 100), 7])
    icc = np.random.default_rng(district.seed + 1).uniform(0.05, 0.2, len(district.factors))
    for code in FORMS:
        instrument = builtin(code)
        models = item_models(
            instrument,
            catalogue,
            district.factors,
            np.random.default_rng([district.seed, len(code)]),
        )
        header = ["school_code", *[m.item.code for m in models]]
        for position, school in enumerate(district.schools):
            rows = form_rows(instrument, models, district, position, rng, icc)
            if not rows:
                continue
            path = folder / f"{code}-{school.code}.csv"
            _write_csv(path, header, [{"school_code": school.code, **r} for r in rows])
            _cli(
                "import",
                "responses",
                str(path),
                "--campaign",
                campaign_id,
                "--audience",
                instrument.audience.value,
                "--form",
                code,
            )

    results = folder / "results.csv"
    header = [
        "school_code",
        "year",
        "assessment",
        "subject",
        "grade",
        "participants",
        "share_failing",
    ]
    _write_csv(results, header, district.results)
    _cli("import", "results", str(results))
    return read_references(url, int(campaign_id), [s.code for s in district.schools])


def read_references(url: str, campaign_id: int, codes: list[str]) -> dict[str, SchoolOutput]:
    """Each school's reference model, built as web.reporting.school_reference builds it (the
    same inputs, the same build_school_reference) with the campaign's answers read once
    rather than once per school: the district-wide loads are identical for every school."""
    from analysis.report import build_school_reference
    from surveys.benchmarks import campaign_answers, campaign_benchmark
    from surveys.campaigns import get_campaign
    from surveys.dataset import assessment_frame, school_status_frame

    engine = make_engine(url)
    outputs = {}
    try:
        with session_scope(engine) as session:
            campaign = get_campaign(session, campaign_id)
            answers = campaign_answers(session, campaign.id)
            forms = [(code, instrument, frame) for code, (instrument, frame) in answers.items()]
            results = assessment_frame(session, codes)
            status = school_status_frame(session, codes)
            benchmark = campaign_benchmark(session, campaign)
            for code in codes:
                model = build_school_reference(
                    school_code=code,
                    school_name=code,
                    district_name=DISTRICT,
                    campaign_title=campaign.title,
                    period=campaign.period,
                    min_group_size=campaign.min_group_size,
                    audiences=forms,
                    catalogue=builtin_risk_factors(),
                    results=results,
                    status=status,
                    benchmark=benchmark,
                )
                outputs[code] = _output(model)
    finally:
        engine.dispose()
    return outputs


def _output(model: ReferenceModel) -> SchoolOutput:
    risk = model.risk
    if risk is None:
        return SchoolOutput([], {}, {})
    return SchoolOutput(
        [c.factor for c in sorted(risk.causes, key=lambda c: c.rank)],
        {f.code: f.level for f in risk.factors},
        {f.code: f.composite for f in risk.factors},
    )


def check_matches_product(url: str, campaign_id: int, code: str, output: SchoolOutput) -> None:
    """The shortcut above reads what web.reporting.school_reference gives (used by the test)."""
    from web.reporting import school_reference

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            product = _output(school_reference(session, campaign_id, code))
    finally:
        engine.dispose()
    if product != output:
        raise AssertionError(f"{code}: {product} != {output}")
