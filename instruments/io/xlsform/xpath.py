"""Translation of show conditions between rootcause's condition language and XLSForm XPath."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from instruments.expressions import Token, tokenize


class _ToXPath:
    """Rootcause's condition language (already validated) written as an XLSForm ``relevant``."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def take(self, kind: str, text: str | None = None) -> Token | None:
        token = self.tokens[self.index]
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def need(self, kind: str, text: str | None = None) -> Token:
        token = self.take(kind, text)
        if token is None:
            raise ValueError(text or kind)
        return token

    def run(self) -> str:
        out = self.expr()
        self.need("end")
        return out

    def expr(self) -> str:
        parts = [self.and_expr()]
        while self.take("keyword", "or"):
            parts.append(self.and_expr())
        return " or ".join(parts)

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while self.take("keyword", "and"):
            parts.append(self.not_expr())
        return " and ".join(parts)

    def not_expr(self) -> str:
        if self.take("keyword", "not"):
            return f"not({self.not_expr()})"
        return self.comparison()

    def comparison(self) -> str:
        left = self.operand()
        negate = self.take("keyword", "not") is not None
        if negate or self.take("keyword", "in"):
            if negate:
                self.need("keyword", "in")
            self.need("punct", "[")
            values = [self.literal()]
            while self.take("punct", ","):
                values.append(self.literal())
            self.need("punct", "]")
            inner = " or ".join(f"{left} = {value}" for value in values)
            return f"not({inner})" if negate else f"({inner})"
        op = self.take("op")
        if op is None:
            return left
        return f"{left} {'=' if op.text == '==' else op.text} {self.operand()}"

    def literal(self) -> str:
        token = self.take("number") or self.need("string")
        return token.text

    def operand(self) -> str:
        if token := (self.take("number") or self.take("string")):
            return token.text
        if self.take("punct", "("):
            inner = self.expr()
            self.need("punct", ")")
            return f"({inner})"
        if self.take("keyword", "answered"):
            self.need("punct", "(")
            code = self.need("word").text
            self.need("punct", ")")
            return f"${{{code}}} != ''"
        if self.take("keyword", "selected"):
            self.need("punct", "(")
            code = self.need("word").text
            self.need("punct", ",")
            value = self.literal()
            self.need("punct", ")")
            if not value.startswith(("'", '"')):
                value = f"'{value}'"
            return f"selected(${{{code}}}, {value})"
        return f"${{{self.need('word').text}}}"


def to_xpath(text: str) -> str | None:
    try:
        return _ToXPath(text).run()
    except (ValueError, IndexError):
        return None


class Untranslatable(Exception):
    """An XLSForm expression with no equivalent in the condition language."""


@dataclass(frozen=True)
class Known:
    """A question already imported, as seen from a condition."""

    code: str
    numeric: bool  # answers compare as numbers
    multiple: bool  # answers are lists (multiple choice)


@dataclass(frozen=True)
class _Part:
    text: str
    kind: str  # "bool", "ref", "number" or "string"
    known: Known | None = None

    @property
    def question(self) -> Known:
        if self.known is None:
            raise Untranslatable(f"«{self.text}» не вопрос")
        return self.known


