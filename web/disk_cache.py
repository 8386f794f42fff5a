"""The instance's folder of things computed once and kept on disk for later processes: the
campaigns' analyses (``web.reference_cache``), the chart images (``web.chart_cache``) and the
compiled templates. Standard library only: the command line asks it before it imports the
analysis.

The folder is ``<instance>/cache/analysis`` or ``ROOTCAUSE_CACHE_DIR`` (``off``: nothing is
kept). It is used only while it is this user's and nobody else may write in it: some of what
it holds is code (pickles, compiled templates), all of it is the schools' data.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

#: where things are kept on disk (``off`` to keep none); ``<instance>/cache/analysis`` by default
CACHE_DIR_ENV = "ROOTCAUSE_CACHE_DIR"

log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    """Where things are kept on disk, or None (``ROOTCAUSE_CACHE_DIR=off``)."""
    value = os.environ.get(CACHE_DIR_ENV)
    if value is not None:
        return None if value.strip().lower() in ("", "off") else Path(value)
    from web import instance_path

    return instance_path() / "cache" / "analysis"


def private_folder(folder: Path) -> bool:
    """Whether ``folder`` (created if missing) is this user's and nobody else may write in
    it: a pickle is code, so files another user could have put there are never read."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        status = folder.stat()
    except OSError as exc:
        log.warning("Кэш на диске отключён: папка %s недоступна (%s)", folder, exc)
        return False
    if status.st_uid != os.getuid() or status.st_mode & 0o022:
        log.warning("Кэш на диске отключён: в папку %s может писать другой пользователь", folder)
        return False
    return True


def write_private(path: Path, content: bytes, *, keep: int) -> None:
    """``content`` at ``path`` atomically (readable by this user only), then only the newest
    ``keep`` files of its kind (its suffix) in its folder kept."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    files = sorted(path.parent.glob(f"*{path.suffix}"), key=_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
