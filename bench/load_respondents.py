"""Benchmark: concurrent respondents completing a questionnaire through gunicorn.

Prepares a fresh database (PostgreSQL: a new ``rootcause_bench_<hex>`` database, dropped at the
end; SQLite: a temporary file), runs the migrations, generates a two-school demo district and
takes one link of ``--audience``: by default the teacher's (``teacher``: 50 items on 8 pages,
more than the issue's 40-item questionnaire); ``--audience student`` takes ``student_5_11``
(35 items on 6 pages, the introduction on page 1). Then starts ``gunicorn -k gthread
'web:create_app()'`` on a free loopback port and lets N virtual respondents (asyncio tasks in
this process speaking HTTP/1.1 directly, so that the load generator costs little of the shared
CPU) go through real sessions, each as a new person on a new device (no cookies, a new
keep-alive connection): GET the first page, parse the form (CSRF token, hidden fields, radio
groups, check boxes, the grade select, numbers) and POST plausible random answers page after
page as the page script does (``X-Rootcause-In-Place``: each reply is the next page, the last
one the thank-you page; pages + 1 requests a response: 9 for the teacher, 7 for the student),
or with ``--no-js`` as a browser without JavaScript (each POST answered by a 303, then GET the
page; 2 × pages + 1 requests). A run stops by itself after ``--responses`` completed sessions
or ``--seconds``, whichever comes first (a session cut off by the time limit is abandoned, not
counted). The stored count of complete responses is checked against the completed sessions.

Targets (issue): >= 200 completed responses/s at 32 concurrent respondents, p95 of each request
<= 250 ms, stored count = submitted count. Printed beside the figures, not asserted.

Usage: python bench/load_respondents.py [--backend postgresql|sqlite|both] [--concurrency 1,8,32]
       [--responses 2000] [--seconds 30] [--workers 2] [--threads 4] [--no-js] [--repeat 1]
       [--audience teacher|student|parent|administration]
       [--profile 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import html
import http.client
import math
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from surveys import models as m
from surveys.db import make_engine, session_scope, upgrade
from surveys.demo import generate_demo

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TARGET_RATE = 200.0  # completed responses/s at 32 concurrent respondents
TARGET_P95_MS = 250.0
IN_PLACE_HEADER = "X-Rootcause-In-Place"  # as respond.js sends it (web/respond.py)
IN_PLACE_LOCATION = "X-Rootcause-Location"
KINDS = ("GET page", "POST page", "GET thanks")
MAX_PAGES = 30  # guard against a loop: the form has 6 sections


# --- the database -----------------------------------------------------------------------------

AUDIENCES = ("teacher", "student", "parent", "administration")
# The questionnaire has 40 items: the teacher's form has 50 (on 8 pages).
DEFAULT_AUDIENCE = "teacher"


@dataclass(frozen=True)
class Target:
    backend: str
    url: str
    code: str
    link_id: int


def _prepare(backend: str, url: str, audience: str) -> Target:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            demo = generate_demo(session, n_schools=2, seed=1, with_users=False)
            link = session.scalars(
                select(m.SurveyLink)
                .where(
                    m.SurveyLink.campaign_id == demo.campaign_id,
                    m.SurveyLink.audience == audience,
                )
                .order_by(m.SurveyLink.id)
                .limit(1)
            ).one()
            code, link_id = link.code, link.id
    finally:
        engine.dispose()
    return Target(backend, url, code, link_id)


@contextlib.contextmanager
def fresh_database(
    backend: str, admin_url: str, tmp: Path, audience: str = DEFAULT_AUDIENCE
) -> Iterator[Target]:
    if backend == "sqlite":
        yield _prepare(backend, f"sqlite:///{tmp / 'bench.db'}", audience)
        return
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"rootcause_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        yield _prepare(backend, url, audience)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def complete_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM response WHERE status = 'complete'")))


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def pids(self) -> list[int]:
        """The master and its workers."""
        pids = [self.process.pid]
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids


@contextlib.contextmanager
def gunicorn(target: Target, tmp: Path, workers: int, threads: int) -> Iterator[Server]:
    port = free_port()
    instance = tmp / "instance"
    instance.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        ROOTCAUSE_DATABASE_URL=target.url,
        ROOTCAUSE_INSTANCE_PATH=str(instance),
        ROOTCAUSE_SECRET_KEY=secrets.token_hex(32),
        # All virtual respondents share one link: lift the per-link flood limit (1,200 posts a
        # minute and worker by default), which is not what is measured here.
        ROOTCAUSE_LINK_POSTS_PER_MINUTE="1000000",
    )
    log = tmp / "gunicorn.log"
    command = [
        *(sys.executable, "-m", "gunicorn"),
        *("--bind", f"{HOST}:{port}", "--workers", str(workers), "--threads", str(threads)),
        *("--worker-class", "gthread", "--log-level", "warning", "web:create_app()"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", f"/s/{target.code}")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    break
                raise RuntimeError(f"GET /s/<code> answered {status}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 60 s:\n{_tail(log)}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- one virtual respondent -------------------------------------------------------------------


class Failure(Exception):
    pass


class Browser:
    """One keep-alive connection and its cookies, like a respondent's browser tab.

    HTTP/1.1 is spoken directly over an asyncio stream (request line, headers, a
    Content-Length body; cookies kept as name -> value, all under /s/<code>): the virtual
    respondents share the machine with the server, so the load generator must cost little CPU
    per request (its share is reported beside the figures)."""

    def __init__(self, port: int, record: Callable[[str, float], None]) -> None:
        self.port = port
        self.record = record
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retries = 0

    def reset(self) -> None:
        """A new respondent: another person's device, so no cookies and a connection of its
        own (which lets the load spread over the workers as real respondents' connections
        do: a keep-alive connection stays with the worker that accepted it)."""
        self.cookies = {}
        self.close()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self,
        kind: str,
        method: str,
        path: str,
        form: list[tuple[str, str]] | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """(status, Location, body) of one request; its latency is recorded under ``kind``.
        With ``extra`` headers (the page script's in-place post) ``Location`` is the address
        the script would show, from the reply's X-Rootcause-Location."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
        body = b""
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            assert self.reader is not None
            started = time.perf_counter()
            try:
                self.writer.write(message)
                head = await self.reader.readuntil(b"\r\n\r\n")
                status, headers = _head(head)
                length = headers.get("content-length")
                if length is None:
                    raise Failure(f"{method} {path}: a reply without Content-Length")
                data = await self.reader.readexactly(int(length))
            except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once, as a
                # browser does (saving a page is idempotent).
                self.close()
                if attempt == 2:
                    raise
                self.retries += 1
                continue
            self.record(kind, time.perf_counter() - started)
            for cookie in headers.get("set-cookie", ()):
                self._keep(cookie)
            if headers.get("connection", "").lower() == "close":
                self.close()
            location = headers.get("location") or headers.get(IN_PLACE_LOCATION.lower()) or ""
            return status, str(location), data.decode("utf-8", "replace")
        raise AssertionError("unreachable")

    def _keep(self, cookie: str) -> None:
        pair, _, attributes = cookie.partition(";")
        name, _, value = pair.strip().partition("=")
        if not value or "max-age=0" in attributes.lower():
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


def _head(raw: bytes) -> tuple[int, dict[str, Any]]:
    """The status and the headers of a reply (Set-Cookie as a list, the rest by last value)."""
    status_line, *lines = raw.decode("latin-1").split("\r\n")
    headers: dict[str, Any] = {"set-cookie": []}
    for line in lines:
        if not line:
            continue
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            headers["set-cookie"].append(value)
        else:
            headers[name] = value
    return int(status_line.split(" ", 2)[1]), headers


_TAG = re.compile(r"<(input|select|/select|option|textarea|form|a)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:][-\w:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


@functools.lru_cache(maxsize=8192)
def _attrs(raw: str) -> dict[str, str]:
    """A tag's attributes (read only: the same dict for the same text). Most tags of a page are
    the same for every respondent (the answer options), so they are parsed once."""
    return {
        name.lower(): html.unescape(a if a is not None else b if b is not None else c or "")
        for name, a, b, c in _ATTR.findall(raw)
    }


@dataclass
class Page:
    action: str | None = None
    hidden: list[tuple[str, str]] = field(default_factory=list)
    radios: dict[str, list[str]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    selects: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)
    start: str | None = None  # the introduction's "Начать" link


def parse_page(body: str) -> Page:
    page = Page()
    select_name: str | None = None
    for tag, raw in _TAG.findall(body):
        tag = tag.lower()
        attrs = _attrs(raw)
        if tag == "form" and attrs.get("method", "").lower() == "post" and page.action is None:
            page.action = attrs.get("action")
        elif tag == "a" and "?p=" in attrs.get("href", "") and page.start is None:
            page.start = attrs["href"]
        elif tag == "input":
            kind, name = attrs.get("type", "text").lower(), attrs.get("name")
            if not name:
                continue
            if kind == "hidden":
                page.hidden.append((name, attrs.get("value", "")))
            elif kind == "radio":
                page.radios.setdefault(name, []).append(attrs.get("value", ""))
                if "required" in attrs:
                    page.required.add(name)
            elif kind == "checkbox":
                page.checkboxes.setdefault(name, []).append(attrs.get("value", ""))
            elif kind == "number" and "min" in attrs and "max" in attrs:
                page.numbers[name] = (float(attrs["min"]), float(attrs["max"]))
        elif tag == "select":
            select_name = attrs.get("name")
            if select_name:
                page.selects[select_name] = []
        elif tag == "/select":
            select_name = None
        elif tag == "option" and select_name and attrs.get("value"):
            page.selects[select_name].append(attrs["value"])
    return page


def answers_for(page: Page, rng: random.Random) -> list[tuple[str, str]]:
    """Plausible answers: every radio group (optional ones skipped now and then), a few check
    boxes, a grade, numbers within their bounds; free text is left empty."""
    form = list(page.hidden)
    for name, values in page.radios.items():
        if name in page.required or rng.random() > 0.03:
            form.append((name, rng.choice(values)))
    for name, values in page.checkboxes.items():
        form += [(name, v) for v in rng.sample(values, k=rng.randint(0, min(2, len(values))))]
    for name, values in page.selects.items():
        if values:
            form.append((name, rng.choice(values)))
    for name, (low, high) in page.numbers.items():
        form.append((name, str(rng.randint(math.ceil(low), math.floor(high)))))
    form.append(("direction", "next"))
    return form


def _path(location: str) -> str:
    parts = urllib.parse.urlsplit(location)
    if parts.hostname not in (None, *LOOPBACK):
        raise Failure(f"redirect off loopback: {location}")
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def complete_session(
    browser: Browser,
    code: str,
    rng: random.Random,
    alive: Callable[[], bool],
    in_place: bool = True,
) -> bool:
    """One respondent from the link to the thank-you page; True when finished, False when cut
    off by the time limit. Raises ``Failure`` on an unexpected answer from the server.

    ``in_place``: post as the page script (respond.js) does, which gets the next page in the
    reply; otherwise as a browser without JavaScript: post, follow the 303, get the page."""
    browser.reset()
    status, _, body = await browser.request("GET page", "GET", f"/s/{code}")
    if status != 200:
        raise Failure(f"GET /s/<code>: {status}")
    page = parse_page(body)
    if page.action is None:  # an introduction page of its own (before 2026-11-24): follow it
        if page.start is None:
            raise Failure("introduction without a start link")
        status, _, body = await browser.request("GET page", "GET", _path(page.start))
        if status != 200:
            raise Failure(f"GET page 1: {status}")
        page = parse_page(body)
    for _ in range(MAX_PAGES):
        if not alive():
            return False
        if page.action is None:
            raise Failure("page without a form")
        status, location, body = await browser.request(
            "POST page",
            "POST",
            _path(page.action),
            answers_for(page, rng),
            extra={IN_PLACE_HEADER: "1"} if in_place else None,
        )
        if status != (200 if in_place else 303):
            raise Failure(f"POST page: {status}")
        path = _path(location)
        if path.endswith("/thanks"):
            if in_place:
                if "Спасибо" not in body:
                    raise Failure("in-place reply to the last page is not the thank-you page")
                return True
            status, _, _ = await browser.request("GET thanks", "GET", path)
            if status != 200:
                raise Failure(f"GET thanks: {status}")
            return True
        if not in_place:
            if not alive():
                return False
            status, _, body = await browser.request("GET page", "GET", path)
            if status != 200:
                raise Failure(f"GET page: {status}")
        page = parse_page(body)
    raise Failure(f"no thank-you page after {MAX_PAGES} pages")


# --- a run ------------------------------------------------------------------------------------


@dataclass
class Run:
    backend: str
    concurrency: int
    wall: float = 0.0
    completed: int = 0
    abandoned: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    loadgen_cpu: float = 0.0  # share of all cores
    server_cpu: float = 0.0  # gunicorn master and workers
    postgres_cpu: float = 0.0  # every process named "postgres" (when PostgreSQL is local)
    system_cpu: float = 0.0  # everything busy on the machine, including the three above
    stored: int = 0

    @property
    def server_ms_per_response(self) -> float:
        """gunicorn's CPU time per completed response, in milliseconds."""
        return self.ms_per_response(self.server_cpu)

    @property
    def loadgen_ms_per_response(self) -> float:
        """The load generator's CPU time per completed response, in milliseconds."""
        return self.ms_per_response(self.loadgen_cpu)

    def ms_per_response(self, share: float) -> float:
        """A share of all cores over the run, as CPU milliseconds per completed response."""
        cores = os.cpu_count() or 1
        return share * cores * self.wall / self.completed * 1000 if self.completed else 0.0

    @property
    def other_cpu(self) -> float:
        """Busy time not ours: other jobs on a shared machine (and the kernel's share)."""
        return self.system_cpu - self.loadgen_cpu - self.server_cpu - self.postgres_cpu

    @property
    def rate(self) -> float:
        return self.completed / self.wall if self.wall else 0.0

    @property
    def request_rate(self) -> float:
        """Requests answered per second, of all kinds (about 14 per completed response)."""
        return sum(map(len, self.latencies.values())) / self.wall if self.wall else 0.0

    def pct(self, kind: str, p: float) -> float:
        values = sorted(self.latencies[kind])
        if not values:
            return math.nan
        return values[max(0, math.ceil(p / 100 * len(values)) - 1)] * 1000


def _ticks(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each of ``pids``, from /proc."""
    used = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                pids.append(int(entry.name))
    return pids


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots; a process that started in between counts in full."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def _busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + values[4]  # idle, iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / hz, sum(values) / hz


def run_load(
    server: Server,
    target: Target,
    concurrency: int,
    responses: int,
    seconds: float,
    seed: int,
    in_place: bool = True,
) -> Run:
    """``concurrency`` virtual respondents (asyncio tasks in this process, one connection
    each) completing sessions until ``responses`` have started or ``seconds`` have passed."""
    run = Run(target.backend, concurrency)
    started_sessions = 0
    deadline = 0.0

    def record(kind: str, elapsed: float) -> None:
        run.latencies[kind].append(elapsed)

    def alive() -> bool:
        return time.perf_counter() < deadline

    async def respondent(index: int) -> None:
        nonlocal started_sessions
        rng = random.Random(seed * 1000 + index)
        browser = Browser(server.port, record)
        try:
            while alive() and started_sessions < responses:
                started_sessions += 1
                try:
                    finished = await complete_session(browser, target.code, rng, alive, in_place)
                except (Failure, OSError, ValueError, asyncio.IncompleteReadError) as exc:
                    browser.close()
                    key = f"{type(exc).__name__}: {exc}"[:80]
                    run.errors[key] = run.errors.get(key, 0) + 1
                    continue
                if finished:
                    run.completed += 1
                else:
                    run.abandoned += 1
        finally:
            browser.close()
            run.retries += browser.retries

    async def everyone() -> None:
        await asyncio.gather(*(respondent(i) for i in range(concurrency)))

    pids = server.pids()
    cpu0, server0, pg0 = time.process_time(), _ticks(pids), _ticks(_postgres_pids())
    busy0, total0 = _busy()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    asyncio.run(everyone())
    run.wall = time.perf_counter() - t0
    cores = os.cpu_count() or 1
    run.loadgen_cpu = (time.process_time() - cpu0) / (run.wall * cores)
    run.server_cpu = _spent(server0, _ticks(server.pids())) / (run.wall * cores)
    run.postgres_cpu = _spent(pg0, _ticks(_postgres_pids())) / (run.wall * cores)
    busy1, total1 = _busy()
    run.system_cpu = (busy1 - busy0) / (total1 - total0) if total1 > total0 else math.nan
    return run


def warm_up(server: Server, target: Target, sessions: int) -> None:
    """Load templates and the parsed instrument in every worker (not measured)."""

    async def warm() -> None:
        rng = random.Random(0)
        for _ in range(sessions):
            browser = Browser(server.port, lambda _kind, _elapsed: None)
            try:  # a new connection each time: it may land on another worker
                await complete_session(browser, target.code, rng, lambda: True)
            finally:
                browser.close()

    asyncio.run(warm())


# --- an in-process profile (no server) --------------------------------------------------------


def profile(target: Target, tmp: Path, sessions: int) -> None:
    """Where a request's time goes, in-process through Flask's test client (one thread, same
    database, no HTTP): plain timings and SQL statements per request kind, then cProfile."""
    import cProfile
    import pstats

    from sqlalchemy import event
    from werkzeug.datastructures import MultiDict

    os.environ.update(
        ROOTCAUSE_DATABASE_URL=target.url,
        ROOTCAUSE_INSTANCE_PATH=str(tmp / "instance"),
        ROOTCAUSE_SECRET_KEY=secrets.token_hex(32),
    )
    from web import create_app

    app = create_app()
    engine = app.extensions["rootcause.engine"]
    statements = [0]
    event.listen(
        engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
    )
    rng = random.Random(1)
    timings: dict[str, list[float]] = {k: [] for k in KINDS}
    queries: dict[str, list[int]] = {k: [] for k in KINDS}

    def timed(kind: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        n, t = statements[0], time.perf_counter()
        response = call(*args, **kwargs)
        timings[kind].append(time.perf_counter() - t)
        queries[kind].append(statements[0] - n)
        return response

    def once() -> None:
        client = app.test_client()  # a new respondent: an empty cookie jar
        response = timed("GET page", client.get, f"/s/{target.code}?p=1")
        form = parse_page(response.get_data(as_text=True))
        while True:
            data = MultiDict(answers_for(form, rng))
            response = timed("POST page", client.post, f"/s/{target.code}", data=data)
            location = _path(response.headers["Location"])
            kind = "GET thanks" if location.endswith("/thanks") else "GET page"
            response = timed(kind, client.get, location)
            if kind == "GET thanks":
                return
            form = parse_page(response.get_data(as_text=True))

    once()  # warm: templates, the parsed instrument
    for values in (*timings.values(), *queries.values()):
        values.clear()
    for _ in range(sessions):
        once()
    print(f"\n## in-process, {target.backend}, {sessions} sessions, one thread, no HTTP")
    for kind in KINDS:
        ms = sorted(timings[kind])
        print(
            f"  {kind:10s} n={len(ms):5d}  mean {sum(ms) / len(ms) * 1000:6.2f} ms  "
            f"p50 {ms[len(ms) // 2] * 1000:6.2f} ms  "
            f"SQL statements/request {sum(queries[kind]) / len(queries[kind]):.1f} "
            "(+ 1 pre-ping per pool checkout on PostgreSQL)"
        )
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(sessions):
        once()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"web/|surveys/|instruments/|jinja2/environment", 30)
    stats.sort_stats("tottime").print_stats(25)
    engine.dispose()


# --- reporting --------------------------------------------------------------------------------


def report(run: Run) -> None:
    print(
        f"{run.backend:10s} c={run.concurrency:3d}  completed={run.completed:5d} "
        f"in {run.wall:5.1f} s = {run.rate:6.1f} responses/s"
        + (f" (target >= {TARGET_RATE:.0f})" if run.concurrency == 32 else "")
        + f", {run.request_rate:.0f} requests/s  abandoned={run.abandoned} "
        f"errors={sum(run.errors.values())} reconnects={run.retries}"
    )
    for kind in KINDS:
        n = len(run.latencies[kind])
        if not n:  # "GET thanks" when pages are posted in place: the reply is the page
            continue
        p50, p95, p99 = (run.pct(kind, p) for p in (50, 95, 99))
        flag = "ok" if p95 <= TARGET_P95_MS else "MISSED"
        print(
            f"    {kind:10s} n={n:6d}  p50={p50:7.1f} ms  p95={p95:7.1f} ms  p99={p99:7.1f} ms"
            f"  (target p95 <= {TARGET_P95_MS:.0f} ms: {flag})"
        )
    for error, count in sorted(run.errors.items(), key=lambda e: -e[1]):
        print(f"    error x{count}: {error}")
    print(
        f"    CPU share of {os.cpu_count()} cores: load generator {run.loadgen_cpu:.0%}, "
        f"gunicorn {run.server_cpu:.0%}, postgres {run.postgres_cpu:.0%}, "
        f"whole machine {run.system_cpu:.0%} (other processes {run.other_cpu:.0%}); "
        f"CPU per response: gunicorn {run.server_ms_per_response:.2f} ms, load generator "
        f"{run.loadgen_ms_per_response:.2f} ms"
    )
    verdict = "OK" if run.stored == run.completed else "MISMATCH"
    print(
        f"    stored complete responses: {run.stored} vs completed sessions {run.completed}: "
        f"{verdict}"
    )


def table(runs: list[Run]) -> None:
    print(
        "\n| back end | concurrency | completed | responses/s (requests/s) "
        "| GET page p50 / p95 / p99 ms | POST page p50 / p95 / p99 ms | errors "
        "| CPU: load gen / gunicorn / postgres / other | gunicorn CPU ms per response "
        "| stored |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        cells = [
            "PostgreSQL" if run.backend == "postgresql" else "SQLite",
            str(run.concurrency),
            f"{run.completed:,}",
            f"{run.rate:.1f} ({run.request_rate:.0f})",
            *(
                " / ".join(f"{run.pct(kind, p):.0f}" for p in (50, 95, 99))
                for kind in ("GET page", "POST page")
            ),
            str(sum(run.errors.values())),
            " / ".join(
                f"{share:.0%}"
                for share in (run.loadgen_cpu, run.server_cpu, run.postgres_cpu, run.other_cpu)
            ),
            f"{run.server_ms_per_response:.2f}",
            "OK" if run.stored == run.completed else f"MISMATCH {run.stored}/{run.completed}",
        ]
        print("| " + " | ".join(cells) + " |")


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--responses", type=int, default=2000, help="per run (at most)")
    parser.add_argument("--seconds", type=float, default=30.0, help="per run (at most)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--audience",
        choices=AUDIENCES,
        default=DEFAULT_AUDIENCE,
        help="whose link of the demo campaign: teacher (50 items on 8 pages, the default), "
        "student (35 on 6), parent (25 on 5), administration (16 on 4)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per level (the shared machine's speed drifts; the median is printed)",
    )
    parser.add_argument(
        "--no-js",
        action="store_true",
        help="respondents without JavaScript: each post answered by a redirect to the next page",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also cProfile N sessions in-process"
    )
    args = parser.parse_args()
    if make_url(args.postgres).host not in LOOPBACK:
        parser.error("--postgres must point at a loopback address")
    levels = [int(c) for c in args.concurrency.split(",")]
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; gunicorn -k gthread -w {args.workers} "
        f"--threads {args.threads}; the {args.audience} link; up to {args.responses} responses "
        f"or {args.seconds:g} s per run; "
        + ("without JavaScript (post, 303, get)" if args.no_js else "pages posted in place")
    )
    runs: list[Run] = []
    for backend in backends:
        with (
            tempfile.TemporaryDirectory(prefix="rootcause_bench_") as tmp_name,
            fresh_database(backend, args.postgres, Path(tmp_name), args.audience) as target,
        ):
            tmp = Path(tmp_name)
            engine = make_engine(target.url)
            try:
                with gunicorn(target, tmp, args.workers, args.threads) as server:
                    warm_up(server, target, sessions=2 * args.workers)
                    for concurrency in levels:
                        for repeat in range(args.repeat):
                            before = complete_count(engine)
                            run = run_load(
                                server,
                                target,
                                concurrency,
                                args.responses,
                                args.seconds,
                                args.seed + repeat,
                                in_place=not args.no_js,
                            )
                            run.stored = complete_count(engine) - before
                            report(run)
                            runs.append(run)
                if args.profile:
                    profile(target, tmp, args.profile)
            finally:
                engine.dispose()
    table(runs)
    if args.repeat > 1:
        medians(runs)


def medians(runs: list[Run]) -> None:
    """The median rate of the runs of each back end and level, with the slowest and fastest."""
    print()
    for backend in dict.fromkeys(run.backend for run in runs):
        for concurrency in dict.fromkeys(run.concurrency for run in runs):
            rates = sorted(
                r.rate for r in runs if r.backend == backend and r.concurrency == concurrency
            )
            if rates:
                print(
                    f"{backend:10s} c={concurrency:3d}  median {statistics.median(rates):6.1f} "
                    f"responses/s of {len(rates)} runs (slowest {rates[0]:.1f}, "
                    f"fastest {rates[-1]:.1f})"
                    + (f", target >= {TARGET_RATE:.0f}" if concurrency == 32 else "")
                )


if __name__ == "__main__":
    main()