_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_XPATH_TOKEN = re.compile(
    r"""\s*(?:
        \$\{\s*(?P<ref>[^}]*?)\s*\}
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][\w.:-]*)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def _quote(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise Untranslatable("значение содержит оба вида кавычек")


class FromXPath:
    """An XLSForm ``relevant`` translated into the condition language."""

    def __init__(self, text: str, known: Mapping[str, Known]) -> None:
        self.known = known
        self.tokens: list[tuple[str, str]] = []
        text = text.translate(_QUOTES)
        index = 0
        while text[index:].strip():
            match = _XPATH_TOKEN.match(text, index)
            if match is None:  # pragma: no cover - the pattern matches any non-blank character
                raise Untranslatable("непонятный символ")
            kind = match.lastgroup or "other"
            self.tokens.append((kind, match.group(kind)))
            index = match.end()
        self.tokens.append(("end", ""))
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def take(self, kind: str, text: str | None = None) -> str | None:
        token_kind, token_text = self.peek()
        if token_kind == kind and (text is None or token_text == text):
            self.index += 1
            return token_text
        return None

    def need(self, kind: str, text: str) -> None:
        if self.take(kind, text) is None:
            found = self.peek()[1] or "конец выражения"
            raise Untranslatable(f"ожидалось «{text}», а найдено «{found}»")

    def run(self) -> str:
        part = self.or_expr()
        if self.peek()[0] != "end":
            raise Untranslatable(f"не поддерживается «{self.peek()[1]}»")
        if part.kind != "bool":
            raise Untranslatable("это не условие")
        return part.text

    def or_expr(self) -> _Part:
        return self.chain("or", self.and_expr)

    def and_expr(self) -> _Part:
        return self.chain("and", self.unary)

    def chain(self, word: str, operand: Callable[[], _Part]) -> _Part:
        parts = [operand()]
        while self.take("word", word):
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]
        if any(p.kind != "bool" for p in parts):
            raise Untranslatable(f"«{word}» соединяет не условия")
        return _Part(f" {word} ".join(p.text for p in parts), "bool")

    def unary(self) -> _Part:
        if self.peek() == ("word", "not") and self.peek(1) == ("punct", "("):
            self.index += 2
            inner = self.or_expr()
            self.need("punct", ")")
            if inner.kind != "bool":
                raise Untranslatable("not() применяется не к условию")
            return _Part(f"not ({inner.text})", "bool")
        return self.comparison()

    def comparison(self) -> _Part:
        left = self.primary()
        op = self.take("op")
        if op is None:
            return left
        return self.compare(left, op, self.primary())

    def ref(self) -> _Part:
        name = self.take("ref")
        if name is None:
            raise Untranslatable("ожидалась ссылка на вопрос ${…}")
        known = self.known.get(name)
        if known is None:
            raise Untranslatable(f"вопрос ${{{name}}} не импортирован или идёт позже")
        return _Part(known.code, "ref", known)

    def literal(self) -> _Part:
        if (text := self.take("number")) is not None:
            return _Part(text, "number")
        if (text := self.take("string")) is not None:
            return _Part(text[1:-1], "string")
        raise Untranslatable("ожидалось значение")

    def primary(self) -> _Part:
        kind, text = self.peek()
        if (kind, text) == ("punct", "("):
            self.index += 1
            inner = self.or_expr()
            self.need("punct", ")")
            return _Part(f"({inner.text})", inner.kind, inner.known)
        if kind == "ref":
            return self.ref()
        if kind in ("number", "string"):
            return self.literal()
        if (kind, text) == ("word", "selected") and self.peek(1) == ("punct", "("):
            self.index += 2
            ref = self.ref()
            self.need("punct", ",")
            value = self.literal()
            self.need("punct", ")")
            literal = self.value_for(ref.question, value)
            if ref.question.multiple:
                return _Part(f"selected({ref.text}, {literal})", "bool")
            return _Part(f"{ref.text} = {literal}", "bool")
        raise Untranslatable(f"не поддерживается «{text}»" if text else "выражение оборвано")

    @staticmethod
    def value_for(known: Known, value: _Part) -> str:
        if known.numeric:
            if not _NUMBER.match(value.text):
                raise Untranslatable(f"на '{known.code}' отвечают числом, а не «{value.text}»")
            return value.text
        return _quote(value.text)

    def compare(self, left: _Part, op: str, right: _Part) -> _Part:
        if "bool" in (left.kind, right.kind):
            raise Untranslatable("сравнение результата проверки со значением")
        if left.kind == "ref" and right.kind == "ref":
            if left.question.multiple or right.question.multiple:
                raise Untranslatable("сравнение ответов с несколькими вариантами")
            return _Part(f"{left.text} {op} {right.text}", "bool")
        if "ref" not in (left.kind, right.kind):
            raise Untranslatable("сравнение двух постоянных значений")
        ref, value = (left, right) if left.kind == "ref" else (right, left)
        known = ref.question
        if value.kind == "string" and value.text == "":
            if op == "=":
                return _Part(f"not answered({known.code})", "bool")
            if op == "!=":
                return _Part(f"answered({known.code})", "bool")
            raise Untranslatable("сравнение с пустым значением")
        if known.multiple:
            raise Untranslatable(
                f"'{known.code}' допускает несколько ответов: сравнение со значением "
                "не переводится (нужен selected())"
            )
        literal = self.value_for(known, value)
        text = f"{ref.text} {op} {literal}" if ref is left else f"{literal} {op} {ref.text}"
        return _Part(text, "bool")
