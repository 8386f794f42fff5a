"""The reference's Russian, checked by generating it (issue 15, language).

A synthetic district (the demo's model of answers, :func:`surveys.demo_answers.simulate_answers`,
without a database: 22 schools, a planted school, a school whose groups are under the minimum,
assessment results of two years and a previous wave) gives whole references, rendered as HTML
and as DOCX (read back with python-docx); the same models with their figures replaced by many
synthetic values (counts 0–200, shares 0–100 %, negative and positive figures, missing values)
and the text builders run over the same ranges. Every text must be free of placeholders
(«None», «nan», «inf», template braces), double brackets, hyphens for minus signs, decimal
points and plain spaces before «%»; its nouns must agree with their numbers; and no Latin word
may appear outside the appendix, which alone may use the statistical terms (SD, ICC, POMP and
the single letters of its formulas) and the questionnaires' codes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import docx
import numpy as np
import pandas as pd
import pytest

from analysis.memo import memo_scope
from analysis.report import ReferenceModel, build_school_reference, render_html
from analysis.report.appendix import build_appendix, reliability_rule, suppression_rule
from analysis.report.appendix_method import method_parts
from analysis.report.coverage import build_coverage, coverage_rule
from analysis.report.docx import render_docx
from analysis.report.dynamics_section import Wave
from analysis.report.profile import _short_text, _value_text
from analysis.report.results_section import points_text, share_text
from analysis.report.russian import (
    MINUS,
    NBSP,
    ru_count,
    ru_int,
    ru_number,
    ru_percent,
    ru_points,
    ru_range,
)
from analysis.report.study import FormFacts, StudyFacts
from analysis.risk import BANDS, COMPOSITION_BANDS, composition_band
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import Instrument, parse_instrument, text_in
from surveys.demo_answers import FACTORS, simulate_answers

DAY = dt.date(2026, 12, 7)
FORMS = ("student_2_4", "student_5_11", "parent", "teacher", "administration")
SCHOOLS = [f"S{i:02d}" for i in range(1, 23)]
PLANTED = "S01"
#: a school with fewer answers than the minimum in every group of respondents
SMALL = "S22"
MIN_GROUP = 5

# -- what every text of the reference must (not) contain ---------------------------------------

NOUNS = {
    "анкета": ("анкета", "анкеты", "анкет"),
    "школа": ("школа", "школы", "школ"),
    "вопрос": ("вопрос", "вопроса", "вопросов"),
    "ответ": ("ответ", "ответа", "ответов"),
    "шкала": ("шкала", "шкалы", "шкал"),
    "процедура": ("процедура", "процедуры", "процедур"),
    "причина": ("причина", "причины", "причин"),
}
_FORM_OF = {form: (stem, i) for stem, forms in NOUNS.items() for i, form in enumerate(forms)}
# «число существительное»; «из 3 процедур» and the like are genitive plural after «из», which
# the nominative table would misread, so the word before the number is kept to skip them
_PAIR = re.compile(
    r"(?:(\w+)\s)?(?<![\d,.\u2013–-])(\d{1,3}(?:\u00a0\d{3})*)[ \u00a0]("
    + "|".join(sorted(_FORM_OF, key=len, reverse=True))
    + r")(?![а-яё])"
)
#: after these words a number governs the genitive («из 5 процедур», «не меньше 5 ответов»)
_GENITIVE_BEFORE = {"из", "меньше", "больше", "более", "менее", "минимуме", "до", "от", "около"}
_PLACEHOLDERS = re.compile(r"\bNone\b|\bnan\b|\bNaN\b|\binf\b|\(\(|\)\)|\{\{|\}\}|\{%|%\}")
_LATIN = re.compile(r"[A-Za-z]+")
#: the Latin the appendix may hold: statistical terms and the one-letter symbols of formulas
APPENDIX_LATIN = {"SD", "ICC", "POMP"}
_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
#: statistical terms the body (everything before «Приложения») never uses, in any script
BODY_JARGON = re.compile(r"\bSD\b|z-оценк|ρ|\bPOMP\b|\bICC\b|дисперси", re.IGNORECASE)


def _agreeing(n: int) -> int:
    """Which form (0 one, 1 few, 2 many) a noun takes after ``n``, by the grammar books'
    table of endings rather than by arithmetic on remainders."""
    last_two = f"{n:02d}"[-2:]
    if last_two in {"11", "12", "13", "14"}:
        return 2
    return {"1": 0, "2": 1, "3": 1, "4": 1}.get(last_two[-1], 2)


def disagreements(text: str) -> list[str]:
    """Every «number noun» of :data:`NOUNS` in the nominative whose noun does not agree."""
    wrong = []
    for before, number, noun in _PAIR.findall(text):
        if before.lower() in _GENITIVE_BEFORE:
            continue
        n = int(number.replace("\u00a0", ""))
        _, form = _FORM_OF[noun]
        if form != _agreeing(n):
            wrong.append(f"{before} {number} {noun}".strip())
    return wrong


def problems(text: str, *, appendix: bool = False) -> list[str]:
    """What is wrong with a text of the reference (empty when nothing is)."""
    found = [f"заглушка: {m!r}" for m in _PLACEHOLDERS.findall(text)]
    found += [f"не согласовано: {p}" for p in disagreements(text)]
    undated = _DATE.sub("", text)
    found += [f"дефис вместо минуса: {m!r}" for m in re.findall(r"(?<![\w\d])-\d[\d,]*", undated)]
    found += [f"точка в числе: {m!r}" for m in re.findall(r"\d\.\d", undated)]
    found += [f"пробел перед %: {m!r}" for m in re.findall(r"\d[ \u202f]%", text)]
    for word in _LATIN.findall(text):
        if appendix and (word in APPENDIX_LATIN or len(word) == 1):
            continue
        found.append(f"латиница: {word!r}")
    return found


# -- the rendered page as text ---------------------------------------------------------------


def page_text(html: str) -> tuple[str, str]:
    """The body's text before the appendix and the appendix's, as a reader sees them: tags
    dropped (the questionnaires' codes, set as ``<code>``, with theirs), blocks apart."""
    body = html[html.index("<body>") :]
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<code>.*?</code>", " ", body, flags=re.S)
    start = body.find('<section class="appendix">')
    main, appendix = (body, "") if start < 0 else (body[:start], body[start:])

    def text(part: str) -> str:
        part = re.sub(r"</(p|li|h\d|tr|td|th|div|header|section)>|<br>", "\n", part)
        return unescape(re.sub(r"<[^>]+>", " ", part))

    return text(main), text(appendix)


def docx_text(data: bytes) -> tuple[str, str]:
    """The DOCX's paragraphs and table cells in document order, split at the appendix's
    heading (not at its line in the table of contents, which lists every heading: the body
    would be the contents alone); the questionnaires' codes (the first column of the last
    table) left out."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            if paragraph.style is not None and paragraph.style.name.startswith("TOC"):
                continue
            lines.append(paragraph.text)
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            codes = [c.text for c in table.rows[0].cells][:1] == ["Код"]
            for row in table.rows:
                cells = [c.text for c in row.cells]
                lines.append(" | ".join(cells[1:] if codes else cells))
    text = "\n".join(lines)
    cut = text.find("\nПриложения\n")
    return (text, "") if cut < 0 else (text[:cut], text[cut:])


# -- a synthetic district --------------------------------------------------------------------


def _instruments() -> dict[str, Instrument]:
    return {code: builtin(code) for code in FORMS}


def _sizes(code: str, form: str, rng: np.random.Generator) -> int:
    if code == SMALL:
        return {"administration": 1, "teacher": 3}.get(form, 2)
    return {
        "student_2_4": int(rng.integers(15, 45)),
        "student_5_11": int(rng.integers(25, 80)),
        "parent": int(rng.integers(10, 50)),
        "teacher": int(rng.integers(8, 25)),
        "administration": 1,
    }[form]


def _wave(seed: int, planted: float) -> tuple[dict[str, tuple[Instrument, pd.DataFrame]], dict]:
    """Every form's answers of :data:`SCHOOLS`; the planted school's risks raised by
    ``planted`` (in SD of the respondents)."""
    rng = np.random.default_rng(seed)
    instruments = _instruments()
    risks = {code: {f: float(rng.normal(0, 0.4)) for f in FACTORS} for code in SCHOOLS}
    for factor in ("language", "sen", "motivation"):
        risks[PLANTED][factor] += planted
    data = {}
    for form, instrument in instruments.items():
        frames = []
        for code in SCHOOLS:
            n = _sizes(code, form, rng)
            low, high = instrument.grades or (1, 11)
            grades = rng.integers(low, high + 1, n)
            rows = simulate_answers(
                instrument, n, risks[code], rng, grades=grades, enrolment_total=400
            )
            frame = pd.DataFrame(rows)
            frame.insert(0, "school_code", code)
            frames.append(frame)
        data[form] = (instrument, pd.concat(frames, ignore_index=True))
    return data, risks


def _results(risks: dict[str, dict[str, float]], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for code in SCHOOLS:
        base = 0.1 + 0.04 * (risks[code]["motivation"] + risks[code]["language"])
        for year in (2025, 2026):
            for subject in ("Математика", "Русский язык"):
                for grade in (5, 6, 7):
                    share = float(np.clip(base + rng.normal(0, 0.02), 0.0, 0.6))
                    rows.append(
                        {
                            "school_code": code,
                            "year": year,
                            "assessment": "ВПР",
                            "subject": subject,
                            "grade": grade,
                            "participants": int(rng.integers(8, 60)),
                            "mean_score": 3.9 - 2 * share,
                            "share_failing": share,
                        }
                    )
    return pd.DataFrame(rows)


def _facts(data: dict[str, tuple[Instrument, pd.DataFrame]], code: str) -> StudyFacts:
    forms = []
    for key, (_, answers) in data.items():
        n = int((answers["school_code"] == code).sum())
        eligible = {"administration": 1, "teacher": 30}.get(key, 3 * n + 7)
        forms.append(FormFacts(key, 1, complete=n, flagged=n // 10, partial=2, eligible=eligible))
    return StudyFacts(
        opens_on=dt.date(2026, 11, 2),
        closes_on=dt.date(2027, 1, 31),
        school_short_name=f"СОШ {code}",
        region="Тестовая область",
        forms=tuple(forms),
    )


@dataclasses.dataclass(frozen=True)
class District:
    data: dict[str, tuple[Instrument, pd.DataFrame]]
    results: pd.DataFrame
    previous: Wave
    models: dict[str, ReferenceModel]


@pytest.fixture(scope="module")
def district() -> District:
    data, risks = _wave(7, planted=1.5)
    before, _ = _wave(8, planted=0.5)
    results = _results(risks, 9)
    status = pd.DataFrame(
        {"low_results": [c == PLANTED for c in SCHOOLS], "adverse_conditions": False},
        index=pd.Index(SCHOOLS, name="school_code"),
    )
    previous = Wave(
        title="Весенняя волна", min_group_size=MIN_GROUP, data=before, dates="01.03.2026–30.04.2026"
    )
    models = {}
    with memo_scope():
        for code in (PLANTED, "S02", SMALL):
            models[code] = build_school_reference(
                school_code=code,
                school_name=f"МБОУ «Средняя общеобразовательная школа № {code[1:]}»",
                district_name="Тестовый муниципальный район",
                campaign_title="Осенняя волна",
                period="2026",
                min_group_size=MIN_GROUP,
                audiences=[(k, i, a) for k, (i, a) in data.items()],
                generated_on=DAY,
                catalogue=builtin_risk_factors(),
                results=results[results["year"] == 2026],
                status=status,
                previous=previous,
                study=_facts(data, code),
                assessment_history=results,
            )
    return District(data, results, previous, models)


# -- the whole reference ---------------------------------------------------------------------


@pytest.mark.parametrize("code", [PLANTED, "S02", SMALL])
def test_reference_html_reads_as_russian(district: District, code: str) -> None:
    main, appendix = page_text(render_html(district.models[code]))
    assert "Приложение 1" in appendix and "Вероятные причины" in main
    assert problems(main) == []
    assert problems(appendix, appendix=True) == []


def test_reference_docx_reads_as_russian(district: District) -> None:
    main, appendix = docx_text(render_docx(district.models[PLANTED]))
    assert "Приложение 4. Использованные анкеты" in appendix
    assert problems(main) == []
    assert problems(appendix, appendix=True) == []
    assert BODY_JARGON.findall(main) == []


def _body_texts(model: ReferenceModel) -> list[str]:
    """The sentences the body's builders make, whether a template shows them today or not:
    the profile's rows, the warnings and notes of the causes, the causes, the summary."""
    risk = model.risk
    assert risk is not None
    texts = [f.text for f in risk.factors] + list(risk.warnings) + [c.text for c in risk.causes]
    texts += [risk.model_note or ""]
    if model.summary is not None:
        texts += [f.text for f in model.summary.findings]
    return texts


@pytest.fixture(scope="module")
def few_schools(district: District) -> ReferenceModel:
    """A reference of a district of three schools: too few to share the results' differences
    out among the factors, so the causes part warns of it."""
    kept = SCHOOLS[:3]
    data = {
        key: (instrument, answers[answers["school_code"].isin(kept)].reset_index(drop=True))
        for key, (instrument, answers) in district.data.items()
    }
    results = district.results[district.results["school_code"].isin(kept)]
    with memo_scope():
        return build_school_reference(
            school_code="S02",
            school_name="МБОУ «Средняя общеобразовательная школа № 02»",
            district_name="Тестовый муниципальный район",
            campaign_title="Осенняя волна",
            period="2026",
            min_group_size=MIN_GROUP,
            audiences=[(k, i, a) for k, (i, a) in data.items()],
            generated_on=DAY,
            catalogue=builtin_risk_factors(),
            results=results[results["year"] == 2026],
            study=_facts(data, "S02"),
        )


def test_body_has_no_statistical_terms(district: District, few_schools: ReferenceModel) -> None:
    """SD, z-оценки, ρ, POMP, ICC and «дисперсия» are the appendix's words: not in the body of
    any reference (a district of 22 schools, and one of three, whose causes part warns that
    the schools are too few), nor in any sentence its builders make."""
    assert few_schools.risk is not None and few_schools.risk.warnings
    for model in [*district.models.values(), few_schools]:
        main, appendix = page_text(render_html(model))
        assert "Приложение 1" in appendix
        assert BODY_JARGON.findall(main) == [], model.school_code
        for text in _body_texts(model):
            assert BODY_JARGON.findall(text) == [], text
            assert problems(text) == [], text


def _replace_rows(model: ReferenceModel, values: Iterator[dict[str, Any]]) -> ReferenceModel:
    """``model`` with the figures of its scale rows (body and appendix alike) replaced."""
    sections = [
        dataclasses.replace(s, rows=[dataclasses.replace(r, **next(values)) for r in s.rows])
        for s in model.sections
    ]
    by_code = {s.instrument_code: s for s in sections}
    assert model.appendix is not None
    forms = [
        dataclasses.replace(
            f,
            section=by_code.get(f.section.instrument_code) if f.section else None,
            reliability=[
                dataclasses.replace(r, **{k: v for k, v in next(values).items() if k in ("n",)})
                for r in f.reliability
            ],
        )
        for f in model.appendix.forms
    ]
    return dataclasses.replace(
        model, sections=sections, appendix=dataclasses.replace(model.appendix, forms=forms)
    )


def _synthetic_rows(seed: int) -> Iterator[dict[str, Any]]:
    """Scale figures over their whole range, and missing: n 0–200, means and POMP below and
    above any item range, shares 0–100 %, ICC of either sign, NaN and None."""
    rng = np.random.default_rng(seed)
    missing = (None, float("nan"))
    while True:
        n = int(rng.integers(0, 201))
        suppressed = n < MIN_GROUP or bool(rng.random() < 0.1)
        mean = float(rng.normal(0, 3)) if rng.random() > 0.1 else missing[int(rng.integers(2))]
        half = abs(float(rng.normal(0, 1)))
        yield {
            "n": n,
            "suppressed": suppressed,
            "mean": mean,
            "ci_low": None if mean is None or mean != mean else mean - half,
            "ci_high": None if mean is None or mean != mean else mean + half,
            "pomp": float(rng.uniform(-5, 105)) if rng.random() > 0.1 else float("nan"),
            "prevalence": float(rng.integers(0, 101)) / 100 if rng.random() > 0.5 else None,
            "icc": float(rng.normal(0, 0.05)) if rng.random() > 0.1 else None,
        }


@pytest.mark.parametrize("seed", range(6))
def test_reference_over_synthetic_figures(district: District, seed: int) -> None:
    model = _replace_rows(district.models["S02"], _synthetic_rows(seed))
    main, appendix = page_text(render_html(model))
    assert problems(main) == []
    assert problems(appendix, appendix=True) == []


# -- the text builders over many values ------------------------------------------------------


def test_sample_phrases_agree() -> None:
    assert [ru_count(n, *NOUNS["школа"]) for n in (1, 4, 5)] == ["1 школа", "4 школы", "5 школ"]
    assert ru_count(21, *NOUNS["анкета"]) == "21 анкета"
    assert ru_count(41, *NOUNS["вопрос"]) == "41 вопрос"
    assert f"150 анкет на {ru_count(41, *NOUNS['вопрос'])}" == "150 анкет на 41 вопрос"
    assert ru_count(1301, *NOUNS["анкета"]) == f"1{NBSP}301 анкета"
    # the checker itself: it finds what does not agree, and only that
    assert disagreements("5 анкеты, 21 анкета, 3 ответов, 12 школ, из 3 процедур") == [
        "5 анкеты",
        "3 ответов",
    ]


@pytest.mark.parametrize("n", range(201))
def test_counted_phrases_agree_from_0_to_200(n: int) -> None:
    for noun, forms in NOUNS.items():
        assert ru_count(n, *forms).endswith(forms[_agreeing(n)]), (n, noun)
    texts = [
        _short_text([("teacher", n), ("parent", n + 1)], n + 2),
        coverage_rule(max(n, 1)),
        reliability_rule(max(n, 1)),
        *suppression_rule(max(n, 1)),
    ]
    for part in method_parts(
        list(_instruments().values()),
        min_group_size=max(n, 1),
        with_risk=True,
        catalogue=builtin_risk_factors(),
    ):
        texts += [b.text for b in (*part.blocks, *part.after)] + part.steps
    for text in texts:
        assert problems(text, appendix=True) == [], text


@pytest.mark.parametrize("n", [0, 1, 2, 4, 5, 11, 21, 22, 25, 101, 111, 150, 200])
def test_coverage_texts_agree_over_counts(n: int) -> None:
    instrument = builtin("student_5_11")
    answers = pd.DataFrame({"school_code": ["A"] * n, "grade": [7] * n})
    for eligible in (n, 2 * n + 1, 3 * n + 10, max(n - 1, 1)):
        facts = StudyFacts(
            opens_on=dt.date(2026, 11, 2),
            closes_on=dt.date(2027, 1, 31),
            forms=(
                FormFacts(
                    "student_5_11",
                    3,
                    complete=n,
                    flagged=n // 3,
                    partial=n // 4,
                    eligible=eligible,
                    eligible_by_level={"basic": eligible},
                ),
            ),
        )
        coverage = build_coverage(
            "A",
            [("student_5_11", instrument, answers, "Обучающиеся")],
            facts,
            min_group_size=MIN_GROUP,
            today=DAY,
        )
        for text in [coverage.total, coverage.quality, *coverage.warnings, coverage.rule]:
            assert problems(text) == [], text


@pytest.mark.parametrize("percent", range(101))
def test_shares_read_as_percentages(percent: int) -> None:
    share = percent / 100
    for text in (
        ru_percent(share),
        share_text(share),
        _value_text(pd.Series({"statistic": "share", "value": share, "n": 40})),
        _value_text(pd.Series({"statistic": "prevalence", "value": share, "n": 40})),
        _value_text(pd.Series({"statistic": "value", "value": percent, "n": 1}), "percent"),
    ):
        assert text.endswith(f"{NBSP}%") and problems(text) == [], text
    yes_no = _value_text(pd.Series({"statistic": "share", "value": share, "n": 1}))
    assert yes_no == ("да" if share >= 0.5 else "нет")


@pytest.mark.parametrize("value", [-3.456, -1.5, -0.5, -0.004, 0.0, 0.004, 0.5, 1.5, 12345.678])
def test_signed_figures_use_the_minus_sign(value: float) -> None:
    for text in (ru_number(value), ru_number(value, 1, sign=True), ru_points(value / 100)):
        assert "-" not in text and problems(text) == [], text
        assert text.startswith(MINUS) == (
            round(value, 1 if "п." in text else 2) < 0
            and not set(text) <= set(f"{MINUS}0,{NBSP}п.+")
        )
    assert ru_number(-0.004) == "0,00" and ru_number(-1.5) == f"{MINUS}1,50"
    assert ru_number(1.5, 1, sign=True) == "+1,5"


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), -float("inf"), "x"])
def test_no_value_is_a_dash(value: object) -> None:
    assert {ru_number(value), ru_int(value), ru_percent(value), ru_points(value)} == {"—"}
    assert ru_range(value, 1.0) == "—"


