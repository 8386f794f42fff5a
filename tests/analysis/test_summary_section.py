"""The reference's summary («Краткие итоги»): a few plain sentences on each factor truly at risk,
the results and the causes, and the all-clear for the rest only where it holds (a factor at
risk vs none, a factor not assessed, every factor at risk); no statistical jargon; the part
first after the front matter in the HTML and the DOCX, the chart as an image or its table."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import re
import struct
import zipfile
import zlib

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm

from analysis.report.charts import ChartMedia
from analysis.report.docx import render_docx
from analysis.report.html import render_html
from analysis.report.model import ReferenceModel, build_school_reference
from analysis.report.profile import CauseRow, FactorRow, IndicatorRow, RiskSection
from analysis.report.summary_section import SummarySection, build_summary_section
from analysis.risk import LEVEL_LABELS
from instruments.library import builtin

ALL_CLEAR = "По остальным факторам показатели школы на уровне района или лучше."
NONE_AT_RISK = (
    "Ни по одному фактору школа не находится в зоне риска: по всем факторам показатели школы "
    "на уровне района или лучше."
)
JARGON = re.compile(r"\bSD\b|\bz\b|ρ|POMP|ICC|z-оцен", re.IGNORECASE)


def indicator(title: str, risk_z: float | None, value: str = "40 %") -> IndicatorRow:
    return IndicatorRow(
        title=title, audience="обучающиеся", value=value, band=None, risk_z=risk_z, n=40
    )


def factor(
    code: str,
    level: str | None,
    composite: float | None,
    *,
    se: float = 0.1,
    outcome: bool = False,
    short_note: str | None = None,
    indicators: list[IndicatorRow] | None = None,
) -> FactorRow:
    return FactorRow(
        code=code,
        title={
            "wellbeing": "Школьное благополучие",
            "motivation": "Учебная мотивация",
            "staffing": "Дефицит кадров",
            "students_at_risk": "Обучающиеся с рисками учебной неуспешности",
        }.get(code, code),
        composite=composite,
        level=level,
        level_label=LEVEL_LABELS.get(level or "", "нет данных"),
        text=f"{code}: SD и z — это текст профиля, не итогов",
        indicators=indicators or [],
        outcome=outcome,
        short_note=short_note,
        composite_se=se if composite is not None else None,
    )


def risk(
    *factors: FactorRow, causes: tuple[str, ...] = (), results_low: bool | None = True
) -> RiskSection:
    titles = {f.code: f.title for f in factors}
    return RiskSection(
        factors=list(factors),
        causes=[CauseRow(i + 1, c, titles[c], "") for i, c in enumerate(causes)],
        results_low=results_low,
    )


def texts(summary: SummarySection) -> str:
    return " ".join(
        [
            summary.reading,
            *(f.text for f in summary.findings),
            summary.results,
            summary.causes,
            summary.all_clear or "",
            summary.not_assessed or "",
        ]
    )


def test_a_factor_at_risk_gets_sentences_and_the_rest_an_all_clear() -> None:
    wellbeing = factor(
        "wellbeing",
        "high",
        1.8,
        indicators=[
            indicator("Чувство принадлежности к школе", 1.9, "23 из 100"),
            indicator("Доля обижаемых", 1.2, "52 %"),
            indicator("Доля довольных", 0.1),
            indicator("Скрытый показатель", None),
        ],
    )
    section = risk(
        wellbeing,
        factor("motivation", "moderate", 0.3),
        factor("staffing", "low", -0.8),
        factor("students_at_risk", "elevated", 0.9, outcome=True),
        causes=("wellbeing",),
    )
    summary = build_summary_section(section, listed_low=False)
    (finding,) = summary.findings
    assert finding.code == "wellbeing"
    assert finding.text.startswith(
        "«Школьное благополучие» — уровень риска высокий: показатели школы значительно хуже "
        "среднего по району."
    )
    assert (
        "Сильнее всего отличаются «Чувство принадлежности к школе» (23 из 100) и «Доля "
        "обижаемых» (52 %)."
    ) in finding.text
    assert "Доля довольных" not in finding.text  # on the district's level: not a driver
    assert finding.text.endswith("Назван вероятной причиной низких результатов.")
    assert 2 <= finding.text.count(". ") + 1 <= 3
    assert summary.all_clear == ALL_CLEAR
    assert summary.not_assessed is None
    # the outcome factor is the results, not a finding (the assessments say what they are)
    assert "Обучающиеся с рисками" not in texts(summary)
    assert summary.results == (
        "Доля неудовлетворительных отметок в школе выше, чем в средней школе района."
    )
    assert summary.causes == (
        "Вероятной причиной низких результатов назван фактор «Школьное благополучие»."
    )
    assert not JARGON.search(texts(summary)), texts(summary)


def test_a_school_with_nothing_at_risk_gets_the_all_clear_for_every_factor() -> None:
    section = risk(
        factor("wellbeing", "moderate", 0.4),
        factor("motivation", "low", -0.6),
        factor("students_at_risk", "moderate", 0.2, outcome=True),
        results_low=False,
    )
    summary = build_summary_section(section)
    assert summary.findings == []
    assert summary.all_clear == NONE_AT_RISK
    assert ALL_CLEAR not in texts(summary)
    assert summary.results.startswith(
        "Доля неудовлетворительных отметок в школе не выше, чем в средней школе района"
    )
    assert summary.causes == "Вероятные причины низких результатов поэтому не называются."
    assert not JARGON.search(texts(summary))


def test_a_factor_not_assessed_is_named_and_never_all_cleared() -> None:
    section = risk(
        factor("wellbeing", "elevated", 0.9),
        factor("motivation", "low", -0.6),
        factor(
            "staffing",
            None,
            None,
            short_note="не оценён: группа «педагоги» — 3 ответа при минимуме 5",
        ),
        factor("other", None, None),
        causes=("wellbeing",),
    )
    summary = build_summary_section(section)
    assert summary.all_clear == (
        "По остальным оценённым факторам показатели школы на уровне района или лучше."
    )
    assert ALL_CLEAR not in texts(summary)
    assert summary.not_assessed == (
        "Не оценены факторы «Дефицит кадров» (группа «педагоги» — 3 ответа при минимуме 5); "
        "«other» (нет данных для оценки): о них эта справка выводов не делает."
    )
    nothing = build_summary_section(
        risk(factor("motivation", "low", -0.6), factor("other", None, None), results_low=None)
    )
    assert NONE_AT_RISK not in texts(nothing)
    assert nothing.all_clear is not None and "оценённых" in nothing.all_clear
    assert nothing.results.startswith("Результаты оценочных процедур школы не загружены")
    outcome = factor("students_at_risk", "high", 1.2, outcome=True)
    unknown = build_summary_section(risk(outcome, results_low=None))
    assert unknown.results.endswith(
        "Показатели самих результатов на уровне «повышенный» и выше: «Обучающиеся с рисками "
        "учебной неуспешности»."
    )
    assert unknown.findings == []


def test_no_all_clear_when_every_factor_is_at_risk() -> None:
    summary = build_summary_section(
        risk(factor("wellbeing", "high", 1.5), factor("motivation", "elevated", 0.55, se=0.3))
    )
    assert [f.code for f in summary.findings] == ["wellbeing", "motivation"]
    assert summary.all_clear is None
    assert "на уровне района или лучше" not in texts(summary)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # results not low: named as a risk, not a cause
        (
            {"results_low": False},
            "Результаты школы не низкие: причиной не назван, но требует внимания.",
        ),
        # the whole interval is not in the risk zone: to be checked again
        ({"se": 0.4}, "Оценка неточна (мало ответов или разброс мнений): причиной не назван"),
        # credible, results low, not among the causes shown
        ({}, "Среди вероятных причин не назван."),
    ],
)
def test_a_factor_at_risk_that_is_not_a_cause_says_why(kwargs: dict, expected: str) -> None:
    se = kwargs.pop("se", 0.1)
    section = risk(factor("motivation", "elevated", 0.8, se=se), **kwargs)
    (finding,) = build_summary_section(section).findings
    assert expected in finding.text
    assert "Назван вероятной причиной" not in finding.text


def test_listed_school_and_a_benchmark_are_said_so() -> None:
    section = risk(factor("wellbeing", "low", -0.7))
    listed = build_summary_section(section, listed_low=True)
    assert listed.results == (
        "Школа включена в перечень школ с низкими образовательными результатами."
    )
    against = build_summary_section(section, reference="эталона «Край-2025»")
    assert against.all_clear == (
        "Ни по одному фактору школа не находится в зоне риска: по всем факторам показатели "
        "школы на уровне эталона или лучше."
    )
    assert "средний уровень по эталону «Край-2025»" in against.reading


# -- in the reference ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> ReferenceModel:
    """A reference of six teachers' (empty) answers, with the summary of a school where one
    factor is at risk."""
    teacher = builtin("teacher")
    columns = ["school_code", "class_name", *(i.code for i in teacher.items())]
    answers = pd.DataFrame(
        [["A", None, *([float("nan")] * (len(columns) - 2))]] * 6, columns=columns
    )
    base = build_school_reference(
        school_code="A",
        school_name="МБОУ «Средняя школа № 7»",
        district_name="Тестовый район",
        campaign_title="Осенняя волна",
        period="2026",
        min_group_size=5,
        audiences=[("teacher", teacher, answers)],
        generated_on=dt.date(2026, 11, 20),
    )
    section = risk(
        factor("wellbeing", "high", 1.8),
        factor("motivation", "moderate", 0.2),
        causes=("wellbeing",),
    )
    return dataclasses.replace(base, summary=build_summary_section(section))


def _parts(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html)]


def test_summary_is_the_first_part_after_the_front_matter(model: ReferenceModel) -> None:
    html = render_html(model)
    parts = _parts(html)
    assert parts.index("Краткие итоги диагностики") == parts.index("Выборка и охват") + 1
    summary = html.split("Краткие итоги диагностики", 1)[1]
    assert ALL_CLEAR in summary
    assert "«Школьное благополучие» — уровень риска высокий" in summary
    # no image, no script: the chart's table
    assert '<table class="chart-table">' in summary and "<img" not in summary
    assert "<script" not in html


def test_summary_chart_as_an_image_or_drawn_by_the_apps_scripts(model: ReferenceModel) -> None:
    png = _png(40, 25)
    html = render_html(model, ChartMedia(images={"risk-profile": png}))
    image = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', html)
    assert image is not None and base64.b64decode(image.group(1)) == png
    assert image.group(2).startswith("Диаграмма: положение школы по 2 факторам риска")
    assert "chart-table" not in html.split("<figure", 1)[1].split("</figure>", 1)[0]
    page = render_html(model, ChartMedia(scripts=("/assets/plotly-x.min.js", "/static/c.js")))
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', page)
    assert scripts == ["/assets/plotly-x.min.js", "/static/c.js"]
    block = re.search(
        r'<script type="application/json" id="chart-figure-risk-profile">(.*?)</script>', page
    )
    assert block is not None
    assert json.loads(block.group(1)) == model.summary.chart.figure  # type: ignore[union-attr]
    assert '<table class="chart-table">' in page  # until plotly has drawn the chart


def test_docx_carries_the_chart_as_a_picture_as_wide_as_the_text(model: ReferenceModel) -> None:
    png = _png(1440, 904)
    data = render_docx(model, images={"risk-profile": png})
    media = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]
    assert len(media) == 1
    assert zipfile.ZipFile(io.BytesIO(data)).read(media[0]) == png
    document = docx.Document(io.BytesIO(data))
    (shape,) = document.inline_shapes
    assert shape.width == Cm(21 - 3 - 1.5)  # the portrait page's text width
    assert shape.height == pytest.approx(Cm(16.5) * 904 / 1440, rel=1e-3)
    descr = next(document.element.body.iter(qn("wp:docPr"))).get("descr")
    assert descr.startswith("Диаграмма: положение школы")
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings.index("Краткие итоги диагностики") == headings.index("Выборка и охват") + 1
    paragraphs = [p.text for p in document.paragraphs]
    assert any(p.startswith(ALL_CLEAR) for p in paragraphs)
    caption = paragraphs.index(model.summary.chart.title)  # type: ignore[union-attr]
    assert paragraphs[caption - 1] == ""  # the picture's paragraph, just above its caption
    # without the image: the chart's table
    plain = docx.Document(io.BytesIO(render_docx(model)))
    assert not plain.inline_shapes
    assert any(t.rows[0].cells[0].text == "Фактор риска" for t in plain.tables)


def _png(width: int, height: int) -> bytes:
    """A white PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff" * (width * 3) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
