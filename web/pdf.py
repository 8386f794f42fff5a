"""Print-to-PDF with headless Chromium: the one engine for every static rendering."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_ENV = "ROOTCAUSE_CHROMIUM"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
)


class PdfUnavailable(RuntimeError):
    """No Chromium to render with, or it failed."""


def chromium_path() -> str | None:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_chromium() -> str:
    """Why there is no Chromium to print with, and how to install it or point at it."""
    configured = os.environ.get(CHROMIUM_ENV)
    where = f"{CHROMIUM_ENV}={configured}: такого файла нет" if configured else "не найден"
    return (
        f"Для PDF нужен браузер Chromium ({where}). Установите пакет chromium "
        f"(Debian, Ubuntu: sudo apt install chromium) или укажите путь к нему "
        f"в переменной окружения {CHROMIUM_ENV}."
    )


def html_to_pdf(html: str, *, timeout: float = 120) -> bytes:
    """Render a self-contained HTML page (no external resources) to PDF bytes."""
    binary = chromium_path()
    if binary is None:
        raise PdfUnavailable(missing_chromium())
    with tempfile.TemporaryDirectory(prefix="rootcause-pdf-") as tmp:
        source = Path(tmp) / "page.html"
        target = Path(tmp) / "page.pdf"
        source.write_text(html, encoding="utf-8")
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            subprocess.run(  # noqa: S603 - our own binary path and arguments
                command, capture_output=True, timeout=timeout, check=True
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise PdfUnavailable(f"Chromium не смог сформировать PDF: {exc}") from exc
        if not target.exists() or target.stat().st_size == 0:
            raise PdfUnavailable("Chromium не создал PDF.")
        return target.read_bytes()