def test_numbers_and_ranges_print_the_russian_way() -> None:
    assert ru_int(1301) == f"1{NBSP}301" and ru_number(1234567.891) == f"1{NBSP}234{NBSP}567,89"
    assert ru_range(12, 15, 0) == "12–15" and ru_range(2.314, 2.531) == "2,31–2,53"
    assert ru_range(-0.12, 0.3) == f"от {MINUS}0,12 до 0,30"
    assert (
        ru_percent(0.083, 1) == f"8,3{NBSP}%"
        and points_text(-0.02) == f"{MINUS}2,0{NBSP}п.{NBSP}п."
    )


# -- no «хуже» about children; one name per scale --------------------------------------------


@pytest.mark.parametrize("z", [-3.0, -1.5, -1.0, -0.5, 0.0, 0.49, 0.5, 1.2, 1.5, 4.0])
def test_who_the_pupils_are_is_never_better_or_worse(z: float) -> None:
    words = composition_band(z)
    assert words in COMPOSITION_BANDS and "хуже" not in words and "лучше" not in words
    assert ("выше" in words) == (z >= 0.5) and ("ниже" in words) == (z < -0.5)
    assert len(COMPOSITION_BANDS) == len(BANDS)


def test_pupils_indicators_are_positioned_without_judging(district: District) -> None:
    catalogue = builtin_risk_factors()
    pupils = {text_in(i.title) for f in catalogue.factors for i in f.indicators if i.describes}
    assert {
        "Доля обучающихся с ОВЗ",
        "Доля обучающихся, для которых русский язык не родной",
    } <= pupils
    risk = district.models[PLANTED].risk
    assert risk is not None
    shown = [i for f in risk.factors for i in f.indicators if i.title in pupils and i.band]
    assert shown and all(i.band in COMPOSITION_BANDS for i in shown)
    assert risk.parts is not None
    lines = [i for part in risk.parts.parts for i in part.indicators if i.title in pupils]
    assert lines and all("хуже" not in i.position and "лучше" not in i.position for i in lines)


