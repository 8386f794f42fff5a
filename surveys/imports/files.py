"""Reading CSV and XLSX files into rows of cells, and recognising the timestamp, e-mail and
record-number columns that are never imported."""

from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
from pathlib import PurePath
from typing import Any

from openpyxl import load_workbook

from surveys.errors import InvalidInput
from surveys.imports.common import ANSWERS_SHEET, normalise

# Normalised headers of the columns form services add on their own: when the answer was sent,
# and who sent it. Neither is imported: only the date of the import is stored.
_TIMESTAMP_HEADERS = frozenset(
    {
        "отметка времени",
        "timestamp",
        "время создания",
        "время изменения",
        "время отправки",
        "время заполнения",
        "время начала",
        "время окончания",
        "дата создания",
        "дата и время",
        "дата заполнения",
        "дата отправки",
        "submitted at",
        "submission time",
        "created at",
        "start time",
        "completion time",
    }
)
_EMAIL_HEADERS = frozenset(
    {
        "адрес электронной почты",
        "электронная почта",
        "эл почта",
        "почта",
        "email",
        "e mail",
        "email address",
        "e mail address",
        "адрес почты",
    }
)
# The service's own number for an answer (Yandex Forms' "ID"): it points back to the stored
# record there (with its time and, for signed-in users, the account), so it is not imported.
_RECORD_ID_HEADERS = frozenset(
    {"id", "идентификатор", "идентификатор ответа", "номер ответа", "response id"}
)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        f"Файл {name}: не удалось определить кодировку; сохраните его в UTF-8 или Windows-1251."
    )


def _delimiter(text: str) -> str:
    sample = text[:65536]
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in (",", ";", "\t"):
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            rows = [r for r in itertools.islice(reader, 50) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        # The sample may cut the last record short: it does not count.
        body = rows[1:-1] if len(rows) > 2 else rows[1:]
        share = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (width > 1, share, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_records(text: str) -> list[tuple[int, list[str]]]:
    """Records with their row numbers as a spreadsheet shows them (a record is one row even
    when a quoted cell holds line breaks)."""
    delimiter = _delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return list(enumerate(reader, start=1))
    except csv.Error as exc:
        raise InvalidInput(f"Файл CSV не читается: {exc}.") from None


def _xlsx_records(data: bytes, name: str) -> list[tuple[int, list[Any]]]:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation extensions, styles…).
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = {str(ws.title).strip().lower(): ws for ws in workbook.worksheets}
                worksheet = sheets.get(ANSWERS_SHEET) or workbook.worksheets[0]
                worksheet.reset_dimensions()
                records = [
                    (number, list(values))
                    for number, values in enumerate(
                        worksheet.iter_rows(values_only=True),
                        start=1,
                    )
                ]
            finally:
                workbook.close()
    except Exception as exc:  # openpyxl fails in many ways on a damaged file; none may escape
        raise InvalidInput(
            f"Файл {name}: XLSX повреждён или не читается ({type(exc).__name__})."
        ) from None
    return records


def read_table(data: bytes, name: str) -> list[tuple[int, list[Any]]]:
    suffix = PurePath(name).suffix.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise InvalidInput(
            f"Файл {name}: это старый формат XLS; сохраните таблицу как .xlsx или .csv."
        )
    if data.startswith(b"PK") or suffix in (".xlsx", ".xlsm"):
        return _xlsx_records(data, name)
    if suffix in (".csv", ".tsv", ".txt", ""):
        return csv_records(decode(data, name))
    raise InvalidInput(f"Файл {name}: ожидается таблица .csv или .xlsx.")


def is_dropped(header: str, cells: list[str]) -> bool:
    key = normalise(header)
    if key in _TIMESTAMP_HEADERS or key in _EMAIL_HEADERS or key in _RECORD_ID_HEADERS:
        return True
    if "email" in key.replace(" ", "") or ("электронн" in key and "почт" in key):
        return True
    # A column of addresses, whatever its header says.
    return bool(cells) and sum(bool(_EMAIL_RE.match(c)) for c in cells) * 2 >= len(cells)
