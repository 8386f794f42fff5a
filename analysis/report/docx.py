"""DOCX rendering of the reference: the HTML reference's parts, paragraphs and tables as a Word
document a deputy director can edit and hand in (A4, the margins of Russian official papers,
Times New Roman, heading styles, a table of contents, page numbers, real Word tables).

The text is the HTML template's (templates/school.html), read back from the rendered page:
one template holds every Russian sentence of the reference, so the formats cannot drift apart,
and a part added to the template appears in the DOCX without a second copy of its wording.
The page's structure maps onto Word's: ``h1`` the document's title, ``h2``/``h3``/``h4``
Heading 1/2/3 (a part marked ``class="part"`` starts a new page, as in print), ``p`` a body
paragraph (``note``, ``warn``, ``muted``, ``meta``, ``approve`` and ``consider`` its own
paragraph styles), ``ol``/``ul`` lists, ``table`` a Word table whose ``thead`` rows repeat on
every page, ``span.muted`` grey text, ``span.level`` the level's shading, ``strong``/``em``
bold/italic, ``br`` a line break, ``img`` (a chart: PNG as a data URI, nothing is ever
fetched) a picture as wide as the text, ``figcaption`` its caption, and ``div.approval`` (the
«РАССМОТРЕНО» / «УТВЕРЖДАЮ» blocks) a borderless table of two columns, side by side as on the
page.
Text is literal: DOCX interprets no formulas, and characters XML cannot hold are dropped
(:mod:`analysis.report.safe_text`).
"""

from __future__ import annotations

import base64
import functools
import io
import re
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tc
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import BaseStyle, ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml.etree import SubElement

from analysis.report.charts import ChartMedia
from analysis.report.html import render_html
from analysis.report.model import ReferenceModel
from analysis.report.safe_text import xml_safe

FONT = "Times New Roman"
PAGE_WIDTH, PAGE_HEIGHT = Cm(21), Cm(29.7)
#: left 3 cm (the binding), right 1.5 cm, top and bottom 2 cm: GOST R 7.0.97-2016's margins
MARGINS = {"left": 3.0, "right": 1.5, "top": 2.0, "bottom": 2.0}
#: a landscape page (``class="wide"``: the roadmap) keeps the binding, now at its top
LANDSCAPE_MARGINS = {"left": 2.0, "right": 2.0, "top": 3.0, "bottom": 1.5}
BODY_PT, SMALL_PT, TABLE_PT = 14, 12, 11
MUTED = RGBColor(0x55, 0x55, 0x55)
RISK = RGBColor(0x8A, 0x1C, 0x1C)
#: the HTML's shading of each level (a level is also written as a word, for black-and-white print)
LEVEL_FILL = {"high": "F4C7C3", "elevated": "FCE8B2", "moderate": "E8EAED", "low": "D9EAD3"}
HEADER_FILL = "EEF2F8"
#: cells of numbers (right-aligned, never wrapped)
_NUMERIC = {"n", "num"}
TOC_TITLE = "Содержание"
TOC_HINT = "Номера страниц появятся после обновления оглавления (в Word — F9)."

#: the styles' ids, so a paragraph or table is styled without python-docx's lookup by name (a
#: scan of every style per paragraph: most of the time of a reference); checked by
#: :func:`_styles`
_STYLE_IDS = {
    "Normal": "Normal",
    "Title": "Title",
    "Heading 1": "Heading1",
    "Heading 2": "Heading2",
    "Heading 3": "Heading3",
    "Meta": "Meta",
    "Formula": "Formula",
    "Muted": "Muted",
    "Note": "Note",
    "Warning": "Warning",
    "Approval": "Approval",
    "Consideration": "Consideration",
    "List Item": "ListItem",
    "Table Text": "TableText",
    "TOC Heading": "TOCHeading",
    "TOC Entry": "TOCEntry",
    "Table Grid": "TableGrid",
}
_SKIPPED = {"head", "style", "script", "title", "template", "noscript"}
_VOID = {"br", "meta", "img", "hr", "link", "input", "col", "wbr", "source"}
_BLOCKS = {"header", "footer", "section", "article", "main", "div", "body", "html", "figure"}
_HEADINGS = {"h2": 1, "h3": 2, "h4": 3}
#: whitespace as HTML collapses it (not the no-break space, which Russian text relies on)
_SPACES = re.compile("[ \t\n\r\f]+")

