"""The relevance-condition language: a small, safe expression language (parsed, never eval'd).

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [("=" | "!=" | "<" | "<=" | ">" | ">=") operand]
                | operand ["not"] "in" "[" literal ("," literal)* "]"
    operand    := NUMBER | STRING | ITEM_CODE | "(" expr ")"
                | "answered" "(" ITEM_CODE ")" | "selected" "(" ITEM_CODE "," literal ")"

An unanswered item has no value: every comparison with it is false, so a question that depends
on an unanswered one stays hidden. ``selected(q, v)`` tests a multiple-choice answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Value = int | float | str | None


class ExpressionError(ValueError):
    """A condition that cannot be parsed or does not fit the instrument; ``position`` is 1-based."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (позиция {position})")
        self.message = message
        self.position = position


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op><=|>=|!=|==|=|<|>)
      | (?P<punct>[()\[\],])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
KEYWORDS = frozenset({"and", "or", "not", "in", "answered", "selected"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        if text[index:].strip() == "":
            break
        match = _TOKEN.match(text, index)
        if match is None or match.end() == index:
            start = index + len(text[index:]) - len(text[index:].lstrip())
            raise ExpressionError(f"непонятный символ «{text[start]}»", start + 1)
        kind = match.lastgroup or ""
        value = match.group(kind)
        start = match.start(kind)
        if kind == "word" and value.lower() in KEYWORDS:
            kind, value = "keyword", value.lower()
        tokens.append(Token(kind, value, start + 1))
        index = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# An item's kind for type checks: "number" (ordinal, numeric, grade) or "text", and whether
# the answer is a list (multiple choice).
ItemKinds = Mapping[str, tuple[str, bool]]
Evaluator = Callable[[Mapping[str, Any]], Any]


class _Parser:
    def __init__(self, text: str, items: ItemKinds) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.items = items
        self.referenced: set[str] = set()

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self, kind: str, text: str | None = None) -> Token | None:
        token = self.current
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def expect(self, kind: str, text: str, what: str) -> Token:
        token = self.take(kind, text)
        if token is None:
            found = self.current.text or "конец выражения"
            raise ExpressionError(f"ожидалось {what}, а найдено «{found}»", self.current.position)
        return token

    def parse(self) -> tuple[Evaluator, str]:
        evaluate, kind = self.expr()
        if self.current.kind != "end":
            raise ExpressionError(
                f"лишнее «{self.current.text}» после выражения", self.current.position
            )
        if kind != "bool":
            raise ExpressionError("условие должно быть сравнением или проверкой", 1)
        return evaluate, kind

    def _chain(
        self,
        keyword: str,
        operand: Callable[[], tuple[Evaluator, str]],
        combine: Callable[[Evaluator, Evaluator], Evaluator],
    ) -> tuple[Evaluator, str]:
        left, kind = operand()
        while self.take("keyword", keyword):
            right, _ = operand()
            left, kind = combine(left, right), "bool"
        return left, kind

    def expr(self) -> tuple[Evaluator, str]:
        return self._chain("or", self.and_expr, _or)

    def and_expr(self) -> tuple[Evaluator, str]:
        return self._chain("and", self.not_expr, _and)

    def not_expr(self) -> tuple[Evaluator, str]:
        if self.take("keyword", "not"):
            inner, _ = self.not_expr()
            return (lambda answers: not _truthy(inner(answers))), "bool"
        return self.comparison()

    def comparison(self) -> tuple[Evaluator, str]:
        start = self.current.position
        left, left_kind = self.operand()
        negate = bool(self.take("keyword", "not"))
        if negate or (self.current.kind == "keyword" and self.current.text == "in"):
            self.expect("keyword", "in", "«in»")
            options = self.literal_list()
            self.check_types(left_kind, {_kind_of(v) for v in options}, start)
            return _member(left, options, negate), "bool"
        op = self.take("op")
        if op is None:
            return left, left_kind
        right, right_kind = self.operand()
        self.check_types(left_kind, {right_kind}, op.position)
        return _compare(op.text, left, right), "bool"

    def check_types(self, left: str, right: set[str], position: int) -> None:
        kinds = {left} | right
        if "bool" in kinds:
            raise ExpressionError("нельзя сравнивать результат проверки со значением", position)
        if {"number", "text"} <= kinds:
            raise ExpressionError("сравнение числа с текстом", position)

    def literal_list(self) -> list[Value]:
        self.expect("punct", "[", "«[»")
        values = [self.literal()]
        while self.take("punct", ","):
            values.append(self.literal())
        self.expect("punct", "]", "«]»")
        return values

    def literal(self) -> Value:
        token = self.current
        if self.take("number"):
            return float(token.text) if "." in token.text else int(token.text)
        if self.take("string"):
            return token.text[1:-1]
        raise ExpressionError("ожидалось число или строка в кавычках", token.position)

    def item_code(self) -> tuple[str, tuple[str, bool]]:
        token = self.current
        if not self.take("word"):
            raise ExpressionError("ожидался код вопроса", token.position)
        if token.text not in self.items:
            raise ExpressionError(f"неизвестный вопрос '{token.text}'", token.position)
        self.referenced.add(token.text)
        return token.text, self.items[token.text]

    def operand(self) -> tuple[Evaluator, str]:
        token = self.current
        if token.kind in ("number", "string"):
            value = self.literal()
            return (lambda _answers: value), _kind_of(value)
        if self.take("punct", "("):
            inner, kind = self.expr()
            self.expect("punct", ")", "«)»")
            return inner, kind
        if self.take("keyword", "answered"):
            self.expect("punct", "(", "«(»")
            code, _ = self.item_code()
            self.expect("punct", ")", "«)»")
            return (lambda answers: _present(answers.get(code))), "bool"
        if self.take("keyword", "selected"):
            self.expect("punct", "(", "«(»")
            code, (_, multiple) = self.item_code()
            if not multiple:
                raise ExpressionError(
                    f"selected() применяется только к вопросу с несколькими ответами, "
                    f"а '{code}' не такой",
                    token.position,
                )
            self.expect("punct", ",", "«,»")
            value = self.literal()
            self.expect("punct", ")", "«)»")
            return (lambda answers: _selected(answers.get(code), value)), "bool"
        if token.kind == "word":
            code, (kind, multiple) = self.item_code()
            if multiple:
                raise ExpressionError(
                    f"'{code}' допускает несколько ответов: используйте selected({code}, …)",
                    token.position,
                )
            return (lambda answers: answers.get(code)), kind
        found = token.text or "конец выражения"
        raise ExpressionError(f"ожидалось значение, а найдено «{found}»", token.position)


def _kind_of(value: Value) -> str:
    return "text" if isinstance(value, str) else "number"


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _truthy(value: Any) -> bool:
    return bool(value) if isinstance(value, bool) else _present(value)


def _selected(value: Any, option: Value) -> bool:
    return isinstance(value, list) and any(str(v) == str(option) for v in value)


def _or(left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda answers: _truthy(left(answers)) or _truthy(right(answers))


def _and(left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda answers: _truthy(left(answers)) and _truthy(right(answers))


def _member(operand: Evaluator, options: list[Value], negate: bool) -> Evaluator:
    def evaluate(answers: Mapping[str, Any]) -> bool:
        value = operand(answers)
        if not _present(value):
            return False  # unanswered: neither in nor "not in"
        return (value in options) != negate

    return evaluate


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    function = _COMPARE[op]

    def evaluate(answers: Mapping[str, Any]) -> bool:
        a, b = left(answers), right(answers)
        if not _present(a) or not _present(b):
            return False
        try:
            return function(a, b)
        except TypeError:
            return False

    return evaluate


@dataclass(frozen=True)
class Condition:
    """A compiled relevance condition."""

    text: str
    referenced: frozenset[str]
    _evaluate: Evaluator

    def __call__(self, answers: Mapping[str, Any]) -> bool:
        return bool(self._evaluate(answers))


def compile_condition(text: str, items: ItemKinds) -> Condition:
    """Parse and type-check ``text`` against the instrument's items.

    Raises
    ------
    ExpressionError
        With a Russian message and the 1-based position of the problem.
    """
    if not text.strip():
        raise ExpressionError("пустое условие", 1)
    parser = _Parser(text, items)
    evaluate, _ = parser.parse()
    return Condition(text=text, referenced=frozenset(parser.referenced), _evaluate=evaluate)
