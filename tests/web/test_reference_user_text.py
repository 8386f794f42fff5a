"""Text users type is inert in every format of the reference (issue 15): the school's names,
the district, region and wave, who prepared it, and a psychologist's own questionnaire — its
title, its scales' titles and a risk indicator it declares — each carrying markup, spreadsheet
formula prefixes, template braces and control characters. In HTML it is escaped text, in the
DOCX literal runs (no field, no formula), in the PDF printed as typed; the characters XML
cannot hold are dropped everywhere. Open answers never enter a reference (nothing of
``analysis.report`` reads a text item), so they have nothing to show.

Built without a database: the reference of one school among six, from synthetic answers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pytest
from docx.oxml.ns import qn

from analysis.report import ReferenceModel, build_school_reference, render_html
from analysis.report.docx import render_docx
from analysis.report.front_matter import Preparer, signed
from analysis.report.study import FormFacts, StudyFacts
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import ItemType, parse_instrument
from tests.web.test_reference_files import _need, _need_chromium
from web.pdf import html_to_pdf

#: what every field carries besides its own marker
PAYLOAD = '<script>alert(1)</script> <b>жирный</b> =HYPERLINK("http://x";"y") +7 @SUM(A1) {{ 7*7 }}'
CONTROL = "\x07\x0b\x1b"
FIELDS = (
    "school",
    "district",
    "wave",
    "preparer",
    "region",
    "short",
    "questionnaire",
    "scale",
    "indicator",
)


def hostile(field: str) -> str:
    """The text typed into ``field``: a marker, the payload and control characters."""
    return f"Поле-{FIELDS.index(field)}{CONTROL[0]} {PAYLOAD}{CONTROL[1:]}"


def clean(field: str) -> str:
    """What every format must show of it: the same text without the control characters."""
    return re.sub(f"[{CONTROL}]", "", hostile(field))


def _instrument() -> object:
    items = [
        {"code": f"q{i}", "type": "likert", "response_scale": "agree4", "text": f"Вопрос {i}"}
        for i in range(1, 5)
    ]
    return parse_instrument(
        {
            "code": "own",
            "title": {"ru": hostile("questionnaire")},
            "audience": "teacher",
            "response_scales": [
                {
                    "code": "agree4",
                    "options": [{"value": v, "label": f"вариант {v}"} for v in range(1, 5)],
                }
            ],
            "sections": [{"code": "main", "title": "Вопросы", "items": items}],
            "scales": [
                {
                    "code": "climate",
                    "title": {"ru": hostile("scale")},
                    "items": [f"q{i}" for i in range(1, 5)],
                    "higher_is": "favourable",
                }
            ],
            "indicators": [
                {
                    "factor": "motivation",
                    "code": "own_climate",
                    "title": {"ru": hostile("indicator")},
                    "scale": "climate",
                    "statistic": "pomp",
                    "direction": "favourable",
                }
            ],
        }
    )


@pytest.fixture(scope="module")
def model() -> ReferenceModel:
    instrument = _instrument()
    assert instrument.items() and all(i.type is ItemType.likert for i in instrument.items())
    rng = np.random.default_rng(3)
    rows = []
    for s in range(6):
        # S0's climate far below the others': its factor at risk, shown with its indicators
        level = -2.5 if s == 0 else rng.normal(0, 0.3)
        for _ in range(12):
            trait = level + rng.normal()
            rows.append(
                {
                    "school_code": f"S{s}",
                    **{
                        f"q{i}": int(np.clip(round(2.5 + trait + rng.normal(0, 0.7)), 1, 4))
                        for i in range(1, 5)
                    },
                }
            )
    answers = pd.DataFrame(rows)
    built = build_school_reference(
        school_code="S0",
        school_name=hostile("school"),
        district_name=hostile("district"),
        campaign_title=hostile("wave"),
        period="2026",
        min_group_size=5,
        audiences=[("own", instrument, answers)],
        generated_on=dt.date(2026, 12, 7),
        catalogue=builtin_risk_factors(),
        study=StudyFacts(
            opens_on=dt.date(2026, 11, 2),
            closes_on=dt.date(2026, 12, 25),
            school_short_name=hostile("short"),
            region=hostile("region"),
            forms=(FormFacts("own", 1, complete=12, eligible=20),),
        ),
    )
    return signed(built, prepared_by=Preparer(name=hostile("preparer")), approval=True)


def test_user_text_is_escaped_in_html(model: ReferenceModel) -> None:
    html = render_html(model)
    assert "<script>alert" not in html and "<b>жирный" not in html
    assert not re.search(f"[{CONTROL}]", html)
    assert "49" not in re.sub(r"\d{3,}", "", html.replace("{{ 7*7 }}", ""))  # never evaluated
    for field in FIELDS:
        escaped = (
            clean(field)
            .replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&#34;")
        )
        assert escaped in html, field


def _docx_texts(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join([*parts, document.core_properties.title or ""])


def test_user_text_is_literal_in_docx(model: ReferenceModel) -> None:
    data = render_docx(model)
    text = _docx_texts(data)
    for field in FIELDS:
        assert clean(field) in text, field
    assert not re.search(f"[{CONTROL}]", text)
    document = docx.Document(io.BytesIO(data))
    codes = [e.text or "" for e in document.element.body.iter(qn("w:instrText"))]
    # Word's own fields only (the table of contents, page numbers): no user text became one
    assert codes and all(not re.search(r"HYPERLINK|SUM|Поле-", c) for c in codes), codes
    # nothing became a hyperlink either
    assert not list(document.element.body.iter(qn("w:hyperlink")))


def test_user_text_is_printed_as_typed_in_pdf(model: ReferenceModel, tmp_path: Path) -> None:
    _need_chromium()
    pdftotext = _need("pdftotext", "poppler-utils")
    path = tmp_path / "reference.pdf"
    path.write_bytes(html_to_pdf(render_html(model)))
    text = subprocess.run(
        [pdftotext, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    squashed = re.sub(r"\s+", " ", text)
    for field in ("school", "questionnaire", "scale", "preparer"):
        marker = re.sub(r"\s+", " ", clean(field))
        # a long line may break anywhere: compare without spaces
        assert marker.replace(" ", "") in squashed.replace(" ", ""), field
    assert "<script>alert(1)</script>" in squashed and '=HYPERLINK("http://x";"y")' in squashed