#: python-docx's ``qn`` remembered: it parses its argument on every call, and the tags and
#: attributes of every run, paragraph and cell made a hundred thousand calls a reference
_qn = functools.cache(qn)
#: a cell's width, relative to its ``w:tc``
_TC_WIDTH = f"{qn('w:tcPr')}/{qn('w:tcW')}"


# -- the rendered page as a tree -------------------------------------------------------------


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if any(node.tag == tag for node in self._stack[1:]):
            while self._stack.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def _parse(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# -- inline text: runs with their formatting -------------------------------------------------


@dataclass(frozen=True)
class _Format:
    bold: bool = False
    italic: bool = False
    color: RGBColor | None = None
    fill: str | None = None
    small: bool = False


@dataclass(frozen=True)
class _Run:
    text: str  # "\n": a line break
    fmt: _Format


def _inline_format(node: _Node, fmt: _Format) -> _Format:
    classes = node.classes
    if node.tag in ("strong", "b", "th"):
        fmt = replace(fmt, bold=True)
    if node.tag in ("em", "i"):
        fmt = replace(fmt, italic=True)
    if "muted" in classes:
        fmt = replace(fmt, color=MUTED)
    if "risk" in classes:
        fmt = replace(fmt, color=RISK)
    if "level" in classes:
        level = next((c[6:] for c in classes if c.startswith("level-")), None)
        fmt = replace(fmt, fill=LEVEL_FILL.get(level or ""))
    return fmt


def _runs(node: _Node, fmt: _Format) -> Iterator[_Run]:
    for child in node.children:
        if isinstance(child, str):
            yield _Run(child, fmt)
        elif child.tag == "br":
            yield _Run("\n", fmt)
        elif child.tag not in _SKIPPED:
            yield from _runs(child, _inline_format(child, fmt))


def _collapse(runs: list[_Run]) -> list[_Run]:
    """Whitespace as a browser shows it: runs of spaces as one, none at a line's ends."""
    out: list[_Run] = []
    at_line_start = True
    for run in runs:
        if run.text == "\n":
            if out and out[-1].text.endswith(" "):
                out[-1] = _Run(out[-1].text.rstrip(" "), out[-1].fmt)
            out.append(run)
            at_line_start = True
            continue
        text = _SPACES.sub(" ", xml_safe(run.text))
        if at_line_start:
            text = text.lstrip(" ")
        elif text.startswith(" ") and out and out[-1].text.endswith(" "):
            text = text[1:]
        if text:
            out.append(_Run(text, run.fmt))
            at_line_start = False
    while out and out[-1].text == "\n":
        out.pop()
    if out and out[-1].text.endswith(" "):
        out[-1] = _Run(out[-1].text.rstrip(" "), out[-1].fmt)
    return [run for run in out if run.text]


def _plain(node: _Node) -> str:
    return "".join(r.text for r in _collapse(list(_runs(node, _Format()))))


def _write(paragraph: Paragraph, runs: list[_Run]) -> None:
    """The runs appended to ``paragraph`` as lxml builds them: python-docx's ``add_run``, its
    text and font setters search an element's children for every tag that may follow the one
    they add, and for a reference's thousand runs that was a fifth of its time. The XML is
    python-docx's: a run's ``w:rPr`` (empty when plain: its font setters leave one), its
    properties in schema order (``w:b``, ``w:i``, ``w:color``, ``w:shd``), then ``w:t``,
    ``xml:space="preserve"`` when its text starts or ends with a space; a line break is a
    run of a lone ``w:br``. Collapsed text holds no tab or newline, which python-docx
    would turn into elements of their own."""
    p = paragraph._p
    for part in _collapse(runs):
        run = SubElement(p, _qn("w:r"))
        if part.text == "\n":
            SubElement(run, _qn("w:br"))
            continue
        rpr = SubElement(run, _qn("w:rPr"))
        fmt = part.fmt
        if fmt.bold:
            SubElement(rpr, _qn("w:b"))
        if fmt.italic:
            SubElement(rpr, _qn("w:i"))
        if fmt.color is not None:
            SubElement(rpr, _qn("w:color")).set(_qn("w:val"), str(fmt.color))
        if fmt.fill is not None:
            rpr.append(_shading(fmt.fill))
        text = SubElement(run, _qn("w:t"))
        text.text = part.text
        if len(part.text.strip()) < len(part.text):
            text.set(_qn("xml:space"), "preserve")


# -- WordprocessingML pieces python-docx has no API for -------------------------------------

#: schema order: what follows w:shd in w:rPr, w:pBdr in w:pPr, w:shd in w:tcPr
_RPR_AFTER_SHD = ("w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang")
_RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_PPR_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
_PPR_AFTER_JC = _PPR_AFTER_PBDR[_PPR_AFTER_PBDR.index("w:jc") + 1 :]
_TCPR_AFTER_SHD = (
    "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
)  # fmt: skip
#: w:settings children that follow w:updateFields
_SETTINGS_AFTER_UPDATE = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
    "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)  # fmt: skip


def _element(tag: str, **attrs: str) -> BaseOxmlElement:
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(_qn(f"w:{name}"), value)
    return element


def _insert(parent: BaseOxmlElement, child: BaseOxmlElement, successors: tuple[str, ...]) -> None:
    """``child`` in ``parent`` (instead of one of its tag) before the first of ``successors``
    there, or last: python-docx's ``insert_element_before`` with the successors' names
    remembered (it is called for every cell of numbers)."""
    existing = parent.find(child.tag)
    if existing is not None:
        parent.remove(existing)
    for tag in successors:
        following = parent.find(_qn(tag))
        if following is not None:
            following.addprevious(child)
            return
    parent.append(child)


def _shading(fill: str) -> BaseOxmlElement:
    return _element("w:shd", val="clear", color="auto", fill=fill)


def _field(paragraph: Paragraph, instruction: str, cached: str = "") -> None:
    """A complete field (``PAGE``, ``TOC …``) in one paragraph, showing ``cached`` until
    the application computes it."""
    _field_start(paragraph, instruction)
    if cached:
        paragraph.add_run(cached)
    _field_end(paragraph)


def _field_start(paragraph: Paragraph, instruction: str) -> None:
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="begin"))
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="separate"))


