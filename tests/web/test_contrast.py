"""Colour contrast of the one stylesheet (WCAG 2.1: text 4.5:1, SC 1.4.3; the focus ring and
other parts of controls 3:1, SC 1.4.11), read from web/static/app.css itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).parents[2] / "web" / "static" / "app.css").read_text(encoding="utf-8")

PAGE, CARD, CHOSEN, ERROR_BOX, HEADER = "#f6f7f9", "#ffffff", "#e3ecf9", "#fdecea", "#1d4f91"


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _declaration(selector: str, prop: str) -> str:
    """The colour ``prop`` has in the rule whose selector list is exactly ``selector``."""
    rule = re.search(r"(?:^|[}\n])" + re.escape(selector) + r"\{([^}]*)\}", CSS)
    assert rule is not None, f"no rule {selector} in app.css"
    value = re.search(rf"(?:^|;){re.escape(prop)}:([^;]*)", rule.group(1))
    assert value is not None, f"no {prop} in {selector}"
    colour = re.search(r"#[0-9a-fA-F]{3,6}\b", value.group(1))
    assert colour is not None, f"no colour in {selector} {{{prop}: {value.group(1)}}}"
    return colour.group(0)


def test_the_helper_agrees_with_known_pairs() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    ("selector", "prop", "backgrounds"),
    [
        ("body", "color", [PAGE, CARD, CHOSEN]),
        ("a", "color", [PAGE, CARD]),
        (".help", "color", [PAGE, CARD, CHOSEN]),
        (".muted", "color", [PAGE, CARD]),
        (".q .err", "color", [CARD, ERROR_BOX]),
        (".progress-line", "color", [PAGE]),
        ("header.top", "color", [HEADER]),
        ("button.primary", "color", [HEADER]),
    ],
)
def test_text_has_four_and_a_half_to_one(selector: str, prop: str, backgrounds: list[str]) -> None:
    colour = _declaration(selector, prop)
    for background in backgrounds:
        assert contrast(colour, background) >= 4.5, (selector, colour, background)


def test_the_focus_ring_stands_out_wherever_a_control_sits() -> None:
    ring = _declaration("a:focus,button:focus,input:focus,select:focus,textarea:focus", "outline")
    for background in (PAGE, CARD, CHOSEN, ERROR_BOX):
        assert contrast(ring, background) >= 3.0, (ring, background)
    on_header = _declaration("header.top a:focus,header.top button:focus", "outline-color")
    assert contrast(on_header, HEADER) >= 3.0
