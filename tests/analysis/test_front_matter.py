"""The reference's front matter: the school year of a wave, Russian number agreement, the
coverage of each group against the school's enrolment with its warnings, and the title block
as the HTML page and the Word document show it."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn

from analysis.report import ReferenceModel, build_school_reference, render_html
from analysis.report.coverage import LOW_RATE, Coverage, build_coverage
from analysis.report.docx import render_docx
from analysis.report.front_matter import Preparer, signed
from analysis.report.russian import ru_count, ru_plural
from analysis.report.study import FormFacts, StudyFacts, collection_state, school_year
from instruments.library import builtin
from instruments.schema import Instrument

D = dt.date
NOUNS = {
    "анкета": ("анкета", "анкеты", "анкет"),
    "школа": ("школа", "школы", "школ"),
    "вопрос": ("вопрос", "вопроса", "вопросов"),
    "ответ": ("ответ", "ответа", "ответов"),
}


# -- Russian number agreement ------------------------------------------------------------------


def _agreeing(n: int) -> int:
    """Which form (0 one, 1 few, 2 many) a noun takes after ``n``, by the grammar books'
    table of endings rather than by arithmetic on remainders."""
    last_two = f"{n:02d}"[-2:]
    if last_two in {"11", "12", "13", "14"}:
        return 2
    return {"1": 0, "2": 1, "3": 1, "4": 1}.get(last_two[-1], 2)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 анкет"),
        (1, "1 анкета"),
        (2, "2 анкеты"),
        (4, "4 анкеты"),
        (5, "5 анкет"),
        (11, "11 анкет"),
        (12, "12 анкет"),
        (14, "14 анкет"),
        (21, "21 анкета"),
        (22, "22 анкеты"),
        (25, "25 анкет"),
        (101, "101 анкета"),
        (111, "111 анкет"),
        (112, "112 анкет"),
        (121, "121 анкета"),
        (150, "150 анкет"),
        (200, "200 анкет"),
    ],
)
def test_ru_count_agrees_with_the_number(n: int, expected: str) -> None:
    assert ru_count(n, *NOUNS["анкета"]) == expected


def test_ru_plural_over_0_to_200() -> None:
    forms = [ru_plural(n, "one", "few", "many") for n in range(201)]
    # 1, 21, …, 191 but not 11 and 111; 2–4 of every ten but not 12–14 and 112–114
    assert (forms.count("one"), forms.count("few"), forms.count("many")) == (18, 54, 129)
    for n, form in enumerate(forms):
        assert form == ("one", "few", "many")[_agreeing(n)], n
    assert f"150 анкет на {ru_count(41, *NOUNS['вопрос'])}" == "150 анкет на 41 вопрос"
    assert ru_count(4, *NOUNS["школа"]) == "4 школы"
    assert ru_plural(-21, "one", "few", "many") == "one"
    assert _pairs_agree("5 анкеты, 21 анкета, 3 ответов, 12 школ") == ["5 анкеты", "3 ответов"]


def _pairs_agree(text: str) -> list[str]:
    """Every «number noun» of the nouns above that does not agree."""
    wrong = []
    for number, noun in re.findall(
        r"(\d+) (анкет[аы]?|школ[аы]?|вопрос(?:а|ов)?|ответ(?:а|ов)?)\b", text
    ):
        stem = next(k for k, forms in NOUNS.items() if noun in forms)
        if NOUNS[stem].index(noun) != _agreeing(int(number)):
            wrong.append(f"{number} {noun}")
    return wrong


# -- the school year of a wave ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes", "year"),
    [
        (D(2026, 11, 2), D(2027, 1, 31), "2026/2027 учебный год"),  # across New Year
        (D(2026, 9, 1), D(2026, 9, 30), "2026/2027 учебный год"),  # the year's first day
        (D(2027, 3, 1), D(2027, 4, 30), "2026/2027 учебный год"),  # entirely in spring
        (D(2027, 5, 15), D(2027, 8, 31), "2026/2027 учебный год"),  # its last day
        (D(2026, 8, 20), D(2026, 9, 15), "2025/2026 и 2026/2027 учебные годы"),
        (D(2025, 10, 1), D(2027, 10, 1), "2025/2026–2027/2028 учебные годы"),
    ],
)
def test_school_year_runs_from_september_to_august(opens: D, closes: D, year: str) -> None:
    assert school_year(opens, closes) == year


def test_collection_is_open_until_the_close_date_and_while_the_campaign_is_open() -> None:
    facts = StudyFacts(opens_on=D(2026, 11, 2), closes_on=D(2027, 1, 31))
    assert collection_state(facts, D(2026, 11, 20)) == "сбор ответов продолжается"
    assert collection_state(facts, D(2027, 1, 31)) == "сбор ответов продолжается"
    assert collection_state(facts, D(2027, 2, 1)) == "сбор ответов завершён"
    assert collection_state(facts, D(2026, 10, 1)) == "сбор ответов начнётся 02.11.2026"
    closed = StudyFacts(opens_on=D(2026, 11, 2), closes_on=D(2027, 1, 31), status="closed")
    assert collection_state(closed, D(2026, 11, 20)) == "сбор ответов завершён"


def test_preparer_is_parsed_from_name_and_position() -> None:
    assert Preparer.parse(" Иванова  Мария Петровна , заместитель директора по УВР ") == Preparer(
        "Иванова Мария Петровна", "заместитель директора по УВР"
    )
    assert Preparer.parse("Иванова М. П.").text == "Иванова М. П."
    with pytest.raises(ValueError, match="ФИО"):
        Preparer.parse(" , директор")


# -- coverage --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forms() -> dict[str, Instrument]:
    return {code: builtin(code) for code in ("student_5_11", "parent", "teacher")}


def _answers(instrument: Instrument, grades: dict[str, list[float]]) -> pd.DataFrame:
    """Answers with only the grade question filled in: per school, one row per grade given
    (NaN: not answered)."""
    item = next((i.code for i in instrument.items() if i.type.value == "grade"), None)
    rows = []
    for school, values in grades.items():
        for value in values:
            row = {"school_code": school, "class_name": None}
            if item is not None:
                row[item] = value
            rows.append(row)
    columns = ["school_code", "class_name", *(i.code for i in instrument.items())]
    frame = pd.DataFrame(rows, columns=columns)
    for code in columns[2:]:
        frame[code] = pd.to_numeric(frame[code], errors="coerce").astype("float64")
    return frame


def _coverage(
    forms: dict[str, Instrument],
    grades: dict[str, dict[str, list[float]]],
    facts: StudyFacts | None,
    *,
    min_group_size: int = 5,
) -> Coverage:
    return build_coverage(
        "A",
        [(code, forms[code], _answers(forms[code], g), code) for code, g in grades.items()],
        facts,
        min_group_size=min_group_size,
        today=D(2026, 11, 20),
    )


FACTS = StudyFacts(
    opens_on=D(2026, 11, 2),
    closes_on=D(2027, 1, 31),
    forms=(
        FormFacts("student_5_11", 3, complete=96, flagged=6, partial=4, eligible=200,
                  eligible_by_level={"basic": 150, "secondary": 50}),
        FormFacts("parent", 2, complete=70, eligible=250,
                  eligible_by_level={"primary": 50, "basic": 150, "secondary": 50}),
        FormFacts("teacher", 2, complete=20, eligible=40),
    ),
    exclude_flagged=True,
)  # fmt: skip


def test_coverage_per_group_and_level_with_warnings_below_the_thresholds(
    forms: dict[str, Instrument],
) -> None:
    grades = {
        # 90 pupils in the analysis: 80 of grades 5–9 (53 %), 10 of 10–11 (20 %: low)
        "student_5_11": {"A": [7.0] * 80 + [10.0] * 10, "B": [6.0] * 30},
        # 70 families: 30 % exactly is enough for parents; 1–4 none; 10–11 two, below the
        # minimum (shown by n only) and few against 50 families
        "parent": {"A": [8.0] * 45 + [11.0] * 2 + [math_nan()] * 23},
        # 19 teachers of 40: 47,5 % is below 50 %
        "teacher": {"A": [math_nan()] * 19},
    }
    coverage = _coverage(forms, grades, FACTS)
    students = coverage.forms["student_5_11"]
    assert (students.total.n, students.total.eligible) == (90, 200)
    assert students.total.rate == pytest.approx(0.45) and students.total.low
    assert [(r.label, r.n, r.eligible, r.low) for r in students.levels] == [
        ("в т. ч. 5–9 классы", 80, 150, False),
        ("в т. ч. 10–11 классы", 10, 50, True),
    ]
    parents = coverage.forms["parent"]
    assert parents.total.rate == pytest.approx(70 / 250) and parents.total.low
    levels = {r.label: r for r in parents.levels}
    assert levels["в т. ч. 1–4 классы"].n == 0 and levels["в т. ч. 1–4 классы"].hidden
    assert levels["в т. ч. 10–11 классы"].rate is None  # 2 < 5: its n alone
    assert levels["в т. ч. класс не указан"].n == 23
    teachers = coverage.forms["teacher"]
    assert teachers.total.rate == pytest.approx(19 / 40) and teachers.total.low
    assert teachers.levels == []
    text = "\n".join(coverage.warnings)
    assert (
        "Обучающиеся 5–11 классов: охват 45\u00a0% (90 анкет из 200) — ниже порога 50\u00a0%"
        in text
    )
    assert (
        "Обучающиеся 10–11 классов: охват 20\u00a0% (10 анкет из 50) — ниже порога 50\u00a0%"
        in text
    )
    assert "Обучающиеся 5–9 классов" not in text
    assert "Родители: охват 28\u00a0% (70 анкет из 250) — ниже порога 30\u00a0%" in text
    assert "Родители обучающихся 1–4 классов: ни одной анкеты при 50 возможных" in text
    assert "Родители обучающихся 10–11 классов: 2 анкеты при 50 возможных" in text
    assert "Педагоги: охват 48\u00a0% (19 анкет из 40) — ниже порога 50\u00a0%" in text
    assert coverage.total == "179 анкет"
    assert "исключены из анализа" in coverage.quality and "— 6 (обучающиеся 5–11 классов — 6)" in (
        coverage.quality
    )
    assert "Незавершённые анкеты (4) в анализ не входят." in coverage.quality
    assert (
        "не ниже 50\u00a0% для обучающихся и педагогов и не ниже 30\u00a0% для родителей"
        in coverage.rule
    )
    assert coverage.collecting is not None and "31.01.2027" in coverage.collecting
    assert not _pairs_agree("\n".join([*coverage.warnings, coverage.quality, coverage.total]))


def test_a_rate_at_the_threshold_is_enough(forms: dict[str, Instrument]) -> None:
    facts = StudyFacts(
        opens_on=D(2026, 11, 2),
        closes_on=D(2026, 12, 1),
        forms=(
            FormFacts("student_5_11", 1, eligible=100, eligible_by_level={"basic": 100}),
            FormFacts("parent", 1, eligible=100, eligible_by_level={"basic": 100}),
            FormFacts("teacher", 1, eligible=10),
        ),
    )
    grades = {
        "student_5_11": {"A": [6.0] * 50},
        "parent": {"A": [6.0] * 30},
        "teacher": {"A": [math_nan()] * 5},
    }
    coverage = _coverage(forms, grades, facts)
    assert [f.total.rate for f in coverage.forms.values()] == [0.5, 0.3, 0.5]
    assert not any(f.total.low for f in coverage.forms.values())
    assert coverage.warnings == []
    assert set(LOW_RATE) == {"student", "parent", "teacher"}


def test_a_group_below_the_minimum_shows_its_n_alone(forms: dict[str, Instrument]) -> None:
    coverage = _coverage(
        forms,
        {"student_5_11": {"A": [7.0, 7.0, 10.0]}, "teacher": {"A": []}},
        FACTS,
    )
    students = coverage.forms["student_5_11"]
    assert students.total.hidden and students.total.rate is None and students.levels == []
    assert coverage.forms["teacher"].total.n == 0 and coverage.forms["teacher"].total.rate is None
    assert (
        "Обучающиеся 5–11 классов: 3 анкеты — меньше 5, поэтому результаты этой группы в справке "
        "не показываются." in coverage.warnings
    )
    assert (
        "Педагоги: ни одной анкеты, поэтому результаты этой группы в справке не показываются."
        in coverage.warnings
    )
    assert not any("%" in w for w in coverage.warnings)


def test_more_answers_than_the_enrolment_is_capped_and_said(forms: dict[str, Instrument]) -> None:
    facts = StudyFacts(
        opens_on=D(2026, 11, 2),
        closes_on=D(2026, 12, 1),
        forms=(FormFacts("teacher", 1, eligible=10),),
    )
    coverage = _coverage(forms, {"teacher": {"A": [math_nan()] * 12}}, facts)
    row = coverage.forms["teacher"].total
    assert row.rate == 1.0 and row.over
    assert coverage.warnings == [
        "Педагоги: анкет в анализе (12) больше, чем указано в карточке школы (10); охват "
        "принят за 100\u00a0%. Проверьте численность в карточке школы."
    ]


def test_without_facts_the_counts_are_given_and_the_rest_is_said_unknown(
    forms: dict[str, Instrument],
) -> None:
    coverage = _coverage(forms, {"student_5_11": {"A": [7.0] * 20 + [11.0] * 5}}, None)
    students = coverage.forms["student_5_11"]
    assert students.total.n == 25 and students.total.rate is None
    assert [(r.label, r.n) for r in students.levels] == [
        ("в т. ч. 5–9 классы", 20),
        ("в т. ч. 10–11 классы", 5),
    ]
    assert not coverage.known and coverage.warnings == []
    assert coverage.missing is not None and "охват не рассчитан" in coverage.missing
    assert "не переданы" in coverage.quality
    assert coverage.collecting is None


def math_nan() -> float:
    return float("nan")


# -- the title block in HTML and DOCX --------------------------------------------------------


WITH_FACTS = StudyFacts(
    opens_on=D(2026, 11, 2),
    closes_on=D(2027, 1, 31),
    school_short_name="СШ № 7",
    region="Тестовая область",
    forms=(
        FormFacts("student_5_11", 3, complete=20, eligible=40, eligible_by_level={"basic": 40}),
        FormFacts("teacher", 2, complete=19, eligible=40),
    ),
)


def _model(forms: dict[str, Instrument], facts: StudyFacts | None) -> ReferenceModel:
    """20 pupils of grade 7 and 19 teachers of school A."""
    student, teacher = forms["student_5_11"], forms["teacher"]
    return build_school_reference(
        school_code="A",
        school_name="МБОУ «Средняя школа № 7»",
        district_name="Тестовый муниципальный район",
        campaign_title="Осенняя волна",
        period="2026",
        min_group_size=5,
        audiences=[
            ("student_5_11", student, _answers(student, {"A": [7.0] * 20})),
            ("teacher", teacher, _answers(teacher, {"A": [math_nan()] * 19})),
        ],
        generated_on=D(2026, 11, 20),
        study=facts,
    )


def _with_facts(forms: dict[str, Instrument]) -> ReferenceModel:
    return _model(forms, WITH_FACTS)


def _text(html: str) -> str:
    body = html[html.index("<body>") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace(" .", ".")


def test_title_block_in_html(forms: dict[str, Instrument]) -> None:
    preparer = Preparer("Иванова Мария Петровна", "заместитель директора по УВР")
    html = render_html(signed(_with_facts(forms), prepared_by=preparer, approval=True))
    text = _text(html)
    head = text[: text.index("Цель, задачи и организация диагностики")]
    for expected in (
        "РАССМОТРЕНО на заседании педагогического совета",
        "УТВЕРЖДАЮ Директор СШ № 7",
        "МБОУ «Средняя школа № 7»",
        "Тестовый муниципальный район, Тестовая область",
        "Аналитическая справка о причинах низких образовательных результатов",
        "2026/2027 учебный год",
        "Волна диагностики «Осенняя волна»: 02.11.2026–31.01.2027, сбор ответов продолжается",
        "Дата формирования: 20.11.2026",
        "Справку подготовил(а): Иванова Мария Петровна, заместитель директора по УВР",
    ):
        assert expected in head, expected
    assert head.index("УТВЕРЖДАЮ") < head.index("Аналитическая справка")
    assert "2026 год" not in head and ", 2026." not in head
    plan = text[text.index("Цель, задачи") : text.index("Выборка и охват")]
    assert "Провести анонимное анкетирование обучающихся 5–11 классов и педагогов." in plan
    assert "Сроки проведения: с 02.11.2026 по 31.01.2027 (2026/2027 учебный год)" in plan
    assert "Участники: обучающиеся 5–11 классов и педагоги." in plan
    assert "Анкета для обучающихся 5–11 классов, версия 3" in plan
    assert "Анкета для педагогов, версия 2" in plan
    sample = text[text.index("Выборка и охват") :]
    assert "Всего в анализе — 39 анкет." in sample
    assert "Педагоги: охват 48 % (19 анкет из 40) — ниже порога 50 %" in sample


def test_title_block_without_facts_or_signer_says_what_is_unknown(
    forms: dict[str, Instrument],
) -> None:
    text = _text(render_html(_model(forms, None)))
    head = text[: text.index("Цель, задачи и организация диагностики")]
    assert "УТВЕРЖДАЮ" not in head
    assert "Учебный год не указан" in head
    assert "Волна диагностики «Осенняя волна»: сроки проведения не указаны" in head
    assert "Справку подготовил(а): ____" in head and "(ФИО, должность)" in head
    assert "Сроки проведения: не указаны." in text
    assert "охват не рассчитан" in text


def test_title_block_in_docx(forms: dict[str, Instrument]) -> None:
    preparer = Preparer("Иванова Мария Петровна", "заместитель директора по УВР")
    model = signed(_with_facts(forms), prepared_by=preparer, approval=True)
    document = docx.Document(io.BytesIO(render_docx(model)))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    styles = [s for s, _ in paragraphs]
    # «РАССМОТРЕНО» and «УТВЕРЖДАЮ» side by side, as on the page: the first thing of the
    # document is a borderless table of one row and two cells
    body = document.element.body
    first = next(iter(body))
    assert first.tag == qn("w:tbl")
    block = document.tables[0]
    assert len(block.rows) == 1 and len(block.columns) == 2
    consider, approve = block.rows[0].cells
    assert [p.style.name for p in consider.paragraphs] == ["Consideration"]
    assert [p.style.name for p in approve.paragraphs] == ["Approval"]
    assert consider.text.startswith("РАССМОТРЕНО")
    assert approve.text.splitlines()[:2] == ["УТВЕРЖДАЮ", "Директор СШ № 7"]
    borders = block._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None and {b.get(qn("w:val")) for b in borders} == {"nil"}
    title = styles.index("Title")
    assert paragraphs[title][1] == (
        "Аналитическая справка о причинах низких образовательных результатов"
    )
    meta = [t for s, t in paragraphs if s == "Meta"]
    assert meta == [
        "МБОУ «Средняя школа № 7»",
        "Тестовый муниципальный район, Тестовая область",
        "2026/2027 учебный год",
        "Волна диагностики «Осенняя волна»: 02.11.2026–31.01.2027, сбор ответов продолжается",
        "Дата формирования: 20.11.2026",
        "Справку подготовил(а): Иванова Мария Петровна, заместитель директора по УВР",
    ]
    # everything above the table of contents: the title block
    assert styles.index("TOC Heading") > styles.index("Meta")
    headings = [t for s, t in paragraphs if s == "Heading 1"]
    assert headings[:2] == ["Цель, задачи и организация диагностики", "Выборка и охват"]
    tables = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert ["Группа респондентов", "Анкета (версия)"] in tables
    assert ["Группа респондентов", "Анкета", "Могли ответить", "Анкет в анализе", "Охват"] in (
        tables
    )
    # without the option, no approval block
    plain = docx.Document(io.BytesIO(render_docx(_with_facts(forms))))
    in_cells = [p for t in plain.tables for c in t._cells for p in c.paragraphs]
    assert not [
        p for p in [*plain.paragraphs, *in_cells] if p.style.name in ("Approval", "Consideration")
    ]