def _field_end(paragraph: Paragraph) -> None:
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="end"))


def _restyle(paragraph: Paragraph, name: str) -> None:
    """``w:pPr/w:pStyle`` set directly: python-docx's ``style`` setter searches ``w:pPr`` for
    each of the thirty-odd elements that may follow ``w:pStyle``. Both come first in their
    parents, where python-docx puts them too."""
    p = paragraph._p
    ppr = p.find(_qn("w:pPr"))
    if ppr is None:
        ppr = p.makeelement(_qn("w:pPr"))
        p.insert(0, ppr)
    style = ppr.find(_qn("w:pStyle"))
    if style is None:
        style = ppr.makeelement(_qn("w:pStyle"))
        ppr.insert(0, style)
    style.set(_qn("w:val"), _STYLE_IDS[name])


def _add(document: Document, style: str) -> Paragraph:
    paragraph = document.add_paragraph()
    _restyle(paragraph, style)
    return paragraph


def _set_fonts(rpr: BaseOxmlElement, name: str = FONT) -> None:
    """Every script's font (the theme's fonts, which would override them, removed)."""
    fonts = rpr.get_or_add_rFonts()
    for script in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{script}"), name)
    for theme in ("asciiTheme", "hAnsiTheme", "cstheme", "eastAsiaTheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)


# -- the document's page, styles and furniture -----------------------------------------------


def _paragraph_style(
    document: Document,
    styles: dict[str, BaseStyle],
    name: str,
    *,
    size: float,
    base: str = "Normal",
    bold: bool = False,
    italic: bool = False,
    color: RGBColor | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    first_line: Cm | None = None,
    left: Cm | None = None,
    before: float = 0,
    after: float = 6,
    line: float = 1.0,
) -> ParagraphStyle:
    """The paragraph style ``name`` with these properties, added unless among ``styles`` (the
    document's by name, read once: python-docx finds a style by name with an XPath query over
    the template's 164 styles, or lists their names by making an object of each)."""
    style = styles.get(name)
    if style is None:
        style = styles[name] = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)  # noqa: S101 - type narrowing, paragraph styles only
    if name != "Normal":
        style.base_style = styles[base]
    font = style.font
    font.size = Pt(size)
    font.bold = bold
    font.italic = italic
    font.color.rgb = color or RGBColor(0, 0, 0)
    _set_fonts(style.element.get_or_add_rPr())
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = first_line if first_line is not None else Cm(0)
    fmt.left_indent = left if left is not None else Cm(0)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = line
    return style


