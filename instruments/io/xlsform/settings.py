"""Reading the ``settings`` sheet: the instrument's code, title, audience, grades, languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from instruments.io.xlsform.base import ReaderBase, Where, compact
from instruments.io.xlsform.columns import FORMAT_VERSION
from instruments.io.xlsform.sheets import Sheet, as_code, cell_text, filled, language_code
from instruments.schema import CODE_PATTERN, Audience

_SETTINGS_USED = frozenset(
    {
        "form_id",
        "form_title",
        "version",
        "audience",
        "grades",
        "languages",
        "default_language",
        "title::ru",
        "title::en",
        "title",
        "introduction",
        "introduction::ru",
        "introduction::en",
        "consent",
        "consent::ru",
        "consent::en",
        "notes",
        "rootcause_format",
    }
)


class SettingsReader(ReaderBase):
    """The ``settings`` sheet."""

    def read_settings(self) -> tuple[dict[str, Any], Where]:
        sheet = self.settings or Sheet("settings", {}, {}, [])
        row, values = sheet.first or (2 if self.settings else 1, ())
        columns = {
            "code": "form_id",
            "version": "version",
            "title": "form_title",
            "audience": "audience",
            "grades": "grades",
            "languages": "languages",
            "introduction": "introduction::ru",
            "consent": "consent::ru",
            "notes": "notes",
        }
        where = Where(sheet.title, row, {k: sheet.column(v) for k, v in columns.items()})
        if self.ours:
            fmt = sheet.get(values, "rootcause_format")
            if isinstance(fmt, int | float) and fmt > FORMAT_VERSION:
                self.fail(
                    sheet.title,
                    row,
                    "rootcause_format",
                    f"файл записан более новой версией rootcause (формат {fmt})",
                )
        language = self.word(sheet, values, "default_language")
        if language:
            self.default_language = language_code(language)
        title = self.localized(sheet, values, "title") or {}
        form_title = self.text(sheet, values, "form_title")
        if form_title and "ru" not in title:
            title = {"ru": form_title, **title}
        data: dict[str, Any] = {
            "code": self.word(sheet, values, "form_id"),
            "version": sheet.get(values, "version"),
            "title": title or None,
            "audience": self.word(sheet, values, "audience"),
            "grades": self.grades(sheet, row, values),
            "languages": self.languages(sheet, values),
            "introduction": self.localized(sheet, values, "introduction"),
            "consent": self.localized(sheet, values, "consent"),
            "notes": self.text(sheet, values, "notes"),
        }
        if not self.ours:
            self.plain_settings(sheet, row, values, data)
        return compact(data), where

    def grades(self, sheet: Sheet, row: int, values: tuple[Any, ...]) -> list[int] | None:
        text = self.word(sheet, values, "grades")
        if text is None:
            return None
        match = re.fullmatch(r"(\d{1,2})\s*[-–—]\s*(\d{1,2})", text)
        if match:
            return [int(match.group(1)), int(match.group(2))]
        self.skip(
            sheet,
            row,
            "grades",
            f"классы «{text}»",
            "классы записываются как «5-11» (от и до)",
            benign=not self.ours,
        )
        return None

    def languages(self, sheet: Sheet, values: tuple[Any, ...]) -> list[str] | None:
        text = self.word(sheet, values, "languages")
        if text is None:
            return None
        return [part.lower() for part in re.split(r"[\s,;]+", text) if part]

    def plain_settings(
        self, sheet: Sheet, row: int, values: tuple[Any, ...], data: dict[str, Any]
    ) -> None:
        stem = Path(self.source).stem if self.source.lower().endswith((".xlsx", ".xlsm")) else ""
        lead = "" if self.settings else "листа settings нет; "
        raw_code = data["code"]
        if raw_code is None or not re.fullmatch(CODE_PATTERN, raw_code):
            data["code"] = as_code(raw_code or stem or "imported_form", "form")
            origin = f"form_id «{raw_code}»" if raw_code else "имени файла"
            self.note(sheet, row, "код формы", f"{lead}взят из {origin}: '{data['code']}'")
        if not data["title"]:
            data["title"] = {"ru": stem or "Импортированная форма"}
            self.note(
                sheet,
                row,
                "название формы",
                f"{lead}form_title не указан: взято «{data['title']['ru']}»",
            )
        version = data["version"]
        if version is not None:
            number = cell_text(version)
            if number and re.fullmatch(r"\d+", number) and int(number) >= 1:
                data["version"] = int(number)
            else:
                data["version"] = None
                self.skip(
                    sheet,
                    row,
                    "version",
                    f"версия «{number}»",
                    "версия должна быть целым числом: взята 1",
                    benign=True,
                )
        audience = data["audience"]
        audiences = {a.value for a in Audience}
        if audience not in audiences:
            if audience is not None:
                self.skip(
                    sheet,
                    row,
                    "audience",
                    f"аудитория «{audience}»",
                    f"неизвестная аудитория (допустимы: {', '.join(sorted(audiences))})",
                    benign=True,
                )
            data["audience"] = Audience.student.value
            self.note(sheet, row, "аудитория", f"{lead}не указана: взято student (обучающиеся)")
        if data["languages"] is not None:
            kept = [lang for lang in data["languages"] if lang in ("ru", "en")]
            data["languages"] = kept if "ru" in kept else ["ru", *kept]
        ignored = [
            sheet.column(key)
            for key in sheet.columns
            if key not in _SETTINGS_USED and filled(sheet.get(values, key))
        ]
        if ignored:
            self.skip(
                sheet,
                row,
                None,
                "настройки " + ", ".join(ignored),
                "не используются в rootcause и не перенесены",
                benign=True,
            )
