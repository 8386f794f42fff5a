"""Flask application: respondent pages, staff pages, reports and the CLI.

The application factory lives in :mod:`web.app` and is handed out from here on first use
(``from web import create_app``, gunicorn's ``'web:create_app()'``): the command line imports
this package, and ``rootcause --help`` must not pay for Flask and SQLAlchemy
(tests/web/test_cli_startup.py). What stays here needs only the standard library.
"""

from __future__ import annotations

import os
import secrets
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.app import SessionInterface, create_app, csrf
    from web.app import _static_url as _static_url
    from web.app import _static_version as _static_version

__all__ = [
    "INSTANCE_ENV",
    "SECURITY_HEADERS",
    "SessionInterface",
    "create_app",
    "csrf",
    "instance_path",
]

#: names defined in web.app, imported when first asked for
_FROM_APP = frozenset({"SessionInterface", "_static_url", "_static_version", "create_app", "csrf"})

INSTANCE_ENV = "ROOTCAUSE_INSTANCE_PATH"


def __getattr__(name: str) -> Any:
    if name in _FROM_APP:
        value = getattr(import_module("web.app"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def instance_path() -> Path:
    """Where the SQLite file and the generated secret key live (``./instance`` by default)."""
    return Path(os.environ.get(INSTANCE_ENV) or Path.cwd() / "instance").resolve()


def _secret_key(path: Path) -> str:
    key = os.environ.get("ROOTCAUSE_SECRET_KEY")
    if key:
        return key
    # Generated once and kept beside the database, so sessions survive restarts and all
    # workers sharing the instance folder agree on it.
    path.mkdir(parents=True, exist_ok=True)
    key_file = path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# Sent with every reply (unless a view set its own).
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    # Survey links are bearer codes: never leak them to other sites.
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