def _border(style: ParagraphStyle, sides: dict[str, tuple[str, int]], fill: str | None) -> None:
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side, (color, eighths) in sides.items():
        borders.append(_element(f"w:{side}", val="single", sz=str(eighths), space="6", color=color))
    _insert(ppr, borders, _PPR_AFTER_PBDR)
    if fill:
        _insert(ppr, _shading(fill), _PPR_AFTER_PBDR[1:])


def _styles(document: Document) -> None:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr)
            lang = _element("w:lang", val="ru-RU", eastAsia="ru-RU", bidi="ar-SA")
            _insert(rpr, lang, _RPR_AFTER_LANG)
    styles = {style.name: style for style in document.styles}
    just = WD_ALIGN_PARAGRAPH.JUSTIFY
    left = WD_ALIGN_PARAGRAPH.LEFT
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph_style(
        document, styles, "Normal", size=BODY_PT, align=just, first_line=Cm(1.25), line=1.15
    )
    title = _paragraph_style(
        document, styles, "Title", size=16, bold=True, align=center, before=0, after=6
    )
    title.element.get_or_add_pPr().remove_all("w:pBdr")  # the template's blue rule
    for name, level in (("Heading 1", 1), ("Heading 2", 2), ("Heading 3", 3)):
        heading = _paragraph_style(
            document,
            styles,
            name,
            size={1: 15, 2: 14, 3: 14}[level],
            bold=True,
            italic=level == 3,
            align=left,
            before=18 if level == 1 else 12,
            after=6,
        )
        heading.paragraph_format.keep_with_next = True
    _paragraph_style(document, styles, "Meta", size=BODY_PT, align=center, after=2)
    # a formula of the appendix: a centred line of its own
    _paragraph_style(document, styles, "Formula", size=BODY_PT, align=center, before=3, after=3)
    # «РАССМОТРЕНО» and «УТВЕРЖДАЮ» of the title block, side by side (_Writer._approval)
    _paragraph_style(document, styles, "Approval", size=BODY_PT, align=left, left=Cm(9), after=12)
    _paragraph_style(document, styles, "Consideration", size=BODY_PT, align=left, after=12)
    _paragraph_style(document, styles, "Muted", size=SMALL_PT, color=MUTED, align=left)
    note = _paragraph_style(document, styles, "Note", size=SMALL_PT, align=just, left=Cm(0.3))
    _border(note, {"left": ("2B5797", 18)}, None)
    warn = _paragraph_style(document, styles, "Warning", size=SMALL_PT, align=left, before=4)
    _border(warn, dict.fromkeys(("top", "left", "bottom", "right"), ("F0C36D", 6)), "FFF4E5")
    _paragraph_style(
        document, styles, "List Item", size=BODY_PT, align=left, left=Cm(1.25), after=3
    )
    _paragraph_style(document, styles, "Table Text", size=TABLE_PT, align=left, after=0)
    _paragraph_style(
        document, styles, "TOC Heading", size=BODY_PT, bold=True, align=center, before=12, after=6
    )
    _paragraph_style(document, styles, "TOC Entry", size=BODY_PT, align=left, after=0)
    ids = {name: style.style_id for name, style in styles.items()}
    wrong = {name for name, style_id in _STYLE_IDS.items() if ids.get(name) != style_id}
    if wrong:
        raise RuntimeError(f"style ids differ from python-docx's: {sorted(wrong)}")


