"""The reference's charts as plotly figures: plain dicts (plotly's JSON), built without plotly's
Python package, Flask or a browser, so any part can carry a chart and every format show it.

A :class:`Chart` holds the figure, a caption, a one-sentence description (an image's
``alt``) and the same figures as a small table. How a page shows it is :class:`ChartMedia`'s
choice, made by whoever renders the page (templates/chart.html):

* **images** (PNG bytes by chart key, rendered by one headless Chromium per process:
  :mod:`web.chart_browser`): the DOCX, the PDF and the CLI's standalone HTML file. That file
  must hold no external resource and plotly.js is 1.2 MB, so it carries the chart as a PNG
  data URI (about 100 KB): it opens offline, in any browser or mail client, and prints like
  the PDF. Inlining the figure instead would need either plotly.js inside every file or a
  fallback in every viewer, and the image is the one the DOCX and PDF already need;
* **scripts** (the URLs of plotly.js and of the loader, both served by the app itself: schools
  may have no outside internet): the web page draws the figure from its JSON (a
  ``<script type="application/json">`` block, never executed, so the page's content security
  policy allows scripts from the app only);
* **neither** (no Chromium for an image): the table, which reads without the chart. The web
  page shows the table until plotly has drawn the chart (and keeps it without JavaScript).

Every level is written on its bar (text, not colour alone) and the bars of the risk zone are
hatched, so the chart reads in black-and-white print; numbers have decimal commas (plotly's
``separators``) and minus signs. :func:`horizontal_bars` is the general builder: the risk
profile (:func:`risk_profile_chart`) and a chart of shares against the district
(:func:`share_chart`) are two uses of it, and a part may add its own.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from typing import TYPE_CHECKING, Any

from analysis.report.factor_position import risk_position
from analysis.report.russian import NBSP, NO_VALUE, ru_number, ru_percent
from analysis.risk import HIGH_COMPOSITE, LEVEL_LABELS, RISK_ZONE, ZONE_QUANTILE

if TYPE_CHECKING:
    from analysis.report.profile import FactorRow

#: a static image's size in CSS pixels (rendered at twice that: Plotly.toImage's scale 2)
WIDTH = 720
FONT = "DejaVu Sans, Arial, sans-serif"
TEXT_COLOR = "#1a1a1a"
#: bars by level: colour and hatching (the hatching tells the risk zone apart in grey print)
LEVEL_FILL = {"high": "#b3261e", "elevated": "#e0a030", "moderate": "#a7abb0", "low": "#6a9a4c"}
LEVEL_PATTERN = {"high": "x", "elevated": "/", "moderate": "", "low": ""}
ZONE_FILL = {"elevated": "#fcefd2", "high": "#f8d9d6"}
#: the words of a factor without a level
NOT_ASSESSED = "не оценён"
NO_DATA = "нет данных"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


@dataclass(frozen=True)
class ChartTable:
    """The chart's figures as a table: what a page shows where the chart cannot be drawn."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """One chart of a reference.

    ``key`` is unique within the reference (the HTML id, the image's name); ``figure`` a
    plotly figure (``data``, ``layout``) of JSON values only, its layout giving the size of
    the static image."""

    key: str
    title: str
    figure: dict[str, Any]
    alt: str
    table: ChartTable

    @property
    def width(self) -> int:
        return int(self.figure["layout"]["width"])

    @property
    def height(self) -> int:
        return int(self.figure["layout"]["height"])

    def json(self) -> str:
        """The figure as JSON that is safe inside a ``<script>`` element of an HTML page (no
        ``<``, ``>`` or ``&`` that could close it) and holds no NaN (ValueError if it did)."""
        text = json.dumps(self.figure, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


@dataclass(frozen=True)
class ChartMedia:
    """How a rendered page shows its charts: ``images`` (PNG bytes by chart key) as data URIs,
    else plotly drawing the figure from ``scripts`` (plotly.js, then the loader), else the
    table."""

    images: Mapping[str, bytes] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()

    def image_uri(self, key: str) -> str | None:
        png = self.images.get(key)
        if png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass(frozen=True)
class Bar:
    """One bar of :func:`horizontal_bars`: ``value`` None draws no bar (``text`` still says
    why); ``low``/``high`` an interval drawn as a whisker; ``reference`` a value drawn as a
    black mark on the bar's row (the district's, for instance)."""

    label: str
    value: float | None
    text: str
    color: str = "#a7abb0"
    pattern: str = ""
    low: float | None = None
    high: float | None = None
    reference: float | None = None
    hover: str = ""
    #: the text on a phone's narrow chart (default: ``text``)
    short_text: str = ""


@dataclass(frozen=True)
class Zone:
    """A shaded band of the value axis with its name written above the plot."""

    start: float
    end: float
    label: str
    fill: str


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _arm(low: float | None, high: float | None) -> float | None:
    """``high − low`` when both are finite (a whisker's arm), never below 0."""
    a, b = _finite(low), _finite(high)
    return None if a is None or b is None else max(b - a, 0.0)


def _end(value: float | None, arm: float | None) -> float | None:
    return None if value is None or arm is None else value + arm


def _escaped(text: str) -> str:
    """Plotly reads its text as a little HTML: user text stays text."""
    return "".join(_ESCAPES.get(c, c) for c in text)


def wrap(text: str, width: int = 28) -> str:
    """A category's label in lines of at most ``width`` characters (a longer word keeps its
    own line), joined as plotly breaks lines; the text escaped for plotly."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(_escaped(line) for line in lines)


def horizontal_bars(
    bars: Sequence[Bar],
    *,
    axis_title: str,
    value_range: tuple[float, float],
    dtick: float,
    tick_suffix: str = "",
    zones: Sequence[Zone] = (),
    zero_label: str | None = None,
    label_width: int = 28,
    directions: tuple[str, str] | None = None,
    short_directions: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A plotly figure of one horizontal bar per :class:`Bar`, the first at the top, each
    with its text written beyond the bar's end (or its whisker), so that nothing depends on
    colour. ``value_range`` is the value axis (widened to hold every bar, whisker and
    reference); ``zones`` are shaded behind the bars; ``zero_label`` names a line at 0;
    ``directions`` are written under the axis's two ends ("← риск ниже среднего …", "… →").

    The layout's ``meta.compact`` holds the same chart for a phone's width (smaller type,
    shorter lines and ``short_directions``, no names above the plot), which the web page's
    loader draws instead below 600 px."""

    def build(compact: bool, ends: tuple[str, str] | None) -> dict[str, Any]:
        return _bars_figure(
            bars,
            axis_title=axis_title,
            value_range=value_range,
            dtick=dtick,
            tick_suffix=tick_suffix,
            zones=zones,
            zero_label=zero_label,
            label_width=label_width,
            directions=ends,
            compact=compact,
        )

    figure, compact = build(False, directions), build(True, short_directions)
    figure["layout"]["meta"] = {"compact": compact}
    return figure


#: sizes of the two layouts: an image or a wide page, and a phone
_SIZES = {
    False: {"font": 13, "text": 12, "small": 11, "row": 28, "top": 26, "bottom": 54},
    True: {"font": 10, "text": 9, "small": 9, "row": 26, "top": 8, "bottom": 44},
}


def _bars_figure(
    bars: Sequence[Bar],
    *,
    axis_title: str,
    value_range: tuple[float, float],
    dtick: float,
    tick_suffix: str,
    zones: Sequence[Zone],
    zero_label: str | None,
    label_width: int,
    directions: tuple[str, str] | None,
    compact: bool,
) -> dict[str, Any]:
    size = _SIZES[compact]
    labels = [wrap(bar.label, min(label_width, 18) if compact else label_width) for bar in bars]
    values = [_finite(bar.value) for bar in bars]
    # a whisker's two arms, from the bar's end (none without a bar)
    plus = [_arm(bar.value, bar.high) for bar in bars]
    minus = [_arm(bar.low, bar.value) for bar in bars]
    highs = [_end(v, arm) for v, arm in zip(values, plus, strict=True)]
    lows = [_end(v, None if arm is None else -arm) for v, arm in zip(values, minus, strict=True)]
    marks = [_finite(bar.reference) for bar in bars]
    seen = [x for row in (values, lows, highs, marks) for x in row if x is not None]
    span = value_range[1] - value_range[0]
    start = min([value_range[0], *(x - 0.05 * span for x in seen)])
    texts = [bar.short_text or bar.text if compact else bar.text for bar in bars]
    # right of everything drawn on the row (a bar left of zero ends at zero): never over
    # the category labels at the left
    text_at = [
        max(x for x in (value, high, mark, 0.0) if x is not None)
        for value, high, mark in zip(values, highs, marks, strict=True)
    ]
    end = _room_for_texts(
        start,
        max([value_range[1], *(x + 0.02 * span for x in seen)]),
        text_at,
        texts,
        labels=labels,
        compact=compact,
    )
    has_whiskers = any(arm is not None for arm in (*plus, *minus))
    trace: dict[str, Any] = {
        "type": "bar",
        "orientation": "h",
        "y": labels,
        "x": values,
        "marker": {
            "color": [bar.color for bar in bars],
            "line": {"color": TEXT_COLOR, "width": 0.75},
            "pattern": {
                "shape": [bar.pattern for bar in bars],
                "fillmode": "overlay",
                "fgcolor": "#ffffff",
                "size": 8,
                "solidity": 0.3,
            },
        },
        "customdata": [_escaped(bar.hover or bar.text) for bar in bars],
        "hovertemplate": "%{customdata}<extra></extra>",
        "cliponaxis": False,
    }
    if has_whiskers:
        trace["error_x"] = {
            "type": "data",
            "symmetric": False,
            "array": plus,
            "arrayminus": minus,
            "color": TEXT_COLOR,
            "thickness": 1.5,
            "width": 5,
        }
    data: list[dict[str, Any]] = [trace]
    if any(mark is not None for mark in marks):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "y": labels,
                "x": marks,
                "marker": {"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": "#000"}},
                "hoverinfo": "skip",
            }
        )
    annotations: list[dict[str, Any]] = []
    for label, text, value, x in zip(labels, texts, values, text_at, strict=True):
        annotations.append(
            {
                "x": x,
                "y": label,
                "xref": "x",
                "yref": "y",
                "text": _escaped(text),
                "showarrow": False,
                "xanchor": "left",
                "xshift": _TEXT_SHIFT[compact],
                "font": {
                    "size": size["text"],
                    "color": TEXT_COLOR if value is not None else "#555",
                },
            }
        )
    shapes: list[dict[str, Any]] = []
    for zone in zones:
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": zone.start,
                "x1": min(zone.end, end),
                "y0": 0,
                "y1": 1,
                "fillcolor": zone.fill,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        if not compact:
            middle = (zone.start + min(zone.end, end)) / 2
            annotations.append(_top_label(middle, zone.label, size["small"]))
    if zero_label is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": 0,
                "x1": 0,
                "y0": 0,
                "y1": 1,
                "line": {"color": TEXT_COLOR, "width": 2},
            }
        )
        if not compact:
            zero = _top_label(0, zero_label, size["small"])
            annotations.append({**zero, "xanchor": "right", "xshift": -3})
    for x, text, anchor in zip(
        (start, end), directions or ("", ""), ("left", "right"), strict=True
    ):
        if not text:
            continue
        annotations.append(
            {
                "x": x,
                "y": 0,
                "xref": "x",
                "yref": "paper",
                "yanchor": "top",
                "xanchor": anchor,
                "yshift": -18 if compact else -24,
                "text": _escaped(text),
                "showarrow": False,
                "font": {"size": size["text"], "color": "#444"},
            }
        )
    ticks = _ticks(start, max([value_range[1], *seen]), dtick * (2 if compact else 1))
    # a row as high as its label's lines (neighbouring labels may share the gap between bars)
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    row = max(size["row"], round(lines * 1.15 * size["font"]) + 2)
    rows = max(len(bars), 1)
    return {
        "data": data,
        "layout": {
            "width": 360 if compact else WIDTH,
            "height": size["top"] + size["bottom"] + 8 + row * rows,
            "separators": ", ",
            "font": {"family": FONT, "size": size["font"], "color": TEXT_COLOR},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "showlegend": False,
            "bargap": 0.35,
            "margin": {**_MARGIN, "t": size["top"], "b": size["bottom"]},
            "xaxis": {
                "range": [start, end],
                # ticks where values can be, not in the room left for the texts («120 %»)
                "tickvals": ticks,
                "ticktext": [_tick_text(v) + tick_suffix for v in ticks],
                "tickangle": 0,
                "zeroline": False,
                "showgrid": True,
                "gridcolor": "#e3e3e3",
                "showline": True,
                "linecolor": TEXT_COLOR,
                "fixedrange": True,
                "title": {"text": _escaped(axis_title), "font": {"size": size["text"]}},
            },
            "yaxis": {"autorange": "reversed", "automargin": True, "fixedrange": True},
            "shapes": shapes,
            "annotations": annotations,
        },
    }