def test_factors_describing_pupils_are_never_worse(district: District) -> None:
    """A factor whose indicators describe who the pupils are (another home language, special
    needs) is «выше среднего по району», never «хуже» or «лучше», in every sentence that
    speaks of the factor as a whole: the summary, the factor's part, the probable causes, the
    risk profile chart's table and the profile's rows. The planted school has «Языковые и
    культурные барьеры» at «высокий» (its pupils were given another home language)."""
    catalogue = builtin_risk_factors()
    about_pupils = {
        text_in(f.title) for f in catalogue.factors if any(i.describes for i in f.indicators)
    }
    assert "Языковые и культурные барьеры" in about_pupils
    judged = re.compile(r"хуже|лучше")
    seen_at_risk = False
    for model in district.models.values():
        risk, summary = model.risk, model.summary
        assert risk is not None and summary is not None and risk.parts is not None
        texts = [f.text for f in summary.findings if f.title in about_pupils]
        seen_at_risk |= bool(texts)
        for finding in texts:
            assert "выше среднего по району" in finding, finding
        texts += [" ".join(p.findings) for p in risk.parts.parts if p.title in about_pupils]
        texts += [str(line) for line in risk.parts.lines if line.title in about_pupils]
        texts += [c.text for c in risk.causes if c.title in about_pupils]
        texts += [f.text for f in risk.factors if f.title in about_pupils]
        texts += [
            " ".join(row)
            for row in summary.chart.table.rows
            if row[0].split(" (показатель")[0] in about_pupils
        ]
        for text in texts:
            assert judged.findall(text) == [], text
    assert seen_at_risk


