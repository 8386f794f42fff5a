"""The sample of a school's reference and its coverage: each form's responses in the analysis,
per level of education for students and parents, against who could answer by the school's
figures, with a warning where coverage is too low to speak for the group and the data-quality
exclusions. A group below the campaign's minimum is shown by its n alone."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis.report.russian import (
    ru_count,
    ru_date,
    ru_grades,
    ru_int,
    ru_join,
    ru_percent,
    ru_plural,
)
from analysis.report.study import LEVELS, FormFacts, StudyFacts, collection_state
from instruments.audiences import AUDIENCE_NAMES
from instruments.quality import FLAG_LABELS
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument, ItemType

#: the least coverage at which a group's answers are taken to speak for it; below it the
#: reference warns that the group's results are preliminary
LOW_RATE: dict[str, float] = {"student": 0.5, "teacher": 0.5, "parent": 0.3}
#: the audiences whose coverage is counted per level of education
BY_LEVEL = ("student", "parent")


@dataclass(frozen=True)
class CoverageRow:
    """A form's, or one level's of it, responses in the analysis against who could answer."""

    label: str
    #: responses in the analysis
    n: int
    #: how many could answer (None: unknown)
    eligible: int | None = None
    #: n / eligible, at most 1 (None: unknown, or not shown: a group below the minimum)
    rate: float | None = None
    #: below the group's threshold (:data:`LOW_RATE`)
    low: bool = False
    #: fewer responses than the campaign's minimum: only n is shown
    hidden: bool = False
    #: more responses than the school's figures allow (the figures need checking)
    over: bool = False
    #: a level's row within its form's
    level: bool = False


@dataclass(frozen=True)
class FormCoverage:
    #: the instrument's code, as the reference's scale section of the form has it
    key: str
    audience: str
    version: int | None
    total: CoverageRow
    levels: list[CoverageRow] = field(default_factory=list)
    complete: int | None = None
    flagged: int | None = None
    partial: int | None = None
    #: the group in a sentence («обучающиеся 5–11 классов», «педагоги»); "" when not known
    name: str = ""


@dataclass(frozen=True)
class Coverage:
    forms: dict[str, FormCoverage]
    warnings: list[str]
    #: the data-quality paragraph (flagged and unfinished questionnaires)
    quality: str
    #: how many responses the analysis holds in all
    total: str
    #: whether the school's figures were given (rates can be computed)
    known: bool
    #: collection is still open: the figures may grow
    collecting: str | None = None
    #: how coverage is computed and when it is too low
    rule: str = ""
    #: the groups whose coverage cannot be computed (no enrolment figure), or None
    missing: str | None = None


def _level_of(grade: float) -> str | None:
    if grade != grade:  # NaN
        return None
    for level, (low, high) in LEVELS.items():
        if low <= grade <= high:
            return level
    return None


def _form_levels(instrument: Instrument) -> list[str]:
    low, high = instrument.grades or (1, 11)
    return [lvl for lvl, (a, b) in LEVELS.items() if max(low, a) <= min(high, b)]


def grades_of(instrument: Instrument, answers: pd.DataFrame) -> pd.Series:
    """Each response's grade: the form's grade question («В каком классе…»), else the grade of
    the class link it came by, else the form's grade when it is for one level only (NaN where
    none of these tells)."""
    grade = pd.Series(math.nan, index=answers.index, dtype="float64")
    item = next((i for i in instrument.items() if i.type is ItemType.grade), None)
    if item is not None and item.code in answers.columns:
        grade = pd.to_numeric(answers[item.code], errors="coerce").astype("float64")
    if "class_name" in answers.columns:
        digits = answers["class_name"].astype("string").str.extract(r"^\s*(\d{1,2})", expand=False)
        grade = grade.fillna(pd.to_numeric(digits, errors="coerce").astype("float64"))
    levels = _form_levels(instrument)
    if len(levels) == 1:
        low, high = instrument.grades or LEVELS[levels[0]]
        grade = grade.fillna((low + high) / 2)
    return grade


def _level_span(instrument: Instrument, level: str) -> tuple[int, int]:
    low, high = instrument.grades or (1, 11)
    a, b = LEVELS[level]
    return max(low, a), min(high, b)


def _group_name(audience: str, grades: tuple[int, int] | None) -> str:
    """The group in a sentence: «обучающиеся 5–9 классов», «родители обучающихся 1–4
    классов», «педагоги»."""
    if grades is None:
        return AUDIENCE_NAMES.get(audience, audience)
    span = ru_grades(*grades, genitive=True)
    if audience == "parent":
        return f"родители обучающихся {span}"
    return f"{AUDIENCE_NAMES.get(audience, audience)} {span}"


def _rate(n: int, eligible: int | None) -> tuple[float | None, bool]:
    if not eligible:
        return None, False
    return min(n / eligible, 1.0), n > eligible


def _row(
    label: str,
    audience: str,
    n: int,
    eligible: int | None,
    *,
    min_group_size: int,
    level: bool = False,
) -> CoverageRow:
    hidden = audience not in INSTITUTIONAL_AUDIENCES and n < min_group_size
    rate, over = (None, False) if hidden else _rate(n, eligible)
    threshold = LOW_RATE.get(audience)
    low = rate is not None and threshold is not None and rate < threshold
    return CoverageRow(label, n, eligible, rate, low, hidden, over, level)


def _warning(row: CoverageRow, name: str, audience: str) -> str | None:
    subject = name[:1].upper() + name[1:]
    if row.over:
        return (
            f"{subject}: анкет в анализе ({ru_int(row.n)}) больше, чем указано в карточке школы "
            f"({ru_int(row.eligible)}); охват принят за {ru_percent(1.0)}. Проверьте численность в "
            "карточке школы."
        )
    if row.low and row.rate is not None and row.eligible:
        threshold = LOW_RATE[audience]
        return (
            f"{subject}: охват {ru_percent(row.rate)} "
            f"({ru_count(row.n, 'анкета', 'анкеты', 'анкет')} из {ru_int(row.eligible)}) — "
            f"ниже порога {ru_percent(threshold)}. Выводы по этой группе "
            "носят предварительный характер: ответившие могут отличаться от тех, кто анкету не "
            "заполнил."
        )
    return None


def _sparse(row: CoverageRow, name: str, audience: str) -> str | None:
    """A level with fewer responses than the minimum (its rate is not shown), when they are
    few against who could answer."""
    threshold = LOW_RATE.get(audience)
    if not row.hidden or not row.eligible or threshold is None:
        return None
    if row.n >= threshold * row.eligible:
        return None
    subject = name[:1].upper() + name[1:]
    answered = ru_count(row.n, "анкета", "анкеты", "анкет") if row.n else "ни одной анкеты"
    return (
        f"{subject}: {answered} при {ru_int(row.eligible)} возможных — мнение этой группы в "
        "анализе почти не представлено."
    )


def _form_coverage(
    key: str,
    instrument: Instrument,
    own: pd.DataFrame,
    facts: FormFacts | None,
    *,
    min_group_size: int,
    label: str,
) -> tuple[FormCoverage, list[str]]:
    audience = instrument.audience.value
    n = len(own)
    total = _row(
        label, audience, n, facts.eligible if facts else None, min_group_size=min_group_size
    )
    warnings = []
    grades = instrument.grades
    if total.hidden:
        # Facts about the school (items marked ``fact``) are shown whatever the number of
        # answers (analysis.privacy): the warning says so rather than «nothing is shown».
        shown = (
            "поэтому её оценки и мнения в справке не показываются; приводятся только сведения "
            "о школе из её документов (часть «Сведения о сопровождении обучающихся»)."
            if n and any(item.fact is not None for item in instrument.items())
            else "поэтому результаты этой группы в справке не показываются."
        )
        group = _group_name(audience, grades)
        answered = (
            f"{ru_count(n, 'анкета', 'анкеты', 'анкет')} — меньше {min_group_size}, {shown}"
            if n
            else "ни одной анкеты, " + shown
        )
        warnings.append(f"{group[:1].upper()}{group[1:]}: {answered}")
    elif (message := _warning(total, _group_name(audience, grades), audience)) is not None:
        warnings.append(message)
    levels: list[CoverageRow] = []
    # The split by level comes from the answers (the grade question): it is shown only for a
    # group large enough to be reported, so a hidden group shows nothing but its n.
    if audience in BY_LEVEL and not total.hidden:
        by_level = grades_of(instrument, own).map(_level_of)
        counts = by_level.value_counts()
        for level in _form_levels(instrument):
            eligible = facts.eligible_by_level.get(level) if facts else None
            found = int(counts.get(level, 0))
            if not eligible and not found:
                continue  # a level the school does not teach
            span = _level_span(instrument, level)
            row = _row(
                f"в т. ч. {ru_grades(*span, genitive=False)}",
                audience,
                found,
                eligible,
                min_group_size=min_group_size,
                level=True,
            )
            levels.append(row)
            name = _group_name(audience, span)
            message = _warning(row, name, audience) or _sparse(row, name, audience)
            if message is not None:
                warnings.append(message)
        unknown = n - sum(r.n for r in levels)
        if unknown > 0 and levels:
            levels.append(CoverageRow("в т. ч. класс не указан", unknown, level=True))
        if len(levels) == 1:
            levels = []  # one level: the form's own row says it all
    return (
        FormCoverage(
            key=key,
            audience=audience,
            version=facts.version if facts else None,
            total=total,
            levels=levels,
            complete=facts.complete if facts else None,
            flagged=facts.flagged if facts else None,
            partial=facts.partial if facts else None,
            name=_group_name(audience, grades),
        ),
        warnings,
    )


def _quality(forms: Sequence[tuple[FormCoverage, str]], facts: StudyFacts | None) -> str:
    if facts is None:
        return (
            "Сведения о незавершённых анкетах и анкетах с признаками недобросовестного "
            "заполнения не переданы: в таблице — число анкет, вошедших в анализ."
        )
    signs = "; ".join(FLAG_LABELS.values())
    flagged = [(f.flagged or 0, name) for f, name in forms]
    total_flagged = sum(k for k, _ in flagged)
    partial = sum(f.partial or 0 for f, _ in forms)
    if total_flagged:
        parts = ", ".join(f"{name} — {k}" for k, name in flagged if k)
        decision = (
            "по решению координатора волны они исключены из анализа"
            if facts.exclude_flagged
            else "по настройке волны они учтены в анализе"
        )
        text = (
            f"Анкет с признаками недобросовестного заполнения ({signs}) — {total_flagged} "
            f"({parts}); {decision}."
        )
    else:
        text = f"Анкет с признаками недобросовестного заполнения ({signs}) не выявлено."
    if partial:
        text += f" Незавершённые анкеты ({partial}) в анализ не входят."
    return text


def build_coverage(
    school_code: str,
    forms: Sequence[tuple[str, Instrument, pd.DataFrame, str]],
    facts: StudyFacts | None,
    *,
    min_group_size: int,
    today: dt.date,
) -> Coverage:
    """Each form's responses in the analysis (and per level of education for students and
    parents) against who could answer, with a warning for each rate below :data:`LOW_RATE`
    and for each group below ``min_group_size``. ``forms`` holds (key, instrument, every
    school's answers, the form's label)."""
    by_key = {f.key: f for f in facts.forms} if facts else {}
    out: dict[str, FormCoverage] = {}
    named: list[tuple[FormCoverage, str]] = []
    warnings: list[str] = []
    for key, instrument, answers, label in forms:
        own = answers[answers["school_code"] == school_code]
        coverage, found = _form_coverage(
            key, instrument, own, by_key.get(key), min_group_size=min_group_size, label=label
        )
        out[key] = coverage
        named.append((coverage, _group_name(coverage.audience, instrument.grades)))
        warnings.extend(found)
        if coverage.audience == "administration" and coverage.total.n == 0:
            warnings.append("Анкета администрации школы не заполнена.")
    n = sum(f.total.n for f in out.values())
    known = facts is not None and any(f.eligible for f in facts.forms)
    collecting = None
    if facts is not None and collection_state(facts, today) == "сбор ответов продолжается":
        collecting = (
            f"Сбор ответов продолжается до {ru_date(facts.closes_on)}: число анкет и охват "
            "приведены на дату формирования справки и могут вырасти."
        )
    return Coverage(
        forms=out,
        warnings=warnings,
        quality=_quality(named, facts),
        total=ru_count(n, "анкета", "анкеты", "анкет"),
        known=known,
        collecting=collecting,
        rule=coverage_rule(min_group_size),
        missing=_missing(named, facts),
    )


#: the groups in the genitive plural, for the rule of coverage
_GENITIVE = {"student": "обучающихся", "parent": "родителей", "teacher": "педагогов"}


def coverage_rule(min_group_size: int) -> str:
    """How coverage is computed and the thresholds of :data:`LOW_RATE`, in words."""
    by_threshold: dict[float, list[str]] = {}
    for audience, threshold in LOW_RATE.items():
        by_threshold.setdefault(threshold, []).append(_GENITIVE[audience])
    thresholds = ru_join(
        [
            f"не ниже {ru_percent(threshold)} для {ru_join(groups)}"
            for threshold, groups in sorted(by_threshold.items(), reverse=True)
        ]
    )
    answers = ru_plural(min_group_size, "ответа", "ответов", "ответов")
    return (
        "Охват — доля анкет, вошедших в анализ, от числа тех, кто мог ответить, по данным "
        "карточки школы (обучающиеся соответствующих классов, педагоги). Для родителей число "
        "семей принято равным числу обучающихся: семья с несколькими детьми в школе учтена "
        "несколько раз, поэтому фактический охват родителей несколько выше указанного. Охват "
        f"считается достаточным, если он {thresholds}; при меньшем охвате выводы по группе носят "
        f"предварительный характер. Для групп, в которых меньше {min_group_size} {answers}, "
        "указано только число анкет."
    )


def _missing(named: Sequence[tuple[FormCoverage, str]], facts: StudyFacts | None) -> str | None:
    if facts is None:
        return (
            "Сведения о численности обучающихся и педагогов школы не переданы: охват не рассчитан."
        )
    groups = [
        name
        for f, name in named
        if f.audience in LOW_RATE and not f.total.hidden and not f.total.eligible
    ]
    if not groups:
        return None
    return (
        f"Численность не указана в карточке школы ({', '.join(groups)}): охват "
        f"{'этой группы' if len(groups) == 1 else 'этих групп'} не рассчитан."
    )
