"""What the database knows of a campaign and a school besides the answers, as plain data
for the reference (read by :mod:`web.reference_facts`), and the school calendar: the school
year of a wave and whether its answers are still being collected."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from analysis.report.russian import ru_date

#: levels of education (НОО, ООО, СОО) and their grades
LEVELS: dict[str, tuple[int, int]] = {"primary": (1, 4), "basic": (5, 9), "secondary": (10, 11)}


@dataclass(frozen=True)
class FormFacts:
    """One form of the campaign in one school, as the campaign page counts it."""

    #: the instrument's code (the key of the form's answers)
    key: str
    #: the stored version's number
    version: int
    #: complete responses of the school, those with data-quality flags included
    complete: int = 0
    #: complete responses with data-quality flags (too fast, straight-lined)
    flagged: int = 0
    #: responses begun and not finished
    partial: int = 0
    #: how many could answer the form (None: unknown), as the campaign page counts it
    eligible: int | None = None
    #: per level of education the form covers, how many could answer (pupils; for parents
    #: the pupils, a family per pupil)
    eligible_by_level: dict[str, int] = field(default_factory=dict)


#: the support specialists a roadmap assigns measures to: педагог-психолог, учитель-логопед
#: (or дефектолог), социальный педагог
SPECIALISTS = ("psychologist", "speech_therapist", "social_pedagogue")


@dataclass(frozen=True)
class Specialists:
    """Whether the school has each support specialist: "staff" (on the staff), "contract"
    (part-time or under a contract), "none"; None when nothing says."""

    psychologist: str | None = None
    speech_therapist: str | None = None
    social_pedagogue: str | None = None


@dataclass(frozen=True)
class StudyFacts:
    """The campaign's dates and settings and the school's figures, as plain data."""

    opens_on: dt.date
    closes_on: dt.date
    #: the campaign's status: "draft", "open" or "closed"
    status: str = "open"
    exclude_flagged: bool = False
    school_short_name: str = ""
    region: str = ""
    forms: tuple[FormFacts, ...] = ()
    #: the specialists the school's card lists (the schools import); the administration's
    #: answers in the wave, where given, say more (:func:`analysis.report.roadmap.staff_of`)
    specialists: Specialists | None = None


def school_year_start(day: dt.date) -> int:
    """The calendar year in which the school year holding ``day`` began (a school year runs
    from 1 September to 31 August)."""
    return day.year if day.month >= 9 else day.year - 1


def school_year(opens_on: dt.date, closes_on: dt.date) -> str:
    """«2026/2027 учебный год» for a wave within one school year (02.11.2026–31.01.2027 or
    01.03.2027–30.04.2027 alike); a wave across 1 September names both years."""
    first, last = school_year_start(opens_on), school_year_start(closes_on)
    if first == last:
        return f"{first}/{first + 1} учебный год"
    joint = " и " if last == first + 1 else "–"
    return f"{first}/{first + 1}{joint}{last}/{last + 1} учебные годы"


def collection_state(facts: StudyFacts, today: dt.date) -> str:
    """Whether answers are still being collected on ``today``."""
    if facts.status == "closed" or today > facts.closes_on:
        return "сбор ответов завершён"
    if today < facts.opens_on:
        return f"сбор ответов начнётся {ru_date(facts.opens_on)}"
    if facts.status == "draft":
        return "сбор ответов ещё не открыт"
    return "сбор ответов продолжается"