def test_conclusions_name_the_groups_with_low_coverage(district: District) -> None:
    """The conclusions name a group with low coverage as the coverage part does
    («обучающиеся 2–4 классов — 31 %»), not by the table's label with the form's title
    («обучающиеся — Анкета для обучающихся 2–4 классов — 31 %»), and its share as a
    percentage with a no-break space."""
    conclusions = district.models[PLANTED].conclusions
    assert conclusions is not None
    (low,) = [p for p in conclusions.findings if p.startswith("Охват анкетированием")]
    assert "обучающиеся 2–4 классов — " in low and "обучающиеся 5–11 классов — " in low
    assert "Анкета" not in low and problems(low) == []


def test_positions_follow_the_bands_of_analysis_risk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The words of an indicator's position are read from :data:`analysis.risk.BANDS` (which
    the appendix prints), not from thresholds typed again: move the bands and the words move
    with them."""
    from analysis import risk
    from analysis.report.factor_indicators import position_text

    assert [position_text(z) for z in (-2.0, -1.0, 0.0, 0.7, 1.6)] == [
        "значительно ниже среднего",
        "заметно ниже среднего",
        "на уровне среднего",
        "заметно выше среднего",
        "значительно выше среднего",
    ]
    wider = tuple((low * 2, high * 2, label) for low, high, label in risk.BANDS)  # ±1 and ±3
    monkeypatch.setattr(risk, "BANDS", wider)
    assert position_text(0.7) == "на уровне среднего"
    assert position_text(2.0) == "заметно выше среднего"
    assert position_text(-3.5) == "значительно ниже среднего"
    # the indicators the parts name as «повлияли» follow the same bands
    from analysis.report.factor_indicators import on_risk_side

    assert not on_risk_side(0.7) and on_risk_side(2.0)


_GRADES = re.compile(r" \(ученики \d+–\d+ классов\)$")


def test_one_name_per_scale() -> None:
    """A scale's score is named by the scale's title wherever it appears (the profile's
    indicators of two factors and the appendix's tables), with the grades when two forms
    have a scale of that name."""
    instruments = {i.code: i for i in map(builtin, FORMS)}
    names: dict[tuple[str, str], set[str]] = {}
    for factor in builtin_risk_factors().factors:
        for indicator in factor.indicators:
            if indicator.scale is None or indicator.statistic not in ("mean", "pomp"):
                continue
            if indicator.instrument not in instruments:
                continue
            key = (indicator.instrument, indicator.scale)
            names.setdefault(key, set()).add(_GRADES.sub("", text_in(indicator.title)))
    for (form, code), titles in names.items():
        scale = next(s for s in instruments[form].scales if s.code == code)
        assert titles == {text_in(scale.title)}, (form, code, titles)


# -- the appendix ----------------------------------------------------------------------------


def _own(questions: int) -> Instrument:
    return parse_instrument(
        {
            "code": "own",
            "title": "Авторская анкета",
            "audience": "teacher",
            "response_scales": [
                {
                    "code": "agree4",
                    "options": [{"value": v, "label": f"вариант {v}"} for v in range(1, 5)],
                }
            ],
            "sections": [
                {
                    "code": "main",
                    "title": "Вопросы",
                    "items": [
                        {
                            "code": f"q{i}",
                            "type": "likert",
                            "response_scale": "agree4",
                            "text": f"Вопрос {i}",
                        }
                        for i in range(1, questions + 1)
                    ],
                }
            ],
            "scales": [
                {
                    "code": "s",
                    "title": "Шкала",
                    "items": [f"q{i}" for i in range(1, questions + 1)],
                    "higher_is": "favourable",
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("questions", "expected"),
    [(1, "1 вопрос"), (4, "4 вопроса"), (21, "21 вопрос"), (41, "41 вопрос")],
)
def test_questionnaires_are_counted_in_words(questions: int, expected: str) -> None:
    instrument = _own(questions)
    answers = pd.DataFrame(
        {
            "school_code": ["A"] * 12,
            **{f"q{i}": [1 + (j + i) % 4 for j in range(12)] for i in range(1, questions + 1)},
        }
    )
    appendix = build_appendix(
        forms=[("own", instrument, answers, "Педагоги")],
        sections=[],
        versions={"own": 2},
        min_group_size=MIN_GROUP,
        with_risk=False,
    )
    form = appendix.forms[0]
    assert (form.questions, form.scales, form.version) == (
        expected.replace(" ", "\u00a0"),
        "1\u00a0шкала",
        2,
    )
    assert form.answers == "12 анкет"
    assert [part.title for part in appendix.method] == ["Баллы по шкалам"]
