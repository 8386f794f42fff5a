"""A campaign of the psychologist's own questionnaire (no risk indicators) through the analysis:
the indicator, profile and cause tables stay empty frames with their columns, and the reference
shows the scales and says why it has no risk part; mixed with a built-in form, the risk part
rests on the built-in form alone and names the questionnaire it leaves out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.causes import factor_associations, probable_causes, school_outcomes
from analysis.indicators import INDICATOR_DTYPES, reportable_indicators, school_indicators
from analysis.profiles import SUMMARY_DTYPES, school_scale_summary
from analysis.report import build_school_reference, render_html
from analysis.report.dynamics_section import Wave, build_dynamics_section
from analysis.report.profile import fielded_indicators
from analysis.risk import Reference, factor_profiles, indicator_z
from analysis.scoring import score_scales
from instruments.io.yaml_io import load_yaml
from instruments.library import builtin
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import Instrument, ItemType

OWN_YAML = """\
code: climate_own
version: 1
title: {ru: "Климат в коллективе (авторская)"}
audience: teacher
languages: [ru]
response_scales:
  - code: agree4
    options:
      - {value: 1, label: {ru: "Нет"}}
      - {value: 2, label: {ru: "Скорее нет"}}
      - {value: 3, label: {ru: "Скорее да"}}
      - {value: 4, label: {ru: "Да"}}
sections:
  - code: main
    title: {ru: "Коллектив"}
    items:
      - {code: c1, type: likert, response_scale: agree4, text: {ru: "Коллеги помогают."}}
      - {code: c2, type: likert, response_scale: agree4, text: {ru: "Меня слышат."}}
      - {code: c3, type: likert, response_scale: agree4, text: {ru: "Я устаю от ссор."},
         reverse: true}
      - {code: c4, type: likert, response_scale: agree4, text: {ru: "Я доверяю коллегам."}}
scales:
  - code: climate
    title: {ru: "Доверие в коллективе"}
    items: [c1, c2, c3, c4]
    higher_is: favourable
