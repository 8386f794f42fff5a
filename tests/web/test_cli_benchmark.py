"""``rootcause benchmark`` and ``rootcause campaigns set-reference / set-previous``."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from web.cli import main


def _campaign(db: Session, campaign_id: int) -> m.Campaign:
    db.expire_all()
    campaign = db.get(m.Campaign, campaign_id)
    assert campaign is not None
    return campaign


def test_freeze_list_and_choose_a_benchmark(cli_env: str, db: Session) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--schools", "4"]).exit_code == 0
    frozen = runner.invoke(main, ["benchmark", "freeze", "--campaign", "1", "--title", "Осень"])
    assert frozen.exit_code == 0, frozen.output
    assert "Эталон 1 «Осень» зафиксирован: школ 4" in frozen.output
    benchmark = db.scalars(select(m.Benchmark)).one()

    listed = runner.invoke(main, ["benchmark", "list"]).output.splitlines()
    district = db.scalars(select(m.District.name)).one()
    assert len(listed) == 1
    assert listed[0].split("\t") == [
        "1",
        "Осень",
        district,
        "1",
        benchmark.created_at.date().isoformat(),
        "4",
    ]
    only = runner.invoke(main, ["benchmark", "list", "--district", district])
    assert only.output.splitlines() == listed
    unknown = runner.invoke(main, ["benchmark", "list", "--district", "Нет такого"])
    assert unknown.exit_code == 1 and "Район «Нет такого» не найден" in unknown.output

    chosen = runner.invoke(
        main, ["campaigns", "set-reference", "--campaign", "1", "--benchmark", "1"]
    )
    assert chosen.exit_code == 0, chosen.output
    assert "сравнение с эталоном «Осень»" in chosen.output
    assert _campaign(db, 1).benchmark_id == benchmark.id
    back = runner.invoke(main, ["campaigns", "set-reference", "--campaign", "1", "--schools"])
    assert back.exit_code == 0 and _campaign(db, 1).benchmark_id is None

    # The listing of campaigns is still the bare command.
    assert runner.invoke(main, ["campaigns"]).output.startswith("1\t")


def test_set_reference_and_previous_refuse_bad_input(cli_env: str, db: Session) -> None:
    runner = CliRunner()
    runner.invoke(main, ["demo", "--schools", "2"])
    both = runner.invoke(
        main, ["campaigns", "set-reference", "--campaign", "1", "--benchmark", "1", "--schools"]
    )
    assert both.exit_code == 2 and "--benchmark ID или --schools" in both.output
    neither = runner.invoke(main, ["campaigns", "set-previous", "--campaign", "1"])
    assert neither.exit_code == 2 and "--previous ID или --none" in neither.output
    missing = runner.invoke(
        main, ["campaigns", "set-reference", "--campaign", "1", "--benchmark", "7"]
    )
    assert missing.exit_code == 1 and "Эталон 7 не найден" in missing.output
    itself = runner.invoke(
        main, ["campaigns", "set-previous", "--campaign", "1", "--previous", "1"]
    )
    assert itself.exit_code == 1 and "самой себя" in itself.output
    assert "Traceback" not in itself.output
    few = runner.invoke(main, ["benchmark", "freeze", "--campaign", "1", "--title", "Мало"])
    assert few.exit_code == 1 and "таких школ: 2" in few.output
    none = runner.invoke(main, ["campaigns", "set-previous", "--campaign", "1", "--none"])
    assert none.exit_code == 0 and "предыдущая волна не задана" in none.output
    assert db.scalars(select(m.Benchmark)).all() == []
