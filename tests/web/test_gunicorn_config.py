"""The production server's access log keeps no respondent address, agent or query string."""

from __future__ import annotations

import re

from web import gunicorn_config


def test_access_log_has_no_address_agent_or_query() -> None:
    fields = set(re.findall(r"%\((\w+)\)s", gunicorn_config.access_log_format))
    # h: remote address, a: user agent, q / r: query string (personal tokens in QR links)
    assert not fields & {"h", "a", "q", "r", "f"}
    assert {"s", "U"} <= fields


def test_each_worker_prepares_for_serving(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[bool] = []
    monkeypatch.setattr("web.app.prepare_for_serving", lambda: calls.append(True))
    gunicorn_config.post_worker_init(object())
    assert calls == [True]


def test_a_serving_process_imports_the_staff_libraries_and_freezes_them() -> None:
    """In a process of its own (a frozen test process would keep its garbage): after
    prepare_for_serving the staff pages' libraries and the built-in catalogue are loaded and
    out of the collector's reach, and a reference's cyclic collections no longer walk them."""
    import subprocess
    import sys

    probe = (
        "import gc, sys\n"
        "from web.app import SERVED_MODULES, create_app, prepare_for_serving\n"
        "create_app()\n"
        "prepare_for_serving()\n"
        "from instruments.risk_factors import builtin_risk_factors\n"
        "print(all(name in sys.modules for name in SERVED_MODULES), 'docx' in sys.modules,"
        " gc.get_freeze_count() > 100000, gc.isenabled(),"
        " builtin_risk_factors.cache_info().currsize == 1)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.split() == ["True"] * 5, done.stderr[-2000:]
