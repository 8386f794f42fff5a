"""Text typed by users (school names, instrument titles, open answers) made safe for every
format of the reference.

XML 1.0 cannot hold most control characters: python-docx refuses them outright, and a browser
reads them in HTML as parse errors. They never carry meaning in a school's name or an answer,
so they are dropped, in HTML and DOCX alike (and so in the PDF printed from the HTML). Tab and
line breaks stay: they are text.
"""

from __future__ import annotations

import re

from markupsafe import Markup

#: C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates; the two
#: non-characters XML forbids
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (and the C1 controls)."""
    return _ILLEGAL.sub("", text)


def finalize(value: object) -> object:
    """Jinja's ``finalize``: every ``{{ … }}`` of a reference template passes through
    :func:`xml_safe` (markup stays markup; numbers and the rest are left to Jinja)."""
    if isinstance(value, Markup):
        return Markup(xml_safe(str(value)))  # noqa: S704 - markup already; characters only dropped
    if isinstance(value, str):
        return xml_safe(value)
    return value
