"""A school's empirical factor scores next to its scale scores: the rows of the school page and
of its CSV and XLSX downloads.

The factor solution comes from ``web.staff.factor_cache`` (the schools of the campaign at or
above the minimum group, pooled); the scale scores from the reference model's audience
sections, so the page and the file show the numbers the reference shows. A school below the
campaign's minimum group shows its n and no factor mean, in both outputs.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from analysis.report.model import AudienceSection, ScaleRow, audience_section, form_labels
from instruments.io.spreadsheet import put
from instruments.schema import INSTITUTIONAL_AUDIENCES
from surveys import models as m
from surveys.campaign_forms import campaign_forms
from surveys.dataset import load_form
from surveys.exports.cells import csv_cell
from web.staff.factor_cache import campaign_factors


@dataclass(frozen=True)
class FactorRow:
    """One empirical factor, the school's mean factor score and its scale score."""

    factor: str
    scale_code: str
    scale_title: str
    higher_is: str
    #: the school's respondents with a factor score
    n: int
    suppressed: bool
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    #: 1 = highest mean among the ``ranked`` schools of the campaign that are not suppressed
    rank: int | None
    ranked: int
    #: the lowest and highest school mean of the campaign (schools not suppressed)
    campaign_low: float | None
    campaign_high: float | None
    #: the school's scale score (the theory-driven one) for the same scale
    scale: ScaleRow | None


@dataclass(frozen=True)
class FactorTable:
    """The empirical factors of one form for one school, or why there are none."""

    audience: str
    #: the section's label: the audience, with the form's title when it has several forms
    audience_label: str
    #: complete responses to the form in the whole campaign
    n_responses: int
    min_group_size: int
    rows: list[FactorRow]
    #: responses with every scale item answered: the solution was fitted to these
    n_fitted: int = 0
    #: why the factor analysis could not run, in Russian (then ``rows`` is empty)
    message: str | None = None
    #: titles of the instrument's scales that no factor reproduces
    unmatched: tuple[str, ...] = ()