def _layout(section: Section, *, landscape: bool) -> float:
    """An A4 page, upright or turned, with its margins; the width of its text in cm."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH
        margins = LANDSCAPE_MARGINS
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        margins = MARGINS
    section.left_margin, section.right_margin = Cm(margins["left"]), Cm(margins["right"])
    section.top_margin, section.bottom_margin = Cm(margins["top"]), Cm(margins["bottom"])
    section.header_distance, section.footer_distance = (
        Cm(1.25),
        Cm(min(1.25, margins["bottom"] / 2)),
    )
    width = (PAGE_HEIGHT if landscape else PAGE_WIDTH).cm
    return width - margins["left"] - margins["right"]


def _page(document: Document) -> None:
    section = document.sections[0]
    _layout(section, landscape=False)
    footer = section.footer.paragraphs[0]
    _restyle(footer, "Table Text")
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(footer, "PAGE", "1")
    settings = document.settings.element
    _insert(settings, _element("w:updateFields", val="true"), _SETTINGS_AFTER_UPDATE)
    # Russian hyphenation keeps justified lines and narrow table columns even.
    tab_stop = settings.find(qn("w:defaultTabStop"))
    if tab_stop is not None:
        tab_stop.addnext(_element("w:autoHyphenation", val="true"))
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), "ru-RU")


def _toc(document: Document, headings: list[tuple[int, str]]) -> None:
    """A table-of-contents field over Heading 1–3. Word computes it when the document opens
    (``updateFields``; LibreOffice: Сервис → Обновить); until then it lists the parts."""
    _add(document, "TOC Heading").add_run(TOC_TITLE)
    entries = headings or [(1, TOC_HINT)]
    for index, (level, text) in enumerate(entries):
        paragraph = _add(document, "TOC Entry")
        paragraph.paragraph_format.left_indent = Cm(0.75 * (level - 1))
        if index == 0:
            _field_start(paragraph, 'TOC \\o "1-3" \\h \\z \\u')
        paragraph.add_run(text)
        if index == len(entries) - 1:
            _field_end(paragraph)


# -- tables ----------------------------------------------------------------------------------


@dataclass
class _CellSpec:
    node: _Node
    span: int
    #: the cell's text as shown (read by the column widths and by whether its row may split)
    text: str


def _rows(table: _Node) -> Iterator[tuple[bool, list[_CellSpec]]]:
    for child in table.children:
        if isinstance(child, str):
            continue
        if child.tag in ("thead", "tbody", "tfoot"):
            for row in child.children:
                if isinstance(row, _Node) and row.tag == "tr":
                    yield child.tag == "thead", _cells(row)
        elif child.tag == "tr":
            yield False, _cells(child)


def _cells(row: _Node) -> list[_CellSpec]:
    return [
        _CellSpec(cell, max(1, int(cell.attrs.get("colspan", "1") or 1)), _plain(cell))
        for cell in row.children
        if isinstance(cell, _Node) and cell.tag in ("td", "th")
    ]


def _column_widths(
    rows: list[tuple[bool, list[_CellSpec]]], columns: int, total: float
) -> list[float]:
    """Widths in cm sharing the text width as a reader would: each column at least as wide as
    its longest word (up to 14 letters: longer ones are hyphenated), at most as wide as its
    longest line, and between the two by how much text its cells hold, so the rows come out
    as short as they can."""
    char_cm, padding, longest_word = 0.2, 0.5, 14
    least, most, volume = [0.8] * columns, [0.8] * columns, [0.0] * columns
    for header, cells in rows:
        position = 0
        width = char_cm * (1.15 if header else 1.0)  # headings are bold
        for cell in cells:
            if cell.span == 1:
                lines = cell.text.split("\n")
                if cell.node.classes & _NUMERIC:
                    word = max(map(len, lines))  # numbers do not wrap
                else:
                    words = [w for line in lines for w in re.split(r"[\s\-–—/]+", line)]
                    word = min(max(map(len, words), default=0), longest_word)
                least[position] = max(least[position], word * width + padding)
                most[position] = max(most[position], max(map(len, lines)) * width + padding)
                volume[position] += sum(map(len, lines))
            position += cell.span
    most = [max(a, b) for a, b in zip(least, most, strict=True)]
    if sum(most) <= total:
        return [w * total / sum(most) for w in most]
    if sum(least) >= total:
        return [w * total / sum(least) for w in least]
    # Water-filling: the room left over goes by text volume; a column reaching its longest
    # line keeps that width and the rest is shared again among the others.
    widths, open_ = list(least), set(range(columns))
    while open_:
        room = total - sum(widths)
        weight = sum(volume[i] for i in open_) or len(open_)
        grown = {i: room * (volume[i] or 1) / weight for i in open_}
        full = {i for i in open_ if widths[i] + grown[i] >= most[i]}
        if not full:
            for i in open_:
                widths[i] += grown[i]
            break
        for i in full:
            widths[i] = most[i]
        open_ -= full
    return widths


def _table(document: Document, node: _Node, width: float) -> None:
    rows = list(_rows(node))
    if not rows:
        return
    columns = max(sum(cell.span for cell in cells) for _, cells in rows)
    widths = _column_widths(rows, columns, width)
    table = document.add_table(rows=len(rows), cols=columns)
    table._tbl.tblStyle_val = _STYLE_IDS["Table Grid"]  # as ``table.style``, without a lookup
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_width(table, widths)
    for tr, (header, cells) in zip(table._tbl.tr_lst, rows, strict=True):
        trpr = tr.get_or_add_trPr()
        if header:
            trpr.append(_element("w:tblHeader"))
        if header or sum(len(c.text) for c in cells) < 600:
            trpr.append(_element("w:cantSplit"))
        # The row's cells by grid column, read once: python-docx's ``row.cells`` walks the
        # whole row on every call. A merge removes the cells it spans, which are never
        # looked up again; the ones after it stay where they were.
        by_column = list(tr.tc_lst)
        position = 0
        for spec in cells:
            tc = _merge(by_column[position : min(position + spec.span, columns)])
            _fill_cell(_Cell(tc, table), spec.node, header)
            position += spec.span
        if not header and len(cells) == 1 and cells[0].span == columns:
            # a row across the table heads the rows below it (the roadmap's groups): it goes
            # to the next page with them rather than stay alone at the foot of one
            for paragraph in _Cell(by_column[0], table).paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def _merge(tcs: list[CT_Tc]) -> CT_Tc:
    """Adjacent new cells of a row as one, the first, spanning their columns: what python-docx's
    ``merge`` makes of them (the widths added up, ``w:gridSpan`` after ``w:tcW``, the other
    cells removed: they hold only an empty paragraph), without its walks of the whole table
    to find the rectangle merged (milliseconds a merge in the long tables)."""
    first, *rest = tcs
    if rest:
        widths = [tc.find(_TC_WIDTH) for tc in tcs]
        widths[0].set(_qn("w:w"), str(sum(int(width.get(_qn("w:w"))) for width in widths)))
        widths[0].addnext(_element("w:gridSpan", val=str(len(tcs))))
        for tc in rest:
            tc.getparent().remove(tc)
    return first


def _table_width(table: Table, widths: list[float]) -> None:
    tblpr = table._tbl.tblPr
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is not None:
        tblw.set(qn("w:type"), "dxa")
        tblw.set(qn("w:w"), str(int(sum(widths) * 567)))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    # Each cell's width row by row, on the ``w:tcW`` (type ``dxa``) python-docx gives every
    # cell of a new table, which has no merged cells yet: python-docx's ``column.cells`` lays
    # out the whole table for every column, and a cell's ``width`` setter searches its
    # ``w:tcPr`` for the elements that may follow ``w:tcW``.
    twips = [str(Cm(width).twips) for width in widths]
    for tr in table._tbl.tr_lst:
        for tc, width_twips in zip(tr.tc_lst, twips, strict=True):
            tc.find(_TC_WIDTH).set(_qn("w:w"), width_twips)


def _fill_cell(cell: _Cell, node: _Node, header: bool) -> None:
    paragraph, *extras = cell.paragraphs
    for extra in extras:
        extra._p.getparent().remove(extra._p)
    _restyle(paragraph, "Table Text")
    classes = node.classes
    if classes & _NUMERIC:
        # as ``paragraph.alignment``, which searches w:pPr for every element after w:jc
        _insert(paragraph._p.get_or_add_pPr(), _element("w:jc", val="right"), _PPR_AFTER_JC)
    _write(paragraph, list(_runs(node, _inline_format(node, _Format()))))
    if header:
        _insert(cell._tc.get_or_add_tcPr(), _shading(HEADER_FILL), _TCPR_AFTER_SHD)


# -- the page's blocks -----------------------------------------------------------------------


class _Writer:
    """Writes the page's blocks in order, tracking the section (upright or turned page) and
    whether the current page is still empty."""

    def __init__(self, document: Document, headings: list[tuple[int, str]]) -> None:
        self.document = document
        self.headings = headings
        self.toc_done = False
        self.width = _layout(document.sections[0], landscape=False)
        self.landscape = False
        #: the wide part ended: an upright section starts when (and if) anything follows
        self.restore = False
        #: nothing written since a section began on a new page (no page break needed)
        self.fresh_page = False
        #: the last block was a table: what follows it needs a gap (and another table a
        #: paragraph between them, or Word joins the two)
        self.after_table = False

    def blocks(self, node: _Node) -> None:
        """``node``'s children: blocks in turn, loose inline content as a paragraph."""
        pending: list[_Run] = []
        for child in node.children:
            if isinstance(child, str):
                pending.append(_Run(child, _Format()))
            elif child.tag in _SKIPPED:
                continue
            elif child.tag == "br":
                pending.append(_Run("\n", _Format()))
            elif child.tag in _BLOCKS or child.tag in _BLOCK_TAGS:
                self._paragraph(pending, "Normal")
                pending = []
                self.block(child)
            else:
                pending.extend(_runs(child, _inline_format(child, _Format())))
        self._paragraph(pending, "Normal")

    def block(self, node: _Node) -> None:
        tag = node.tag
        if tag == "h1":
            self._paragraph(list(_runs(node, _Format())), "Title")
        elif tag in _HEADINGS:
            if not self.toc_done:
                _toc(self.document, self.headings)
                self.toc_done = True
            runs = list(_runs(node, _Format()))
            if _collapse(runs):
                fresh = self._content(heading=True)
                paragraph = _add(self.document, f"Heading {_HEADINGS[tag]}")
                _write(paragraph, runs)
                if "part" in node.classes and not fresh:
                    paragraph.paragraph_format.page_break_before = True
        elif tag == "p":
            style = next((s for c, s in _P_STYLES.items() if c in node.classes), "Normal")
            self._paragraph(list(_runs(node, _inline_format(node, _Format()))), style)
        elif tag in ("ol", "ul"):
            items = [c for c in node.children if isinstance(c, _Node) and c.tag == "li"]
            for number, item in enumerate(items, start=1):
                marker = f"{number}." if tag == "ol" else "–"
                marked = [_Run(f"{marker}\u00a0", _Format()), *_runs(item, _Format())]
                entry = self._paragraph(marked, "List Item")
                if entry is not None:
                    entry.paragraph_format.first_line_indent = Cm(-0.75)
        elif tag == "table":
            self._content()
            _table(self.document, node, self.width)
            self.after_table = True
        elif tag == "img":
            self._picture(node)
        elif tag == "figcaption":
            caption = self._paragraph(list(_runs(node, _Format())), "Muted")
            if caption is not None:
                caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif "approval" in node.classes:
            self._approval(node)
        elif "wide" in node.classes and not self.landscape:
            self._section(landscape=True)
            self.blocks(node)
            self.restore = True
        else:
            self.blocks(node)

    def _picture(self, node: _Node) -> None:
        """An embedded PNG as wide as the text (no taller than the page holds), centred and
        kept with its caption; its ``alt`` as the picture's description."""
        png = _data_png(node.attrs.get("src", ""))
        if png is None:
            return
        self._content()
        width, height = _png_size(png)
        text_height = (PAGE_WIDTH.cm if self.landscape else PAGE_HEIGHT.cm) - 5.0
        shown = min(self.width, text_height * width / height) if width and height else self.width
        paragraph = _add(self.document, "Table Text")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
        paragraph.paragraph_format.space_after = Pt(4)
        run = paragraph.add_run()
        run.add_picture(io.BytesIO(png), width=Cm(shown))
        alt = xml_safe(node.attrs.get("alt", ""))
        for properties in run._r.iter(qn("wp:docPr")):
            properties.set("descr", alt)

    def _approval(self, node: _Node) -> None:
        """«РАССМОТРЕНО» and «УТВЕРЖДАЮ» side by side: a table of one row without borders."""
        blocks = [c for c in node.children if isinstance(c, _Node) and c.tag == "p"]
        if not blocks:
            return
        self._content()
        table = self.document.add_table(rows=1, cols=len(blocks))
        table.autofit = False
        borders = OxmlElement("w:tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            borders.append(_element(f"w:{side}", val="nil"))
        table._tbl.tblPr.append(borders)
        _table_width(table, [self.width / len(blocks)] * len(blocks))
        for cell, block in zip(table.rows[0].cells, blocks, strict=True):
            paragraph = cell.paragraphs[0]
            style = next((s for c, s in _P_STYLES.items() if c in block.classes), "Consideration")
            _restyle(paragraph, style)
            paragraph.paragraph_format.left_indent = Cm(0)
            _write(paragraph, list(_runs(block, _Format())))
        self.after_table = True

    def _section(self, *, landscape: bool) -> None:
        section = self.document.add_section(WD_SECTION.NEW_PAGE)
        # The paragraph that ends the previous section follows its last block: 1 pt high, so
        # a table filling its last page does not push it onto a page of its own.
        sectpr = self.document.element.body.sectPr
        if sectpr is not None and sectpr.getprevious() is not None:
            ending = Paragraph(sectpr.getprevious(), self.document._body)
            _restyle(ending, "Table Text")
            ending.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            ending.paragraph_format.line_spacing = Pt(1)
        self.width = _layout(section, landscape=landscape)
        self.landscape, self.restore = landscape, False
        self.fresh_page, self.after_table = True, False

    def _content(self, *, heading: bool = False) -> bool:
        """Before a block is written: back to an upright page after a wide part, or a gap after
        a table (a heading has its own). Whether the block opens a page."""
        if self.restore:
            self._section(landscape=False)
        elif self.after_table and not heading:
            _add(self.document, "Table Text")
        fresh = self.fresh_page
        self.fresh_page = self.after_table = False
        return fresh

    def _paragraph(self, runs: list[_Run], style: str) -> Paragraph | None:
        if not _collapse(runs):
            return None
        self._content()
        paragraph = _add(self.document, style)
        _write(paragraph, runs)
        return paragraph


_BLOCK_TAGS = {"h1", "p", "ol", "ul", "table", "img", "figcaption", *_HEADINGS}
_P_STYLES = {
    "formula": "Formula",
    "warn": "Warning",
    "note": "Note",
    "meta": "Meta",
    "muted": "Muted",
    "approve": "Approval",
    "consider": "Consideration",
}


def _data_png(src: str) -> bytes | None:
    """The PNG of a ``data:image/png;base64,…`` URI (None for anything else: a reference
    never fetches an image)."""
    prefix = "data:image/png;base64,"
    if not src.startswith(prefix):
        return None
    try:
        png = base64.b64decode(src[len(prefix) :], validate=True)
    except ValueError:
        return None
    return png if png.startswith(b"\x89PNG\r\n\x1a\n") else None


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def _headings(node: _Node) -> Iterator[tuple[int, str]]:
    for child in node.children:
        if isinstance(child, _Node) and child.tag not in _SKIPPED:
            if child.tag in _HEADINGS:
                yield _HEADINGS[child.tag], _plain(child)
            else:
                yield from _headings(child)


def html_to_docx(html: str, *, title: str = "") -> bytes:
    """A Word document of a reference page rendered by :func:`render_html`."""
    root = _parse(html)
    document = new_document()
    _styles(document)
    _page(document)
    body = document.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)  # the template's empty first paragraph
    properties = document.core_properties
    properties.title = xml_safe(title)[:255]
    properties.author = properties.last_modified_by = "rootcause"
    properties.comments = properties.subject = properties.keywords = ""
    properties.language = "ru-RU"
    _Writer(document, list(_headings(root))).blocks(root)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_docx(model: ReferenceModel, *, images: Mapping[str, bytes] | None = None) -> bytes:
    """The reference as a DOCX file (bytes): the same parts, text and tables as the HTML, each
    chart as its PNG from ``images`` (by chart key) or, without one, as its table."""
    page = render_html(model, ChartMedia(images=dict(images or {})))
    return html_to_docx(page, title=f"Аналитическая справка — {model.school_name}")
