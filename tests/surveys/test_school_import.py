"""A district's schools from a hand-written file: Russian headers in CSV and XLSX, errors with
row and column (all of them, nothing stored), re-imports by code, dry runs, the template's round
trip through the command line, deactivation, and the audit trail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.errors import Conflict, FieldsInvalid, InvalidInput
from surveys.school_import import import_schools
from surveys.schools import save_school, set_school_active
from tests.factories import (
    link_for,
    make_campaign,
    make_district,
    make_response,
    make_school,
    make_user,
)
from web.cli import main

HEADERS = (
    "Район;Код школы;Полное наименование;Краткое наименование;Местность;Уровни образования;"
    "ШНОР;ШНСУ;1 класс;2 класс;3 класс;4 класс;5 класс;6 класс;7 класс;8 класс;9 класс;"
    "10 класс;11 класс;Педагогов;Педагог-психолог;Логопед/дефектолог;Социальный педагог"
)
ROWS = [
    "Северный район;0101;МБОУ «Средняя школа № 1»;СОШ № 1;городская;НОО, ООО, СОО;да;нет;"
    "30;31;29;28;27;26;25;24;23;20;18;40;да;да;нет",
    "Северный район;0102;МКОУ «Лесная основная школа»;Лесная ООШ;сельская;НОО ООО;нет;+;"
    "5;6;4;7;6;5;6;4;3;;;12;0;-;1",
    "Южный район;0201;МБОУ «Лицей»;Лицей;Городская;ООО/СОО;-;-;"
    ";;;;50;50;50;50;50;40;40;60;+;нет;да",
]
GOOD = "\n".join([HEADERS, *ROWS]) + "\n"


def _count(db: Session, model: type[m.Base]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def _school(db: Session, code: str) -> m.School:
    db.expire_all()
    return db.scalars(select(m.School).where(m.School.code == code)).one()


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_csv_with_russian_headers_and_bom_creates_districts_and_schools(db: Session) -> None:
    data = ("\ufeff" + GOOD).encode("utf-8")
    report = import_schools(db, data, "школы.csv", user=None, via="cli")
    db.commit()
    assert not report.errors, str(report)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.districts_created == ["Северный район", "Южный район"]
    assert "создано: 3" in str(report) and "Созданы районы" in str(report)
    first = _school(db, "0101")
    assert first.name == "МБОУ «Средняя школа № 1»" and first.short_name == "СОШ № 1"
    assert first.locality == "urban" and first.low_results and not first.adverse_conditions
    assert (first.teaches_primary, first.teaches_basic, first.teaches_secondary) == (True,) * 3
    assert first.enrolment_by_grade["1"] == 30 and first.enrolment_by_grade["11"] == 18
    assert (first.enrolment_primary, first.enrolment_basic, first.enrolment_secondary) == (
        118,
        125,
        38,
    )
    assert first.teachers == 40
    assert first.has_psychologist and first.has_speech_specialist and not first.has_social_pedagogue
    forest = _school(db, "0102")
    assert forest.locality == "rural" and forest.adverse_conditions and not forest.low_results
    assert not forest.teaches_secondary and forest.enrolment_secondary == 0
    assert not forest.has_psychologist and forest.has_social_pedagogue
    lyceum = _school(db, "0201")
    assert not lyceum.teaches_primary and lyceum.enrolment_primary == 0
    assert lyceum.enrolment_basic == 250 and lyceum.enrolment_secondary == 80
    district = db.scalars(select(m.District).where(m.District.name == "Южный район")).one()
    assert lyceum.district_id == district.id and lyceum.is_active


def test_xlsx_with_russian_headers_and_english_csv_with_commas(db: Session) -> None:
    rows = [line.split(";") for line in GOOD.splitlines()]
    # Numbers and booleans as a spreadsheet stores them.
    rows[1][8] = 30
    rows[1][6] = True
    report = import_schools(db, _xlsx(rows), "школы.xlsx", user=None)
    assert not report.errors, str(report)
    assert report.created == 3
    english = (
        "district,code,name,short_name,locality,levels,low_results,adverse_conditions,"
        "grade_1,grade_2,grade_3,grade_4,teachers,has_psychologist\n"
        "Южный район,0202,Начальная школа,НШ,rural,primary,no,yes,10,11,12,13,9,yes\n"
    )
    report = import_schools(db, english.encode(), "schools.csv", user=None)
    assert not report.errors, str(report)
    db.commit()
    assert report.created == 1 and report.districts_created == []
    small = _school(db, "0202")
    assert small.enrolment_primary == 46 and small.adverse_conditions and small.has_psychologist
    assert _school(db, "0101").low_results and _school(db, "0101").enrolment_by_grade["1"] == 30


def test_every_error_named_by_row_and_column_and_nothing_stored(db: Session) -> None:
    bad = (
        GOOD.replace(";городская;НОО, ООО, СОО;да;", ";столичная;НОО, ООО, СОО;может;")
        .replace(";5;6;4;7;6;5;6;4;3;;;12;", ";5;6;4;7;6;5;6;4;3;12;;12;")
        .replace("Южный район;0201;МБОУ «Лицей»", "Южный район;0101;")
    )
    report = import_schools(db, bad.encode(), "плохо.csv", user=None)
    lines = str(report).splitlines()
    assert lines[0] == "Ошибок: 5; ничего не загружено."
    assert (
        "строка 2, столбец E «Местность»: «столичная» — нужно «городская» или «сельская»" in lines
    )
    assert "строка 2, столбец G «ШНОР»: «может» — нужно «да» или «нет» (также 1/0, +/-)" in lines
    assert (
        "строка 3, столбец R «10 класс»: в 10 классе указаны обучающиеся, но уровень СОО "
        "(10–11 классы) не отмечен" in lines
    )
    assert "строка 4, столбец B «Код школы»: код «0101» уже встречался в строке 2" in lines
    assert "строка 4, столбец C «Полное наименование»: не заполнено" in lines
    db.commit()
    assert _count(db, m.School) == 0 and _count(db, m.District) == 0
    assert _count(db, m.AuditEvent) == 0


def test_missing_and_repeated_columns_are_reported_on_the_header_row(db: Session) -> None:
    data = "Район;Код;Наименование;Code\nА;1;Школа;2\n".encode()
    report = import_schools(db, data, "x.csv", user=None)
    assert "строка 1, столбец D «Code»: повторяет столбец B «Код»" in str(report)
    assert "строка 1, столбец «Местность»: нет такого столбца" in str(report)
    assert "строка 1, столбец «Уровни образования»: нет такого столбца" in str(report)


def test_a_file_of_headers_only_is_refused(db: Session) -> None:
    with pytest.raises(InvalidInput, match="под заголовками нет ни одной школы"):
        import_schools(db, (HEADERS + "\n;;\n").encode(), "пусто.csv", user=None)


def test_reimport_updates_by_code_never_duplicates_and_audits_the_changes(db: Session) -> None:
    admin = make_user(db, "admin", login="boss")
    import_schools(db, GOOD.encode(), "школы.csv", user=admin)
    db.commit()
    again = import_schools(db, GOOD.encode(), "школы.csv", user=admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = GOOD.replace("СОШ № 1;городская", "Школа № 1;городская").replace(
        ";12;0;-;1", ";14;0;-;1"
    )
    report = import_schools(db, changed.encode(), "школы-2.csv", user=admin)
    db.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1), str(report)
    planned = {p.code: p for p in report.planned}
    assert planned["0101"].changed == ["Краткое наименование"]
    assert planned["0102"].changed == ["Педагогов"]
    assert _count(db, m.School) == 3 and _count(db, m.District) == 2
    assert _school(db, "0101").short_name == "Школа № 1" and _school(db, "0102").teachers == 14
    events = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "school_edited")).all()
    assert {e.target for e in events} == {"school 0101", "school 0102"}
    update = next(e for e in events if e.target == "school 0101")
    assert update.details["changed"] == {"short_name": ["СОШ № 1", "Школа № 1"]}
    assert update.user_id == admin.id and update.details["file"] == "школы-2.csv"
    created = db.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "school_created")).all()
    assert len(created) == 3
    assert db.scalar(select(func.count()).where(m.AuditEvent.action == "district_created")) == 2
    assert db.scalar(select(func.count()).where(m.AuditEvent.action == "schools_imported")) == 3


def test_dry_run_writes_nothing(db: Session) -> None:
    report = import_schools(db, GOOD.encode(), "школы.csv", user=None, dry_run=True)
    db.commit()
    assert report.created == 3 and report.districts_created
    assert "будет создано: 3" in str(report) and "ничего не сохранено" in str(report)
    assert _count(db, m.School) == 0 and _count(db, m.District) == 0
    assert _count(db, m.AuditEvent) == 0


def test_coordinator_file_touches_only_their_district(db: Session) -> None:
    north = make_district(db, name="Северный район")
    south = make_district(db, name="Южный район")
    make_school(db, south, code="0102", name="Чужая школа")
    coordinator = make_user(db, "coordinator", login="coord", district_name=north.name)
    report = import_schools(db, GOOD.encode(), "школы.csv", user=coordinator)
    text = str(report)
    assert "строка 3, столбец B «Код школы»: код «0102» занят школой другого района" in text
    assert (
        "строка 4, столбец A «Район»: «Южный район» — не ваш район, его школы менять нельзя" in text
    )
    unknown = GOOD.replace("Южный район", "Новый район")
    report = import_schools(db, unknown.encode(), "школы.csv", user=coordinator)
    assert "района «Новый район» нет; создать район может администратор" in str(report)
    db.commit()
    assert _count(db, m.School) == 1 and _count(db, m.District) == 2


def test_a_school_in_a_campaign_keeps_its_district(db: Session) -> None:
    north = make_district(db, name="Северный район")
    school = make_school(db, north, code="0101")
    make_campaign(db, [school])
    db.commit()
    moved = GOOD.replace("Северный район;0101", "Южный район;0101")
    report = import_schools(db, moved.encode(), "школы.csv", user=None)
    assert "строка 2, столбец A «Район»: школа «0101» участвует в кампаниях" in str(report)


def test_screen_validation_and_deactivation_keeps_responses(db: Session) -> None:
    north = make_district(db, name="Северный район")
    coordinator = make_user(db, "coordinator", login="coord", district_name=north.name)
    values: dict[str, object] = {
        "district": "северный  РАЙОН",
        "code": "0101",
        "name": "Школа",
        "short_name": "",
        "locality": "сельская",
        "levels": ["НОО", "ООО"],
        "low_results": False,
        "adverse_conditions": True,
        **{f"grade_{g}": "" for g in range(1, 12)},
        "grade_5": "20",
        "teachers": "7",
        "has_psychologist": False,
        "has_speech_specialist": False,
        "has_social_pedagogue": True,
    }
    school = save_school(db, coordinator, values)
    assert school.district_id == north.id and school.enrolment_basic == 20
    with pytest.raises(FieldsInvalid) as caught:
        save_school(db, coordinator, {**values, "grade_10": "5", "teachers": "много"})
    assert set(caught.value.errors) == {"code", "grade_10", "teachers"}
    with pytest.raises(FieldsInvalid) as caught:
        save_school(db, coordinator, {**values, "district": "Южный район", "code": "0109"})
    assert caught.value.errors == {"district": "выберите район из списка"}
    # Blank grades on an edit keep the enrolment stored.
    blank = {**values, **{f"grade_{g}": "" for g in range(1, 12)}, "name": "Школа № 1"}
    save_school(db, coordinator, blank, school=school)
    assert school.enrolment_basic == 20 and school.name == "Школа № 1"

    campaign = make_campaign(db, [school])
    make_response(db, link_for(db, campaign, school))
    db.commit()
    assert set_school_active(db, school, False, user_id=coordinator.id)
    assert not set_school_active(db, school, False, user_id=coordinator.id)
    db.commit()
    assert not _school(db, "0101").is_active
    assert _count(db, m.Response) == 1
    event = db.scalars(
        select(m.AuditEvent).where(m.AuditEvent.action == "school_deactivated")
    ).one()
    assert event.details["changed"] == {"is_active": [True, False]}


def _runner_ok(runner: CliRunner, args: list[str]) -> str:
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_template_round_trip_districts_and_listing(
    cli_env: str, db: Session, tmp_path: Path
) -> None:
    runner = CliRunner()
    _runner_ok(runner, ["init"])
    assert "Создан район «Северный район»" in _runner_ok(
        runner, ["districts", "add", "Северный район", "--region", "Северная область"]
    )
    again = runner.invoke(main, ["districts", "add", "северный район"])
    assert again.exit_code == 1 and "уже есть" in again.output
    template = tmp_path / "шаблон.xlsx"
    _runner_ok(runner, ["import", "schools", "--template", str(template)])
    workbook = load_workbook(template)
    assert workbook.sheetnames == ["школы", "коды"]
    sheet = workbook["школы"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Район", "Код школы", "Полное наименование"]
    assert sheet.max_row == 1 or all(
        c.value is None for row in sheet.iter_rows(min_row=2) for c in row
    )
    explained = {row[1].value for row in workbook["коды"].iter_rows(min_row=2) if row[1].value}
    assert {"district", "code", "levels", "grade_11", "has_social_pedagogue"} <= explained
    assert any(row[4].value == "Северный район" for row in workbook["коды"].iter_rows(min_row=2))
    lists = {str(v.sqref).split(":")[0] for v in sheet.data_validations.dataValidation}
    assert {"A2", "E2", "F2", "G2"} <= lists

    filled = {
        "Район": "Северный район",
        "Код школы": "0123",
        "Полное наименование": "МБОУ «Школа № 3»",
        "Местность": "городская",
        "Уровни образования": "НОО, ООО",
        "5 класс": 25,
        "Педагогов": 15,
        "Педагог-психолог": "да",
    }
    sheet.append([filled.get(h) for h in headers])
    workbook.save(template)
    dry = _runner_ok(runner, ["import", "schools", str(template), "--dry-run"])
    assert "будет создано: 1" in dry and "ничего не сохранено" in dry
    assert _count(db, m.School) == 0
    assert "создано: 1" in _runner_ok(runner, ["import", "schools", str(template)])
    listing = _runner_ok(runner, ["schools"]).splitlines()
    assert listing == ["0123\tМБОУ «Школа № 3»\tСеверный район\turban\t25\tactive"]
    districts = _runner_ok(runner, ["districts"]).splitlines()
    assert districts[0].split("\t")[1:] == ["Северный район", "Северная область", "1", "1"]
    bad = tmp_path / "bad.csv"
    bad.write_text("Район;Код школы;Полное наименование;Местность;Уровни образования\nА;;Ш;x;НОО\n")
    result = runner.invoke(main, ["import", "schools", str(bad)])
    assert result.exit_code == 1
    assert "строка 2, столбец B «Код школы»: не заполнено" in result.output
    assert "строка 2, столбец D «Местность»" in result.output
    neither = runner.invoke(main, ["import", "schools"])
    assert neither.exit_code == 2


def test_district_names_are_unique_whatever_the_case(db: Session) -> None:
    from surveys.districts import create_district

    create_district(db, "Северный район", user_id=None)
    with pytest.raises(Conflict):
        create_district(db, "  СЕВЕРНЫЙ   район ", user_id=None)


def test_demo_schools_describe_themselves_as_an_import_would(db: Session) -> None:
    from surveys.demo import generate_demo
    from surveys.schools import per_level

    generate_demo(db, n_schools=12, seed=3, with_users=False)
    schools = db.scalars(select(m.School)).all()
    for school in schools:
        assert school.short_name and school.enrolment_by_grade
        assert per_level(school.enrolment_by_grade) == {
            "enrolment_primary": school.enrolment_primary,
            "enrolment_basic": school.enrolment_basic,
            "enrolment_secondary": school.enrolment_secondary,
        }
        assert school.teaches_secondary == (school.enrolment_secondary > 0)
    assert any(not s.teaches_secondary for s in schools)  # the rural basic schools
    assert any(s.has_psychologist for s in schools) and not all(s.has_psychologist for s in schools)
    assert any(s.short_name.startswith("СОШ № ") for s in schools)


def test_a_district_is_found_as_a_person_types_its_name(db: Session) -> None:
    from surveys.districts import find_district
    from tests.factories import make_district

    district = make_district(db, name="Берёзовский  муниципальный район")
    assert find_district(db, "Берёзовский  муниципальный район") is district
    assert find_district(db, "березовский муниципальный район") is district
    assert find_district(db, "Осиновский район") is None
