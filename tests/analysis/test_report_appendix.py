"""The reference's appendices (issue 15, content item 11): the scales' reliability over the
campaign's reportable answers, the method worded from the code's own constants (change a
constant and the text follows), the suppression rule, the questionnaires used."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from analysis import causes, indicators, risk
from analysis.privacy import POOLED_SCHOOL, reportable
from analysis.psychometrics import cronbach_alpha, omega
from analysis.report import build_school_reference, render_html
from analysis.report.appendix import DOUBTFUL, RELIABLE, build_appendix, form_reliability
from analysis.report.appendix_method import method_parts, one_sided_percent, two_sided_percent
from analysis.report.profile import CAUSES_SHOWN
from analysis.report.russian import ru_number
from analysis.report.study import FormFacts, StudyFacts
from analysis.scoring import keyed_items
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import Instrument, text_in
from surveys.demo_answers import FACTORS, simulate_answers

MIN_GROUP = 5
#: school -> respondents; «E» is under the minimum
SIZES = {"A": 14, "B": 11, "C": 9, "D": 12, "E": 3}


def _answers(instrument: Instrument, seed: int = 1, flip: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for code, n in SIZES.items():
        risks = {f: float(rng.normal(0, 0.5)) for f in FACTORS}
        low, high = instrument.grades or (1, 11)
        grades = rng.integers(low, high + 1, n)
        frame = pd.DataFrame(simulate_answers(instrument, n, risks, rng, grades=grades))
        if flip and code == "E":  # the hidden school's answers turned to the other extreme
            for item in instrument.items():
                if item.code in frame and item.response_scale:
                    low, high = instrument.item_range(item)
                    frame[item.code] = low + high - frame[item.code]
        frame.insert(0, "school_code", code)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def teacher() -> Instrument:
    return builtin("teacher")


def _text(parts: list) -> str:
    return " ".join(
        [p.title for p in parts]
        + [b.text for p in parts for b in (*p.blocks, *p.after)]
        + [s for p in parts for s in p.steps]
    )


def test_reliability_is_the_psychometrics_over_the_reportable_answers(teacher: Instrument) -> None:
    """α and ω of each scale over the schools at or above the minimum, and on a scale only
    those with the minimum scored on it: school D has 12 teachers, 3 of them answered the
    personal burnout items."""
    answers = _answers(teacher)
    scale = next(s for s in teacher.scales if s.code == "burnout_personal")
    skipped = answers.index[answers["school_code"].eq("D")][3:]
    answers.loc[skipped, list(scale.items)] = np.nan
    table = form_reliability(answers, teacher, min_group_size=MIN_GROUP).set_index("scale")
    kept, hidden = reportable(answers, audience="teacher", min_group_size=MIN_GROUP)
    assert hidden == {"E": 3} and len(kept) == len(answers) - 3
    for each in teacher.scales:
        rows = kept[kept["school_code"] != "D"] if each is scale else kept
        keyed = keyed_items(rows, teacher, each)
        alpha = cronbach_alpha(keyed, items=list(each.items)).raw_alpha
        assert table.loc[each.code, "alpha"] == pytest.approx(alpha, abs=1e-12), each.code
        if len(each.items) >= 3:
            total = omega(keyed, items=list(each.items)).omega_total
            assert table.loc[each.code, "omega_total"] == pytest.approx(total, abs=1e-12)
    # the hidden school's answers move nothing: α and ω rest on the others' alone
    flipped = _answers(teacher, flip=True)
    flipped.loc[skipped, list(scale.items)] = np.nan
    again = form_reliability(flipped, teacher, min_group_size=MIN_GROUP).set_index("scale")
    pd.testing.assert_frame_equal(again, table)
    # and neither do D's three on the scale they are too few on
    moved = answers.copy()
    moved.loc[answers.index[answers["school_code"].eq("D")][:3], list(scale.items)] = 1.0
    moved_table = form_reliability(moved, teacher, min_group_size=MIN_GROUP).set_index("scale")
    assert moved_table.loc[scale.code, "alpha"] == table.loc[scale.code, "alpha"]


def test_the_appendix_lists_every_form_with_its_version_and_size(teacher: Instrument) -> None:
    student = builtin("student_5_11")
    forms = [
        ("teacher", teacher, _answers(teacher), "Педагоги"),
        ("student_5_11", student, _answers(student, 2), "Обучающиеся"),
    ]
    appendix = build_appendix(
        forms=forms,
        sections=[],
        versions={"teacher": 7},
        min_group_size=MIN_GROUP,
        with_risk=False,
    )
    by_key = {f.key: f for f in appendix.forms}
    assert by_key["teacher"].version == 7 and by_key["student_5_11"].version == student.version
    assert by_key["teacher"].questions == "50\u00a0вопросов"
    assert by_key["teacher"].scales == "9\u00a0шкал"
    assert by_key["student_5_11"].respondents == "Обучающиеся, 5–11 классы"
    # the reliability table holds every scale, flagged where α (or ω) is low
    for form in appendix.forms:
        assert [r.code for r in form.reliability] == [
            s.code for s in form_instrument(forms, form.key).scales
        ]
        for row in form.reliability:
            value = row.omega if row.omega is not None else row.alpha
            if value is None or round(value, 2) >= RELIABLE:
                assert row.caution is None
            else:
                assert row.caution == (
                    "низкая" if round(value, 2) < DOUBTFUL else "удовлетворительная"
                )


def form_instrument(forms: list, key: str) -> Instrument:
    return next(instrument for k, instrument, _, _ in forms if k == key)


def test_suppression_rule_names_the_minimum_and_the_pooled_code(teacher: Instrument) -> None:
    appendix = build_appendix(
        forms=[("teacher", teacher, _answers(teacher), "Педагоги")],
        sections=[],
        versions={},
        min_group_size=7,
        with_risk=False,
    )
    text = " ".join(appendix.suppression)
    assert "меньше 7 ответов" in text and f"«{POOLED_SCHOOL}»" in text
    assert "анкету администрации" in text.lower()


def test_method_text_takes_every_threshold_from_the_code() -> None:
    instruments = [builtin(c) for c in ("student_5_11", "teacher")]
    text = _text(
        method_parts(
            instruments, min_group_size=5, with_risk=True, catalogue=builtin_risk_factors()
        )
    )
    assert "80-процентного интервала, c − 0,84 × s(c), не ниже 0,5" in text
    assert "90-процентного интервала, c − 1,28 × s(c), не ниже 1,0" in text
    assert "«высокий» — c ≥ 1,0; «повышенный» — 0,5 ≤ c < 1,0" in text
    assert "|z| < 0,5 — «на уровне среднего»; 0,5 ≤ |z| < 1,5 — «заметно выше среднего»" in text
    assert "|z| ≥ 1,5 — «значительно выше»" in text and "«заметно хуже" not in text
    assert f"не меньше {causes.MIN_MODEL_SCHOOLS} и не меньше 2 на каждый фактор" in text
    assert f"не более {CAUSES_SHOWN} причин" in text
    assert f"не меньше {indicators.MIN_PAIRS} человек" in text
    assert "0,5\u00a0% и 99,5\u00a0%" in text and "2000 выборок" in text
    # the published cut-off of the bullying scale, from the instrument
    assert "ниже 15\u00a0% — низкий риск, выше 25\u00a0% — высокий риск" in text
    # the outcome indicators, from the catalogue
    assert "«Доля учеников, у которых бывают «2» за четверть»" in text


def test_the_method_follows_the_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    """A constant changed in the code changes the text: nothing is typed twice."""
    monkeypatch.setattr(risk, "ZONE_QUANTILE", 1.6448536269514722)  # one-sided 95 %
    monkeypatch.setattr(risk, "RISK_ZONE", 0.75)
    monkeypatch.setattr(risk, "HIGH_QUANTILE", 2.3263478740408408)  # one-sided 99 %
    monkeypatch.setattr(causes, "MIN_MODEL_SCHOOLS", 31)
    monkeypatch.setattr(causes, "Z95", 2.5758293035489004)  # two-sided 99 %
    monkeypatch.setattr(indicators, "MIN_PAIRS", 17)
    levels = ((1.2, "high", "высокий"), (0.4, "elevated", "повышенный"))
    monkeypatch.setattr(risk, "LEVELS", (*levels, *risk.LEVELS[2:]))
    text = _text(method_parts([builtin("teacher")], min_group_size=9, with_risk=True))
    assert "95-процентного интервала, c − 1,64 × s(c), не ниже 0,75" in text
    assert "99-процентного интервала, c − 2,33 × s(c)" in text
    assert "«высокий» — c ≥ 1,2; «повышенный» — 0,4 ≤ c < 1,2" in text
    assert "не меньше 31 и" in text and "99-процентный интервал" in text
    assert "не меньше 17 человек" in text and "меньше 9 ответов" in text
    assert one_sided_percent(1.6448536269514722) == 95 and two_sided_percent(1.96) == 95


def test_reference_ends_with_the_appendices_in_place_of_the_method(teacher: Instrument) -> None:
    answers = _answers(teacher)
    model = build_school_reference(
        school_code="A",
        school_name="Школа № 1",
        district_name="Тестовый район",
        campaign_title="Осенняя волна",
        period="2026",
        min_group_size=MIN_GROUP,
        audiences=[("teacher", teacher, answers)],
        generated_on=dt.date(2026, 12, 1),
        catalogue=builtin_risk_factors(),
        study=StudyFacts(
            opens_on=dt.date(2026, 11, 2),
            closes_on=dt.date(2026, 12, 20),
            forms=(FormFacts("teacher", 4, complete=14, eligible=20),),
        ),
    )
    html = render_html(model)
    headings = re.findall(r"<h3>(Приложение \d\.[^<]*)</h3>", html)
    assert headings == [
        "Приложение 1. Шкалы анкет: надёжность и результаты школы",
        "Приложение 2. Как рассчитаны показатели, уровни и причины",
        "Приложение 3. Защита анонимности респондентов",
        "Приложение 4. Использованные анкеты",
    ]
    assert "О методе" not in html and html.index("Приложения") > html.index("Профиль рисков")
    # the technical table of the scales is in the appendix only, with the school's n and α
    appendix = html[html.index('<section class="appendix">') :]
    body = html[: html.index('<section class="appendix">')]
    assert "α Кронбаха" in appendix and "POMP" in appendix and "POMP" not in body
    row = next(r for r in model.appendix.forms[0].reliability if r.code == "burnout_personal")
    assert row.alpha is not None and ru_number(row.alpha) in appendix
    assert "<code>teacher</code>" in appendix and "50\u00a0вопросов, 9\u00a0шкал" in appendix
    assert "Анкета для педагогов, версия&nbsp;4" in appendix


def _specialists(sizes: dict[str, int], *, views: set[str]) -> pd.DataFrame:
    """The specialists' form: every respondent gives the counts (the form's ``fact`` items);
    those of the schools in ``views`` also answer the scales' questions."""
    form = builtin("specialist")
    rows = []
    for school, n in sizes.items():
        for k in range(n):
            row: dict[str, object] = {item.code: np.nan for item in form.items()}
            row |= {"school_code": school, "caseload": 20.0 + k, "pmpk_total": 6.0}
            row |= {"pmpk_full": 4.0, "waiting": 2.0}
            if school in views:
                for scale in form.scales:
                    row |= {code: float(1 + (k + len(code)) % 4) for code in scale.items}
            rows.append(row)
    return pd.DataFrame(rows)


