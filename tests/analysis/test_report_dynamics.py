"""The reference's dynamics section on constructed answers: a planted change is named with its
interval, small groups stay hidden, a school absent from the earlier wave is said to be."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from analysis.benchmark import Benchmark, reference_from_stats
from analysis.dynamics import factor_changes
from analysis.report import build_school_reference, render_html
from analysis.report.dynamics_section import Wave, build_dynamics_section
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from surveys.demo_answers import FACTORS, simulate_answers

STUDENT = builtin("student_5_11")
HEADING = "Динамика по сравнению с волной «Весна»"


# Schools differ a little, as schools do: the SD a change is measured in is not zero.
BASELINE = {"A": 0.0, "B": 0.3, "C": -0.3, "D": 0.0}


def _answers(sizes: dict[str, int], bullying: dict[str, float], seed: int) -> pd.DataFrame:
    """Students' answers: bullying items around 1.6 + the school's baseline + a shift,
    belonging around 3 − the baseline (other items unanswered)."""
    rng = np.random.default_rng(seed)
    columns = [item.code for item in STUDENT.items()]
    rows = []
    for school, n in sizes.items():
        for _ in range(n):
            row: dict[str, object] = dict.fromkeys(columns, np.nan)
            shift = BASELINE[school] + bullying.get(school, 0.0)
            bully = float(np.clip(round(1.6 + shift + rng.normal(0, 0.7)), 1, 4))
            belong = float(np.clip(round(3.0 - BASELINE[school] + rng.normal(0, 0.7)), 1, 4))
            row.update({f"bul_{i}": bully for i in range(1, 6)})
            row.update({f"bel_{i}": belong for i in range(1, 5)})
            row["school_code"] = school
            rows.append(row)
    return pd.DataFrame(rows)


SIZES = {"A": 120, "B": 120, "C": 120, "D": 3}


def _reference(school: str, **kwargs: object) -> str:
    """The dynamics section of ``school``'s reference: school A's bullying rose between the
    waves, the other schools answered exactly as before."""
    before = _answers(SIZES, {}, seed=1)
    after = pd.concat(
        [_answers({"A": SIZES["A"]}, {"A": 1.2}, seed=2), before[before["school_code"] != "A"]],
        ignore_index=True,
    )
    model = build_school_reference(
        school_code=school,
        school_name="Школа",
        district_name="Район",
        campaign_title="Осень",
        period="",
        min_group_size=5,
        audiences=[("student", STUDENT, after)],
        generated_on=dt.date(2026, 11, 1),
        catalogue=builtin_risk_factors(),
        previous=Wave(title="Весна", min_group_size=5, data={"student": (STUDENT, before)}),
        **kwargs,  # type: ignore[arg-type]
    )
    assert model.dynamics is not None
    html = render_html(model)
    start = html.index(HEADING)
    return html[start : html.index("<h2", start + 1)]


def _row(section: str, title: str) -> str:
    match = re.search(rf"<tr>\s*<td>{re.escape(title)}</td>.*?</tr>", section, re.S)
    assert match is not None, title
    return match.group(0)


def test_a_planted_increase_is_named_with_its_interval() -> None:
    row = _row(_reference("A"), "Школьное благополучие")
    assert "риск вырос" in row
    found = re.search(
        r"подвергавшихся травле[^:]*</span>: (\d+)\xa0% → (\d+)\xa0%, \+([\d,]+)\xa0п\.\xa0п\. "
        r"\[\+([\d,]+); \+([\d,]+)\] — ухудшение",
        row,
    )
    assert found is not None, row
    before, after = int(found.group(1)), int(found.group(2))
    change, low, high = (float(g.replace(",", ".")) for g in found.groups()[2:])
    assert after > before and 0 < low < change < high
    assert abs((after - before) - change) <= 1  # each figure rounded on its own
    composite = re.search(r'<td class="num">\+(\d+,\d+)</td>', row)
    assert composite is not None and float(composite.group(1).replace(",", ".")) > 0.5


def test_an_unchanged_school_shows_no_significant_change() -> None:
    section = _reference("B")
    rows = re.findall(r"<tr>\s*<td>[^<]+</td>.*?</tr>", section, re.S)
    assert rows and all("без значимых изменений" in r and "→" not in r for r in rows)


def test_a_small_school_stays_suppressed() -> None:
    section = _reference("D")
    row = _row(section, "Школьное благополучие")
    assert "не оценивается (мало ответов)" in row
    assert "не сравнивались (мало ответов)" in row
    assert "→" not in row and "%" not in row and "SD" not in row


def test_with_a_benchmark_the_change_is_in_its_sd() -> None:
    stats = {
        code: {"mean": 10.0, "sd": 5.0, "schools": 4} for code in ("stu_bullying", "stu_belonging")
    }
    benchmark = Benchmark(
        title="Эталон",
        frozen_on=dt.date(2026, 1, 1),
        reference=reference_from_stats(stats),
        schools=4,
    )
    section = _reference("A", benchmark=benchmark)
    assert "в стандартных отклонениях показателей эталона «Эталон»" in section
    # Bullying's rise is small in the benchmark's (wide) SD and the other indicator moved the
    # other way within noise: the factor's change is below 0, so the verdict does not say the
    # risk rose, only that an indicator worsened.
    row = _row(section, "Школьное благополучие")
    assert '<td class="num">−0,03</td>' in row and "риск вырос" not in row
    assert "отдельные показатели ухудшились" in row and "— ухудшение" in row


def test_no_answers_of_the_school_in_the_earlier_wave_is_stated() -> None:
    before = _answers({"B": 50, "C": 50}, {}, seed=3)
    after = _answers({"A": 50, "B": 50, "C": 50}, {}, seed=4)
    section = build_dynamics_section(
        "A",
        Wave("Весна", 5, {"student": (STUDENT, before)}),
        Wave("Осень", 5, {"student": (STUDENT, after)}),
        builtin_risk_factors(),
    )
    assert section.factors == []
    assert section.notes == [
        "В волне «Весна» нет ответов этой школы по тем же показателям: сравнивать не с чем."
    ]
    other = build_dynamics_section(
        "A",
        Wave("Весна", 5, {}),
        Wave("Осень", 5, {"student": (STUDENT, after)}),
        builtin_risk_factors(),
    )
    assert other.factors == [] and "не опрашивались те же группы" in other.notes[0]


def test_a_factor_statement_follows_the_indicators_beyond_noise() -> None:
    """The composite leans one way on a change within noise: the statement neither follows it
    nor contradicts it (issue 15: the verdict agrees with the sign of the change)."""
    keys = ["school_code", "indicator"]
    rows = [("A", "x"), ("A", "y"), ("B", "x"), ("B", "y")]
    before = pd.DataFrame(rows, columns=keys).assign(risk_z=0.0, weight=1.0)
    after = before.assign(risk_z=[0.4, -1.5, 0.4, -0.6])
    changes = pd.DataFrame(rows, columns=keys).assign(
        beyond_noise=[True, False, True, True],
        verdict=["ухудшение", "без значимых изменений", "ухудшение", "улучшение"],
    )
    out = factor_changes(before, after, changes, {"f": ["x", "y"]}).set_index("school_code")
    assert out.loc["A", "composite_change"] < 0  # y's drop is within noise...
    # ...x's rise is not: one indicator worsened, the factor as a whole did not rise
    assert out.loc["A", "statement"] == "отдельные показатели ухудшились"
    assert out.loc["A", "indicators_changed"] == ["x"]
    assert out.loc["B", "statement"] == "разнонаправленные изменения"


SPECIALIST = builtin("specialist")
ADMINISTRATION = builtin("administration")


def _specialists(caseload: float, full: float, seed: int) -> pd.DataFrame:
    """Two or three specialists a school (their views are hidden everywhere): school A's
    caseload and the sessions it delivers in full as given, the others' as before."""
    rng = np.random.default_rng(seed)
    rows = []
    for school, n in {"A": 3, "B": 2, "C": 3}.items():
        for k in range(n):
            row: dict[str, object] = dict.fromkeys((i.code for i in SPECIALIST.items()), np.nan)
            mine = school == "A"
            row |= {
                "school_code": school,
                "caseload": (caseload if mine else 30.0) + k,
                "pmpk_total": 10.0,
                "pmpk_full": full if mine else 5.0,
            }
            row |= {f"ct_{j}": float(rng.integers(1, 5)) for j in range(1, 6)}
            rows.append(row)
    return pd.DataFrame(rows)