#: a character's width as a share of its font's size (DejaVu Sans, Cyrillic and digits,
#: erring wide): the room a text needs, estimated before the browser draws it
CHAR_WIDTH = 0.62
#: the gap between a bar's end and its text, in pixels
_TEXT_SHIFT = {False: 6, True: 4}
_MARGIN = {"l": 4, "r": 8}


def _text_width(text: str, font: int) -> float:
    return len(text) * font * CHAR_WIDTH


def _room_for_texts(
    start: float,
    end: float,
    at: Sequence[float],
    texts: Sequence[str],
    *,
    labels: Sequence[str],
    compact: bool,
) -> float:
    """The axis's right end, at least ``end``, that leaves each row's text (written from
    ``at``) room to its full length inside the figure: a bar near 100 % keeps its «99 %
    (район: 54 %)» instead of losing it at the image's edge. The plot's width is the
    figure's less the category labels' column (its longest line) and the margins; the
    text's, its characters at :data:`CHAR_WIDTH`."""
    size = _SIZES[compact]
    lines = [unescape(line) for label in labels for line in label.split("<br>")]
    column = max((_text_width(line, size["font"]) for line in lines), default=0.0) + 6
    plot = (360 if compact else WIDTH) - _MARGIN["l"] - _MARGIN["r"] - column
    for x, text in zip(at, texts, strict=True):
        needed = _text_width(text, size["text"]) + _TEXT_SHIFT[compact] + 4
        # (end − x) / (end − start) of the plot must hold the text; at most 70 % of the plot
        # goes to a text, whatever its length
        share = min(needed / max(plot, 1.0), 0.7)
        end = max(end, (x - share * start) / (1 - share))
    return end


