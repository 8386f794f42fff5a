"""Reading and writing instrument files by their format: YAML (canonical) or XLSX (XLSForm)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from instruments.errors import InstrumentError, Problem
from instruments.io.yaml_io import dump_yaml, load_yaml
from instruments.schema import Instrument

MAX_UNPACKED_XLSX = 50 * 2**20


@dataclass(frozen=True)
class LoadedFile:
    """An instrument read from a file, with what the reader could not carry over."""

    instrument: Instrument
    #: one line per row or element that was not mapped (XLSForms of other tools)
    notes: list[str] = field(default_factory=list)


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".xlsx":
        return "xlsx"
    raise InstrumentError(
        [
            Problem(
                "", f"неизвестный формат файла «{suffix or path.name}»: ожидается .yaml или .xlsx"
            )
        ],
        source=str(path),
    )


def load_bytes(data: bytes, *, name: str) -> LoadedFile:
    """Read an instrument from the bytes of a file called ``name`` (its suffix picks the reader);
    the indicators it declares are checked against the risk-factor catalogue too."""
    # Imported here: the catalogue reads the library, which reads YAML through this package.
    from instruments.risk_factors import builtin_risk_factors

    loaded = _load(data, name=name)
    problems = builtin_risk_factors().check_instrument(loaded.instrument)
    if problems:
        raise InstrumentError(problems, source=name)
    return loaded


def _load(data: bytes, *, name: str) -> LoadedFile:
    if file_format(Path(name)) == "yaml":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InstrumentError([Problem("", "файл не в кодировке UTF-8")], source=name) from None
        return LoadedFile(load_yaml(text, source=name))
    from instruments.io.xlsform import read_xlsx

    _check_archive(data, name)
    result = read_xlsx(data, source=name)
    if result.instrument is None:
        raise InstrumentError(
            [Problem("", "в файле нет методики, которую можно импортировать")], source=name
        )
    return LoadedFile(result.instrument, [str(note) for note in result.unmapped])


def _check_archive(data: bytes, name: str) -> None:
    """Refuse an XLSX whose contents would unpack to far more than any questionnaire needs
    (a "zip bomb"), before a spreadsheet library expands it in memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InstrumentError(
            [Problem("", "файл не является книгой Excel (.xlsx)")], source=name
        ) from None
    if unpacked > MAX_UNPACKED_XLSX:
        raise InstrumentError(
            [Problem("", f"книга слишком велика: {unpacked // 2**20} МБ в распакованном виде")],
            source=name,
        )


def read_instrument_file(path: str | Path) -> LoadedFile:
    path = Path(path)
    file_format(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(
            [Problem("", f"файл не читается: {exc.strerror}")], source=str(path)
        ) from None
    return load_bytes(data, name=str(path))


def instrument_bytes(instrument: Instrument, fmt: str) -> bytes:
    if fmt == "yaml":
        return dump_yaml(instrument).encode("utf-8")
    if fmt == "xlsx":
        from instruments.io.xlsform import export_xlsx

        return export_xlsx(instrument)
    raise ValueError(f"unknown format {fmt!r}")
