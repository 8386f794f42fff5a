"""``rootcause import``: template, responses (dry run, all or nothing, no repeats), errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from tests.factories import TODAY, make_campaign, make_district, make_school
from web.cli import main


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(m.Response)) or 0


def _campaign(db: Session) -> tuple[str, list[m.School]]:
    district = make_district(db)
    schools = [make_school(db, district), make_school(db, district)]
    campaign = make_campaign(db, schools)
    db.commit()
    return str(campaign.id), schools


def _fill(template: Path, target: Path, rows: list[dict[str, Any]]) -> Path:
    workbook = load_workbook(io.BytesIO(template.read_bytes()))
    sheet = workbook["ответы"]
    codes = [cell.value for cell in sheet[1]]
    for number, values in enumerate(rows, start=3):
        for code, value in values.items():
            sheet.cell(row=number, column=codes.index(code) + 1, value=value)
    workbook.save(target)
    return target


def test_template_then_responses(cli_env: str, db: Session, tmp_path: Path) -> None:
    campaign_id, schools = _campaign(db)
    runner = CliRunner()
    template = tmp_path / "шаблон.xlsx"
    made = runner.invoke(
        main,
        [
            "import",
            "template",
            "--campaign",
            campaign_id,
            "--audience",
            "student",
            "--with-class",
            "-o",
            str(template),
        ],
    )
    assert made.exit_code == 0, made.output
    assert f"Шаблон записан: {template}" in made.output
    workbook = load_workbook(template)
    codes = [
        row[2] for row in workbook["коды"].iter_rows(values_only=True) if row[0] == "school_code"
    ]
    assert codes == [s.code for s in schools]
    filled = _fill(
        template,
        tmp_path / "анкеты 7Б.xlsx",
        [
            {"school_code": schools[0].code, "class_name": "7Б", "grade": 7, "mot_int_1": 4},
            {"school_code": schools[1].code, "grade": 8, "tutor_subjects": 2, "bul_2": 3},
        ],
    )
    command = [
        "import",
        "responses",
        str(filled),
        "--campaign",
        campaign_id,
        "--audience",
        "student",
    ]

    dry = runner.invoke(main, [*command, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "«mot_int_1» → mot_int_1" in dry.output
    assert "при импорте будет добавлено: 2 строки" in dry.output
    assert _count(db) == 0

    real = runner.invoke(main, command)
    assert real.exit_code == 0, real.output
    assert "Импортировано: 2 строки." in real.output
    stored = db.scalars(select(m.Response).order_by(m.Response.id)).all()
    assert [r.answers for r in stored] == [{"grade": 7, "mot_int_1": 4}, {"grade": 8, "bul_2": 3}]
    assert [r.class_name for r in stored] == ["7Б", None]
    assert {r.source for r in stored} == {"import"} and {r.submitted_on for r in stored} == {TODAY}

    again = runner.invoke(main, command)
    assert again.exit_code == 0, again.output
    assert "уже импортировано: 2 строки" in again.output
    assert "Импортировано: 0 строк." in again.output
    assert _count(db) == 2
    events = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "responses_imported"))
    assert [e.details["rows"] for e in events] == [2]


def test_bad_cell_stores_nothing(cli_env: str, db: Session, tmp_path: Path) -> None:
    campaign_id, schools = _campaign(db)
    runner = CliRunner()
    template = tmp_path / "t.xlsx"
    args = ["import", "template", "--campaign", campaign_id, "--audience", "student"]
    assert runner.invoke(main, [*args, "-o", str(template)]).exit_code == 0
    filled = _fill(
        template,
        tmp_path / "f.xlsx",
        [
            {"school_code": schools[0].code, "grade": 7, "mot_int_1": 4},
            {"school_code": schools[0].code, "grade": 7, "mot_int_2": 5},
        ],
    )
    result = runner.invoke(
        main,
        ["import", "responses", str(filled), "--campaign", campaign_id, "--audience", "student"],
    )
    assert result.exit_code == 1
    assert "строка 4, столбец" in result.output and "«mot_int_2»" in result.output
    assert "выбран вариант, которого нет в списке: «5»" in result.output
    assert "Ошибка: в файле есть ошибки, ничего не импортировано." in result.output
    assert _count(db) == 0


def test_google_csv_with_school_and_csv_mapping(cli_env: str, db: Session, tmp_path: Path) -> None:
    campaign_id, schools = _campaign(db)
    export = tmp_path / "Анкета (ответы).csv"
    export.write_bytes(
        (
            'Timestamp,Email Address,Твой класс,"Мне интересно узнавать новое на уроках."\n'
            '2026/03/02 10:15:33 AM GMT+3,a@example.com,6,"Скорее да"\n'
            '2026/03/02 10:17:01 AM GMT+3,b@example.com,10,"Совсем не согласен(на)"\n'
        ).encode()
    )
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        "column;item;answer;value\nТвой класс;grade;;\n;;Скорее да;3\n", encoding="utf-8"
    )
    result = _invoke(
        "import",
        "responses",
        str(export),
        "--campaign",
        campaign_id,
        "--audience",
        "student",
        "--school",
        schools[1].code,
        "--mapping",
        str(mapping),
    )
    assert result.exit_code == 0, result.output
    assert "Timestamp" in result.output and "Email Address" in result.output
    assert "a@example.com" not in result.output
    db.expire_all()
    stored = db.scalars(select(m.Response).order_by(m.Response.id)).all()
    assert [r.answers for r in stored] == [
        {"grade": 6, "mot_int_1": 3},
        {"grade": 10, "mot_int_1": 1},
    ]
    assert {r.school_id for r in stored} == {schools[1].id}


def test_clean_errors(cli_env: str, db: Session, tmp_path: Path) -> None:
    campaign_id, _ = _campaign(db)
    missing = _invoke(
        "import",
        "responses",
        str(tmp_path / "nope.csv"),
        "--campaign",
        campaign_id,
        "--audience",
        "student",
    )
    assert missing.exit_code == 1 and "Не удалось прочитать файл" in missing.output
    out = str(tmp_path / "t.xlsx")
    unknown = _invoke("import", "template", "--campaign", "999", "--audience", "student", "-o", out)
    assert unknown.exit_code == 1 and "Кампания 999 не найдена" in unknown.output
    parents = _invoke(
        "import", "template", "--campaign", campaign_id, "--audience", "parent", "-o", out
    )
    assert parents.exit_code == 1 and "нет анкеты для группы «parent»" in parents.output
    assert "Traceback" not in parents.output