def _ticks(start: float, last: float, step: float) -> list[float]:
    """The axis's ticks every ``step`` from the first at or after ``start`` to ``last``."""
    first = math.ceil(round(start / step, 9)) * step
    count = math.floor(round((last - first) / step, 9)) + 1
    return [round(first + i * step, 9) for i in range(max(count, 0))]


def _tick_text(value: float) -> str:
    """A tick's number as the reference prints numbers, without trailing zeros: «−1,5», «0»."""
    text = ru_number(value, 0 if float(value).is_integer() else 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _top_label(x: float, text: str, font: int) -> dict[str, Any]:
    """A name written above the plot at ``x`` (a zone's, the zero line's)."""
    return {
        "x": x,
        "y": 1,
        "xref": "x",
        "yref": "paper",
        "yanchor": "bottom",
        "text": _escaped(text),
        "showarrow": False,
        "font": {"size": font, "color": "#444"},
    }


def factor_level_text(factor: FactorRow) -> str:
    """The word written on a factor's bar: its level, or why it has none."""
    if factor.level and factor.composite is not None:
        text = LEVEL_LABELS.get(factor.level, factor.level)
        return f"{text} (результаты)" if factor.outcome else text
    return NOT_ASSESSED if factor.short_note else NO_DATA


def factor_interval(factor: FactorRow) -> tuple[float | None, float | None]:
    """The interval drawn around a factor's composite: ± the one-sided 80 % quantile times its
    standard error, so the whisker's left end is the bound a probable cause must clear
    (:data:`analysis.risk.ZONE_QUANTILE`: a factor is in the risk zone credibly when the
    whole whisker lies beyond the zone's boundary)."""
    composite, se = _finite(factor.composite), _finite(factor.composite_se)
    if composite is None or se is None:
        return None, None
    return composite - ZONE_QUANTILE * se, composite + ZONE_QUANTILE * se


def risk_profile_chart(
    factors: Sequence[FactorRow], *, reference: str = "района", key: str = "risk-profile"
) -> Chart:
    """Every factor of the school against the reference (``reference`` in the genitive:
    "района", "эталона «…»"): the reference's average at 0, the school's composite as a bar
    with its interval, the level written beside it; the risk zone shaded."""
    bars = []
    rows = []
    for factor in factors:
        low, high = factor_interval(factor)
        text = factor_level_text(factor)
        level = factor.level if factor.composite is not None else None
        value = _finite(factor.composite)
        hover = f"{factor.title}: {text}"
        if value is not None:
            hover += f"; оценка {ru_number(value)}"
            if low is not None and high is not None:
                hover += f", с учётом погрешности от {ru_number(low)} до {ru_number(high)}"
        bars.append(
            Bar(
                label=factor.title,
                value=value,
                text=text,
                short_text=factor_level_text(dataclasses.replace(factor, outcome=False)),
                color=LEVEL_FILL.get(level or "", LEVEL_FILL["moderate"]),
                pattern=LEVEL_PATTERN.get(level or "", ""),
                low=low,
                high=high,
                hover=hover,
            )
        )
        where = risk_position(value, factor.level, f"по {dative(reference)}") or NO_VALUE
        title = f"{factor.title} (показатель результатов)" if factor.outcome else factor.title
        rows.append((title, text, where))
    figure = horizontal_bars(
        bars,
        axis_title="",
        # by the risk, not «лучше/хуже»: some factors describe who the pupils are
        directions=(
            f"← риск ниже среднего по {dative(reference)}",
            f"риск выше среднего по {dative(reference)} →",
        ),
        short_directions=("← риск ниже", "риск выше →"),
        value_range=(-1.5, 1.5),
        dtick=0.5,
        zones=(
            Zone(RISK_ZONE, HIGH_COMPOSITE, "повышенный", ZONE_FILL["elevated"]),
            Zone(HIGH_COMPOSITE, math.inf, "высокий", ZONE_FILL["high"]),
        ),
        zero_label=f"в среднем по {dative(reference)}",
    )
    at_risk = [f.title for f in factors if f.level in ("high", "elevated") and not f.outcome]
    alt = (
        f"Диаграмма: положение школы по {len(factors)} факторам риска относительно среднего "
        f"по {dative(reference)}. "
        + (
            "В зоне риска: " + "; ".join(at_risk) + "."
            if at_risk
            else "Ни один фактор не находится в зоне риска."
        )
    )
    return Chart(
        key=key,
        title=f"Профиль рисков школы: положение относительно среднего по {dative(reference)}",
        figure=figure,
        alt=alt,
        table=ChartTable(("Фактор риска", "Уровень риска", "Положение школы"), tuple(rows)),
    )


def dative(reference: str) -> str:
    """«района» → «району», «эталона «…»» → «эталону «…»» (after «по»)."""
    head, _, rest = reference.partition(" ")
    if head.endswith("а"):
        head = head[:-1] + "у"
    return f"{head} {rest}".strip()


def _nominative(reference: str) -> str:
    """«района» → «район», «эталона «…»» → «эталон «…»»."""
    head, _, rest = reference.partition(" ")
    return f"{head.removesuffix('а')} {rest}".strip()


@dataclass(frozen=True)
class Share:
    """One row of :func:`share_chart`: the school's share (0–1) and the district's."""

    label: str
    share: float | None
    district: float | None = None
    #: the row is bad news when the school's share is the larger (a share of bullied pupils)
    higher_is_worse: bool = True


def share_chart(
    key: str, title: str, shares: Sequence[Share], *, reference: str = "района"
) -> Chart:
    """Shares of the school as horizontal bars (0–100 %), the district's share of each row as
    a black mark, the school's and the district's figure written beside the bar: e.g. the
    forms of bullying, or the parents satisfied with each aspect of school life."""
    bars = []
    rows = []
    for item in shares:
        share, district = _finite(item.share), _finite(item.district)
        worse = (
            share is not None
            and district is not None
            and (share > district if item.higher_is_worse else share < district)
        )
        text = NO_VALUE if share is None else ru_percent(share)
        if district is not None:
            text += f" ({_nominative(reference)}: {ru_percent(district)})"
        bars.append(
            Bar(
                label=item.label,
                value=None if share is None else share * 100,
                text=text,
                color=LEVEL_FILL["elevated"] if worse else LEVEL_FILL["moderate"],
                pattern=LEVEL_PATTERN["elevated"] if worse else "",
                reference=None if district is None else district * 100,
                hover=f"{item.label}: {text}",
            )
        )
        rows.append((item.label, ru_percent(share), ru_percent(district)))
    figure = horizontal_bars(
        bars,
        axis_title=f"доля, % (чёрная отметка — среднее по {dative(reference)})",
        value_range=(0, 100),
        dtick=20,
        tick_suffix=f"{NBSP}%",
        label_width=32,
    )
    return Chart(
        key=key,
        title=title,
        figure=figure,
        alt=f"Диаграмма: {title}",
        table=ChartTable(("Показатель", "Школа", f"Среднее по {dative(reference)}"), tuple(rows)),
    )


def charts_of(model: object) -> list[Chart]:
    """Every chart a reference model holds, wherever a part keeps it (dataclass fields, lists,
    tuples and dict values, at any depth), each key once, in the model's order."""
    found: dict[str, Chart] = {}
    for chart in _walk(model):
        found.setdefault(chart.key, chart)
    return list(found.values())


def _walk(value: object) -> Iterator[Chart]:
    if isinstance(value, Chart):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _walk(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
