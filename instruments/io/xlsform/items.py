"""Reading question rows of the ``survey`` sheet: their types, texts, conditions and bounds."""

from __future__ import annotations

import re
from typing import Any

from instruments.expressions import ExpressionError, compile_condition
from instruments.io.xlsform.base import Frame, Node, Where
from instruments.io.xlsform.columns import DEFAULT_SECTION
from instruments.io.xlsform.scales import ScalesReader
from instruments.io.xlsform.sheets import as_code, cell_flag, filled, unique_code
from instruments.io.xlsform.xpath import FromXPath, Known, Untranslatable
from instruments.schema import CODE_PATTERN, ItemType

SELECT = re.compile(
    r"^(?P<kind>select_one|select_multiple|select one|select multiple|select all that apply)"
    r"(?:\s+from)?\s+(?P<list>\S+)(?P<other>\s+or_other)?$",
    re.IGNORECASE,
)
_META = "служебные данные устройства или сеанса, а не вопрос"
_MEDIA = "фото, аудио, видео и файлы не поддерживаются"
_UNSUPPORTED = {
    "note": "пояснительный текст без ответа",
    "calculate": "вычисляемое поле",
    "hidden": "скрытое поле",
    **dict.fromkeys(
        (
            "start",
            "end",
            "today",
            "deviceid",
            "subscriberid",
            "simserial",
            "phonenumber",
            "username",
            "email",
            "audit",
            "start-geopoint",
            "background-audio",
            "instanceid",
        ),
        _META,
    ),
    **dict.fromkeys(("geopoint", "geotrace", "geoshape"), "геоданные не поддерживаются"),
    **dict.fromkeys(("date", "time", "datetime"), "даты и время не поддерживаются"),
    **dict.fromkeys(("image", "audio", "video", "file", "photo"), _MEDIA),
    "barcode": "сканирование штрихкода не поддерживается",
    "acknowledge": "подтверждение (acknowledge) не поддерживается",
    "trigger": "подтверждение (trigger) не поддерживается",
    "rank": "ранжирование не поддерживается",
    "xml-external": "внешние данные не поддерживаются",
    "csv-external": "внешние данные не поддерживаются",
}
_EXTERNAL = ("select_one_from_file", "select_multiple_from_file", "select_one_external")
_TEXT_TYPES = frozenset({"text", "string"})
_INTEGER_TYPES = frozenset({"integer", "int"})
_PHONE_TYPES = frozenset({"phone number", "phone_number"})
#: rootcause_type -> the XLSForm base types it may be written with
_BASES: dict[str, frozenset[str]] = {
    "likert": frozenset({"select_one"}),
    "single_choice": frozenset({"select_one"}),
    "class_letter": frozenset({"select_one"}),
    "multiple_choice": frozenset({"select_multiple"}),
    "number": frozenset({"integer", "decimal", "range"}),
    "grade": frozenset({"integer"}),
    "text": frozenset({"text"}),
    "long_text": frozenset({"text"}),
}
_ROOTCAUSE_TYPES = frozenset({*_BASES, "section", "matrix", "matrix_row"})
#: columns of a question that have no counterpart here: reported when filled in
_IGNORED_COLUMNS = {
    "calculation": "вычисление",
    "choice_filter": "фильтр вариантов",
    "default": "значение по умолчанию",
    "read_only": "только для чтения",
    "trigger": "пересчёт",
    "repeat_count": "число повторов",
    "image": "картинка",
    "audio": "аудио",
    "video": "видео",
    "media": "медиафайл",
    "big-image": "картинка",
    "parameters": "параметры",
}
_SIMPLE_BOUND = re.compile(r"^\.\s*(>=|<=|>|<|=)\s*(-?\d+(?:\.\d+)?)$")
_SIMPLE_BOUND_REVERSED = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(<=|>=|<|>)\s*\.$")
_FLIP = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}