def _administration(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for school in "ABC":
        risks = {f: float(rng.normal(0, 0.5)) for f in FACTORS}
        frame = pd.DataFrame(simulate_answers(ADMINISTRATION, 1, risks, rng))
        frame.insert(0, "school_code", school)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _dynamics_html(before: dict, after: dict) -> str:
    model = build_school_reference(
        school_code="A",
        school_name="Школа",
        district_name="Район",
        campaign_title="Осень",
        period="",
        min_group_size=5,
        audiences=[(key, instrument, answers) for key, (instrument, answers) in after.items()],
        generated_on=dt.date(2026, 11, 1),
        catalogue=builtin_risk_factors(),
        previous=Wave(title="Весна", min_group_size=5, data=before),
    )
    assert model.dynamics is not None
    html = render_html(model)
    start = html.index(HEADING)
    return html[start : html.index("<h2", start + 1)]


def test_a_change_of_the_specialists_counts_is_the_school_s_figure_without_an_interval() -> None:
    """Three specialists' counts changed (caseload 21 → 61 on average, sessions in full for
    80 % → 20 % of the children): shown as the school's figures from its records, without an
    interval, never as «единичный ответ», and the statement does not follow them; the
    explanation names what has no interval from the forms compared."""
    section = _dynamics_html(
        {"specialist": (SPECIALIST, _specialists(20.0, 8.0, seed=1))},
        {"specialist": (SPECIALIST, _specialists(60.0, 2.0, seed=2))},
    )
    assert "единичный ответ" not in section and "анкета администрации" not in section
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "Без интервала — сведения самой школы" in text
    assert "числа из документов школы в анкете «Анкета для специалистов сопровождения»" in text
    assert "«Обучающихся на сопровождении у одного специалиста (в среднем)»" in text
    staffing = re.sub(r"<[^>]+>", "", _row(section, "Дефицит кадров"))
    assert "без интервала: Обучающихся на сопровождении у одного специалиста" in staffing
    assert "21 → 61, +40 (сведения школы из её документов)" in staffing
    assert "без значимых изменений" in staffing and "риск вырос" not in staffing
    support = re.sub(r"<[^>]+>", "", _row(section, "Работа с обучающимися с ОВЗ"))
    assert "80\xa0% → 20\xa0%, −60\xa0п.\xa0п. (сведения школы из её документов" in support

    # with the administration's form compared too, the explanation names it as well
    section = _dynamics_html(
        {
            "specialist": (SPECIALIST, _specialists(20.0, 8.0, seed=1)),
            "administration": (ADMINISTRATION, _administration(seed=3)),
        },
        {
            "specialist": (SPECIALIST, _specialists(20.0, 8.0, seed=1)),
            "administration": (ADMINISTRATION, _administration(seed=4)),
        },
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "ответы анкеты «Анкета для администрации школы» (одна анкета на школу)" in text
    assert "(администрация): " in text and "(одна анкета на школу)" in text  # a change of it
    assert "единичный ответ" not in text


def test_without_school_figures_the_explanation_has_no_sentence_on_them() -> None:
    section = _reference("A")
    assert "Без интервала" not in section and "единичный ответ" not in section
