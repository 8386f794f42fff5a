"""Errors raised while reading or validating instrument definitions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where it is and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class InstrumentError(Exception):
    """A definition that cannot be used; names the file and every problem with its location."""

    problems: list[Problem]
    source: str | None = None
    _rendered: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        where = f"{self.source}: " if self.source else ""
        self._rendered = "\n".join(f"{where}{p}" for p in self.problems)
        super().__init__(self._rendered)

    def __str__(self) -> str:
        return self._rendered

    def with_source(self, source: str) -> InstrumentError:
        return InstrumentError(self.problems, source=source)


class AnswerErrors(Exception):
    """Answers that do not fit an instrument; ``errors`` maps item code to a Russian message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{code}: {msg}" for code, msg in errors.items()))
        self.errors = errors
