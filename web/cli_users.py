"""``rootcause user`` and ``rootcause import users``: staff accounts from the command line.

A set-password link is printed once and stored nowhere (only its token's SHA-256 is kept);
the public address in it is ``--base-url`` or ``ROOTCAUSE_BASE_URL`` (web.cli_links).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from surveys.enums import Role
from web.cli_common import session_scope_cli
from web.cli_import import _read
from web.cli_links import BASE_URL_ENV

# The account services are imported by the commands that use them: `rootcause --help` must
# not load surveys.user_import (openpyxl), surveys.users, which hashes a dummy password
# (a tenth of a second of scrypt) when imported, nor the database
# (tests/web/test_cli_startup.py).

_base_url = click.option(
    "--base-url",
    default=lambda: os.environ.get(BASE_URL_ENV, "http://127.0.0.1:5000"),
    show_default=f"${BASE_URL_ENV} or http://127.0.0.1:5000",
    help="The public address of the site, for set-password links.",
)


def _link_note() -> None:
    from surveys.password_links import LIFETIME

    hours = int(LIFETIME.total_seconds() // 3600)
    click.echo(
        f"Ссылка показывается один раз; действует {hours} ч и один раз. Передайте её лично.",
        err=True,
    )


@click.group()
def user() -> None:
    """Manage staff accounts."""


@user.command("add")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="What the account may do.",
)
@click.option("--login", required=True, help="Login name.")
@click.option("--school", "school_code", help="School code (required for a deputy).")
@click.option("--district", "district_name", help="District name (coordinator, psychologist).")
@click.option("--name", "full_name", default="", help="Full name shown in the interface.")
@click.option("--position", default="", help="Position (должность), as documents sign it.")
@click.option(
    "--link",
    is_flag=True,
    help="Print a one-time set-password link instead of asking for a password.",
)
@_base_url
def user_add(
    role: str,
    login: str,
    school_code: str | None,
    district_name: str | None,
    full_name: str,
    position: str,
    link: bool,
    base_url: str,
) -> None:
    """Add a staff account; the password is asked for (or read from standard input), or with
    --link the account gets a one-time set-password link."""
    password: str | None = None
    if not link:
        if sys.stdin.isatty():
            password = click.prompt("Пароль", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    from surveys import audit
    from surveys.password_links import issue_token, link_url
    from surveys.users import create_user

    with session_scope_cli() as session:
        account = create_user(
            session,
            login=login,
            password=password,
            role=role,
            school_code=school_code,
            district_name=district_name,
            full_name=full_name,
            position=position,
        )
        token = issue_token(session, account) if link else None
        audit.record(
            session,
            "user_created",
            target=account.login,
            details={"role": account.role, "via": "cli"},
        )
    click.echo(f"Создан пользователь {account.login} ({account.role}).", err=token is not None)
    if token is not None:
        click.echo(f"{account.login}\t{link_url(base_url, token)}")
        _link_note()


@user.command("reset-password")
@click.argument("login")
@_base_url
def user_reset_password(login: str, base_url: str) -> None:
    """End LOGIN's password and sessions and print a one-time set-password link."""
    from surveys import audit
    from surveys.password_links import link_url, reset_password
    from surveys.users import user_by_login

    with session_scope_cli() as session:
        account = user_by_login(session, login)
        token = reset_password(session, account)
        audit.record(session, "password_reset", target=account.login, details={"via": "cli"})
    click.echo(f"{account.login}\t{link_url(base_url, token)}")
    _link_note()


@user.command("deactivate")
@click.argument("login")
def user_deactivate(login: str) -> None:
    """Deactivate LOGIN: its sessions end and it cannot sign in; its history stays."""
    from surveys import audit
    from surveys.users import set_active, user_by_login

    with session_scope_cli() as session:
        account = user_by_login(session, login)
        was_active = account.is_active
        set_active(session, account, False)
        if was_active:
            audit.record(session, "user_deactivated", target=account.login, details={"via": "cli"})
    click.echo(
        f"Учётная запись {account.login} отключена."
        if was_active
        else f"Учётная запись {account.login} уже отключена."
    )


@click.command("users")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; create nothing.")
@_base_url
def import_users_command(file: Path, dry_run: bool, base_url: str) -> None:
    """Create staff accounts from CSV or XLSX: login, full_name, role, school, district,
    position (Russian headers too: Логин, ФИО, Роль, Код школы, Район, Должность).

    All rows or none; every error names its row and column. A file with a password column is
    refused. Each new account's one-time set-password link is printed once, tab-separated
    after its login.
    """
    from surveys import audit
    from surveys.password_links import link_url
    from surveys.user_import import import_users

    data = _read(file)
    with session_scope_cli() as session:
        report = import_users(session, data, file.name, dry_run=dry_run)
        if not report.errors and not dry_run and report.accounts:
            for account in report.accounts:
                audit.record(
                    session,
                    "user_created",
                    target=account.login,
                    details={"role": account.role, "via": "cli import", "file": file.name},
                )
            audit.record(
                session,
                "users_imported",
                target=file.name,
                details={"created": len(report.accounts), "via": "cli"},
            )
    if report.errors:
        click.echo(str(report), err=True)
        sys.exit(1)
    click.echo(str(report), err=True)
    if dry_run:
        click.echo("Пробный прогон: ничего не создано.", err=True)
        return
    for account in report.accounts:
        click.echo(f"{account.login}\t{link_url(base_url, account.token or '')}")
    if report.accounts:
        _link_note()