def test_the_rule_says_the_specialists_counts_are_shown_at_any_number_and_why(
    teacher: Instrument,
) -> None:
    specialist = builtin("specialist")
    forms = [
        ("specialist", specialist, _specialists({"A": 2, "B": 3}, views={"A", "B"}), "Специалисты"),
        ("teacher", teacher, _answers(teacher), "Педагоги"),
    ]
    appendix = build_appendix(
        forms=forms, sections=[], versions={}, min_group_size=5, with_risk=False
    )
    text = " ".join(appendix.suppression)
    exception = next(p for p in appendix.suppression if "при любом числе ответов" in p)
    assert f"«{text_in(specialist.title)}»" in exception
    # named by the form's own labels of its facts, the rows «из них …» under them in a word
    for item in specialist.items():
        if item.fact is not None and not text_in(item.fact).startswith("из "):
            assert f"«{text_in(item.fact)}»" in exception
    assert "из них" in exception and "как ответы администрации" in exception
    assert "а не мнения" in exception and "меньше 5 ответов" in exception
    # the rule before it still hides every other group, and a campaign without such a form
    # has no exception to state
    assert "не показываются ни в одной части справки" in text
    plain = build_appendix(
        forms=forms[1:], sections=[], versions={}, min_group_size=5, with_risk=False
    )
    assert not any("при любом числе ответов" in p for p in plain.suppression)


