"""Importing a district's schools from CSV or XLSX: every row checked, all stored or none, a
school found again by its code is updated, never duplicated.

Columns are recognised by their Russian or English header (:data:`ALIASES`); every error names
the row and the column as the spreadsheet shows them. The administrator (and the command line)
may name districts that do not exist yet: they are created and reported. Anyone else may only
touch the schools of districts :func:`surveys.access.can_manage_district` lets them manage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import access, audit
from surveys import models as m
from surveys.districts import create_district, district_key, districts_by_key
from surveys.errors import InvalidInput
from surveys.imports.common import cell_text, normalise, short
from surveys.imports.files import read_table
from surveys.imports.reading import RowError
from surveys.schools import GRADES, LABELS, apply_school, in_campaigns, parse_fields, plan_school

#: field -> the headers it is recognised by (the first is the template's)
ALIASES: dict[str, tuple[str, ...]] = {
    "district": (
        "Район",
        "district",
        "муниципальный район",
        "муниципалитет",
        "муниципальное образование",
    ),
    "code": ("Код школы", "code", "school_code", "код оо", "код", "региональный код"),
    "name": ("Полное наименование", "name", "full_name", "наименование", "полное название"),
    "short_name": (
        "Краткое наименование",
        "short_name",
        "краткое название",
        "сокращенное наименование",
    ),
    "locality": ("Местность", "locality", "тип местности", "городская сельская"),
    "levels": ("Уровни образования", "levels", "уровни", "уровень образования"),
    "low_results": ("ШНОР", "low_results"),
    "adverse_conditions": ("ШНСУ", "adverse_conditions"),
    **{
        f"grade_{g}": (f"{g} класс", f"grade_{g}", f"{g} кл", f"класс {g}", f"{g} классы")
        for g in GRADES
    },
    "teachers": ("Педагогов", "teachers", "число педагогов", "количество педагогов", "педагоги"),
    "has_psychologist": ("Педагог-психолог", "has_psychologist", "психолог"),
    "has_speech_specialist": (
        "Логопед/дефектолог",
        "has_speech_specialist",
        "учитель-логопед/дефектолог",
        "учитель-логопед",
        "логопед",
        "дефектолог",
    ),
    "has_social_pedagogue": ("Социальный педагог", "has_social_pedagogue", "соцпедагог"),
}
REQUIRED = ("district", "code", "name", "locality", "levels")
ACTIONS = {"created": "создать", "updated": "обновить", "unchanged": "без изменений"}


@dataclass(frozen=True)
class PlannedSchool:
    """What the import does (or would do) with one row."""

    row: int
    code: str
    name: str
    district: str
    #: created, updated or unchanged
    action: str
    #: the labels of the fields it changes
    changed: list[str]


@dataclass
class SchoolImportReport:
    source: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    districts_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    planned: list[PlannedSchool] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.errors:
            lines = [f"Ошибок: {len(self.errors)}; ничего не загружено."]
            lines += [str(e) for e in self.errors[:500]]
            if len(self.errors) > 500:
                lines.append(f"…и ещё {len(self.errors) - 500}.")
            return "\n".join(lines)
        would = "будет " if self.dry_run else ""
        lines = [
            f"Строк: {self.rows}; школ {would}создано: {self.created}, {would}обновлено: "
            f"{self.updated}, без изменений: {self.unchanged}."
        ]
        if self.districts_created:
            verb = "Будут созданы районы" if self.dry_run else "Созданы районы"
            lines.append(f"{verb}: {', '.join(self.districts_created)}.")
        if self.ignored_columns:
            lines.append(f"Не распознаны и пропущены столбцы: {', '.join(self.ignored_columns)}.")
        if self.dry_run:
            lines.append("Пробный прогон: ничего не сохранено.")
        return "\n".join(lines)


def _label(index: int, header: str) -> str:
    letter = get_column_letter(index + 1)
    return f"{letter} «{short(header, 50)}»" if header else letter


def _columns(header_row: int, headers: list[Any], report: SchoolImportReport) -> dict[str, int]:
    wanted = {normalise(alias): key for key, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, raw in enumerate(headers):
        header = cell_text(raw) or ""
        if not header:
            continue
        key = wanted.get(normalise(header))
        if key is None:
            report.ignored_columns.append(_label(index, header))
        elif key in found:
            first = _label(found[key], cell_text(headers[found[key]]) or "")
            report.errors.append(
                RowError(header_row, _label(index, header), f"повторяет столбец {first}")
            )
        else:
            found[key] = index
    for key in REQUIRED:
        if key not in found:
            report.errors.append(RowError(header_row, f"«{LABELS[key]}»", "нет такого столбца"))
    return found


def import_schools(
    session: Session,
    data: bytes,
    name: str,
    *,
    user: m.User | None,
    dry_run: bool = False,
    via: str = "web",
) -> SchoolImportReport:
    """Check every row of a file of schools, then (unless ``dry_run`` or any error) store all.

    ``user`` is the signed-in account whose scope limits the rows (None: the command line,
    which works as the administrator). The report lists each row's planned action.
    """
    records = [
        (number, cells)
        for number, cells in read_table(data, name)
        if any(cell_text(c) is not None for c in cells)
    ]
    if not records:
        raise InvalidInput(f"Файл {name}: таблица пуста.")
    report = SchoolImportReport(source=name, dry_run=dry_run)
    header_row, headers = records[0]
    columns = _columns(header_row, headers, report)
    if report.errors:
        return report
    if len(records) == 1:
        raise InvalidInput(f"Файл {name}: под заголовками нет ни одной школы.")
    labels = {key: _label(index, cell_text(headers[index]) or "") for key, index in columns.items()}
    may_create = user is None or access.can_create_district(user)
    districts = districts_by_key(session)
    schools = {s.code: s for s in session.scalars(select(m.School))}
    new_districts: dict[str, str] = {}
    seen: dict[str, int] = {}
    work: list[tuple[m.School | None, str, dict[str, list[Any]]]] = []
    for row, cells in records[1:]:
        report.rows += 1
        values = {key: cells[i] if i < len(cells) else None for key, i in columns.items()}
        clean, errors = parse_fields(values)
        district = None
        key = district_key(clean.get("district", ""))
        if "district" in clean:
            district = districts.get(key)
            if district is None and not may_create:
                errors["district"] = (
                    f"района «{clean['district']}» нет; создать район может администратор"
                )
            elif (
                district is not None and user and not access.can_manage_district(user, district.id)
            ):
                errors["district"] = f"«{district.name}» — не ваш район, его школы менять нельзя"
        code = clean.get("code", "")
        school = schools.get(code)
        if code and code in seen:
            errors["code"] = f"код «{code}» уже встречался в строке {seen[code]}"
        elif school is not None and user and not access.can_manage_school(user, school):
            errors["code"] = f"код «{code}» занят школой другого района"
        elif (
            school is not None
            and "district" in clean
            and "district" not in errors
            and school.district_id != (district.id if district else None)
            and in_campaigns(session, school)
        ):
            errors["district"] = (
                f"школа «{code}» участвует в кампаниях своего района; перенос невозможен"
            )
        if code:
            seen.setdefault(code, row)
        changes, level_errors = plan_school(school, clean, columns.keys())
        for field_key, message in level_errors.items():
            errors.setdefault(field_key, message)
        for field_key, message in sorted(errors.items(), key=lambda e: columns[e[0]]):
            report.errors.append(RowError(row, labels[field_key], message))
        if errors:
            continue
        if district is None:
            new_districts.setdefault(key, clean["district"])
        moved = school is not None and school.district_id != (district.id if district else None)
        action = "created" if school is None else "updated" if changes or moved else "unchanged"
        setattr(report, action, getattr(report, action) + 1)
        changed = [LABELS.get(a, a) for a in changes] + (["Район"] if moved else [])
        if school is None:
            changed = []
        report.planned.append(
            PlannedSchool(
                row,
                code,
                clean["name"],
                district.name if district else clean["district"],
                action,
                _readable(changed),
            )
        )
        work.append((school, key, changes))
    report.districts_created = list(new_districts.values())
    if report.errors:
        report.planned.clear()
        return report
    if dry_run:
        return report
    user_id = user.id if user else None
    for key, district_name in new_districts.items():
        districts[key] = create_district(session, district_name, user_id=user_id, via=via)
    for school, key, changes in work:
        apply_school(
            session, school, districts[key], changes, user_id=user_id, via=via, source=name
        )
    audit.record(
        session,
        "schools_imported",
        user_id=user_id,
        target=name,
        details={
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "districts_created": report.districts_created,
            "via": via,
        },
    )
    session.flush()
    return report


def _readable(changed: list[str]) -> list[str]:
    """Field labels for a person: the levels' three flags as one, enrolment once."""
    out: list[str] = []
    for label in changed:
        if label.startswith("teaches_"):
            label = LABELS["levels"]
        elif label.startswith("enrolment"):
            label = "Обучающихся по классам"
        if label not in out:
            out.append(label)
    return out
