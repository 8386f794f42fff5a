"""Reading the ``survey`` sheet row by row: sections, nested groups, repeats and matrices."""

from __future__ import annotations

import re
from typing import Any

from instruments.io.xlsform.base import Frame, Node, Where
from instruments.io.xlsform.items import SELECT, ItemsReader
from instruments.io.xlsform.sheets import as_code, cell_flag, unique_code
from instruments.io.xlsform.xpath import Known
from instruments.schema import CODE_PATTERN, ItemType


class SurveyReader(ItemsReader):
    """The ``survey`` sheet: its groups become sections and matrices, its questions items."""

    def read_survey(self) -> None:
        sheet = self.survey
        frames: list[Frame] = []
        for row, values in sheet.rows:
            raw_type = self.word(sheet, values, "type")
            name = self.word(sheet, values, "name")
            if raw_type is None:
                self.skip(sheet, row, "type", f"строка '{name or ''}'", "не указан тип (type)")
                continue
            norm = " ".join(raw_type.split())
            keyword = re.sub(r"[\s_]+", " ", norm.lower())
            what = f"{norm} '{name}'" if name else norm
            outer = next((f for f in frames if f.kind in ("repeat", "skip")), None)
            if outer is not None:
                if keyword in ("end group", "end repeat"):
                    frames.pop()
                    continue
                if keyword.startswith("begin "):
                    frames.append(Frame("skip", row, name or ""))
                self.skip(
                    sheet,
                    row,
                    "type",
                    what,
                    f"внутри повторяющейся группы '{outer.name}' (строка {outer.row}): "
                    "не переносится",
                )
                continue
            if keyword == "begin repeat":
                self.skip(
                    sheet,
                    row,
                    "type",
                    what,
                    "повторяющаяся группа не поддерживается: её вопросы не перенесены",
                )
                frames.append(Frame("repeat", row, name or ""))
            elif keyword == "begin group":
                self.begin_group(row, values, name, frames)
            elif keyword in ("end group", "end repeat"):
                if not frames or (keyword == "end repeat") != (frames[-1].kind == "repeat"):
                    self.skip(sheet, row, "type", norm, f"{norm} без парной begin")
                    continue
                frame = frames.pop()
                if frame.kind == "matrix":
                    self.finish_matrix(frame)
                elif frame.kind == "section":
                    self.section = None
            elif frames and frames[-1].kind == "matrix":
                self.matrix_row(row, values, norm, name, frames[-1])
            else:
                self.question(row, values, norm, name, frames)
        for frame in reversed(frames):
            self.skip(
                sheet,
                frame.row,
                "type",
                f"группа '{frame.name}'",
                "группа не закрыта (нет end group)",
                benign=frame.kind in ("repeat", "skip"),
            )
            if frame.kind == "matrix":
                self.finish_matrix(frame)
        for node in list(self.sections):
            if not node.lists["items"] and not self.ours:
                self.sections.remove(node)
                self.skip(
                    sheet,
                    node.where.row,
                    None,
                    f"группа '{node.data['code']}'",
                    "в группе нет переносимых вопросов: раздел не создан",
                )

    def open_section(self, row: int, name: str | None, values: tuple[Any, ...]) -> Node:
        sheet = self.survey
        valid = name is not None and re.fullmatch(CODE_PATTERN, name) is not None
        if name is None or self.ours or (valid and name not in self.section_codes):
            code = name
        else:
            code = as_code(name, "section")
        if code is not None and not self.ours:
            wanted = code
            code = unique_code(code, self.section_codes)
            if code != name:
                self.note(sheet, row, f"группа '{name}'", f"код раздела '{code}' (из '{wanted}')")
        title = self.localized(sheet, values, "label")
        if title is None and not self.ours:
            title = {"ru": name or "Раздел"}
            self.note(sheet, row, f"группа '{name}'", "нет подписи: заголовком раздела взято имя")
        columns = {"code": sheet.column("name"), "title": self.text_column(sheet, "label")}
        node = Node(
            {"code": code, "title": title}, Where(sheet.title, row, columns), lists={"items": []}
        )
        self.sections.append(node)
        self.section = node
        return node

    def begin_group(
        self, row: int, values: tuple[Any, ...], name: str | None, frames: list[Frame]
    ) -> None:
        sheet = self.survey
        rtype = self.rootcause_type(row, values)
        what = f"группа '{name}'"
        if rtype == "matrix":
            if frames and frames[-1].kind == "matrix":
                self.fail(sheet.title, row, "rootcause_type", "матрица внутри матрицы")
            section = self.current_section(row)
            condition = self.condition(row, values, "матрица показывается всегда")
            data = {
                "code": name,
                "type": ItemType.matrix.value,
                "text": self.localized(sheet, values, "label"),
                "help": self.localized(sheet, values, "hint"),
                "relevant": condition,
                "integer": cell_flag(sheet.get(values, "integer")),
            }
            node = Node(data, self.item_where(row, values), lists={"rows": []})
            section.lists["items"].append(node)
            frames.append(Frame("matrix", row, name or "", node=node))
            self.note(sheet, row, what, f"→ матрица '{name}'")
            return
        if rtype not in (None, "section"):
            self.fail(sheet.title, row, "rootcause_type", f"группа не может быть '{rtype}'")
        if frames and frames[-1].kind == "matrix":
            self.fail(sheet.title, row, "type", "группа внутри матрицы")
        condition = self.condition(row, values, "вопросы группы показываются всегда")
        if not frames:
            node = self.open_section(row, name, values)
            frames.append(Frame("section", row, name or "", condition, node))
            self.note(sheet, row, what, f"→ раздел '{node.data['code']}'")
        else:
            frames.append(Frame("group", row, name or "", condition))
            into = self.section.data["code"] if self.section else ""
            self.note(sheet, row, what, f"вложенная группа: её вопросы отнесены к разделу '{into}'")

    def matrix_row(
        self,
        row: int,
        values: tuple[Any, ...],
        norm: str,
        name: str | None,
        frame: Frame,
    ) -> None:
        sheet = self.survey
        rtype = self.rootcause_type(row, values)
        select = SELECT.match(norm)
        if (
            rtype not in (None, "matrix_row", "likert")
            or select is None
            or (select.group("kind").lower() not in ("select_one", "select one"))
        ):
            self.fail(
                sheet.title,
                row,
                sheet.column("type"),
                "строка матрицы должна быть select_one <шкала ответов>",
            )
        list_name = select.group("list")
        if not self.check_list(row, list_name, norm):
            return
        code = self.item_code(row, name, norm)
        data = {
            "code": code,
            "text": self.localized(sheet, values, "label"),
            "help": self.localized(sheet, values, "hint"),
            "reverse": cell_flag(sheet.get(values, "reverse")),
        }
        matrix = frame.node
        if matrix is None:  # pragma: no cover - a matrix frame always has its node
            return
        matrix.lists["rows"].append(Node(data, self.item_where(row, values)))
        frame.scales.append((row, self.response_scale(list_name, row)))
        if len(matrix.lists["rows"]) == 1:
            matrix.data["required"] = cell_flag(sheet.get(values, "required"))
        if code is not None:
            self.kinds[code] = ("number", False)
            self.known[name or code] = Known(code, True, False)
            self.codes[name or code] = code

    def finish_matrix(self, frame: Frame) -> None:
        if frame.node is None:  # pragma: no cover - a matrix frame always has its node
            return
        scales = {scale for _, scale in frame.scales}
        if len(scales) > 1:
            row = next(r for r, s in frame.scales if s != frame.scales[0][1])
            self.fail(
                self.survey.title,
                row,
                self.survey.column("type"),
                "все строки матрицы должны отвечать на одной шкале ответов",
            )
        if scales:
            frame.node.data["response_scale"] = scales.pop()
