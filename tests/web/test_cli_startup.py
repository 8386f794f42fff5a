"""The command line starts fast: printing help imports no statistics, report or file-format
library, nor the instrument models, the migrations, Flask or SQLAlchemy (issue 15;
bench/cli_startup.py times it). Each test starts a fresh interpreter, since this one has long
since imported them all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from bench.cli_startup import HEAVY  # imported only by the commands that use them
from web.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _python(
        f"import web.cli, sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert loaded == "[]"


def test_importing_the_cli_loads_neither_the_web_application_nor_the_database() -> None:
    # Named one by one, besides HEAVY: these are what `rootcause --help` spent most of its
    # time on once the statistics libraries were gone (web/__init__, the CLI modules' tops).
    modules = (
        "flask",
        "sqlalchemy",
        "werkzeug.serving",
        "pandas",
        "numpy",
        "scipy",
        "web.app",
        "surveys.db",
        "surveys.models",
    )
    loaded = _python(
        f"import web.cli, sys; print(sorted(m for m in {modules!r} if m in sys.modules))"
    )
    assert loaded == "[]"


def test_the_web_package_still_hands_out_the_application_factory() -> None:
    # `from web import create_app` and gunicorn's 'web:create_app()' (a getattr on the
    # module) get web.app's objects, imported on first use; the development server's
    # handler is still web.cli's.
    out = _python(
        "import sys, web\n"
        "before = 'flask' in sys.modules\n"
        "from web import create_app, csrf\n"
        "import web.app\n"
        "from web.cli import AnonymousRequestHandler\n"
        "from web.devserver import AnonymousRequestHandler as handler\n"
        "print(before, create_app is web.app.create_app, getattr(web, 'csrf') is web.app.csrf,"
        " AnonymousRequestHandler is handler, hasattr(web, 'no_such_name'))"
    )
    assert out == "False True True True False"


def test_help_of_every_command_and_group_loads_no_heavy_library() -> None:
    # One interpreter asks every command and subcommand for its help, as
    # `rootcause <group> <command> --help` would, then lists what got imported.
    loaded = _python(
        "import sys\n"
        "import click\n"
        "from web.cli import main\n"
        "def walk(group, path):\n"
        "    for name, command in group.commands.items():\n"
        "        yield [*path, name]\n"
        "        if isinstance(command, click.Group):\n"
        "            yield from walk(command, [*path, name])\n"
        "asked = 0\n"
        "for args in walk(main, []):\n"
        "    code = main.main([*args, '--help'], prog_name='rootcause', standalone_mode=False)\n"
        "    assert code == 0, (args, code)\n"
        "    asked += 1\n"
        f"print(asked, sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    asked, _, heavy = loaded.splitlines()[-1].partition(" ")
    assert int(asked) >= 20
    assert heavy == "[]"


def test_rootcause_help_exits_0_and_lists_the_commands() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("rootcause")), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    listed = {
        line.split()[0]
        for line in done.stdout.partition("Commands:")[2].splitlines()
        if line.strip()
    }
    assert listed == set(main.commands)
    assert any(isinstance(command, click.Group) for command in main.commands.values())
