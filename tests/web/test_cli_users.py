"""Staff accounts from the command line: import users FILE (all rows or none, errors with row
and column, no password column), set-password links printed once, reset-password,
deactivate, and user add --link."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.users import authenticate
from tests.conftest import csrf_token, make_app
from tests.factories import PASSWORD, make_district, make_school, make_user
from web.cli import main

BASE = "https://rootcause.example.ru"


def _world(db: Session) -> None:
    north = make_district(db, name="Северный район")
    make_school(db, north, code="N01")
    make_school(db, north, code="N02")
    make_user(db, "admin", login="boss")
    db.commit()


def _csv(tmp_path: Path, text: str, name: str = "users.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _logins(db: Session) -> set[str]:
    db.expire_all()
    return set(db.scalars(select(m.User.login)))


def _set_password(app: Flask, url: str, password: str) -> int:
    client = app.test_client()
    path = url.removeprefix(BASE)
    form = client.get(path)
    assert form.status_code == 200, form.text
    token = path.split("t=", 1)[1]
    done = client.post(
        "/set-password",
        data={
            "csrf_token": csrf_token(form.text),
            "t": token,
            "password": password,
            "confirm": password,
        },
    )
    return done.status_code


def test_import_users_creates_accounts_and_prints_one_link_each(
    cli_env: str, db: Session, tmp_path: Path, engine, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    _world(db)
    path = _csv(
        tmp_path,
        "Логин;ФИО;Роль;Код школы;Район;Должность\n"
        "ivanova;Иванова Ирина;заместитель директора;N01;;заместитель директора по УВР\n"
        "petrov;Петров Пётр;психолог;;Северный район;педагог-психолог\n"
        "sidorova;Сидорова Анна;coordinator;;северный  район;\n",  # as typed by hand
    )
    runner = CliRunner()
    dry = runner.invoke(main, ["import", "users", str(path), "--dry-run", "--base-url", BASE])
    assert dry.exit_code == 0, dry.output
    assert "будет создано учётных записей: 3" in dry.output and BASE not in dry.output
    assert _logins(db) == {"boss"}

    result = runner.invoke(main, ["import", "users", str(path), "--base-url", BASE])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["ivanova", "petrov", "sidorova"]
    urls = [line.split("\t")[1] for line in lines]
    assert all(url.startswith(f"{BASE}/set-password?t=") for url in urls)
    db.expire_all()
    ivanova = db.scalar(select(m.User).where(m.User.login == "ivanova"))
    assert ivanova is not None and ivanova.role == "deputy" and ivanova.password_hash == ""
    assert ivanova.position == "заместитель директора по УВР"
    # No token is kept in the audit log or anywhere else but as a hash.
    tokens = [url.split("t=")[1] for url in urls]
    details = str(db.scalars(select(m.AuditEvent.details)).all())
    assert not any(t in details for t in tokens)
    actions = db.scalars(select(m.AuditEvent.action)).all()
    assert actions.count("user_created") == 3 and "users_imported" in actions

    app = make_app(engine, database_url)
    assert _set_password(app, urls[0], "ivanova-pass-1") == 302
    assert app.test_client().get(urls[0].removeprefix(BASE)).status_code == 404  # used
    assert app.test_client().get(urls[1].removeprefix(BASE) + "x").status_code == 404
    db.expire_all()
    assert authenticate(db, "ivanova", "ivanova-pass-1") is not None

    # Importing the same file again creates nothing: the logins exist.
    again = runner.invoke(main, ["import", "users", str(path), "--base-url", BASE])
    assert again.exit_code == 1 and "уже есть" in again.output


def test_import_users_reports_every_error_with_row_and_column_and_stores_nothing(
    cli_env: str, db: Session, tmp_path: Path
) -> None:
    _world(db)
    path = _csv(
        tmp_path,
        "login,full_name,role,school,district\n"
        "ok-one,Первый,deputy,N01,\n"
        "boss,Дубль,admin,,\n"
        "bad role,Второй,директор,,\n"
        "zam,Третий,deputy,X99,\n"
        "ok-one,Повтор,psychologist,,Северный район\n"
        "psy,Четвёртый,psychologist,,\n",
    )
    result = CliRunner().invoke(main, ["import", "users", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "ничего не импортировано" in out
    assert "строка 3, столбец A «login»: пользователь «boss» уже есть" in out
    assert "строка 4, столбец A «login»" in out and "строка 4, столбец C «role»" in out
    assert "строка 5, столбец D «school»" in out and "X99" in out
    assert "строка 6, столбец A «login»: логин «ok-one» повторяет строку 2" in out
    assert "строка 7, столбец E «district»" in out
    assert _logins(db) == {"boss"}


def test_a_file_with_a_password_column_is_refused(
    cli_env: str, db: Session, tmp_path: Path
) -> None:
    _world(db)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Логин", "Роль", "Код школы", "Пароль"])
    sheet.append(["zam", "deputy", "N01", "secret-123"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "users.xlsx"
    path.write_bytes(buffer.getvalue())
    result = CliRunner().invoke(main, ["import", "users", str(path)])
    assert result.exit_code == 1
    assert "строка 1, столбец D «Пароль»" in result.output
    assert "пароли в файлах не принимаются" in result.output
    assert "secret-123" not in result.output
    assert _logins(db) == {"boss"}


def test_user_add_with_link_reset_password_and_deactivate(
    cli_env: str, db: Session, engine, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    _world(db)
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "user", "add", "--role", "deputy", "--login", "zam", "--school", "N02",
            "--position", "заместитель директора", "--link", "--base-url", BASE,
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    login, url = added.stdout.strip().split("\t")
    assert login == "zam" and url.startswith(f"{BASE}/set-password?t=")
    app = make_app(engine, database_url)
    assert _set_password(app, url, "zam-password-1") == 302

    make_user(db, "coordinator", login="coord", district_name="Северный район")
    db.commit()
    reset = runner.invoke(main, ["user", "reset-password", "coord", "--base-url", BASE])
    assert reset.exit_code == 0, reset.output
    db.expire_all()
    assert authenticate(db, "coord", PASSWORD) is None
    new_url = reset.stdout.strip().split("\t")[1]
    assert _set_password(app, new_url, "coord-password-1") == 302

    off = runner.invoke(main, ["user", "deactivate", "zam"])
    assert off.exit_code == 0 and "отключена" in off.output
    db.expire_all()
    assert authenticate(db, "zam", "zam-password-1") is None
    missing = runner.invoke(main, ["user", "deactivate", "nobody"])
    assert missing.exit_code == 1 and "не найден" in missing.output
    actions = db.scalars(select(m.AuditEvent.action)).all()
    assert {"user_created", "password_reset", "user_deactivated"} <= set(actions)
