"""``rootcause instrument``: validate, import, export and list."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.io.yaml_io import dump_yaml, read_yaml
from instruments.library import builtin
from surveys import models as m
from web.cli import main


def _student_file(tmp_path: Path, **changes: object) -> Path:
    instrument = builtin("student_5_11").model_copy(
        update={"code": "student_pilot", "version": 1, **changes}
    )
    path = tmp_path / "pilot.yaml"
    path.write_text(dump_yaml(instrument), encoding="utf-8")
    return path


def test_validate_reports_ok_and_problems(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["instrument", "validate", str(_student_file(tmp_path))])
    assert ok.exit_code == 0, ok.output
    assert "Файл корректен" in ok.output and "вопросов 35" in ok.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        _student_file(tmp_path).read_text(encoding="utf-8").replace("- bul_5", "- bul_55"),
        encoding="utf-8",
    )
    bad = runner.invoke(main, ["instrument", "validate", str(broken)])
    assert bad.exit_code == 1
    assert f"{broken}: scales[6].items[4]: неизвестный вопрос 'bul_55'" in bad.output
    other = tmp_path / "form.docx"
    other.write_bytes(b"x")
    refused = runner.invoke(main, ["instrument", "validate", str(other)])
    assert refused.exit_code == 1 and "ожидается .yaml или .xlsx" in refused.output


def test_import_export_round_trip_and_versions(cli_env: str, db: Session, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    path = _student_file(tmp_path)
    first = runner.invoke(main, ["instrument", "import", str(path), "--publish"])
    assert first.exit_code == 0, first.output
    assert "версия 1 (опубликована" in first.output
    second = runner.invoke(main, ["instrument", "import", str(path)])
    assert "версия 2 (черновик" in second.output
    again = runner.invoke(main, ["instrument", "import", str(path)])
    assert again.exit_code == 1 and "уже есть черновик версии 2" in again.output

    listing = runner.invoke(main, ["instrument", "list"]).output.splitlines()
    assert "student_pilot\tstudent\t1\tpublished\tАнкета для обучающихся 5–11 классов" in listing
    assert any(line.startswith("student_pilot\tstudent\t2\tdraft") for line in listing)

    out = tmp_path / "out.yaml"
    result = runner.invoke(
        main,
        [
            "instrument",
            "export",
            "student_pilot",
            "--version",
            "1",
            "--format",
            "yaml",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert read_yaml(out) == read_yaml(path)
    missing = runner.invoke(main, ["instrument", "export", "nope", "-o", str(out)])
    assert missing.exit_code == 1 and "Не найдена методика «nope»" in missing.output
    db.expire_all()
    events = db.scalars(select(m.AuditEvent.action)).all()
    assert events.count("instrument_imported") == 2


def test_declared_indicators_are_checked_against_the_catalogue(tmp_path: Path) -> None:
    import yaml

    path = _student_file(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["indicators"] = [
        {
            "factor": "motivation",
            "code": "pilot_amotivation",
            "title": {"ru": "Немотивированные"},
            "scale": "amotivatoin",
            "statistic": "pomp",
            "direction": "risk",
        }
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["instrument", "validate", str(path)])
    assert result.exit_code == 1
    assert "indicators[0].scale: неизвестная шкала 'amotivatoin'" in result.output