def _num(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def school_factor_table(
    session: Session, campaign: m.Campaign, section: AudienceSection, school_code: str
) -> FactorTable:
    """The factor table of one school for the form of ``section``."""
    fitted = campaign_factors(session, campaign, section.instrument_code)
    min_group = 1 if section.audience in INSTITUTIONAL_AUDIENCES else campaign.min_group_size
    if fitted.scores is None:
        return FactorTable(
            audience=section.audience,
            audience_label=section.audience_label,
            n_responses=fitted.n_responses,
            min_group_size=min_group,
            rows=[],
            message=f"Факторный анализ не выполнен: {fitted.error}.",
        )
    result = fitted.scores
    scales = {row.code: row for row in section.rows}
    mine = result.schools[result.schools["school_code"] == school_code].set_index("factor")
    rows = []
    for factor in result.solution.loadings.columns:
        scale_code = result.scales[factor]
        scale = scales.get(scale_code)
        entry = mine.loc[factor] if factor in mine.index else None
        # A school below the minimum is not in the solution at all: its responses are its n.
        n = fitted.suppressed.get(school_code, 0) if entry is None else int(entry["n"])
        suppressed = entry is None or bool(entry["suppressed"])
        bounds = result.ranges.loc[factor]
        rank = None if entry is None else _num(entry["rank"])
        rows.append(
            FactorRow(
                factor=factor,
                scale_code=scale_code,
                scale_title=scale.title if scale else result.labels[factor],
                higher_is=scale.higher_is if scale else "",
                n=n,
                suppressed=suppressed,
                mean=None if suppressed or entry is None else _num(entry["mean"]),
                ci_low=None if suppressed or entry is None else _num(entry["ci_low"]),
                ci_high=None if suppressed or entry is None else _num(entry["ci_high"]),
                rank=None if suppressed or rank is None else int(rank),
                ranked=int(bounds["schools"]),
                campaign_low=_num(bounds["low"]),
                campaign_high=_num(bounds["high"]),
                scale=scale,
            )
        )
    matched = set(result.scales.values())
    return FactorTable(
        audience=section.audience,
        audience_label=section.audience_label,
        n_responses=fitted.n_responses,
        min_group_size=min_group,
        rows=rows,
        n_fitted=result.solution.n_obs,
        unmatched=tuple(r.title for r in section.rows if r.code not in matched),
    )


def scale_sections(
    session: Session, campaign: m.Campaign, school_code: str
) -> list[AudienceSection]:
    """The school's scale scores per fielded form, as in its reference (without the risk
    part, which the factor table does not need), labelled as the reference labels them."""
    forms = campaign_forms(session, campaign.id)
    labels = form_labels((f.instrument_code, f.instrument) for f in forms)
    sections = []
    for form in forms:
        data = load_form(session, campaign, form)
        sections.append(
            audience_section(
                form.audience,
                data.instrument,
                data.answers,
                school_code,
                min_group_size=campaign.min_group_size,
                label=labels[form.instrument_code],
            )
        )
    return sections


CSV_HEADER = (
    "Группа",
    "Фактор",
    "Шкала, которую воспроизводит фактор",
    "Код шкалы",
    "n",
    "Факторный балл школы",
    "95 % ДИ, нижняя граница",
    "95 % ДИ, верхняя граница",
    "Место среди школ кампании",
    "Школ в сравнении",
    "Минимум по школам кампании",
    "Максимум по школам кампании",
    "Шкальный балл 0–100",
    "Шкальный балл (среднее)",
    "Примечание",
)


def _note(row: FactorRow, table: FactorTable) -> str:
    notes = []
    if row.suppressed:
        notes.append(f"скрыто (меньше {table.min_group_size} ответов)")
    if row.scale is not None and row.scale.suppressed and not row.suppressed:
        notes.append(f"шкальный балл скрыт (меньше {table.min_group_size} ответов)")
    if row.higher_is == "risk":
        notes.append("выше — хуже")
    return "; ".join(notes)


def factor_rows(tables: list[FactorTable]) -> list[list[object]]:
    """The rows of the downloads under ``CSV_HEADER``: suppressed values are blank, with the
    reason in the note column; an audience whose factor analysis could not run is one row with
    the reason."""
    rows: list[list[object]] = []
    for table in tables:
        if table.message:
            rows.append([table.audience_label, *[None] * (len(CSV_HEADER) - 2), table.message])
            continue
        for row in table.rows:
            scale = row.scale
            scale_shown = scale is not None and not scale.suppressed
            rows.append(
                [
                    table.audience_label,
                    row.factor,
                    row.scale_title,
                    row.scale_code,
                    row.n,
                    row.mean,
                    row.ci_low,
                    row.ci_high,
                    row.rank,
                    row.ranked,
                    row.campaign_low,
                    row.campaign_high,
                    scale.pomp if scale_shown and scale else None,
                    scale.mean if scale_shown and scale else None,
                    _note(row, table),
                ]
            )
    return rows


def factor_csv(school: m.School, campaign: m.Campaign, tables: list[FactorTable]) -> str:
    """The school's factor tables as one CSV (semicolon-separated, decimal commas, for Russian
    Excel): text is neutralised against formulas and numbers, negative ones too, stay numbers
    (:func:`surveys.exports.cells.csv_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in CSV_HEADER])
    for cells in factor_rows(tables):
        writer.writerow([csv_cell(c) for c in cells])
    # A byte order mark so that Excel opens the UTF-8 file with Cyrillic intact.
    return "\ufeff" + out.getvalue()


def factor_xlsx(school: m.School, campaign: m.Campaign, tables: list[FactorTable]) -> bytes:
    """The school's factor tables as a workbook: numbers are number cells (a negative factor
    score stays a number a psychologist can compute with), text is always a text cell,
    quote-prefixed where it could be taken for a formula (instruments.io.spreadsheet)."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "Факторы"
    for column, title in enumerate(CSV_HEADER, start=1):
        cell = sheet.cell(row=1, column=column)
        put(cell, title)
        cell.font = Font(bold=True)
    for row_number, cells in enumerate(factor_rows(tables), start=2):
        for column, value in enumerate(cells, start=1):
            cell = sheet.cell(row=row_number, column=column)
            if isinstance(value, float):
                if not math.isnan(value):
                    cell.value = value
                    cell.number_format = "0.000"
            else:
                put(cell, value)
    sheet.freeze_panes = "C2"
    for column, width in zip("ABCDEFGHIJKLMNO", (16, 10, 36, 14, 6, *[12] * 9, 48), strict=True):
        sheet.column_dimensions[column].width = width
    workbook.properties.title = f"{campaign.title}: {school.name}"[:255]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_filename(campaign: m.Campaign, school: m.School, suffix: str = "csv") -> str:
    """A download name of only safe characters (codes are entered by administrators)."""
    code = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in school.code)
    return f"factors-{campaign.id}-{code}.{suffix}"
