"""The reference's parts per risk factor and the evidence of its probable causes (issue 15,
content items 6 and 7), on simulated answers: a factor at «повышенный» or above gets a part
with its indicators, the items of its scales (the seven areas of teachers' deficits, the forms
of bullying) in order of prevalence and its split by level of education; a factor at the
district's level gets one line; a level group under the minimum hides its school's split; the
causes say what the interval of the district's association means with 12 schools and with a
fitted model; the text holds no «None» or «nan». No database."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.causes import Associations, DistrictModel
from analysis.memo import MemoStore, memo_scope
from analysis.report import build_school_reference, render_html
from analysis.report.cause_evidence import cause_text
from analysis.report.charts import charts_of
from analysis.report.factor_detail import item_labels, unfavourable_values
from analysis.report.factor_indicators import IndicatorLine
from analysis.report.factor_parts import FactorPart, short_notes
from analysis.report.profile import FactorRow, RiskSection, build_risk_section
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import Instrument, ItemType

MIN = 5
PLANTED = "P"
#: the planted school's extra on every item of these scales (towards risk), by item for some
PLANTED_SCALES = {"prof_deficits": 1.6, "bullying": 1.6}
PLANTED_ITEMS = {"deficit_literacy": 1.2, "deficit_planning": -1.0, "bul_5": 1.0, "bul_4": -1.0}


def _value(instrument: Instrument, item: Any, latent: float, rng: np.random.Generator) -> Any:
    options = [o.value for o in instrument.options_for(item) if not o.missing]
    if item.type is ItemType.likert:
        low, high = instrument.item_range(item)
        raw = (low + high) / 2 + latent * (high - low) / 3 + rng.normal(0, 0.6)
        return float(np.clip(round(raw), low, high))
    if item.type is ItemType.multiple_choice:
        return [options[int(rng.integers(0, len(options)))]]
    if item.type is ItemType.number:
        return float(rng.integers(int(item.min or 0), int(item.max or 30) + 1))
    if options:
        return options[int(rng.integers(0, len(options)))]
    return None


def _answers(
    instrument: Instrument,
    sizes: dict[str, int],
    *,
    seed: int,
    grades: dict[str, list[int]] | None = None,
) -> pd.DataFrame:
    """Simulated answers: per school ``sizes`` respondents; each scale's items follow one
    latent trait per respondent around the school's shift (0, or the planted school's for
    :data:`PLANTED_SCALES`, plus :data:`PLANTED_ITEMS`; the other schools spread around 0 so
    that the district varies); ``grades`` gives a school's respondents' grades in turn."""
    rng = np.random.default_rng(seed)
    owner = {code: scale for scale in instrument.scales for code in scale.items}
    shifts = np.linspace(-0.4, 0.4, len(sizes))
    spread = {school: float(x) for school, x in zip(sizes, shifts, strict=True)}
    rows = []
    for school, n in sizes.items():
        for k in range(n):
            latent = {s.code: rng.normal(spread[school], 1.0) for s in instrument.scales}
            row: dict[str, Any] = {"school_code": school}
            for item in instrument.items():
                if item.type is ItemType.grade:
                    chosen = (grades or {}).get(school)
                    low, high = instrument.grades or (1, 11)
                    row[item.code] = float(
                        chosen[k % len(chosen)] if chosen else rng.integers(low, high + 1)
                    )
                    continue
                shift = 0.0
                scale = owner.get(item.code)
                if scale is not None and school == PLANTED:
                    toward = 1.0 if scale.higher_is == "risk" else -1.0
                    extra = PLANTED_SCALES.get(scale.code, 0.0)
                    shift = extra + (PLANTED_ITEMS.get(item.code, 0.0) if extra else 0.0)
                    shift *= -toward if item.reverse else toward
                value_latent = latent[scale.code] if scale is not None else 0.0
                row[item.code] = _value(instrument, item, value_latent + shift, rng)
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.index.name = "response_id"
    return frame


def _district(
    schools: int, *, seed: int = 3, grades: dict[str, list[int]] | None = None
) -> dict[str, tuple[Instrument, pd.DataFrame]]:
    codes = [PLANTED] + [f"S{i:02d}" for i in range(1, schools)]
    teacher, student = builtin("teacher"), builtin("student_5_11")
    return {
        "teacher": (teacher, _answers(teacher, dict.fromkeys(codes, 14), seed=seed)),
        "student_5_11": (
            student,
            _answers(student, dict.fromkeys(codes, 40), seed=seed + 1, grades=grades),
        ),
    }


def _results(codes: list[str]) -> pd.DataFrame:
    """The planted school with the most «2», the others spread below it."""
    shares = {code: 0.04 + 0.01 * (i % 7) for i, code in enumerate(codes)} | {PLANTED: 0.3}
    return pd.DataFrame(
        {"school_code": list(shares), "participants": 60, "share_failing": list(shares.values())}
    )


def _section(
    data: dict[str, tuple[Instrument, pd.DataFrame]], school: str, *, results: bool = False
) -> RiskSection:
    codes = sorted(set(data["teacher"][1]["school_code"]))
    return build_risk_section(
        school,
        data,
        builtin_risk_factors(),
        min_group_size=MIN,
        results=_results(codes) if results else None,
    )


@pytest.fixture(scope="module")
def twelve() -> dict[str, tuple[Instrument, pd.DataFrame]]:
    # The planted school's pupils: 37 in grades 5–9 and three in 10–11 (under the minimum).
    return _district(12, grades={PLANTED: [5, 6, 7, 8, 9] * 7 + [5, 6] + [10, 11, 10]})


@pytest.fixture(scope="module")
def planted(twelve: dict[str, tuple[Instrument, pd.DataFrame]]) -> RiskSection:
    return _section(twelve, PLANTED, results=True)


def _part(section: RiskSection, code: str) -> FactorPart:
    assert section.parts is not None
    found = [p for p in section.parts.parts if p.code == code]
    assert found, [p.code for p in section.parts.parts]
    return found[0]


def test_a_factor_at_risk_gets_a_part_with_its_items_in_order_of_prevalence(
    planted: RiskSection,
) -> None:
    part = _part(planted, "teacher_competence")
    assert part.level in ("elevated", "high")
    assert part.findings[0].startswith(f"Уровень риска — {part.level_label}:")
    assert {line.code for line in part.indicators} >= {"tch_prof_deficits", "tch_self_efficacy"}
    deficits = part.indicators[0]
    assert deficits.code == "tch_prof_deficits" and deficits.reference and deficits.interval
    detail = next(d for d in part.details if "Профессиональные дефициты" in d.title)
    # the seven areas, the most frequent need first
    assert len(detail.rows) == 7
    shares = [row.share for row in detail.rows]
    assert shares == sorted(shares, reverse=True)
    assert detail.rows[0].label.startswith("В формировании функциональной грамотности")
    assert detail.rows[-1].label.startswith("В планировании")
    assert "Насколько вам нужна поддержка" in detail.caption
    assert "«Скорее нуждаюсь» или «Очень нуждаюсь»" not in detail.caption  # the scale's rule
    assert "«Очень нуждаюсь»" in detail.caption
    assert detail.chart is not None
    assert [row[0] for row in detail.chart.table.rows] == [r.label for r in detail.rows]
    # the forms of bullying, the most frequent first
    wellbeing = _part(planted, "wellbeing")
    forms = next(d for d in wellbeing.details if d.rows[0].label.startswith(("Как", "За")))
    order = [row.label for row in forms.rows]
    assert len(order) == 5 and order[0].startswith("Как часто о тебе распускали слухи")
    assert order[-1].startswith("Как часто твои вещи забирали")
    assert [r.share for r in forms.rows] == sorted((r.share for r in forms.rows), reverse=True)
    assert "«Несколько раз в месяц» или «Раз в неделю или чаще»" in forms.caption


def test_a_factor_at_the_district_level_gets_one_line_and_no_part(planted: RiskSection) -> None:
    assert planted.parts is not None
    at_risk = {p.code for p in planted.parts.parts}
    moderate = [f for f in planted.factors if f.level in ("moderate", "low") and not f.outcome]
    assert moderate
    for factor in moderate:
        assert factor.code not in at_risk
        lines = [str(line) for line in planted.parts.lines if line.title == factor.title]
        assert len(lines) == 1, factor.title
        pattern = r"«[^»]+» — (умеренный|низкий): риск (на уровне|ниже) среднего по району\."
        assert re.fullmatch(pattern, lines[0])
    assert all(p.level in ("elevated", "high") for p in planted.parts.parts)
    assert planted.parts.overview.startswith("Повышенный или высокий уровень риска — по ")


def test_a_level_group_under_the_minimum_hides_its_schools_split(
    planted: RiskSection, twelve: dict[str, tuple[Instrument, pd.DataFrame]]
) -> None:
    levels = _part(planted, "wellbeing").levels
    assert levels is not None and not levels.rows  # only the students' form has the grade
    assert levels.notes and all("10–11 классы — 3 ответа при минимуме 5" in n for n in levels.notes)
    # A school with enough pupils at both levels shows its split, with the district's means.
    other = _section(twelve, "S01")
    assert other.parts is not None
    splits = [p.levels for p in other.parts.parts if p.levels and p.levels.rows]
    for split in splits:
        assert split.levels == ["5–9 классы", "10–11 классы"]
        for row in split.rows:
            assert all(c.status == "shown" and c.n >= MIN and c.reference for c in row.cells)
    if not splits:  # S01 has no factor at risk: read the split straight from the builder
        from analysis.report.factor_detail import level_table
        from analysis.report.factor_indicators import format_value

        student, answers = twelve["student_5_11"]
        indicator = next(
            i
            for i in builtin_risk_factors().indicators_by_factor([student])["wellbeing"]
            if i.code == "stu_bullying"
        )
        split = level_table(
            [(indicator, "Травля", student, answers[answers["school_code"] != PLANTED])],
            "S01",
            min_group_size=MIN,
            formatter=format_value,
        )
        assert split is not None and [len(r.cells) for r in split.rows] == [2]


def test_the_causes_say_the_link_is_not_established_with_twelve_schools(
    planted: RiskSection,
) -> None:
    assert planted.causes, "the planted school has causes"
    text = planted.causes[0].text
    assert "по 12 школам района" in text
    assert "при таком числе школ она оценивается неточно" in text
    assert re.search(r"от −?\d,\d\d до −?\d,\d\d", text)
    assert "SD" not in text and "ρ" not in text
    assert "риск по этому фактору" in text and "при среднем по району" in text


def test_with_twenty_four_schools_the_model_speaks() -> None:
    section = _section(_district(24, seed=11), PLANTED, results=True)
    assert section.model_note is None
    assert section.causes
    text = section.causes[0].text
    assert "По данным района (24 школы), с учётом остальных факторов и размера школы" in text
    assert re.search(r"процентного пункта", text)
    assert "по 24 школам" not in text and "оценивается неточно" not in text


def _cause(**values: float | str | bool) -> pd.Series:
    base: dict[str, Any] = {
        "factor": "wellbeing",
        "level": "elevated",
        "composite": 0.9,
        "composite_low": 0.6,
        "rho": 0.21,
        "rho_low": -0.43,
        "rho_high": 0.74,
        "beta": 0.4,
        "beta_low": 0.1,
        "beta_high": 0.7,
        "associated": True,
    }
    return pd.Series(base | values)


def _associations(schools: int) -> Associations:
    table = pd.DataFrame({"n_schools": [schools]}, index=pd.Index(["wellbeing"], name="factor"))
    return Associations(table=table, r2=None, warnings=[])


@pytest.mark.parametrize("schools", [12, 19])
def test_few_schools_wording(schools: int) -> None:
    model = DistrictModel(pd.DataFrame(), schools, False, "мало школ")
    part = FactorPart(
        "wellbeing",
        "Школьное благополучие",
        "elevated",
        "повышенный",
        [],
        [IndicatorLine("x", "Доля", "обучающиеся", 40, "40 %", "30–50 %", "20 %", "", risk=1.2)],
    )
    text = cause_text(
        _cause(),
        "Школьное благополучие",
        part,
        model=model,
        associations=_associations(schools),
        outcomes=None,
    )
    assert text.startswith("«Школьное благополучие»: риск по этому фактору заметно выше")
    assert f"по {schools} школам района: 0,21 по шкале от −1 до 1 (слабая, прямая)" in text
    assert "от −0,43 до 0,74" in text and "включает ноль" in text and "не установлена" in text
    assert "«Доля» — 40 % при среднем по району 20 %" in text
    above = cause_text(
        _cause(rho_low=0.1),
        "Школьное благополучие",
        None,
        model=model,
        associations=_associations(schools),
        outcomes=None,
    )
    assert "лишь признак связи, а не установленный факт" in above


def test_model_wording_with_twenty_schools() -> None:
    table = pd.DataFrame(
        {"beta": [0.4], "beta_low": [0.1], "beta_high": [0.7]},
        index=pd.Index(["wellbeing"], name="factor"),
    )
    model = DistrictModel(table, 20, True)
    outcomes = pd.Series([0.05, 0.1, 0.2, 0.08], index=list("ABCD"))
    text = cause_text(
        _cause(), "Школьное благополучие", None, model=model, associations=None, outcomes=outcomes
    )
    assert "По данным района (20 школ)" in text and "связь по данным района подтверждена" in text
    assert re.search(r"выше на \d,\d процентного пункта", text) is None  # «на X … выше»
    assert re.search(r"на \d,\d процентного пункта выше", text)
    assert re.search(r"с учётом погрешности — от \d,\d до \d,\d\b", text)
    unconfirmed = cause_text(
        _cause(associated=False, beta_low=-0.2),
        "Школьное благополучие",
        None,
        model=model,
        associations=None,
        outcomes=outcomes,
    )
    assert "не подтверждена" in unconfirmed and "от −" in unconfirmed


def test_the_unfavourable_answers_follow_the_scale_and_the_reverse_key() -> None:
    parent = builtin("parent")
    scale = next(s for s in parent.scales if s.code == "teaching_satisfaction")
    items = parent.items_by_code()
    assert unfavourable_values(parent, scale, items["ts_1"]) == [1, 2]
    assert unfavourable_values(parent, scale, items["ts_4"]) == [3, 4]  # reverse-keyed
    student24 = builtin("student_2_4")
    bullying = next(s for s in student24.scales if s.code == "bullying")
    assert unfavourable_values(student24, bullying, student24.items_by_code()["bul_1"]) == [3]
    stem, labels = item_labels(
        ["Насколько вам нужна поддержка в планировании?", "Насколько вам нужна поддержка в оценке?"]
    )
    assert stem == "Насколько вам нужна поддержка" and labels == ["В планировании", "В оценке"]
    assert item_labels(["Как часто тебя били?", "За год: как часто дразнили?"])[0] is None


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", "", html, flags=re.S))


@pytest.mark.parametrize("school", [PLANTED, "S03"])
def test_the_reference_text_has_no_none_or_nan(
    twelve: dict[str, tuple[Instrument, pd.DataFrame]], school: str
) -> None:
    model = build_school_reference(
        school_code=school,
        school_name="Школа",
        district_name="Район",
        campaign_title="Волна",
        period="2026/2027 учебный год",
        min_group_size=MIN,
        audiences=[(key, instrument, answers) for key, (instrument, answers) in twelve.items()],
        generated_on=dt.date(2026, 12, 1),
        catalogue=builtin_risk_factors(),
        results=_results(sorted(set(twelve["teacher"][1]["school_code"]))),
    )
    html = render_html(model)
    text = _visible(html)
    assert not re.search(r"\b(None|nan|NaN|inf)\b", text)
    start = re.search(r"<h2[^>]*>Профиль рисков</h2>", html)
    assert start
    profile = _visible(html[start.start() : html.index("<h2", start.end())])
    assert "SD" not in profile and "хуже" not in profile
    if school == PLANTED:
        assert "уровень риска" in profile and "Остальные факторы" in profile
        # the scales' items are charts of the model, drawn as images in DOCX and PDF
        assert any(chart.key.startswith("items-") for chart in charts_of(model))


def test_a_yes_no_fact_is_compared_with_the_share_of_schools_and_notes_are_gathered() -> None:
    fact = IndicatorLine(
        "adm_no_psychologist",
        "Нет психолога",
        "администрация",
        1,
        "да",
        None,
        "да — в 33 % школ",
        "—",
        institutional=True,
        single=True,
    )
    assert fact.compared("по району") == "да (для сравнения: да — в 33 % школ)"
    short = (("specialist", 3),)
    rows = [
        FactorRow(code, title, composite, "moderate", "умеренный", "", [], short_groups=groups)
        for code, title, composite, groups in (
            ("a", "Первый", 0.1, short),
            ("b", "Второй", 0.1, short),
            ("c", "Третий", 0.1, ()),
            ("d", "Четвёртый", None, short),
        )
    ]
    assert short_notes(rows, 5) == [
        "Мало ответов: группа «специалисты» — 3 ответа при минимуме 5; её ответы не "
        "показываются, поэтому факторы «Первый» и «Второй» оценены без её показателей, а "
        "фактор «Четвёртый» не оценён."
    ]
    # a group that holds back no assessed factor is named in the list of those not assessed
    assert short_notes(rows[2:], 5) == []


def test_a_group_under_the_minimum_is_named_once_in_the_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The specialists (two at the planted school, three elsewhere) are under the minimum
    everywhere: their number is said once, under the lists, with every factor they hold back,
    not in each factor's part (the planted school's burnout is at risk and has a part); a
    factor with no other group (teachers also under the minimum) stays «не оценён»."""
    monkeypatch.setitem(PLANTED_SCALES, "burnout_personal", 1.6)
    monkeypatch.setitem(PLANTED_SCALES, "burnout_work", 1.6)
    monkeypatch.setitem(PLANTED_SCALES, "burnout_student", 1.6)
    codes = [PLANTED] + [f"S{i:02d}" for i in range(1, 12)]
    teacher, student, specialist = (
        builtin("teacher"),
        builtin("student_5_11"),
        builtin("specialist"),
    )
    forms = {
        "teacher": (teacher, _answers(teacher, dict.fromkeys(codes, 14), seed=5)),
        "student_5_11": (student, _answers(student, dict.fromkeys(codes, 40), seed=6)),
        "specialist": (
            specialist,
            _answers(specialist, dict.fromkeys(codes, 3) | {PLANTED: 2}, seed=7),
        ),
    }

    def profile(school: str, data: dict[str, tuple[Instrument, pd.DataFrame]]) -> str:
        model = build_school_reference(
            school_code=school,
            school_name="Школа",
            district_name="Район",
            campaign_title="Волна",
            period="2026/2027 учебный год",
            min_group_size=MIN,
            audiences=[(key, instrument, answers) for key, (instrument, answers) in data.items()],
            generated_on=dt.date(2026, 12, 1),
            catalogue=builtin_risk_factors(),
        )
        html = render_html(model)
        start = re.search(r"<h2[^>]*>Профиль рисков</h2>", html)
        assert start
        return re.sub(r"\s+", " ", _visible(html[start.start() : html.index("<h2", start.end())]))

    text = profile(PLANTED, forms)
    assert "Профессиональное выгорание педагогов — повышенный уровень риска" in text or (
        "Профессиональное выгорание педагогов — высокий уровень риска" in text
    )
    assert text.count("2 ответа при минимуме 5") == 1, text
    note = re.search(r"группа «специалисты» — 2 ответа при минимуме 5; [^.]*\.", text)
    assert note is not None
    for title in ("Профессиональное выгорание педагогов", "Дефицит кадров"):
        assert f"«{title}»" in note.group(0)
    assert "не оценён" not in text  # every factor has another group's answers

    # Three teachers at the planted school as well: its burnout has no group left
    teachers = forms["teacher"][1]
    mine = teachers[teachers["school_code"] == PLANTED]
    fewer = pd.concat([teachers[teachers["school_code"] != PLANTED], mine.head(3)])
    text = profile(PLANTED, forms | {"teacher": (teacher, fewer)})
    assert text.count("3 ответа при минимуме 5") == 1 and text.count("2 ответа при минимуме 5") == 1
    # each group's number once; the factor is still «не оценён», with the groups named
    assert (
        "«Профессиональное выгорание педагогов» — не оценён: мало ответов групп «педагоги» и "
        "«специалисты»." in text
    )


def test_a_school_under_the_minimum_in_a_form_shares_the_districts_profiles() -> None:
    """The profiles and causes read no suppressed row: those of a school under the minimum
    in a form (its own rows of that form, suppressed, are in its table) are the district's,
    computed once for every school of the campaign, and its section is what it was."""
    codes = [PLANTED] + [f"S{i:02d}" for i in range(1, 12)]
    specialist = builtin("specialist")
    data = _district(12) | {
        "specialist": (
            specialist,
            _answers(specialist, dict.fromkeys(codes, 5) | {PLANTED: 2}, seed=7),
        )
    }
    alone = _section(data, PLANTED, results=True)
    store = MemoStore()
    with memo_scope(store):
        _section(data, "S01", results=True)
        shared = _section(data, PLANTED, results=True)
    computed = [key[1] for key in store.results]
    assert computed.count("factor_profiles") == 1
    assert computed.count("analyse_causes") == 1
    assert repr(shared) == repr(alone)
    assert "2 ответа при минимуме 5" in repr(shared)
