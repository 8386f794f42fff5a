"""``rootcause import results``: assessment results with row-precise errors, all or nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import models as m
from web.cli import main

GOOD = """Код школы;Год;Процедура;Предмет;Класс;Участников;Средний балл;Доля 2
S001;2026;ВПР;Математика;5;40;3,4;12%
S001;2026;ОГЭ;Русский язык;9;35;3,9;0,05
S002;2026;впр;Математика;5;22;3,1;20
"""


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(m.AssessmentResult)) or 0


def test_results_import_in_russian_headers_percentages_and_replacement(
    cli_env: str, db: Session, tmp_path: Path
) -> None:
    runner = CliRunner()
    runner.invoke(main, ["demo", "--schools", "2"])
    before = _count(db)
    path = tmp_path / "впр.csv"
    path.write_text(GOOD, encoding="cp1251")
    dry = runner.invoke(main, ["import", "results", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "ничего не сохранено" in dry.output and _count(db) == before
    done = runner.invoke(main, ["import", "results", str(path)])
    assert done.exit_code == 0, done.output
    assert "Строк: 3" in done.output
    stored = db.scalars(
        select(m.AssessmentResult)
        .join(m.School)
        .where(
            m.School.code == "S002",
            m.AssessmentResult.subject == "Математика",
            m.AssessmentResult.grade == 5,
            m.AssessmentResult.year == 2026,
        )
    ).one()
    assert stored.assessment == "ВПР" and stored.share_failing == 0.2 and stored.participants == 22
    again = runner.invoke(main, ["import", "results", str(path)])
    assert "загружено новых: 0, заменено: 3" in again.output


def test_one_bad_cell_stops_everything_and_is_located(
    cli_env: str, db: Session, tmp_path: Path
) -> None:
    runner = CliRunner()
    runner.invoke(main, ["demo", "--schools", "2"])
    before = _count(db)
    bad = GOOD.replace("S002;2026;впр", "S999;2026;впр").replace("35;3,9", "много;3,9")
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    result = runner.invoke(main, ["import", "results", str(path)])
    assert result.exit_code == 1
    assert "строка 3, столбец «участников»: «много» — не число" in result.output
    assert "строка 4, столбец «код школы»: нет школы с кодом «S999»" in result.output
    assert "ничего не загружено" in result.output
    assert _count(db) == before
