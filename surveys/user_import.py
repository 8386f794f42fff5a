"""Importing staff accounts from CSV or XLSX: a whole district at once, all rows or none, each
new account given a one-time set-password link (never a password from a file).

Columns are recognised by their Russian or English header (:data:`ALIASES`); every error
names the row and the column as the spreadsheet shows them. A file with a password column is
refused as a whole: a password that has sat in a spreadsheet (mailed, copied, on a shared
drive) is not a secret any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.errors import InvalidInput, SurveysError
from surveys.imports.common import cell_text, normalise, short
from surveys.imports.files import read_table
from surveys.imports.reading import RowError
from surveys.password_links import issue_token
from surveys.users import AccountFields, create_user, resolve_scope

#: field -> the headers it is recognised by (the first is how messages name it)
ALIASES: dict[str, tuple[str, ...]] = {
    "login": ("Логин", "login", "имя пользователя", "username", "user"),
    "full_name": ("ФИО", "full_name", "full name", "фамилия имя отчество", "имя"),
    "role": ("Роль", "role"),
    "school_code": ("Код школы", "school", "school_code", "код оо", "школа"),
    "district": ("Район", "district", "муниципальный район", "муниципалитет"),
    "position": ("Должность", "position"),
}
REQUIRED = ("login", "role")

#: how a role may be written in a file -> the role
ROLE_WORDS: dict[str, str] = {
    **{normalise(r.value): r.value for r in m.Role},
    "администратор": "admin",
    "админ": "admin",
    "координатор": "coordinator",
    "муниципальный координатор": "coordinator",
    "психолог": "psychologist",
    "педагог психолог": "psychologist",
    "заместитель директора": "deputy",
    "заместитель директора по увр": "deputy",
    "заместитель": "deputy",
    "зам директора": "deputy",
    "завуч": "deputy",
}


def _is_password_header(header: str) -> bool:
    key = normalise(header).replace(" ", "")
    return any(word in key for word in ("пароль", "password", "passwd", "pwd", "hash", "хеш"))


@dataclass(frozen=True)
class ImportedAccount:
    row: int
    login: str
    role: str
    #: the set-password token (None in a dry run)
    token: str | None


@dataclass
class UserImportReport:
    rows: int = 0
    accounts: list[ImportedAccount] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def __str__(self) -> str:
        if self.errors:
            lines = [f"Ошибок: {len(self.errors)}; ничего не импортировано."]
            lines += [str(e) for e in self.errors[:200]]
            if len(self.errors) > 200:
                lines.append(f"…и ещё {len(self.errors) - 200}.")
            return "\n".join(lines)
        if self.dry_run:
            return f"Строк: {self.rows}; будет создано учётных записей: {len(self.accounts)}."
        return f"Строк: {self.rows}; создано учётных записей: {len(self.accounts)}."


def _columns(header_row: int, headers: list[Any], report: UserImportReport) -> dict[str, int]:
    wanted = {normalise(a): key for key, aliases in ALIASES.items() for a in aliases}
    found: dict[str, int] = {}
    for index, raw in enumerate(headers):
        header = cell_text(raw) or ""
        label = f"{get_column_letter(index + 1)} «{short(header, 40)}»"
        if header and _is_password_header(header):
            report.errors.append(
                RowError(
                    header_row,
                    label,
                    "в файле есть столбец пароля: пароли в файлах не принимаются (файл "
                    "пересылают и копируют, и пароль перестаёт быть тайной). Удалите столбец: "
                    "каждый новый пользователь получит одноразовую ссылку для установки пароля",
                )
            )
            continue
        key = wanted.get(normalise(header))
        if key is None:
            continue
        if key in found:
            first = get_column_letter(found[key] + 1)
            report.errors.append(
                RowError(header_row, label, f"столбец «{ALIASES[key][0]}» уже есть ({first})")
            )
            continue
        found[key] = index
    for key in REQUIRED:
        if key not in found:
            report.errors.append(
                RowError(header_row, "", f"нет столбца «{ALIASES[key][0]}» ({ALIASES[key][1]})")
            )
    return found


def import_users(
    session: Session,
    data: bytes,
    name: str,
    *,
    dry_run: bool = False,
    created_by: m.User | None = None,
) -> UserImportReport:
    """Check every row, then (unless ``dry_run`` or any error) create every account with a
    set-password token. An existing login is an error: the file creates accounts, it does not
    change them (their pages do)."""
    report = UserImportReport(dry_run=dry_run)
    records = [
        (n, cells) for n, cells in read_table(data, name) if any(cell_text(c) for c in cells)
    ]
    if not records:
        raise InvalidInput(f"Файл {name}: таблица пуста.")
    header_row, headers = records[0]
    columns = _columns(header_row, headers, report)
    if report.errors:
        return report
    labels = {
        key: f"{get_column_letter(i + 1)} «{short(cell_text(headers[i]) or '', 40)}»"
        for key, i in columns.items()
    }
    existing = set(session.scalars(select(m.User.login)))
    seen: dict[str, int] = {}
    planned: list[tuple[int, dict[str, str | None]]] = []
    for number, cells in records[1:]:
        values: dict[str, str | None] = {
            key: cell_text(cells[i]) if i < len(cells) else None for key, i in columns.items()
        }
        report.rows += 1
        errors_before = len(report.errors)

        def error(key: str, message: str, number: int = number) -> None:
            report.errors.append(RowError(number, labels.get(key, ALIASES[key][0]), message))

        login = values.get("login") or ""
        if not login:
            error("login", "не указан логин")
        elif any(c.isspace() for c in login) or len(login) > 100:
            error("login", f"логин «{short(login, 40)}»: без пробелов, не длиннее 100 символов")
        elif login in existing:
            error("login", f"пользователь «{login}» уже есть")
        elif login in seen:
            error("login", f"логин «{login}» повторяет строку {seen[login]}")
        else:
            seen[login] = number
        role_text = values.get("role") or ""
        role = ROLE_WORDS.get(normalise(role_text))
        if role is None:
            error(
                "role",
                f"неизвестная роль «{short(role_text, 40)}»: допустимы администратор, "
                "координатор, психолог, заместитель директора (или admin, coordinator, "
                "psychologist, deputy)",
            )
        if len(report.errors) > errors_before or role is None:
            continue
        try:
            # The rules of an account made on its page (surveys.users), nothing written yet.
            resolve_scope(
                session,
                AccountFields(
                    role=role,
                    school_code=values.get("school_code"),
                    district_name=values.get("district"),
                ),
            )
        except SurveysError as exc:
            error(_column_of(exc.message, role), exc.message.rstrip("."))
            continue
        planned.append((number, {**values, "login": login, "role": role}))
    if report.errors:
        return report
    for number, values in planned:
        token = None
        if not dry_run:
            account = create_user(
                session,
                login=values["login"] or "",
                role=values["role"] or "",
                school_code=values.get("school_code"),
                district_name=values.get("district"),
                full_name=values.get("full_name") or "",
                position=values.get("position") or "",
            )
            token = issue_token(session, account, created_by=created_by)
        report.accounts.append(
            ImportedAccount(number, values["login"] or "", values["role"] or "", token)
        )
    return report


def _column_of(message: str, role: str) -> str:
    """The column a scope error of :func:`surveys.users.create_user` is about."""
    lowered = message.lower()
    if "школ" in lowered and ("район" not in lowered or role == m.Role.deputy):
        return "school_code"
    if "район" in lowered:
        return "district"
    return "role"
