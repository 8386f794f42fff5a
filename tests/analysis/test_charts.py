"""The reference's chart specifications (plotly figures as plain JSON): the risk profile with
every factor, its level written on each bar, its interval, Russian labels and decimal commas;
a chart of shares against the district; the JSON safe inside a page; the charts a model holds."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from analysis.report.charts import (
    LEVEL_PATTERN,
    NO_DATA,
    NOT_ASSESSED,
    Chart,
    ChartMedia,
    Share,
    charts_of,
    factor_interval,
    risk_profile_chart,
    share_chart,
    wrap,
)
from analysis.report.profile import FactorRow
from analysis.risk import LEVEL_LABELS, ZONE_QUANTILE
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import text_in

LEVELS = ["high", "elevated", "moderate", "low"]


def factor(
    code: str,
    level: str | None,
    composite: float | None,
    *,
    se: float | None = 0.2,
    title: str | None = None,
    outcome: bool = False,
    short_note: str | None = None,
) -> FactorRow:
    return FactorRow(
        code=code,
        title=title or f"Фактор {code}",
        composite=composite,
        level=level,
        level_label=LEVEL_LABELS.get(level or "", "нет данных"),
        text="",
        indicators=[],
        outcome=outcome,
        short_note=short_note,
        composite_se=se if composite is not None else None,
    )


def catalogue_rows() -> list[FactorRow]:
    """A row per factor of the built-in catalogue, at every level in turn, one not assessed
    (an audience under the minimum), one without data, the outcome factor as it is."""
    rows = []
    for i, f in enumerate(builtin_risk_factors().factors):
        level = LEVELS[i % 4]
        composite = {"high": 1.6, "elevated": 0.7, "moderate": 0.1, "low": -0.9}[level]
        rows.append(
            factor(
                f.code,
                level,
                composite + i / 100,
                title=text_in(f.title),
                outcome=f.role == "outcome",
            )
        )
    rows[1] = factor(rows[1].code, None, None, title=rows[1].title, short_note="не оценён: мало")
    rows[2] = factor(rows[2].code, None, None, title=rows[2].title)
    return rows


def _annotations(chart: Chart) -> dict[str, str]:
    """Category (as plotly shows it) → the text written at its bar."""
    return {
        a["y"]: a["text"] for a in chart.figure["layout"]["annotations"] if a.get("yref") == "y"
    }


def test_risk_profile_has_every_factor_with_its_level_written_at_its_bar() -> None:
    rows = catalogue_rows()
    chart = risk_profile_chart(rows)
    (bars,) = [t for t in chart.figure["data"] if t["type"] == "bar"]
    assert bars["y"] == [wrap(r.title) for r in rows]  # every factor, in the catalogue's order
    assert len(set(bars["y"])) == len(rows)
    written = _annotations(chart)
    for row, label in zip(rows, bars["y"], strict=True):
        if row.composite is None:
            assert written[label] == (NOT_ASSESSED if row.short_note else NO_DATA)
        else:
            level = LEVEL_LABELS[row.level or ""]
            assert written[label] == (f"{level} (результаты)" if row.outcome else level)
    # a bar only where there is a composite; hatched in the risk zone (grey print)
    assert bars["x"] == [r.composite for r in rows]
    assert bars["marker"]["pattern"]["shape"] == [
        LEVEL_PATTERN[r.level] if r.composite is not None and r.level else "" for r in rows
    ]
    assert {"x", "/"} <= set(bars["marker"]["pattern"]["shape"])
    # the fallback table has the same rows, in words
    assert [r[0].split(" (показатель")[0] for r in chart.table.rows] == [r.title for r in rows]
    assert chart.table.header == ("Фактор риска", "Уровень риска", "Положение школы")


def test_risk_profile_interval_is_the_bound_a_probable_cause_must_clear() -> None:
    rows = [factor("a", "elevated", 0.8, se=0.25), factor("b", "low", -0.7, se=0.1)]
    chart = risk_profile_chart(rows)
    (bars,) = [t for t in chart.figure["data"] if t["type"] == "bar"]
    arms = bars["error_x"]
    assert arms["array"] == pytest.approx([ZONE_QUANTILE * 0.25, ZONE_QUANTILE * 0.1])
    assert arms["arrayminus"] == pytest.approx([ZONE_QUANTILE * 0.25, ZONE_QUANTILE * 0.1])
    low, high = factor_interval(rows[0])
    assert low == pytest.approx(0.8 - ZONE_QUANTILE * 0.25)
    assert high == pytest.approx(0.8 + ZONE_QUANTILE * 0.25)
    assert factor_interval(factor("c", None, None)) == (None, None)


def test_risk_profile_reads_in_russian_with_decimal_commas() -> None:
    chart = risk_profile_chart(catalogue_rows())
    layout = chart.figure["layout"]
    assert layout["separators"] == ", "  # decimal comma, thin thousands
    texts = [a["text"] for a in layout["annotations"]]
    assert "в среднем по району" in texts
    assert {"повышенный", "высокий"} <= set(texts)
    assert "← риск ниже среднего по району" in texts
    assert "риск выше среднего по району →" in texts
    assert chart.title.startswith("Профиль рисков школы")
    assert "В зоне риска" in chart.alt
    # no English, no SD, no z anywhere a reader sees
    shown = " ".join([chart.title, chart.alt, *texts, *(" ".join(r) for r in chart.table.rows)])
    assert "SD" not in shown and " z" not in shown and "nan" not in shown.lower()
    benchmark = risk_profile_chart(catalogue_rows(), reference="эталона «Край-2025»")
    assert "в среднем по эталону «Край-2025»" in [
        a["text"] for a in benchmark.figure["layout"]["annotations"]
    ]


def test_figure_json_has_no_nan_and_cannot_close_its_script() -> None:
    rows = catalogue_rows()
    rows.append(factor("x", "moderate", float("nan"), title="Фактор </script><b>&"))
    chart = risk_profile_chart(rows)
    text = chart.json()
    assert "NaN" not in text and "Infinity" not in text
    assert "<" not in text and ">" not in text and "&" not in text
    figure = json.loads(text)
    assert figure == json.loads(json.dumps(chart.figure, allow_nan=False))

    def finite(value: object) -> bool:
        if isinstance(value, float):
            return math.isfinite(value)
        if isinstance(value, dict):
            return all(finite(v) for v in value.values())
        if isinstance(value, list):
            return all(finite(v) for v in value)
        return True

    assert finite(figure)
    # the title is text, not markup, where plotly shows it
    assert any("Фактор &lt;/script&gt;&lt;b&gt;&amp;" in y for y in figure["data"][0]["y"])


def test_share_chart_marks_the_district_and_writes_both_figures() -> None:
    chart = share_chart(
        "bullying",
        "Формы травли",
        [
            Share("Оскорбления", 0.31, 0.22),
            Share("Физическая агрессия", 0.08, 0.1),
            Share("В сети", None, 0.05),
        ],
    )
    bars, marks = chart.figure["data"]
    assert bars["x"][:2] == pytest.approx([31.0, 8.0]) and bars["x"][2] is None
    assert marks["x"] == pytest.approx([22.0, 10.0, 5.0])
    written = list(_annotations(chart).values())
    assert written == [
        "31\u00a0% (район: 22\u00a0%)",
        "8\u00a0% (район: 10\u00a0%)",
        "— (район: 5\u00a0%)",
    ]
    # worse than the district: hatched; not worse: plain
    assert bars["marker"]["pattern"]["shape"] == ["/", "", ""]
    axis = chart.figure["layout"]["xaxis"]
    assert axis["ticktext"] == [f"{v}\u00a0%" for v in (0, 20, 40, 60, 80, 100)]
    assert chart.table.rows[0] == ("Оскорбления", "31\u00a0%", "22\u00a0%")


@pytest.mark.parametrize("compact", [False, True])
def test_share_chart_leaves_room_for_the_text_of_a_bar_near_100(compact: bool) -> None:
    """A bar at 99 % keeps its «99 % (район: 54 %)» inside the image: the axis reaches far
    enough right of the bar for the text at the image's type size (a character of DejaVu Sans
    is about 0.55 of the font size, measured on a rendered PNG), and its ticks stop at 100 %."""
    chart = share_chart(
        "near",
        "Доли",
        [Share("В школе у меня есть с кем поговорить", 0.99, 0.54), Share("Мало", 0.1, 1.0)],
    )
    figure = chart.figure["layout"]["meta"]["compact"] if compact else chart.figure
    layout = figure["layout"]
    start, end = layout["xaxis"]["range"]
    labels = figure["data"][0]["y"]
    font, text_font = layout["font"]["size"], (9 if compact else 12)
    column = max(len(line) for label in labels for line in label.split("<br>")) * font * 0.55
    plot = layout["width"] - layout["margin"]["l"] - layout["margin"]["r"] - column
    for note in layout["annotations"]:
        if note.get("yref") != "y":
            continue
        room = (end - note["x"]) / (end - start) * plot - note["xshift"]
        assert room >= len(note["text"]) * text_font * 0.55, (note["text"], room)
    assert 80 <= max(layout["xaxis"]["tickvals"]) <= 100


def test_charts_of_finds_every_chart_once_wherever_a_part_keeps_it() -> None:
    one = risk_profile_chart([factor("a", "low", -1.0)])
    two = share_chart("shares", "Доли", [Share("Доля", 0.5, 0.4)])

    @dataclasses.dataclass(frozen=True)
    class Part:
        charts: list[Chart]
        extra: dict[str, object]

    @dataclasses.dataclass(frozen=True)
    class Model:
        summary: object
        parts: tuple[Part, ...]
        nothing: None = None

    model = Model(summary=one, parts=(Part([two], {"again": one}),))
    assert [c.key for c in charts_of(model)] == ["risk-profile", "shares"]
    assert charts_of(Model(summary=None, parts=())) == []


def test_chart_media_writes_a_png_as_a_data_uri() -> None:
    media = ChartMedia(images={"risk-profile": b"\x89PNG\r\n\x1a\nabc"})
    assert media.image_uri("risk-profile") == "data:image/png;base64,iVBORw0KGgphYmM="
    assert media.image_uri("other") is None
    assert ChartMedia().image_uri("risk-profile") is None
