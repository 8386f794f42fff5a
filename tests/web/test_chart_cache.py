"""web.chart_cache: a chart's PNG is drawn by the browser once and then read from disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from web import chart_cache, disk_cache

PNG = b"\x89PNG\r\n\x1a\n"


def _chart(key: str, height: int = 300) -> Any:
    return SimpleNamespace(
        key=key,
        figure={
            "data": [{"type": "bar", "x": ["а", "б"], "y": [1, 2]}],
            "layout": {"width": 600, "height": height},
        },
    )


class Browser:
    def __init__(self) -> None:
        self.drawn: list[str] = []

    def __call__(self, charts: Sequence[Any]) -> dict[str, bytes]:
        self.drawn += [c.key for c in charts]
        return {c.key: PNG + f"{c.key}:{c.figure['layout']['height']}".encode() for c in charts}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(disk_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "charts"


def test_a_chart_is_drawn_once_and_then_read_from_disk(folder: Path) -> None:
    browser = Browser()
    first = chart_cache.chart_images([_chart("profile"), _chart("bullying", 200)], browser)
    again = chart_cache.chart_images([_chart("bullying", 200), _chart("profile")], browser)
    assert browser.drawn == ["profile", "bullying"]
    assert again == first and len(list(folder.glob("*.png"))) == 2
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.glob("*.png"))


def test_a_changed_figure_or_a_damaged_file_is_drawn_again(folder: Path) -> None:
    browser = Browser()
    chart_cache.chart_images([_chart("profile")], browser)
    changed = chart_cache.chart_images([_chart("profile", height=400)], browser)
    assert changed["profile"].endswith(b"profile:400")
    for path in folder.glob("*.png"):
        path.write_bytes(b"<html>")
    chart_cache.chart_images([_chart("profile")], browser)
    assert browser.drawn == ["profile", "profile", "profile"]


def test_another_browser_draws_every_chart_anew(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser()
    chart_cache.chart_images([_chart("profile")], browser)
    monkeypatch.setattr(chart_cache, "_browser_identity", lambda: "chromium 999")
    chart_cache.chart_images([_chart("profile")], browser)
    assert browser.drawn == ["profile", "profile"]


def test_off_draws_every_time_and_the_browsers_error_passes_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(disk_cache.CACHE_DIR_ENV, "off")
    browser = Browser()
    chart_cache.chart_images([_chart("profile")], browser)
    chart_cache.chart_images([_chart("profile")], browser)
    assert browser.drawn == ["profile", "profile"]

    def broken(charts: Sequence[Any]) -> dict[str, bytes]:
        raise RuntimeError("Chromium не запустился")

    with pytest.raises(RuntimeError, match="не запустился"):
        chart_cache.chart_images([_chart("other")], broken)


def test_a_request_whose_charts_are_all_kept_needs_no_browser_ahead(folder: Path) -> None:
    """What the command line asks before it imports anything heavy: start Chromium early or
    not."""
    request = chart_cache.request_key("postgresql://x/db", 1, "S003")
    assert not chart_cache.drawn_before(request)
    browser = Browser()
    chart_cache.chart_images([_chart("profile"), _chart("bullying", 200)], browser, request=request)
    assert chart_cache.drawn_before(request)
    assert not chart_cache.drawn_before(chart_cache.request_key("postgresql://x/db", 1, "S004"))
    next(folder.glob("*.png")).unlink()  # one image gone: the browser will be needed
    assert not chart_cache.drawn_before(request)
