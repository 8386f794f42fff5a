"""The school reference as files to hand in: DOCX (python-docx, read back and printed by
LibreOffice), PDF (the HTML printed by headless Chromium), from the command line and from the
staff pages, with the same access as the HTML page.

One demo district is built per module in its own SQLite file (the formats do not depend on
the back end; the route table test runs the access rules on both), and its reference of the
school with a planted cause is computed once.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import docx
import pytest
from click.testing import CliRunner, Result
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from analysis.report import ReferenceModel, render_html
from analysis.report.charts import ChartMedia, charts_of
from analysis.report.docx import render_docx
from surveys import models as m
from surveys.db import make_engine, make_sessionmaker, upgrade
from surveys.demo import generate_demo
from tests.conftest import _missing, make_app
from web.cli import main
from web.pdf import chromium_path, html_to_pdf
from web.reference_files import WITHOUT_CHROMIUM, render_reference
from web.reporting import school_reference

DAY = dt.date(2026, 11, 20)
HOSTILE = 'Школа <script>alert(1)</script> =HYPERLINK("http://x";"y")\x07 №\x0b1'
ROADMAP_HEADER = [
    "№",
    "Мероприятие",
    "Сроки",
    "Ответственные",
    "Форма",
    "Ожидаемый результат",
    "Внешняя помощь / партнёр",
]


@dataclasses.dataclass(frozen=True)
class Demo:
    engine: Engine
    url: str
    campaign_id: int
    #: the demo deputy's school
    code: str
    #: another school of the district, with a planted cause (a roadmap, a probable cause)
    other_code: str
    #: the other school's reference
    model: ReferenceModel


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        built = generate_demo(session, seed=2026, today=DAY, with_users=True)
        session.commit()
        deputy = session.scalar(select(m.User).where(m.User.login == "deputy"))
        assert deputy is not None and deputy.school_id is not None
        own = session.get(m.School, deputy.school_id)
        assert own is not None
        planted = sorted(code for code in built.truth["planted"] if code != own.code)
        model = school_reference(session, built.campaign_id, planted[0])
    yield Demo(engine, url, built.campaign_id, own.code, planted[0], model)
    engine.dispose()


@pytest.fixture(scope="module")
def docx_bytes(demo: Demo) -> bytes:
    return render_docx(demo.model)


@pytest.fixture(scope="module")
def document(docx_bytes: bytes) -> Document:
    return docx.Document(io.BytesIO(docx_bytes))


def _need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        _missing(f"{tool} not found (install the Debian package {package})")
        raise AssertionError  # unreachable: _missing raises
    return path


def _need_chromium() -> None:
    if chromium_path() is None:
        _missing("Chromium not found (install the Debian package chromium)")


def _pdf_text(pdf: bytes, tmp_path: Path, name: str = "out.pdf") -> tuple[str, int]:
    pdftotext = _need("pdftotext", "poppler-utils")
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    info = subprocess.run(
        [_need("pdfinfo", "poppler-utils"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert found is not None, info
    return text, int(found.group(1))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# -- DOCX: structure ---------------------------------------------------------------------------


def _body_items(document: Document) -> Iterator[Paragraph | Table]:
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield Table(child, document)


def _cell_texts(table: Table) -> list[list[str]]:
    rows = []
    for row in table.rows:
        seen, texts = set(), []
        for cell in row.cells:
            if id(cell._tc) not in seen:  # a merged cell repeats in python-docx's list
                seen.add(id(cell._tc))
                texts.append(cell.text)
        rows.append(texts)
    return rows


def _roadmap(document: Document) -> Table:
    tables = [t for t in document.tables if _cell_texts(t)[0] == ROADMAP_HEADER]
    assert len(tables) == 1, [_cell_texts(t)[0] for t in document.tables]
    return tables[0]


def test_docx_has_the_parts_as_word_headings_in_the_html_order(
    demo: Demo, document: Document
) -> None:
    page = render_html(demo.model)
    parts = [unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page)]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [_squash(part) for part in parts]
    assert {
        "Цель, задачи и организация диагностики",
        "Выборка и охват",
        "Профиль рисков",
        "Вероятные причины низких результатов",
        "Приложения",
    } <= set(headings)
    title = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert title == ["Аналитическая справка о причинах низких образовательных результатов"]
    # body text: a Times New Roman of 14 pt, as Russian official papers are typed
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt == 14
    assert document.core_properties.title == f"Аналитическая справка — {demo.model.school_name}"


def test_docx_page_is_a4_with_russian_margins_and_numbered(document: Document) -> None:
    first = document.sections[0]
    assert (round(first.page_width.cm, 1), round(first.page_height.cm, 1)) == (21.0, 29.7)
    margins = (first.left_margin, first.right_margin, first.top_margin, first.bottom_margin)
    assert [round(v.cm, 2) for v in margins] == [3.0, 1.5, 2.0, 2.0]
    for section in document.sections:
        footer = section.footer
        codes = [e.text for e in footer._element.iter(qn("w:instrText"))]
        assert [c.strip() for c in codes] == ["PAGE"], codes


def test_docx_has_a_table_of_contents_field_updated_on_open(document: Document) -> None:
    codes = [e.text.strip() for e in document.element.body.iter(qn("w:instrText"))]
    assert 'TOC \\o "1-3" \\h \\z \\u' in codes
    kinds = [e.get(qn("w:fldCharType")) for e in document.element.body.iter(qn("w:fldChar"))]
    assert kinds[:3] == ["begin", "separate", "end"]
    update = document.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"


def test_docx_roadmap_is_an_editable_table_with_a_repeating_header(
    demo: Demo, document: Document
) -> None:
    roadmap = demo.model.roadmap
    assert roadmap is not None and roadmap.factors
    table = _roadmap(document)
    rows = _cell_texts(table)
    # a merged row heads each group (organisational, one per factor, control)
    assert len(rows) == 1 + len(roadmap.groups) + len(roadmap.rows)
    assert rows[1] == [roadmap.groups[0].title]
    first = roadmap.rows[0]
    assert rows[2] == [
        str(first.number),
        first.measure,
        first.timing,
        first.responsible,
        first.form,
        first.expected_result,
        first.partner,
    ]
    header = table.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None
    assert table.rows[1]._tr.trPr is None or table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    # printed on a landscape page; the table fits its text width
    section = next(s for s in document.sections if s.page_width > s.page_height)
    text_width = section.page_width - section.left_margin - section.right_margin
    widths = [c.width for c in table.columns]
    assert sum(widths) <= text_width + Cm(0.05)
    assert all(w > Cm(0.6) for w in widths)


RESULTS_HEADER = [
    "Процедура, предмет, класс",
    "Участников",
    "Средний балл: школа / район",
    "Доля «2» в школе",
    "Доля «2» по району",
    "Разница с районом",
]


def test_school_results_part_in_html_and_docx(demo: Demo, document: Document) -> None:
    """The demo imports one year of ВПР and ОГЭ for every school: the reference shows the
    school's ten rows against the district before the risk profile, in HTML and as a Word
    table, and says in words how the school compares."""
    results = demo.model.results
    assert results is not None and results.empty_text is None
    (year,) = results.years
    assert len(year.rows) == 10
    assert {r.assessment for r in year.rows} == {"ВПР", "ОГЭ"}
    assert all(r.district_schools > 1 and r.comparison is not None for r in year.rows)
    assert results.statement is not None
    assert results.statement.startswith(f"В {year.year} году доля неудовлетворительных отметок")
    assert results.trend == []  # one year imported
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    part = headings.index("Результаты оценочных процедур")
    sample = next(i for i, h in enumerate(headings) if h.startswith("Выборка"))
    assert sample < part < headings.index("Профиль рисков")
    tables = [t for t in document.tables if _cell_texts(t)[0] == RESULTS_HEADER]
    assert len(tables) == 1, [_cell_texts(t)[0] for t in document.tables]
    rows = _cell_texts(tables[0])[1:]
    assert [r[0] for r in rows] == [r.label for r in year.rows]
    first = year.rows[0]
    assert rows[0][1:] == [
        str(first.participants),
        f"{first.mean_cell} / {first.district_mean_cell}",
        first.share_cell,
        first.district_share_cell,
        first.comparison_cell,
    ]
    assert re.fullmatch(r"\d+,\d\xa0%", first.share_cell)
    paragraphs = [p.text for p in document.paragraphs]
    assert results.statement in paragraphs


def test_every_table_header_repeats_and_fits_its_page(document: Document) -> None:
    assert len(document.tables) >= 4
    for table in document.tables:
        trpr = table.rows[0]._tr.trPr
        assert trpr is not None and trpr.find(qn("w:tblHeader")) is not None
        assert sum(c.width for c in table.columns) <= Cm(25.7 + 0.05)


class _Text(HTMLParser):
    """The text a browser shows of the reference's body (no title, style or script), blocks
    and line breaks as spaces."""

    HIDDEN = ("head", "style", "script", "title")
    BREAKS = ("br", "p", "h1", "h2", "h3", "h4", "td", "th", "tr", "li", "div", "section")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in self.HIDDEN
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in self.HIDDEN
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _docx_text(document: Document) -> str:
    parts = []
    in_toc = False
    for item in _body_items(document):
        if isinstance(item, Paragraph):
            if item.style.name == "TOC Heading":
                in_toc = True
                continue
            if in_toc and item.style.name == "TOC Entry":
                continue
            in_toc = False
            # list markers are the DOCX's own (a browser draws them)
            parts.append(re.sub(r"^(\d+\.|–)\u00a0", "", item.text))
        else:
            parts.extend(text for row in _cell_texts(item) for text in row)
    return _squash(" ".join(parts))


def test_docx_holds_the_same_text_as_the_html_in_the_same_order(
    demo: Demo, document: Document
) -> None:
    parser = _Text()
    parser.feed(render_html(demo.model))
    html_text = _squash("".join(parser.parts))
    assert _docx_text(document) == html_text


# -- DOCX printed by LibreOffice ---------------------------------------------------------------


def test_docx_opens_and_prints_in_libreoffice(
    demo: Demo, docx_bytes: bytes, tmp_path: Path
) -> None:
    soffice = _need("soffice", "libreoffice-writer-nogui")
    source = tmp_path / "reference.docx"
    source.write_bytes(docx_bytes)
    # a private profile: a user's running LibreOffice or another test cannot lock it
    profile = (tmp_path / "lo-profile").as_uri()
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    printed = tmp_path / "reference.pdf"
    assert printed.exists(), result.stdout + result.stderr
    text, pages = _pdf_text(printed.read_bytes(), tmp_path, "lo.pdf")
    assert pages > 1
    flat = _squash(text)
    assert _squash(demo.model.school_name) in flat
    assert "Вероятные причины" in flat
    assert "Рекомендуемые меры: проект дорожной карты" in flat
    # no page holds nothing but its number (a section's end pushed past a full page)
    pages_text = [page.split() for page in text.split("\f")[:pages]]
    assert all(len(words) > 1 for words in pages_text), [len(w) for w in pages_text]


# -- PDF: the HTML printed by Chromium ---------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_bytes(demo: Demo) -> bytes:
    _need_chromium()
    return html_to_pdf(render_html(demo.model))


def test_pdf_is_a4_with_the_russian_text_and_page_numbers(
    demo: Demo, pdf_bytes: bytes, tmp_path: Path
) -> None:
    assert pdf_bytes.startswith(b"%PDF")
    text, pages = _pdf_text(pdf_bytes, tmp_path)
    assert pages > 1
    flat = _squash(text)
    assert _squash(demo.model.school_name) in flat
    assert "Вероятные причины низких результатов" in flat
    info = subprocess.run(
        [_need("pdfinfo", "poppler-utils"), "-f", "1", "-l", str(pages), str(tmp_path / "out.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    portrait = [(round(float(w)), round(float(h))) for w, h in sizes]
    assert portrait[0] == (595, 842)  # A4, not US Letter
    assert (842, 595) in portrait  # the roadmap's landscape page
    # the page number at the foot of each page (the CSS page-margin box)
    second = text.split("\f")[1]
    assert second.strip().splitlines()[-1].strip() == "2"


# -- hostile text ------------------------------------------------------------------------------


def _hostile(model: ReferenceModel) -> ReferenceModel:
    sections = list(model.sections)
    sections[0] = dataclasses.replace(sections[0], instrument_title=f"Анкета {HOSTILE}")
    return dataclasses.replace(model, school_name=HOSTILE, sections=sections)


def test_user_text_is_inert_in_html_docx_and_pdf(demo: Demo, tmp_path: Path) -> None:
    model = _hostile(demo.model)
    clean = HOSTILE.replace("\x07", "").replace("\x0b", "")
    html = render_html(model)
    assert "<script>alert" not in html and "\x07" not in html and "\x0b" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    document = docx.Document(io.BytesIO(render_docx(model)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert clean in text and f"Анкета {clean}" in cells
    assert "\x07" not in text + cells
    # literal text, never a field or a formula
    codes = [e.text.strip() for e in document.element.body.iter(qn("w:instrText"))]
    assert not [c for c in codes if "HYPERLINK" in c]

    _need_chromium()
    pdf_text, _ = _pdf_text(html_to_pdf(html), tmp_path)
    assert '<script>alert(1)</script> =HYPERLINK("http://x";"y")' in _squash(pdf_text)


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli(demo: Demo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("ROOTCAUSE_DATABASE_URL", demo.url)
    monkeypatch.setenv("ROOTCAUSE_INSTANCE_PATH", str(tmp_path / "instance"))
    return CliRunner()


def _report(runner: CliRunner, demo: Demo, fmt: str, out: Path) -> Result:
    args = ["report", "--campaign", str(demo.campaign_id), "--school", demo.other_code]
    return runner.invoke(main, [*args, "--format", fmt, "-o", str(out)])


def test_cli_writes_docx_from_the_database(demo: Demo, cli: CliRunner, tmp_path: Path) -> None:
    _need_chromium()
    out = tmp_path / "справка.docx"
    result = _report(cli, demo, "docx", out)
    assert result.exit_code == 0, result.output
    assert "Справка записана" in result.output
    document = docx.Document(str(out))
    assert _roadmap(document) is not None
    assert any(demo.model.school_name in p.text for p in document.paragraphs)
    assert not out.with_name(out.name + ".part").exists()


def test_cli_writes_html_and_pdf(
    demo: Demo, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model itself comes from the database in the test above; here, the formats.
    monkeypatch.setattr("web.reporting.school_reference", lambda *_, **__: demo.model)
    _need_chromium()
    html = tmp_path / "r.html"
    assert _report(cli, demo, "html", html).exit_code == 0
    # a standalone file: the template's page with each chart as an embedded PNG, no script
    page = html.read_text(encoding="utf-8")
    images = {
        key: base64.b64decode(data)
        for key, data in re.findall(
            r'id="chart-([\w-]+)">\s*<img src="data:image/png;base64,([^"]+)"',
            page,
        )
    }
    assert set(images) == {c.key for c in charts_of(demo.model)} and images
    assert all(png.startswith(PNG) for png in images.values())
    assert page == render_html(demo.model, ChartMedia(images=images))
    assert "<script" not in page and 'src="http' not in page
    pdf = tmp_path / "r.pdf"
    result = _report(cli, demo, "pdf", pdf)
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_console_script_ends_at_once_and_leaves_nothing_behind(
    demo: Demo, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``rootcause report`` as installed (:func:`web.cli.run`) skips the interpreter's
    teardown: the file is written whole, the exit code is the command's, and Chromium's
    profile and the chart page's folder are gone when the process has ended."""
    import os
    import sys
    import tempfile

    _need_chromium()
    # (a short path: Chromium's singleton socket in it must fit a Unix socket's 108 bytes)
    temporary = Path(tempfile.mkdtemp(prefix="rc-"))
    request.addfinalizer(lambda: shutil.rmtree(temporary, ignore_errors=True))
    env = dict(
        os.environ,
        ROOTCAUSE_DATABASE_URL=demo.url,
        ROOTCAUSE_CACHE_DIR=str(tmp_path / "cache"),
        ROOTCAUSE_INSTANCE_PATH=str(tmp_path / "instance"),
        TMPDIR=str(temporary),
    )
    script = [sys.executable, "-c", "from web.cli import run; run()"]
    out = tmp_path / "справка.docx"
    args = ["report", "--campaign", str(demo.campaign_id), "--school", demo.other_code]
    done = subprocess.run(
        [*script, *args, "--format", "docx", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"Справка записана: {out}"
    assert docx.Document(str(out)).paragraphs  # a whole DOCX
    assert list(temporary.iterdir()) == []
    # an error ends with its message and code 1; other commands end as Python does
    wrong = [*script, "report", "--campaign", str(demo.campaign_id), "--school", "НЕТ"]
    done = subprocess.run([*wrong, "-o", str(tmp_path / "x.html")], env=env, capture_output=True)
    assert done.returncode == 1 and "Ошибка" in done.stderr.decode(), done.stderr[-2000:]
    assert subprocess.run([*script, "--help"], env=env, capture_output=True).returncode == 0
    assert list(temporary.iterdir()) == []


def test_cli_docx_and_pdf_without_chromium_say_how_to_install_it(
    demo: Demo, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DOCX and the PDF carry the charts, drawn by Chromium: without it the command says
    how to install it and exits non-zero, writing nothing; the HTML file shows the charts'
    tables and says why."""
    monkeypatch.setattr("web.reporting.school_reference", lambda *_, **__: demo.model)
    monkeypatch.setenv("ROOTCAUSE_CHROMIUM", str(tmp_path / "no-chromium"))
    for fmt in ("docx", "pdf"):
        out = tmp_path / f"r.{fmt}"
        result = _report(cli, demo, fmt, out)
        assert result.exit_code == 1, result.output
        assert "Для диаграмм в DOCX и PDF нужен браузер Chromium" in result.output
        assert "sudo apt install chromium" in result.output
        assert "ROOTCAUSE_CHROMIUM" in result.output
        assert WITHOUT_CHROMIUM in result.output
        assert not out.exists()
    html = tmp_path / "r.html"
    result = _report(cli, demo, "html", html)
    assert result.exit_code == 0, result.output
    assert "Диаграммы заменены таблицами" in result.stderr
    page = html.read_text(encoding="utf-8")
    assert page == render_html(demo.model) and '<table class="chart-table">' in page


# -- the chart in DOCX and PDF -----------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chart_docx(demo: Demo) -> bytes:
    """The DOCX as the command line and the staff pages make it: charts drawn by Chromium."""
    _need_chromium()
    return render_reference(demo.model, "docx")


def _pdf_images(pdf: Path) -> list[list[str]]:
    """``pdfimages -list``'s rows (page, number, type, width, height, …) of a PDF."""
    listing = subprocess.run(
        [_need("pdfimages", "poppler-utils"), "-list", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    return [row.split() for row in listing]


def test_docx_carries_the_risk_profile_chart_and_libreoffice_prints_it(
    demo: Demo, chart_docx: bytes, tmp_path: Path
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(chart_docx))
    media = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert len(media) == len(charts_of(demo.model)) >= 1
    assert all(archive.read(name).startswith(PNG) for name in media)
    document = docx.Document(io.BytesIO(chart_docx))
    first = document.inline_shapes[0]
    assert round(first.width.cm, 2) == 16.5  # the upright page's text width
    paragraphs = [p.text for p in document.paragraphs]
    summary = demo.model.summary
    assert summary is not None and summary.chart.title in paragraphs
    # the summary's table is replaced by the picture
    header = list(summary.chart.table.header)
    assert not any([c.text for c in t.rows[0].cells] == header for t in document.tables)

    soffice = _need("soffice", "libreoffice-writer-nogui")
    source = tmp_path / "chart.docx"
    source.write_bytes(chart_docx)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
    )
    printed = tmp_path / "chart.pdf"
    assert printed.exists()
    text, pages = _pdf_text(printed.read_bytes(), tmp_path, "lo-chart.pdf")
    assert pages > 1 and "Краткие итоги диагностики" in text
    images = _pdf_images(printed)
    assert images, "LibreOffice printed no picture"
    # the chart sits on the summary's page, above its caption
    summary_page = next(
        i for i, page in enumerate(text.split("\f"), start=1) if "Профиль рисков школы:" in page
    )
    assert int(images[0][0]) == summary_page


def test_pdf_carries_the_chart(demo: Demo, tmp_path: Path) -> None:
    _need_chromium()
    pdf = render_reference(demo.model, "pdf")
    text, pages = _pdf_text(pdf, tmp_path, "chart.pdf")
    assert pages > 1
    flat = _squash(text)
    assert "Краткие итоги диагностики" in flat and "Вероятные причины" in flat
    images = _pdf_images(tmp_path / "chart.pdf")
    assert images, "the PDF holds no image"
    width, height = int(images[0][3]), int(images[0][4])
    # the first picture is the summary's chart (the factor parts' charts follow it)
    assert demo.model.summary is not None
    chart = demo.model.summary.chart
    assert (width, height) == (2 * chart.width, 2 * chart.height)
    assert len(images) == len(charts_of(demo.model))


def test_every_chart_is_a_valid_figure_for_the_apps_plotly_js(demo: Demo) -> None:
    """The charts are plain dicts, which plotly.js draws ignoring what it does not know: the
    Python ``plotly`` package, of the same plotly.js version as the app's bundle
    (tests/web/test_chart_browser.py), checks each against plotly's schema
    (``plotly.graph_objects.Figure`` raises on an unknown property or trace type), and each
    uses only the trace types of that basic bundle. The phone layout (``layout.meta.compact``,
    drawn by the web page's loader) too."""
    import plotly.graph_objects as go

    from web.chart_browser import PLOTLY_TRACES

    charts = charts_of(demo.model)
    # the summary's risk profile and the factor parts' shares against the district
    assert "risk-profile" in {c.key for c in charts} and len(charts) >= 2
    for chart in charts:
        compact = chart.figure["layout"].get("meta", {}).get("compact")
        for figure in (chart.figure, *([compact] if compact else [])):
            go.Figure(copy.deepcopy(figure))
            assert {trace["type"] for trace in figure["data"]} <= PLOTLY_TRACES, chart.key
    # what the check catches
    with pytest.raises(ValueError, match="nonsense"):
        go.Figure({"data": [{"type": "bar", "nonsense": 1}]})
    with pytest.raises(ValueError, match="nonsense"):
        go.Figure({"data": [{"type": "bar"}], "layout": {"xaxis": {"nonsense": 1}}})
    with pytest.raises(ValueError):
        go.Figure({"data": [{"type": "nonsense"}]})


# -- the staff pages ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROOTCAUSE_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        yield make_app(demo.engine, demo.url, WTF_CSRF_ENABLED=False)


def _signed_in(app: Flask, demo: Demo, login: str) -> FlaskClient:
    client = app.test_client()
    if login:
        with make_sessionmaker(demo.engine)() as session:
            user = session.scalar(select(m.User).where(m.User.login == login))
            assert user is not None
            user_id = user.id
        with client.session_transaction() as flask_session:
            flask_session["user_id"] = user_id
            flask_session["session_version"] = 0
    return client


def _url(demo: Demo, code: str, kind: str) -> str:
    return f"/staff/campaigns/{demo.campaign_id}/schools/{code}/reference.{kind}"


def test_deputy_downloads_docx_of_their_school_only(
    app: Flask, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Access is checked on the real schools; the reference's content is the module's one.
    _need_chromium()
    monkeypatch.setattr("web.staff.schools.school_reference", lambda *_: demo.model)
    client = _signed_in(app, demo, "deputy")
    page = client.get(f"/staff/schools/{demo.code}").text
    assert _url(demo, demo.code, "docx") in page and _url(demo, demo.code, "pdf") in page
    reply = client.get(_url(demo, demo.code, "docx"))
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    disposition = reply.headers["Content-Disposition"]
    ascii_name = f"reference-{demo.campaign_id}-{demo.code}.docx"
    assert disposition.startswith(f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''")
    readable = unquote(disposition.split("UTF-8''", 1)[1])
    assert readable.startswith(f"Аналитическая справка {demo.code} ")
    assert readable.endswith(".docx") and '"' not in readable
    document = docx.Document(io.BytesIO(reply.data))
    assert any(demo.model.school_name in p.text for p in document.paragraphs)
    assert client.get(_url(demo, demo.other_code, "docx")).status_code == 404
    assert client.get(_url(demo, demo.other_code, "pdf")).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(app: Flask, demo: Demo) -> None:
    for kind in ("docx", "pdf"):
        reply = _signed_in(app, demo, "").get(_url(demo, demo.code, kind))
        assert reply.status_code == 302 and "/login" in reply.headers["Location"]


def test_coordinator_downloads_pdf_of_any_school_of_the_district(
    app: Flask, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need_chromium()
    monkeypatch.setattr("web.staff.schools.school_reference", lambda *_: demo.model)
    reply = _signed_in(app, demo, "coordinator").get(_url(demo, demo.other_code, "pdf"))
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.data.startswith(b"%PDF")
    assert "filename*=UTF-8" in reply.headers["Content-Disposition"]
    with make_sessionmaker(demo.engine)() as session:
        targets = session.scalars(
            select(m.AuditEvent.target).where(m.AuditEvent.action == "reference_downloaded")
        ).all()
    assert f"campaign {demo.campaign_id} school {demo.other_code} (pdf)" in targets


def test_pdf_without_chromium_is_unavailable_with_the_reason(
    app: Flask, demo: Demo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("web.staff.schools.school_reference", lambda *_: demo.model)
    monkeypatch.setenv("ROOTCAUSE_CHROMIUM", str(tmp_path / "no-chromium"))
    reply = _signed_in(app, demo, "deputy").get(_url(demo, demo.code, "pdf"))
    assert reply.status_code == 503
    assert "пакет chromium" in reply.text


def test_web_reference_draws_its_chart_with_the_apps_own_plotly(
    app: Flask, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staff page of a reference loads plotly.js and the loader from the app (nothing
    from elsewhere, as its content security policy demands) and draws the chart over its
    table; at 360 px the page does not scroll sideways."""
    monkeypatch.setattr("web.staff.schools.school_reference", lambda *_: demo.model)
    client = _signed_in(app, demo, "coordinator")
    url = _url(demo, demo.other_code, "html")
    reply = client.get(url)
    assert reply.status_code == 200
    policy = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    scripts = re.findall(r'<script src="([^"]+)" defer>', reply.text)
    assert [s.split("?")[0] for s in scripts][1:] == ["/static/charts.js"]
    assert re.fullmatch(r"/assets/plotly-[0-9a-f]{12}\.min\.js", scripts[0])
    _need_chromium()
    try:
        from playwright.sync_api import Route, sync_playwright
    except ImportError as exc:
        _missing(f"the 'playwright' Python package is not importable: {exc}")
        raise AssertionError from exc  # unreachable: _missing raises
    origin = "http://rootcause.test"
    fetched: list[str] = []

    def serve(route: Route) -> None:
        """The app answers the browser's requests (its own origin); anything else fails."""
        request_url = route.request.url
        if not request_url.startswith(origin):
            route.abort()
            return
        path = request_url[len(origin) :]
        fetched.append(path.split("?")[0])
        answer = client.get(path, headers={"Accept-Encoding": "identity"})
        route.fulfill(
            status=answer.status_code,
            headers={k: v for k, v in answer.headers.items() if k != "Content-Length"},
            body=answer.data,
        )
        answer.close()

    problems: list[str] = []

    def look() -> None:
        with sync_playwright() as playwright:
            _look(playwright)

    def _look(playwright: Any) -> None:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for width in (1280, 360):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.route("**/*", serve)
                page.goto(origin + url)
                page.wait_for_selector("figure.chart .main-svg", timeout=30_000)
                # every chart drawn (the summary's and the factor parts'), its table hidden
                charts = len(charts_of(demo.model))
                page.wait_for_function(
                    f"document.querySelectorAll('figure.chart .main-svg').length >= {charts}"
                )
                assert page.locator("figure.chart .chart-table.chart-drawn").count() == charts
                tables = page.locator("figure.chart .chart-table")
                assert not any(tables.nth(i).is_visible() for i in range(tables.count()))
                plots = page.locator("figure.chart .chart-plot")
                for i in range(plots.count()):
                    drawn = plots.nth(i).bounding_box()
                    assert drawn is not None and drawn["width"] <= width
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"the page scrolls sideways at {width} px"
                assert not problems, problems
                page.close()
        finally:
            browser.close()

    # Sync Playwright in a thread of its own: the browser tests of tests/e2e keep theirs
    # running in the main thread for the whole session, and two cannot share one.
    failure: list[BaseException] = []

    def run() -> None:
        try:
            look()
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    # the page and the app's two scripts: nothing else was asked for
    assert fetched[0] == url and set(fetched) == {url, scripts[0], "/static/charts.js"}
