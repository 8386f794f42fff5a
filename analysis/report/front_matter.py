"""The reference's front matter: the title block of a Russian school document, the study's
aim, tasks, dates, methods and participants (:mod:`analysis.report.study_plan`), and the
sample with its coverage against the school's enrolment (:mod:`analysis.report.coverage`),
built from plain facts the web tier reads from the database (:class:`StudyFacts`).

Without facts (a caller that has none) every part still renders and says what is unknown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from analysis.report.coverage import Coverage, build_coverage
from analysis.report.results_section import ASSESSMENTS
from analysis.report.russian import ru_count, ru_dates
from analysis.report.study import FormFacts, StudyFacts, collection_state, school_year
from analysis.report.study_plan import StudyPlan, build_plan
from instruments.schema import Instrument

if TYPE_CHECKING:
    from analysis.benchmark import Benchmark
    from analysis.report.model import ReferenceModel
    from analysis.report.profile import RiskSection

__all__ = [
    "FormFacts",
    "FrontMatter",
    "Preparer",
    "StudyFacts",
    "TitleBlock",
    "assessments_of",
    "build_front_matter",
    "compared_with",
    "signed",
]


@dataclass(frozen=True)
class Preparer:
    """Who prepared the reference: full name and position, as the document is signed."""

    name: str
    position: str = ""

    @classmethod
    def parse(cls, text: str) -> Preparer:
        """«ФИО, должность» (the position after the first comma; it may be left out).

        Raises ValueError for an empty name."""
        name, _, position = text.partition(",")
        name, position = " ".join(name.split()), " ".join(position.split())
        if not name:
            raise ValueError("Укажите ФИО: «ФИО, должность».")
        return cls(name=name, position=position)

    @property
    def text(self) -> str:
        return f"{self.name}, {self.position}" if self.position else self.name


@dataclass(frozen=True)
class TitleBlock:
    region: str
    #: «2026/2027 учебный год» (None: the wave's dates are unknown)
    school_year: str | None
    #: «02.11.2026–31.01.2027» (None: unknown)
    dates: str | None
    #: «сбор ответов продолжается», «сбор ответов завершён», … (None: unknown)
    collection: str | None
    #: the school as the director's title names it (its short name)
    director_of: str
    prepared_by: Preparer | None = None
    #: print the «РАССМОТРЕНО» / «УТВЕРЖДАЮ» block
    approval: bool = False


@dataclass(frozen=True)
class FrontMatter:
    title: TitleBlock
    plan: StudyPlan
    coverage: Coverage


#: the assessments in the order a справка lists them (the results part's order)
_ASSESSMENT_ORDER = {name: i for i, name in enumerate(ASSESSMENTS)}


def assessments_of(school_code: str, results: pd.DataFrame | None) -> list[str]:
    """The assessments the school has imported results of («ВПР», «ОГЭ»)."""
    if results is None or not len(results) or "assessment" not in results.columns:
        return []
    found = {str(a) for a in results.loc[results["school_code"] == school_code, "assessment"]}
    return sorted(found, key=lambda a: (_ASSESSMENT_ORDER.get(a, 9), a))


def compared_with(risk: RiskSection | None, benchmark: Benchmark | None) -> str | None:
    """What the school's position is measured against, with its preposition (None: there is
    no risk part)."""
    if risk is None:
        return None
    if benchmark is not None:
        return f"с эталоном «{benchmark.title}»"
    schools = ru_count(risk.schools, "школа", "школы", "школ")
    return f"со школами района, участвующими в волне ({schools})"


# -- the whole front matter ------------------------------------------------------------------


def build_front_matter(
    *,
    school_code: str,
    school_name: str,
    forms: Sequence[tuple[str, Instrument, pd.DataFrame, str]],
    facts: StudyFacts | None,
    min_group_size: int,
    generated_on: dt.date,
    with_risk: bool,
    compared_with: str | None = None,
    assessments: Sequence[str] = (),
    previous: str | None = None,
) -> FrontMatter:
    """Title block, study plan and coverage of one school's reference. ``forms`` holds (key,
    instrument, every school's answers, the form's label) per form of the campaign."""
    short = facts.school_short_name.strip() if facts else ""
    title = TitleBlock(
        region=facts.region.strip() if facts else "",
        school_year=school_year(facts.opens_on, facts.closes_on) if facts else None,
        dates=ru_dates(facts.opens_on, facts.closes_on) if facts else None,
        collection=collection_state(facts, generated_on) if facts else None,
        director_of=short or school_name,
    )
    versions = {f.key: f.version for f in facts.forms} if facts else {}
    plan = build_plan(
        forms=[(instrument, versions.get(key)) for key, instrument, _, _ in forms],
        facts=facts,
        today=generated_on,
        min_group_size=min_group_size,
        with_risk=with_risk,
        compared_with=compared_with,
        assessments=assessments,
        previous=previous,
    )
    coverage = build_coverage(
        school_code, forms, facts, min_group_size=min_group_size, today=generated_on
    )
    return FrontMatter(title=title, plan=plan, coverage=coverage)


def signed(
    model: ReferenceModel, *, prepared_by: Preparer | None = None, approval: bool = False
) -> ReferenceModel:
    """``model`` with who prepared it and, if asked for, the approval block (the signer is
    the request's, not the data's: the web tier's signed-in user, the CLI's option)."""
    if model.front is None:
        return model
    title = dataclasses.replace(model.front.title, prepared_by=prepared_by, approval=approval)
    return dataclasses.replace(model, front=dataclasses.replace(model.front, title=title))