def test_a_form_whose_scales_no_school_answered_enough_says_so_in_a_sentence() -> None:
    """Six specialists at school A gave only their counts (which are shown at any number);
    two or three elsewhere answered the scales too: the form has reportable answers (A's) and
    no scale with enough answers. The appendix says which, not «no school has 5 answers» nor
    a table of dashes, and points to where the counts are."""
    specialist = builtin("specialist")
    answers = _specialists({"A": 6, "B": 3, "C": 2}, views={"B", "C"})
    model = build_school_reference(
        school_code="B",
        school_name="Школа",
        district_name="Район",
        campaign_title="Волна",
        period="2026",
        min_group_size=MIN_GROUP,
        audiences=[("specialist", specialist, answers)],
        generated_on=dt.date(2026, 12, 1),
        catalogue=builtin_risk_factors(),
    )
    (form,) = model.appendix.forms
    assert all(r.n == 0 for r in form.reliability)
    html = render_html(model)
    appendix = html[html.index("Приложение 1.") : html.index("Приложение 2.")]
    assert 'class="reliability"' not in appendix and "анкет)" not in appendix
    assert "нет 5 ответов на эту анкету" not in appendix
    assert (
        "Надёжность шкал не рассчитана: ни в одной школе кампании на вопросы шкал не " in appendix
    )
    assert "ответили 5 человек" in appendix
    assert "«Сведения о сопровождении обучающихся»" in appendix
    # no school at the minimum at all: the form's answers are the reason
    fewer = answers[answers["school_code"] != "A"]
    again = build_appendix(
        forms=[("specialist", specialist, fewer, "Специалисты")],
        sections=[],
        versions={},
        min_group_size=MIN_GROUP,
        with_risk=False,
    )
    reason = again.forms[0].no_reliability
    assert reason is not None and "ни в одной школе кампании нет 5 ответов на эту анкету" in reason


def test_the_method_reads_the_specialists_counts_like_the_administration_s_answer() -> None:
    """The facts of the specialists' form are neither smoothed nor given an error, like the
    administration's answer (analysis.indicators: facts are read as the school's figures)."""
    fielded = [builtin("teacher"), builtin("specialist")]
    parts = method_parts(fielded, min_group_size=5, with_risk=True)
    text = next(p for p in parts if p.title.startswith("Показатели школы")).blocks
    said = " ".join(b.text for b in text)
    assert "числ" in said and "«Анкета для специалистов сопровождения»" in said
    assert "при любом их числе" in said
    assert "Ответ администрации и сведения школы не сглаживаются" in said
    assert "у ответа администрации и сведений школы равна нулю" in said
    plain = method_parts([builtin("teacher")], min_group_size=5, with_risk=True)
    said = " ".join(b.text for p in plain for b in p.blocks)
    assert "Ответ администрации не сглаживается" in said and "сведения школы" not in said
    # a group under the minimum: the factor rests on the other groups, or is «не оценён»
    causes_text = " ".join(b.text for p in parts for b in p.after)
    assert "оценивается по показателям других групп" in causes_text
    assert "каждая такая группа названа один раз" in causes_text