"""
#: respondents per school: S3 stays under the minimum of 5
SIZES = {"S1": 12, "S2": 9, "S3": 3, "S4": 15}
NOTE = "только авторские методики без индикаторов факторов риска"


def _own() -> Instrument:
    return load_yaml(OWN_YAML, source="test")


def _answers(instrument: Instrument, sizes: dict[str, int], seed: int = 1) -> pd.DataFrame:
    """Random answers to every likert and single-choice item, per school."""
    rng = np.random.default_rng(seed)
    rows = []
    for school, n in sizes.items():
        shift = rng.normal(0, 0.7)
        for _ in range(n):
            row: dict[str, object] = {"school_code": school}
            for item in instrument.items():
                if item.type is ItemType.likert:
                    low, high = instrument.item_range(item)
                    row[item.code] = float(np.clip(round(rng.normal(2.5 + shift, 1)), low, high))
                elif item.type is ItemType.single_choice and item.options:
                    row[item.code] = rng.choice([o.value for o in item.options])
                else:
                    row[item.code] = None
            rows.append(row)
    return pd.DataFrame(rows)


def _results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_code": list(SIZES),
            "participants": [40, 30, 20, 50],
            "share_failing": [0.1, 0.3, 0.2, 0.05],
        }
    )


def test_tables_without_indicators_keep_their_columns_and_types() -> None:
    own = _own()
    data = {own.code: (own, _answers(own, SIZES))}
    catalogue = builtin_risk_factors()
    assert not any(fielded_indicators(catalogue, [own]).values())
    indicators = [i for items in catalogue.indicators_by_factor([own]).values() for i in items]
    for table in (
        school_indicators(data, indicators),
        reportable_indicators(data, indicators, min_group_size=5, school_code="S3"),
    ):
        assert table.empty
        assert table.dtypes.astype(str).to_dict() == INDICATOR_DTYPES
    table = school_indicators(data, indicators)
    assert Reference.from_indicators(table).stats.columns.tolist() == ["mean", "sd", "schools"]
    placed = indicator_z(table)
    assert {"z", "risk_z", "band"} <= set(placed.columns) and placed.empty
    factors = {
        f: [i.code for i in items] for f, items in catalogue.indicators_by_factor([own]).items()
    }
    profiles = factor_profiles(placed, factors)
    assert profiles.empty and "composite" in profiles.columns
    associations = factor_associations(profiles, school_outcomes(_results()))
    assert associations.table.empty
    causes = probable_causes(profiles, associations)
    assert causes.empty and {"school_code", "rank", "factor"} <= set(causes.columns)


def test_reference_of_an_own_questionnaire_shows_its_scale_and_says_why_no_risk_part() -> None:
    own = _own()
    answers = _answers(own, SIZES)
    previous = Wave(
        title="Осень", min_group_size=5, data={own.code: (own, _answers(own, SIZES, 2))}
    )
    for school, hidden in (("S1", False), ("S3", True)):
        model = build_school_reference(
            school_code=school,
            school_name="Школа",
            district_name="Район",
            campaign_title="Волна психолога",
            period="",
            min_group_size=5,
            audiences=[("teacher", own, answers)],
            catalogue=builtin_risk_factors(),
            results=_results(),
            previous=previous,
        )
        assert model.risk is None and model.dynamics is None
        assert model.risk_note is not None and NOTE in model.risk_note
        assert "«Климат в коллективе (авторская)»" in model.risk_note
        (row,) = model.sections[0].rows
        assert row.title == "Доверие в коллективе" and row.n == SIZES[school]
        assert row.suppressed is hidden and (row.mean is None) is hidden
        page = render_html(model)
        assert NOTE in page and "Доверие в коллективе" in page
        assert "Вероятные причины" not in page and "дорожной карты" not in page
    # Without answers at all: the scale is there with n = 0, and the same note.
    empty = answers.iloc[:0]
    model = build_school_reference(
        school_code="S1",
        school_name="Школа",
        district_name="Район",
        campaign_title="Волна психолога",
        period="",
        min_group_size=5,
        audiences=[("teacher", own, empty)],
        catalogue=builtin_risk_factors(),
    )
    assert model.risk is None and NOTE in (model.risk_note or "")
    assert model.sections[0].rows[0].n == 0 and model.sections[0].rows[0].suppressed


def test_dynamics_of_a_wave_without_indicators_says_there_is_nothing_to_compare() -> None:
    own = _own()
    section = build_dynamics_section(
        "S1",
        Wave(title="Осень", min_group_size=5, data={own.code: (own, _answers(own, SIZES, 2))}),
        Wave(title="Весна", min_group_size=5, data={own.code: (own, _answers(own, SIZES, 3))}),
        builtin_risk_factors(),
    )
    assert section.factors == [] and section.notes


def test_a_mixed_campaign_builds_the_risk_part_from_the_built_in_form_alone() -> None:
    own, student = _own(), builtin("student_5_11")
    audiences = [
        ("student", student, _answers(student, SIZES, 4)),
        ("teacher", own, _answers(own, SIZES, 5)),
    ]
    for with_answers in (True, False):
        model = build_school_reference(
            school_code="S1",
            school_name="Школа",
            district_name="Район",
            campaign_title="Смешанная волна",
            period="",
            min_group_size=5,
            audiences=audiences if with_answers else [(a, i, f.iloc[:0]) for a, i, f in audiences],
            catalogue=builtin_risk_factors(),
            results=_results(),
        )
        assert model.risk is not None
        assert (
            model.risk_note is not None and "«Климат в коллективе (авторская)»" in model.risk_note
        )
        assert NOTE not in model.risk_note  # the built-in form does feed the profile
        levels = [f.level for f in model.risk.factors]
        assert any(levels) is with_answers
        assert [s.instrument_title for s in model.sections][1] == "Климат в коллективе (авторская)"
        page = render_html(model)
        assert "Профиль рисков" in page and "в профиль рисков не входят" in page
        assert "Доверие в коллективе" in page


def test_a_questionnaire_without_scales_says_so_in_the_reference() -> None:
    # The questionnaire's items without its scale.
    text = OWN_YAML[: OWN_YAML.index("scales:\n  - code: climate")]
    plain = load_yaml(text.replace("code: climate_own", "code: plain_own"), source="test")
    assert not plain.scales
    model = build_school_reference(
        school_code="S1",
        school_name="Школа",
        district_name="Район",
        campaign_title="Волна психолога",
        period="",
        min_group_size=5,
        audiences=[("teacher", plain, _answers(plain, SIZES))],
        catalogue=builtin_risk_factors(),
    )
    assert model.sections[0].rows == [] and NOTE in (model.risk_note or "")
    assert "нет шкал: баллы не рассчитываются" in render_html(model)


def test_scale_summary_of_a_questionnaire_without_scales_keeps_its_columns_and_types() -> None:
    text = OWN_YAML[: OWN_YAML.index("scales:\n  - code: climate")]
    plain = load_yaml(text.replace("code: climate_own", "code: plain_own"), source="test")
    answers = _answers(plain, SIZES)
    summary = school_scale_summary(score_scales(answers, plain), answers["school_code"], plain)
    assert summary.empty and summary.dtypes.astype(str).to_dict() == SUMMARY_DTYPES
    assert summary[~summary["suppressed"]].columns.tolist() == summary.columns.tolist()