def _bounds(constraint: str, integer: bool) -> tuple[float | None, float | None] | None:
    """min and max from ``. >= 0 and . <= 100``; None when the constraint is anything else."""
    low: float | None = None
    high: float | None = None
    for raw in re.split(r"\s+and\s+", constraint.strip()):
        part = raw.strip()
        while part.startswith("(") and part.endswith(")"):
            part = part[1:-1].strip()
        match = _SIMPLE_BOUND.match(part)
        if match:
            op, number = match.group(1), float(match.group(2))
        elif reversed_match := _SIMPLE_BOUND_REVERSED.match(part):
            op, number = _FLIP[reversed_match.group(2)], float(reversed_match.group(1))
        else:
            return None
        if op in (">", "<"):
            if not (integer and number.is_integer()):
                return None
            number, op = (number + 1, ">=") if op == ">" else (number - 1, "<=")
        if op in (">=", "="):
            low = number if low is None else max(low, number)
        if op in ("<=", "="):
            high = number if high is None else min(high, number)
    return low, high


class ItemsReader(ScalesReader):
    """Question rows: one item each, in the current section."""

    def rootcause_type(self, row: int, values: tuple[Any, ...]) -> str | None:
        value = self.word(self.survey, values, "rootcause_type")
        if value is None:
            return None
        if value.lower() not in _ROOTCAUSE_TYPES:
            self.skip(
                self.survey,
                row,
                "rootcause_type",
                f"rootcause_type «{value}»",
                f"неизвестный тип rootcause '{value}'",
            )
            return None
        return value.lower()

    def current_section(self, row: int) -> Node:
        if self.section is None:
            code = unique_code(DEFAULT_SECTION, self.section_codes)
            node = Node(
                {"code": code, "title": {"ru": "Основные вопросы", "en": "Main questions"}},
                Where(self.survey.title, row, {"code": "name", "title": "label"}),
                lists={"items": []},
            )
            self.sections.append(node)
            self.section = node
            self.note(self.survey, row, "вопросы вне групп", f"собраны в раздел '{code}'")
        return self.section

    def item_where(self, row: int, values: tuple[Any, ...]) -> Where:
        sheet = self.survey
        has_ours = "rootcause_relevant" in sheet.columns and filled(
            sheet.get(values, "rootcause_relevant")
        )
        bounds = "min" if "min" in sheet.columns else "constraint"
        columns = {
            "code": "name",
            "type": "type",
            "response_scale": "type",
            "options": "type",
            "rows": "type",
            "required": "required",
            "reverse": "reverse",
            "integer": "integer",
            "max_choices": "max_choices",
            "relevant": "rootcause_relevant" if has_ours else "relevant",
            "min": bounds,
            "max": "max" if "max" in sheet.columns else "constraint",
        }
        shown = {k: sheet.column(v) for k, v in columns.items()}
        shown |= {
            "text": self.text_column(sheet, "label"),
            "help": self.text_column(sheet, "hint"),
            "unit": self.text_column(sheet, "unit"),
            "fact": self.text_column(sheet, "fact"),
        }
        return Where(sheet.title, row, shown)

    def condition(self, row: int, values: tuple[Any, ...], otherwise: str) -> str | None:
        sheet = self.survey
        ours = self.text(sheet, values, "rootcause_relevant")
        if ours is not None:
            return ours
        xpath = self.word(sheet, values, "relevant")
        if xpath is None:
            return None
        try:
            text = FromXPath(xpath, self.known).run()
            compile_condition(text, self.kinds)
        except (Untranslatable, ExpressionError) as exc:
            self.skip(
                sheet,
                row,
                "relevant",
                f"условие показа «{xpath}»",
                f"условие не переведено ({exc}): {otherwise}",
            )
            return None
        self.note(sheet, row, f"условие показа «{xpath}»", f"→ «{text}»")
        return text

    def required(self, row: int, values: tuple[Any, ...]) -> Any:
        value = self.survey.get(values, "required")
        flag = cell_flag(value)
        if flag is None or isinstance(flag, bool) or self.ours:
            return flag
        self.skip(
            self.survey,
            row,
            "required",
            f"обязательность «{value}»",
            "условная обязательность не поддерживается: вопрос необязательный",
        )
        return None

    def base_type(self, row: int, norm: str, what: str) -> tuple[str, str | None] | None:
        """The XLSForm base type and the choice list of a question row; None if not mapped."""
        sheet = self.survey
        low = norm.lower()
        select = SELECT.match(norm)
        if select:
            kind = select.group("kind").lower()
            if select.group("other"):
                self.skip(
                    sheet,
                    row,
                    "type",
                    what,
                    "вариант «другое» (or_other) не поддерживается: не перенесён",
                    benign=True,
                )
            base = "select_one" if kind in ("select_one", "select one") else "select_multiple"
            return base, select.group("list")
        if low in _TEXT_TYPES:
            return "text", None
        if low in _INTEGER_TYPES:
            return "integer", None
        if low in ("decimal", "range"):
            return low, None
        if low in _PHONE_TYPES:
            self.note(sheet, row, what, "номер телефона перенесён как текстовый вопрос")
            return "text", None
        if low.startswith(_EXTERNAL):
            reason = f"тип '{norm}' не переносится: варианты ответа во внешнем файле"
        elif low in _UNSUPPORTED:
            reason = f"тип '{norm}' не переносится: {_UNSUPPORTED[low]}"
        elif low.startswith("uri:"):
            reason = f"тип '{norm}' не переносится: {_META}"
        else:
            reason = f"неизвестный тип вопроса '{norm}'"
        self.skip(sheet, row, "type", what, reason)
        return None

    def item_code(self, row: int, name: str | None, what: str) -> str | None:
        if self.ours:
            if name is not None:
                self.item_codes.add(name)
            return name
        if name is not None and re.fullmatch(CODE_PATTERN, name) and name not in self.item_codes:
            self.item_codes.add(name)
            return name
        code = unique_code(as_code(name or f"q{row}", "q"), self.item_codes)
        if name is None:
            reason = f"нет имени: присвоен код '{code}'"
        elif re.fullmatch(CODE_PATTERN, name):
            reason = f"имя повторяется: присвоен код '{code}'"
        else:
            reason = f"имя не годится как код: заменено на '{code}'"
        self.note(self.survey, row, what, reason)
        return code

    def check_list(self, row: int, list_name: str, what: str) -> bool:
        if list_name in self.lists:
            return True
        self.skip(
            self.survey,
            row,
            "type",
            what,
            f"список вариантов '{list_name}' не найден на листе choices",
        )
        return False

    def question(
        self,
        row: int,
        values: tuple[Any, ...],
        norm: str,
        name: str | None,
        frames: list[Frame],
    ) -> None:
        sheet = self.survey
        what = f"{norm} '{name}'" if name else norm
        rtype = self.rootcause_type(row, values)
        appearance = (self.word(sheet, values, "appearance") or "").lower().split()
        parsed = self.base_type(row, norm, what)
        if parsed is None:
            return
        base, list_name = parsed
        if list_name is not None and not self.check_list(row, list_name, what):
            return
        if rtype is not None:
            if rtype not in _BASES or base not in _BASES[rtype]:
                self.fail(
                    sheet.title,
                    row,
                    sheet.column("type"),
                    f"тип '{norm}' не подходит для rootcause_type '{rtype}'",
                )
            item_type = ItemType(rtype)
        elif base == "select_one" and list_name is not None:
            numeric = all(isinstance(n.data["value"], int) for n in self.options(list_name))
            likert = "likert" in appearance and numeric and len(self.options(list_name)) >= 2
            item_type = ItemType.likert if likert else ItemType.single_choice
        elif base == "select_multiple":
            item_type = ItemType.multiple_choice
        elif base == "text":
            item_type = ItemType.long_text if "multiline" in appearance else ItemType.text
        else:
            item_type = ItemType.number
        code = self.item_code(row, name, what)
        text = self.localized(sheet, values, "label")
        if text is None and not self.ours:
            text = {"ru": name or code or "?"}
            self.note(sheet, row, what, "нет подписи: текстом вопроса взято имя")
        if text and not self.ours and any("${" in t for t in text.values()):
            self.skip(
                sheet,
                row,
                "label",
                what,
                "подстановка ответов ${…} в тексте не поддерживается: текст перенесён как есть",
                benign=True,
            )
        own = self.condition(row, values, "вопрос показывается всегда")
        parts = [f.condition for f in frames if f.kind in ("section", "group") and f.condition]
        parts += [own] if own else []
        relevant = parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts) or None
        data: dict[str, Any] = {
            "code": code,
            "type": item_type.value,
            "text": text,
            "help": self.localized(sheet, values, "hint"),
            "required": self.required(row, values),
            "relevant": relevant,
            "reverse": cell_flag(sheet.get(values, "reverse")),
            "integer": cell_flag(sheet.get(values, "integer")),
            "unit": self.localized(sheet, values, "unit"),
            "max_choices": sheet.get(values, "max_choices"),
            "fact": self.localized(sheet, values, "fact"),
            "min": sheet.get(values, "min"),
            "max": sheet.get(values, "max"),
        }
        node = Node(data, self.item_where(row, values))
        if base == "decimal":
            data["integer"] = False
        if item_type is ItemType.likert and list_name is not None:
            data["response_scale"] = self.response_scale(list_name, row)
        elif list_name is not None and not (
            item_type is ItemType.class_letter and self.list_kinds.get(list_name) == "class_letters"
        ):
            node.lists["options"] = self.options(list_name)
        if item_type is ItemType.number and (not self.ours or rtype is None):
            self.number_bounds(row, values, base, data, what)
        elif not self.ours and filled(sheet.get(values, "constraint")):
            self.skip(
                sheet,
                row,
                "constraint",
                f"ограничение «{self.word(sheet, values, 'constraint')}»",
                "проверки ответа, кроме границ числа, не поддерживаются: не перенесено",
            )
        if not self.ours:
            self.report_ignored_columns(row, values, what, base)
        self.current_section(row).lists["items"].append(node)
        self.register(name, code, item_type, node)
        self.note(sheet, row, what, f"→ {item_type.value} '{code}'")

    def register(self, name: str | None, code: str | None, item_type: ItemType, node: Node) -> None:
        if code is None:
            return
        options = node.lists.get("options") or []
        multiple = item_type is ItemType.multiple_choice
        textual = item_type in (ItemType.text, ItemType.long_text) or any(
            isinstance(o.data["value"], str) for o in options
        )
        self.kinds[code] = ("text" if textual else "number", multiple)
        self.known[name or code] = Known(code, not textual, multiple)
        self.codes[name or code] = code

    def number_bounds(
        self, row: int, values: tuple[Any, ...], base: str, data: dict[str, Any], what: str
    ) -> None:
        sheet = self.survey
        integer = base != "decimal" and data.get("integer") is not False
        if base == "range":
            params = self.word(sheet, values, "parameters") or ""
            found = dict(re.findall(r"(start|end|step)\s*=\s*(-?\d+(?:\.\d+)?)", params))
            if "start" in found and data["min"] is None:
                data["min"] = float(found["start"])
            if "end" in found and data["max"] is None:
                data["max"] = float(found["end"])
            if "step" in found and not float(found["step"]).is_integer():
                data["integer"] = False
        constraint = self.word(sheet, values, "constraint")
        if constraint is None or data["min"] is not None or data["max"] is not None:
            return
        bounds = _bounds(constraint, integer)
        if bounds is None:
            self.skip(
                sheet,
                row,
                "constraint",
                f"ограничение «{constraint}»",
                "сложное ограничение не переводится (только вида . >= 0 and . <= 100): "
                "не перенесено",
            )
            return
        data["min"], data["max"] = bounds
        self.note(sheet, row, f"ограничение «{constraint}»", f"→ границы {bounds[0]}…{bounds[1]}")

    def report_ignored_columns(
        self, row: int, values: tuple[Any, ...], what: str, base: str
    ) -> None:
        sheet = self.survey
        ignored = []
        for key in sheet.columns:
            column = key.split("::", 1)[0]
            if column == "parameters" and base == "range":
                continue
            if column in _IGNORED_COLUMNS and filled(sheet.get(values, key)):
                ignored.append(sheet.column(key))
        if ignored:
            self.skip(
                sheet,
                row,
                None,
                f"{what}: {', '.join(ignored)}",
                "не поддерживается и не перенесено",
                benign=True,
            )
