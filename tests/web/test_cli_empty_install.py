"""The listing commands of a new installation say what to do first (on standard error, so a
script reading their tab-separated output gets nothing), and say nothing once there is data."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy.orm import Session

from tests.factories import make_campaign, make_district, make_school
from web.cli import main


def test_empty_lists_name_the_next_command(cli_env: str, db: Session) -> None:
    runner = CliRunner()
    for command, hint in (
        ("districts", "rootcause districts add"),
        ("schools", "rootcause import schools --template"),
        ("campaigns", "rootcause campaigns create --district"),
    ):
        result = runner.invoke(main, [command])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert hint in result.stderr, (command, result.stderr)

    district = make_district(db, name="Район списка")
    make_campaign(db, [make_school(db, district, code="L01")])
    db.commit()
    for command, first in (("districts", "Район списка"), ("schools", "L01"), ("campaigns", "1")):
        result = runner.invoke(main, [command])
        assert result.exit_code == 0 and result.stderr == ""
        assert first in result.stdout
