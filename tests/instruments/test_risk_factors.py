"""The risk-factor catalogue: the built-in one fits the library; broken ones say where and what."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from instruments.errors import InstrumentError
from instruments.library import builtin, builtin_instruments
from instruments.risk_factors import (
    RISK_FACTORS_FILE,
    RiskFactorCatalogue,
    builtin_risk_factors,
    load_risk_factors,
)
from instruments.schema import Audience

FACTOR_CODES = [
    "equipment",
    "staffing",
    "teacher_competence",
    "sen_support",
    "language_barriers",
    "motivation",
    "wellbeing",
    "discipline",
    "students_at_risk",
    "parental_involvement",
    "teacher_burnout",
]

MULTI_AUDIENCE = [
    "motivation",
    "wellbeing",
    "discipline",
    "parental_involvement",
    "students_at_risk",
    "language_barriers",
    "sen_support",
]


@pytest.fixture(scope="module")
def catalogue() -> RiskFactorCatalogue:
    return load_risk_factors()


def test_builtin_catalogue_loads_and_checks_clean(catalogue: RiskFactorCatalogue) -> None:
    assert catalogue.check_against(builtin_instruments()) == []
    assert load_risk_factors(RISK_FACTORS_FILE) == catalogue
    assert builtin_risk_factors() is builtin_risk_factors()


def test_exactly_the_eleven_factors(catalogue: RiskFactorCatalogue) -> None:
    assert [f.code for f in catalogue.factors] == FACTOR_CODES
    assert catalogue.factor("motivation").roadmap_name == "Низкая учебная мотивация обучающихся"
    with pytest.raises(KeyError):
        catalogue.factor("weather")


def test_every_factor_has_indicators_and_roadmap_measures(catalogue: RiskFactorCatalogue) -> None:
    for factor in catalogue.factors:
        assert len(factor.indicators) >= 1, factor.code
        assert 3 <= len(factor.measures) <= 6, factor.code
        assert factor.title.get("en"), factor.code
        assert any(m.level == "school" for m in factor.measures), factor.code
        for indicator in factor.indicators:
            assert indicator.weight in (0.5, 1.0), indicator.code
            assert indicator.title.get("en"), indicator.code
        for measure in factor.measures:
            assert measure.title.get("en"), measure.code
            for text in (measure.responsible, measure.timing, measure.form):
                assert text.strip(), measure.code
            assert len(measure.expected_result) > 20, measure.code
    levels = {m.level for f in catalogue.factors for m in f.measures}
    assert levels == {"school", "municipal"}


@pytest.mark.parametrize("code", MULTI_AUDIENCE)
def test_factor_is_read_from_several_audiences(catalogue: RiskFactorCatalogue, code: str) -> None:
    audiences = {i.audience for i in catalogue.factor(code).indicators}
    assert len(audiences) >= 2, audiences


def test_main_sources_are_where_the_roadmaps_put_them(catalogue: RiskFactorCatalogue) -> None:
    def sources(code: str) -> set[tuple[str, str]]:
        return {(i.instrument, i.scale or i.item or "") for i in catalogue.factor(code).indicators}

    assert {("student_5_11", "amotivation"), ("teacher", "view_student_motivation")} <= sources(
        "motivation"
    )
    assert {("administration", "share_recommended_extra"), ("student_5_11", "usual_marks")} <= (
        sources("students_at_risk")
    )
    assert {("student_5_11", "home_language"), ("administration", "share_non_native")} <= (
        sources("language_barriers")
    )
    assert {("administration", "share_sen"), ("teacher", "deficit_sen")} <= sources("sen_support")
    assert {("administration", "equipment"), ("administration", "internet_quality")} <= sources(
        "equipment"
    )
    assert {("administration", "teacher_posts_vacant"), ("administration", "has_psychologist")} <= (
        sources("staffing")
    )
    marks = [i for i in catalogue.factor("students_at_risk").indicators if i.item == "usual_marks"]
    assert [(i.statistic, i.values) for i in marks] == [("share", [4])]


def test_every_risk_scale_of_the_library_is_used(catalogue: RiskFactorCatalogue) -> None:
    used = {(i.instrument, i.scale) for f in catalogue.factors for i in f.indicators if i.scale}
    used_scales = {scale for _, scale in used}
    assert {
        "amotivation",
        "bullying",
        "classroom_disorder",
        "burnout_personal",
        "prof_deficits",
        "parent_involvement",
        "equipment",
    } <= used_scales
    for instrument in builtin_instruments():
        for scale in instrument.scales:
            if scale.higher_is == "risk":
                assert (instrument.code, scale.code) in used, (instrument.code, scale.code)


def test_primary_form_is_short_simple_and_feeds_the_catalogue(
    catalogue: RiskFactorCatalogue,
) -> None:
    form = builtin("student_2_4")
    assert (form.audience, form.grades, form.languages) == (Audience.student, (2, 4), ["ru", "en"])
    assert 12 <= len(list(form.items())) <= 18
    assert all(len(s.values) == 3 for s in form.response_scales)
    scales = {s.code: s for s in form.scales}
    assert scales["bullying"].higher_is == "risk"
    assert scales["bullying"].prevalence is not None
    assert scales["bullying"].prevalence.at_least == 3
    assert scales["classroom_disorder"].higher_is == "risk"
    for code in ("motivation_intrinsic", "belonging", "teacher_support", "home_support"):
        assert scales[code].higher_is == "favourable"
    from_form = [
        i for f in catalogue.factors for i in f.indicators if i.instrument == "student_2_4"
    ]
    assert {i.scale for i in from_form} == set(scales)
    assert {i.weight for i in from_form} == {0.5}


# A small valid catalogue; each broken case changes one thing in a deep copy of it.
MINIMAL: dict[str, Any] = {
    "version": 1,
    "factors": [
        {
            "code": "motivation",
            "title": {"ru": "Учебная мотивация", "en": "Motivation"},
            "description": "Ученикам неинтересно учиться.",
            "roadmap_name": "Низкая учебная мотивация обучающихся",
            "indicators": [
                {
                    "code": "amot",
                    "title": "Отсутствие мотивации",
                    "audience": "student",
                    "instrument": "student_5_11",
                    "scale": "amotivation",
                    "statistic": "pomp",
                    "direction": "risk",
                },
                {
                    "code": "lang",
                    "title": "Другой язык дома",
                    "audience": "student",
                    "instrument": "student_5_11",
                    "item": "home_language",
                    "statistic": "share",
                    "values": [2, 3],
                    "direction": "risk",
                    "weight": 0.5,
                },
            ],
            "measures": [
                {
                    "code": "programme",
                    "title": "Программа мотивации",
                    "responsible": "заместитель директора по УВР",
                    "timing": "в течение учебного года",
                    "form": "программа",
                    "expected_result": "доля немотивированных учеников снижена",
                    "level": "school",
                },
                {
                    "code": "courses",
                    "title": "Курсы",
                    "responsible": "муниципальный методический центр",
                    "timing": "октябрь",
                    "form": "курсы повышения квалификации",
                    "expected_result": "все педагоги прошли курсы",
                    "level": "municipal",
                },
            ],
        },
        {
            "code": "staffing",
            "title": "Дефицит кадров",
            "description": "Вакансии.",
            "roadmap_name": "Дефицит педагогических кадров",
            "indicators": [
                {
                    "code": "vacant",
                    "title": "Вакансии",
                    "audience": "administration",
                    "instrument": "administration",
                    "item": "teacher_posts_vacant",
                    "statistic": "value",
                    "direction": "risk",
                }
            ],
            "measures": [
                {
                    "code": "contracts",
                    "title": "Целевое обучение",
                    "responsible": "управление образования",
                    "timing": "январь–июль",
                    "form": "договор",
                    "expected_result": "договоры заключены",
                    "level": "municipal",
                },
                {
                    "code": "network",
                    "title": "Сетевое преподавание",
                    "responsible": "директор",
                    "timing": "сентябрь",
                    "form": "сетевая форма",
                    "expected_result": "все часы ведутся",
                    "level": "school",
                },
            ],
        },
    ],
}


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "factors.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _broken(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> InstrumentError:
    data = copy.deepcopy(MINIMAL)
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(InstrumentError) as info:
        load_risk_factors(path)
    assert str(info.value).startswith(f"{path}: ")
    return info.value


def _indicator(fi: int, ii: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        indicator = data["factors"][fi]["indicators"][ii]
        for key, value in fields.items():
            if value is None:
                indicator.pop(key, None)
            else:
                indicator[key] = value

    return change


def _duplicate_indicator(data: dict[str, Any]) -> None:
    data["factors"][1]["indicators"][0]["code"] = "amot"


def _duplicate_measure(data: dict[str, Any]) -> None:
    data["factors"][1]["measures"][1]["code"] = "programme"


def _one_measure(data: dict[str, Any]) -> None:
    del data["factors"][1]["measures"][1]


def test_minimal_catalogue_is_valid(tmp_path: Path) -> None:
    catalogue = load_risk_factors(_write(tmp_path, MINIMAL))
    assert [f.code for f in catalogue.factors] == ["motivation", "staffing"]
    assert catalogue.factors[0].indicators[0].weight == 1.0


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            _indicator(0, 0, scale="nope"),
            "factors[0].indicators[0].scale",
            "неизвестная шкала 'nope' в методике 'student_5_11'",
        ),
        (
            _indicator(0, 0, direction="favourable"),
            "factors[0].indicators[0].direction",
            "противоречит шкале 'amotivation': у неё higher_is: risk",
        ),
        (
            _indicator(0, 1, values=[2, 9]),
            "factors[0].indicators[1].values[1]",
            "значения 9 нет среди вариантов ответа на вопрос 'home_language' (1, 2, 3)",
        ),
        (
            _duplicate_indicator,
            "factors[1].indicators[0].code",
            "код индикатора 'amot' уже есть в factors[0].indicators[0]",
        ),
        (
            _duplicate_measure,
            "factors[1].measures[1].code",
            "код меры 'programme' уже есть в factors[0].measures[0]",
        ),
        (
            _indicator(0, 0, instrument="student_1_1"),
            "factors[0].indicators[0].instrument",
            "неизвестная методика 'student_1_1'",
        ),
        (
            _indicator(0, 1, item="home_tongue"),
            "factors[0].indicators[1].item",
            "неизвестный вопрос 'home_tongue' в методике 'student_5_11'",
        ),
        (
            _indicator(0, 0, statistic="prevalence"),
            "factors[0].indicators[0].statistic",
            "у шкалы 'amotivation' нет правила распространённости",
        ),
        (
            _indicator(1, 0, item="has_psychologist"),
            "factors[1].indicators[0].item",
            "значение (value) берётся только из числового вопроса",
        ),
        (
            _indicator(0, 0, audience="teacher"),
            "factors[0].indicators[0].audience",
            "не совпадает с аудиторией методики 'student_5_11'",
        ),
        (
            _indicator(0, 1, values=[1, 2, 3]),
            "factors[0].indicators[1].values",
            "доля всегда 100 %",
        ),
        (
            _indicator(0, 0, item="home_language"),
            "factors[0].indicators[0]",
            "ровно одно из полей",
        ),
        (
            _indicator(0, 1, values=None),
            "factors[0].indicators[1]",
            "нужны значения ответов (values)",
        ),
        (
            _indicator(0, 0, weight=0),
            "factors[0].indicators[0].weight",
            "значение должно быть больше 0",
        ),
        (
            _indicator(0, 0, colour="red"),
            "factors[0].indicators[0].colour",
            "неизвестное поле",
        ),
        (
            _one_measure,
            "factors[1].measures",
            "в списке нужно не меньше 2 элементов",
        ),
    ],
)
def test_broken_catalogue_gives_one_message_with_its_path(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], path: str, words: str
) -> None:
    error = _broken(tmp_path, change)
    assert len(error.problems) == 1, str(error)
    problem = error.problems[0]
    assert problem.path == path
    assert words in problem.message


def test_value_statistic_only_on_the_school_form(tmp_path: Path) -> None:
    change = _indicator(
        0, 0, audience="teacher", instrument="teacher", scale=None, item="weekly_hours"
    )

    def to_value(data: dict[str, Any]) -> None:
        change(data)
        data["factors"][0]["indicators"][0]["statistic"] = "value"

    error = _broken(tmp_path, to_value)
    assert [p.path for p in error.problems] == ["factors[0].indicators[0].statistic"]
    assert "только для анкеты, заполняемой от школы" in error.problems[0].message


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "factors.yaml"
    path.write_text("version: 1\nfactors: [\n  {code: x\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_risk_factors(path)
    assert "строка" in str(info.value)
    assert "ошибка синтаксиса YAML" in str(info.value)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "factors.yaml"
    path.write_text("version: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="ошибка синтаксиса YAML"):
        load_risk_factors(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="ожидался словарь: каталог факторов риска"):
        load_risk_factors(_write(tmp_path, ["factors"]))


def test_an_instrument_can_declare_its_own_indicators() -> None:
    from instruments.library import builtin
    from instruments.risk_factors import builtin_risk_factors
    from instruments.schema import parse_instrument

    catalogue = builtin_risk_factors()
    data = builtin("parent").model_dump(mode="json", exclude_defaults=True)
    data["code"] = "parent_pilot"
    indicator = {
        "factor": "wellbeing",
        "code": "pilot_safety",
        "title": {"ru": "Тревога родителей"},
        "scale": "safety_concern",
        "statistic": "pomp",
        "direction": "risk",
    }
    pilot = parse_instrument({**data, "indicators": [indicator]})
    assert catalogue.check_instrument(pilot) == []
    merged = catalogue.indicators_by_factor([pilot])
    added = [i for i in merged["wellbeing"] if i.code == "pilot_safety"]
    assert added and added[0].instrument == "parent_pilot" and added[0].audience == "parent"

    wrong = parse_instrument(
        {**data, "indicators": [{**indicator, "factor": "luck", "direction": "favourable"}]}
    )
    messages = [str(p) for p in catalogue.check_instrument(wrong)]
    assert "indicators[0].factor: неизвестный фактор риска 'luck'" in messages
    assert any(m.startswith("indicators[0].direction: направление 'favourable'") for m in messages)


def test_an_indicator_s_role_is_driver_or_outcome_and_one_per_factor(tmp_path: Path) -> None:
    catalogue = load_risk_factors(_write(tmp_path, MINIMAL))
    assert catalogue.factors[0].role == "driver"
    assert {i.role for i in catalogue.factors[0].indicators} == {"driver"}
    mixed = _broken(tmp_path, _indicator(0, 1, role="outcome"))
    assert "factors[0]" in str(mixed)
    assert "одну роль (role): driver — amot; outcome — lang" in str(mixed)
    unknown = _broken(tmp_path, _indicator(0, 0, role="cause"))
    assert "factors[0].indicators[0].role" in str(unknown)

    def both_outcomes(data: dict[str, Any]) -> None:
        for indicator in data["factors"][0]["indicators"]:
            indicator["role"] = "outcome"

    data = copy.deepcopy(MINIMAL)
    both_outcomes(data)
    assert load_risk_factors(_write(tmp_path, data)).factors[0].role == "outcome"


def test_an_instrument_s_own_indicator_takes_its_factor_s_role() -> None:
    from instruments.library import builtin
    from instruments.risk_factors import builtin_risk_factors
    from instruments.schema import parse_instrument

    catalogue = builtin_risk_factors()
    assert catalogue.factor("students_at_risk").role == "outcome"
    data = builtin("parent").model_dump(mode="json", exclude_defaults=True)
    data["code"] = "parent_pilot"
    indicator = {
        "factor": "wellbeing",
        "code": "pilot_safety",
        "title": {"ru": "Тревога родителей"},
        "scale": "safety_concern",
        "statistic": "pomp",
        "direction": "risk",
        "role": "outcome",
    }
    wrong = parse_instrument({**data, "indicators": [indicator]})
    messages = [str(p) for p in catalogue.check_instrument(wrong)]
    assert (
        "indicators[0].role: роль 'outcome' не совпадает с ролью показателей фактора "
        "'wellbeing' ('driver')"
    ) in messages
