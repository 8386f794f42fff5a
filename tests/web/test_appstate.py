"""Markup kept per worker: the least recently used piece is forgotten first."""

from __future__ import annotations

from web.appstate import KeptMarkup


def test_the_least_recently_used_piece_is_forgotten_first() -> None:
    kept: KeptMarkup[str] = KeptMarkup(2)
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key.upper()

    assert kept.get("a", lambda: make("a")) == "A"
    assert kept.get("b", lambda: make("b")) == "B"
    assert kept.get("a", lambda: make("a")) == "A"  # kept: not made again, now the most recent
    assert kept.get("c", lambda: make("c")) == "C"  # "b" goes
    assert len(kept) == 2
    assert kept.get("a", lambda: make("a")) == "A"
    assert kept.get("b", lambda: make("b")) == "B"  # made again
    assert made == ["a", "b", "c", "b"]
