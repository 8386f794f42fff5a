"""Importing assessment results (ВПР, ОГЭ, ЕГЭ, term marks) per school, subject and grade.

A table (CSV or XLSX) with the columns below — Russian headers are recognised too — is checked
row by row; any error stops the whole import (nothing is half-imported), and each error names
the row as the spreadsheet shows it and the column. A row for a school, year, assessment,
subject and grade that is already stored replaces it (a corrected file can be loaded again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.errors import InvalidInput
from surveys.imports.common import cell_text, normalise
from surveys.imports.files import read_table

ASSESSMENTS = {"впр": "ВПР", "огэ": "ОГЭ", "егэ": "ЕГЭ", "четверть": "четверть", "год": "год"}
COLUMNS: dict[str, tuple[str, ...]] = {
    "school_code": ("school_code", "код школы", "код оо", "школа"),
    "year": ("year", "год", "учебный год"),
    "assessment": ("assessment", "процедура", "оценочная процедура"),
    "subject": ("subject", "предмет"),
    "grade": ("grade", "класс", "параллель"),
    "participants": ("participants", "участников", "число участников", "писали"),
    "mean_score": ("mean_score", "средний балл", "средняя отметка"),
    "share_failing": ("share_failing", "доля 2", "доля двоек", "доля неудовлетворительных"),
}
REQUIRED = ("school_code", "year", "assessment", "subject", "grade", "participants")


@dataclass
class ResultsReport:
    rows: int = 0
    stored: int = 0
    replaced: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        if self.errors:
            lines = [f"Ошибок: {len(self.errors)}; ничего не загружено."]
            lines += [f"строка {r}, столбец «{c}»: {msg}" for r, c, msg in self.errors[:200]]
            if len(self.errors) > 200:
                lines.append(f"…и ещё {len(self.errors) - 200}.")
            return "\n".join(lines)
        return f"Строк: {self.rows}; загружено новых: {self.stored}, заменено: {self.replaced}."


def _number(text: str | None, *, integer: bool = False) -> float | None:
    if text is None or text.strip() == "":
        return None
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    percent = cleaned.endswith("%")
    value = float(cleaned.rstrip("%"))  # ValueError for the caller
    if not math.isfinite(value):
        raise ValueError("не число")
    if integer and value != int(value):
        raise ValueError("нужно целое число")
    return value / 100 if percent else value


def _header_map(headers: list[Any]) -> dict[str, int]:
    wanted = {normalise(alias): key for key, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = wanted.get(normalise(cell_text(header) or ""))
        if key and key not in found:
            found[key] = index
    return found


def import_results(
    session: Session,
    data: bytes,
    name: str,
    *,
    dry_run: bool = False,
    district_id: int | None = None,
) -> ResultsReport:
    """Check every row, then (unless ``dry_run`` or any error) store them all. With
    ``district_id`` only that district's schools may appear in the file."""
    records = read_table(data, name)
    if not records:
        raise InvalidInput(f"Файл {name}: таблица пуста.")
    header_row, headers = records[0]
    columns = _header_map(headers)
    missing = [c for c in REQUIRED if c not in columns]
    report = ResultsReport()
    if missing:
        for key in missing:
            report.errors.append((header_row, COLUMNS[key][1], "нет такого столбца"))
        return report
    query = select(m.School)
    if district_id is not None:
        query = query.where(m.School.district_id == district_id)
    schools = {s.code: s for s in session.scalars(query)}
    parsed: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row_number, cells in records[1:]:

        def cell(key: str, cells: list[Any] = cells) -> str | None:
            index = columns.get(key)
            return None if index is None or index >= len(cells) else cell_text(cells[index])

        if all(cell(k) in (None, "") for k in columns):
            continue
        report.rows += 1
        errors: list[tuple[str, str]] = []
        code = (cell("school_code") or "").strip()
        if code not in schools:
            errors.append(("school_code", f"нет школы с кодом «{code}»"))
        values: dict[str, Any] = {}
        for key, integer in (
            ("year", True),
            ("grade", True),
            ("participants", True),
            ("mean_score", False),
            ("share_failing", False),
        ):
            try:
                values[key] = _number(cell(key), integer=integer)
            except ValueError:
                errors.append((key, f"«{cell(key)}» — не число"))
        assessment = ASSESSMENTS.get((cell("assessment") or "").strip().lower())
        if assessment is None:
            errors.append(
                (
                    "assessment",
                    f"неизвестная процедура «{cell('assessment')}»: "
                    f"допустимы {', '.join(ASSESSMENTS.values())}",
                )
            )
        subject = (cell("subject") or "").strip()
        if not subject:
            errors.append(("subject", "не указан предмет"))
        for key in REQUIRED[1:]:
            if key in ("assessment", "subject"):
                continue
            if values.get(key) is None and not any(e[0] == key for e in errors):
                errors.append((key, "не заполнено"))
        year, grade, participants = (
            values.get("year"),
            values.get("grade"),
            values.get("participants"),
        )
        if year is not None and not 2000 <= year <= 2100:
            errors.append(("year", "год вне 2000–2100"))
        if grade is not None and not 1 <= grade <= 11:
            errors.append(("grade", "класс вне 1–11"))
        if participants is not None and participants < 0:
            errors.append(("participants", "отрицательное число участников"))
        share = values.get("share_failing")
        if share is not None and share > 1 and share <= 100:
            share = share / 100  # written as percent without the sign
        if share is not None and not 0 <= share <= 1:
            errors.append(("share_failing", "доля должна быть от 0 до 1 (или от 0 до 100 %)"))
        identity = (code, year, assessment, subject.lower(), grade)
        if not errors and identity in seen:
            errors.append(("school_code", f"повтор строки {seen[identity]}"))
        for column, message in errors:
            report.errors.append((row_number, COLUMNS[column][1], message))
        if errors:
            continue
        seen[identity] = row_number
        parsed.append(
            {
                "school_id": schools[code].id,
                "year": int(year or 0),
                "assessment": assessment,
                "subject": subject,
                "grade": int(grade or 0),
                "participants": int(participants or 0),
                "mean_score": values.get("mean_score"),
                "share_failing": share,
            }
        )
    if report.errors or dry_run:
        return report
    for row in parsed:
        existing = session.scalar(
            select(m.AssessmentResult).where(
                m.AssessmentResult.school_id == row["school_id"],
                m.AssessmentResult.year == row["year"],
                m.AssessmentResult.assessment == row["assessment"],
                m.AssessmentResult.subject == row["subject"],
                m.AssessmentResult.grade == row["grade"],
            )
        )
        if existing is None:
            session.add(m.AssessmentResult(**row))
            report.stored += 1
        else:
            for column, value in row.items():
                setattr(existing, column, value)
            report.replaced += 1
    session.flush()
    return report
