"""«Цель, задачи, сроки, методы, участники» of the study, generated from the campaign's forms
and dates, worded in the register of a school's аналитическая справка."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.report.russian import ru_date, ru_grades, ru_join, ru_plural
from analysis.report.study import StudyFacts, collection_state, school_year
from instruments.audiences import AUDIENCE_HEADINGS
from instruments.schema import Audience, Instrument, text_in

#: who took part, as the object of «провести анкетирование …»
_ACCUSATIVE = {
    "student": "обучающихся",
    "parent": "родителей (законных представителей)",
    "teacher": "педагогов",
    "specialist": "специалистов сопровождения",
    "administration": "администрации школы",
}
#: who took part, in a list of participants
_NOMINATIVE = {
    "student": "обучающиеся",
    "parent": "родители (законные представители)",
    "teacher": "педагоги",
    "specialist": "специалисты сопровождения",
    "administration": "администрация школы",
}


@dataclass(frozen=True)
class FormUsed:
    audience_label: str
    title: str
    version: int | None
    respondents: str


@dataclass(frozen=True)
class StudyPlan:
    """«Цель, задачи, сроки, методы, участники»."""

    purpose: str
    tasks: list[str]
    timing: str
    methods: list[str]
    forms: list[FormUsed]
    participants: str


def _respondents(instrument: Instrument, case: dict[str, str] = _ACCUSATIVE) -> str:
    """Who answers the form: «обучающихся 5–11 классов» (``case``: :data:`_ACCUSATIVE` or
    :data:`_NOMINATIVE`)."""
    audience = instrument.audience.value
    who = case.get(audience, audience)
    if audience == "student" and instrument.grades is not None:
        who = f"{who} {ru_grades(*instrument.grades, genitive=True)}"
    return who


def _participants(instruments: Sequence[Instrument], case: dict[str, str]) -> list[str]:
    """The audiences in order, students of several forms by their grades together
    («обучающихся 2–4 и 5–11 классов»)."""
    out: list[str] = []
    for audience in Audience:
        mine = [i for i in instruments if i.audience is audience]
        if not mine:
            continue
        spans = [i.grades for i in mine if i.grades is not None]
        if audience is Audience.student and len(mine) > 1 and len(spans) == len(mine):
            grades = [f"{a}–{b}" if a != b else f"{a}" for a, b in sorted(spans)]
            out.append(f"{case['student']} {ru_join(grades)} классов")
        else:
            out.extend(dict.fromkeys(_respondents(i, case) for i in mine))
    return out


def build_plan(
    *,
    forms: Sequence[tuple[Instrument, int | None]],
    facts: StudyFacts | None,
    today: dt.date,
    min_group_size: int,
    with_risk: bool,
    compared_with: str | None,
    assessments: Sequence[str],
    previous: str | None,
) -> StudyPlan:
    """The study's aim, tasks, dates, methods and participants, worded as a справка words
    them. ``compared_with`` names what the school is compared with, with its preposition
    («со школами района, участвующими в волне (12 школ)», «с эталоном «…»»); ``assessments`` the
    school's imported assessments («ВПР», «ОГЭ»); ``previous`` the previous wave's title."""
    instruments = [i for i, _ in forms]
    whom = _participants(instruments, _ACCUSATIVE)
    everyone = ru_join(whom) if whom else "участников образовательных отношений"
    if with_risk:
        purpose = (
            "Цель диагностики — выявить факторы, которые могут быть причинами низких "
            "образовательных результатов обучающихся школы, и определить приоритетные "
            "направления работы по их преодолению."
        )
    else:
        purpose = (
            "Цель диагностики — получить по данным анкетирования участников образовательных "
            "отношений сведения об условиях обучения в школе для анализа причин низких "
            "образовательных результатов."
        )
    tasks = [f"Провести анонимное анкетирование {everyone}."]
    if with_risk:
        against = f" в сравнении {compared_with}" if compared_with else ""
        tasks.append(
            f"Оценить положение школы по факторам риска низких образовательных результатов"
            f"{against}."
        )
    if assessments:
        tasks.append(
            "Сопоставить данные анкетирования с результатами оценочных процедур "
            f"({', '.join(assessments)})."
        )
    if with_risk:
        tasks.append(
            "Выделить факторы, по которым школа достоверно находится в зоне риска, и оценить "
            "их связь с результатами обучения по данным школ района."
        )
    if previous:
        tasks.append(f"Сравнить результаты с предыдущей волной диагностики «{previous}».")
    if with_risk:
        tasks.append(
            "Подготовить проект дорожной карты по снижению выявленных рисков для рассмотрения "
            "на педагогическом совете."
        )
    if facts is None:
        timing = "не указаны."
    else:
        state = collection_state(facts, today)
        timing = (
            f"с {ru_date(facts.opens_on)} по {ru_date(facts.closes_on)} "
            f"({school_year(facts.opens_on, facts.closes_on)}); {state}."
        )
    methods = [
        "анонимное анкетирование по стандартизированным анкетам (перечень — в таблице ниже);",
        "расчёт показателей по ответам каждой группы респондентов: средних баллов по шкалам "
        "анкет и долей неблагоприятных ответов;",
    ]
    if with_risk:
        methods.append(
            "сопоставление показателей школы с показателями других школ района (или эталона) с "
            "учётом погрешности оценки и объединение показателей в факторы риска;"
        )
    if assessments:
        methods.append(f"анализ результатов оценочных процедур ({', '.join(assessments)});")
    methods.append(
        f"защита анонимности: результаты групп, в которых меньше {min_group_size} "
        f"{ru_plural(min_group_size, 'ответа', 'ответов', 'ответов')}, не показываются."
    )
    used = [
        FormUsed(
            audience_label=AUDIENCE_HEADINGS.get(i.audience.value, i.audience.value),
            title=text_in(i.title),
            version=version,
            respondents=_respondents(i),
        )
        for i, version in forms
    ]
    who = _participants(instruments, _NOMINATIVE)
    participants = f"{ru_join(who)}." if who else "анкеты в волне не использовались."
    return StudyPlan(
        purpose=purpose,
        tasks=tasks,
        timing=timing,
        methods=methods,
        forms=used,
        participants=participants,
    )
