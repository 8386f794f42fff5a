"""The codebook of a respondent-level export, as XLSX and HTML: what the file is, how it is
coded and pooled, and every variable (question, options, scales, reverse key, condition of
showing, missing codes) and scale score."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from jinja2 import Environment
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from instruments.schema import Instrument, text_in
from surveys.exports.cells import put
from surveys.exports.frames import (
    NO_ANSWER_LABEL,
    NOT_ASKED_LABEL,
    LabelledFrame,
    Variable,
)
from surveys.exports.respondents import POOLED_SCHOOL

MEASURE_NAMES = {"nominal": "номинальная", "ordinal": "порядковая", "scale": "количественная"}
VARIABLE_HEADER = (
    "Переменная",
    "Код вопроса",
    "Текст (метка)",
    "Тип вопроса",
    "Шкала измерения",
    "Значения",
    "Входит в шкалы",
    "Обратный ключ",
    "Условие показа",
    "Коды пропусков",
)
SCALE_HEADER = (
    "Шкала",
    "Название",
    "Вопросы",
    "Обратные вопросы",
    "Балл",
    "Минимум отвеченных",
    "Выше — значит",
    "Переменные в файле баллов",
)


@dataclass(frozen=True)
class Codebook:
    title: str
    #: (what, value) lines about the file
    about: list[tuple[str, str]]
    #: rows under VARIABLE_HEADER
    variables: list[list[str]]
    #: rows under SCALE_HEADER
    scales: list[list[str]]


def _values(variable: Variable) -> str:
    codes = set(variable.missing.values) if variable.missing else set()
    return "; ".join(
        f"{c} = {label}" for c, label in variable.value_labels.items() if c not in codes
    )


def _missing(variable: Variable) -> str:
    if variable.missing is None:
        if variable.kind == "text" and variable.item_code:
            return "пусто — не задавался или нет ответа"
        return "пусто — нет значения" if variable.item_code else ""
    return "; ".join(f"{c} = {variable.value_labels.get(c, '')}" for c in variable.missing.values)


def build_codebook(
    answers: LabelledFrame,
    instrument: Instrument,
    *,
    campaign_title: str,
    exported_on: dt.date,
    scores: LabelledFrame | None = None,
    audience_label: str | None = None,
    exclude_flagged: bool = False,
) -> Codebook:
    """The codebook of ``answers`` (and of its ``scores`` file, when there is one);
    ``audience_label`` names the respondents (the audience's code by default)."""
    respondents = answers.respondents
    minimum = respondents.min_group_size
    scale_titles = {s.code: text_in(s.title) for s in instrument.scales}
    about = [
        ("Кампания", campaign_title),
        (
            "Анкета",
            f"{text_in(instrument.title)} ({answers.instrument_code}, версия "
            f"{answers.instrument_version})",
        ),
        ("Группа респондентов", audience_label or answers.audience),
        ("Дата выгрузки", exported_on.strftime("%d.%m.%Y")),
        ("Респондентов в файле", str(len(answers.data))),
        (
            "Какие анкеты",
            "Только завершённые; анкеты с признаками недобросовестного заполнения "
            + ("не включены (так настроена кампания)." if exclude_flagged else "включены."),
        ),
        (
            "Номер респондента (resp_id)",
            "1..n в случайном, но постоянном порядке: не номер в базе данных и не порядок "
            "заполнения; один и тот же респондент имеет один номер в файле ответов и в файле "
            "баллов по шкалам.",
        ),
        (
            "Школы с малым числом ответов",
            f"Школа, где ответивших на эту анкету меньше {minimum}, записана как "
            f"«{POOLED_SCHOOL}», а не своим кодом, и без класса; так записаны все такие "
            "школы вместе, даже если и вместе их меньше минимума. "
            f"В этом файле: школ — {respondents.pooled_schools}, "
            f"ответов — {respondents.pooled_responses}.",
        ),
        (
            "Классы с малым числом ответов",
            f"Класс, где ответивших меньше {minimum}, записан без названия; если тогда "
            "ответов без класса в школе осталось бы меньше минимума, без названия записывается "
            "и следующий по численности класс. "
            f"В этом файле классов без названия: {respondents.blanked_classes}.",
        ),
        (
            "Коды пропусков",
            f"-7 — «не знаю» (вариант, который не входит в баллы; второй такой вариант — -6); "
            f"-8 — {NOT_ASKED_LABEL}; -9 — {NO_ANSWER_LABEL}. Если сами значения вопроса "
            "могут совпасть с этими кодами, берутся -97/-98/-99 (затем -997/-998/-999): коды "
            "каждой переменной указаны в таблице. В SPSS они объявлены пропусками "
            "пользователя; в CSV и XLSX записаны те же числа.",
        ),
        (
            "Несколько вариантов",
            "Вопрос с несколькими вариантами ответа записан переменной на каждый вариант: "
            "1 — выбран, 0 — не выбран.",
        ),
        (
            "Не выгружается",
            "Личные коды, ссылки, адреса, устройства, номера анкет в базе и время (только "
            "дата) не выгружаются.",
        ),
    ]
    rows = []
    for variable in answers.variables:
        rows.append(
            [
                variable.name,
                variable.item_code or "",
                variable.label,
                variable.item_type if variable.item_code else "служебная",
                MEASURE_NAMES[variable.measure],
                _values(variable),
                ", ".join(f"{c} ({scale_titles.get(c, c)})" for c in variable.scales),
                "да" if variable.reverse else "",
                variable.relevant or "",
                _missing(variable),
            ]
        )
    score_names: dict[str, list[str]] = {}
    if scores is not None:
        for variable in scores.variables:
            if variable.scales:
                score_names.setdefault(variable.scales[0], []).append(variable.name)
    items = instrument.items_by_code()
    scale_rows = [
        [
            scale.code,
            text_in(scale.title),
            ", ".join(scale.items),
            ", ".join(c for c in scale.items if items[c].reverse),
            "сумма (пропорционально отвеченным)" if scale.method == "sum" else "среднее",
            f"{scale.min_answered:.0%}".replace(".", ","),
            "риск" if scale.higher_is == "risk" else "благополучие",
            ", ".join(score_names.get(scale.code, [])),
        ]
        for scale in instrument.scales
    ]
    return Codebook(
        title=f"Кодовая книга: {answers.title}", about=about, variables=rows, scales=scale_rows
    )


def codebook_xlsx(codebook: Codebook) -> bytes:
    """The codebook as a workbook: «О файле», «Переменные», «Шкалы»; every text cell safe."""
    workbook = Workbook()
    sheets = [
        ("О файле", ("", ""), [list(line) for line in codebook.about], (32, 120)),
        (
            "Переменные",
            VARIABLE_HEADER,
            codebook.variables,
            (16, 16, 60, 18, 14, 50, 30, 10, 24, 40),
        ),
        ("Шкалы", SCALE_HEADER, codebook.scales, (22, 40, 50, 30, 24, 12, 14, 30)),
    ]
    for index, (title, header, rows, widths) in enumerate(sheets):
        sheet = workbook.worksheets[0] if index == 0 else workbook.create_sheet()
        sheet.title = title
        start = 1
        if any(header):
            for column, text in enumerate(header, start=1):
                cell = sheet.cell(row=1, column=column)
                put(cell, text)
                cell.font = Font(bold=True)
            sheet.freeze_panes = "B2"
            start = 2
        for row_number, row in enumerate(rows, start=start):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=row_number, column=column)
                put(cell, value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[chr(ord("A") + column - 1)].width = width
    workbook.properties.title = codebook.title[:255]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_HTML = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>{{ book.title }}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0 0 1.5rem; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
dt { font-weight: 600; margin-top: .6rem; } dd { margin: 0 0 0 1rem; max-width: 60rem; }
code { font-size: 13px; }
td:nth-child(3) { min-width: 22rem; } td:nth-child(6), td:nth-child(10) { min-width: 14rem; }
</style></head><body>
<h1>{{ book.title }}</h1>
<dl>{% for what, value in book.about %}<dt>{{ what }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>
<h2>Переменные</h2>
<table><thead><tr>{% for h in variable_header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row in book.variables %}<tr><td><code>{{ row[0] }}</code></td>
{%- for cell in row[1:] %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% if book.scales %}<h2>Шкалы</h2>
<table><thead><tr>{% for h in scale_header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row in book.scales %}<tr><td><code>{{ row[0] }}</code></td>
{%- for cell in row[1:] %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>{% endif %}
</body></html>
"""
)


def codebook_html(codebook: Codebook) -> str:
    """The codebook as one HTML page (every text escaped)."""
    return _HTML.render(book=codebook, variable_header=VARIABLE_HEADER, scale_header=SCALE_HEADER)
