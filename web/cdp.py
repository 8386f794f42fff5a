"""Chromium driven over the DevTools protocol through a pipe: no Node.js, no Playwright.

Started with ``--remote-debugging-pipe``, Chromium reads commands on its fd 3 and writes the
replies and events on its fd 4, each a JSON object followed by a NUL byte. That is all
Playwright does underneath, after starting its Node.js driver (a fifth of a second to import
its Python side, half a second to a second of CPU to start the driver): on a small machine
that was a large part of a reference's DOCX. :mod:`web.chart_browser` needs only a few
commands (a page, its requests blocked, a script evaluated, a page printed), which this module
sends itself.

A :class:`Chromium` belongs to the thread that launched it: :meth:`Chromium.send` writes a
command and reads the pipe until its reply, handing the events read meanwhile to the handlers
registered with :meth:`Chromium.on` (which may :meth:`Chromium.post` a command but not wait
for one) or keeping them for :meth:`Chromium.wait_for`. Pages are flattened sessions
(``Target.attachToTarget`` with ``flatten``): their commands and events carry the session's
id, on the same pipe.

Chromium runs in a process group of its own with a temporary profile, both removed by
:meth:`Chromium.close` (or, for a browser nobody closed, when the interpreter exits).
"""

from __future__ import annotations

import atexit
import base64
import collections
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

#: what Playwright passes to a headless Chromium on Linux (its chromiumSwitches and headless
#: arguments), less the switches of Edge, Windows and macOS: the charts and the PDF are drawn
#: as they were when Playwright started Chromium (its colour profile, hover settings, no
#: background throttling of the one page that works)
HEADLESS = (
    "--headless",
    "--hide-scrollbars",
    "--mute-audio",
    "--blink-settings=primaryHoverType=2,availableHoverTypes=2,"
    "primaryPointerType=4,availablePointerTypes=4",
    "--no-startup-window",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-field-trial-config",
    "--disable-background-networking",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-back-forward-cache",
    "--disable-breakpad",
    "--disable-component-extensions-with-background-pages",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,"
    "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,"
    "ThirdPartyStoragePartitioning,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,"
    "PreconnectToSearch",
    "--enable-features=SkipListAccountsWithoutGaiaCookies",
    "--allow-pre-commit-input",
    "--disable-hang-monitor",
    "--disable-ipc-flooding-protection",
    "--disable-popup-blocking",
    "--disable-prompt-on-repost",
    "--disable-renderer-backgrounding",
    "--force-color-profile=srgb",
    "--metrics-recording-only",
    "--password-store=basic",
    "--use-mock-keychain",
    "--no-service-autorun",
    "--disable-search-engine-choice-screen",
    "--disable-sync",
)
#: seconds a command may wait for its reply unless the caller says otherwise
TIMEOUT = 60.0
#: seconds Chromium is given to exit after ``Browser.close`` before it is killed
CLOSE_TIMEOUT = 5.0
#: the last bytes of Chromium's own output kept for an error message
_LOG_TAIL = 2000
#: events kept for :meth:`Chromium.wait_for` (older ones are dropped)
_KEPT_EVENTS = 256

#: sessions remembered as gone (closed or crashed), the oldest forgotten first
_KEPT_GONE = 64

Handler = Callable[[dict[str, Any]], None]


class CdpError(RuntimeError):
    """Chromium answered a command with an error, or not in time."""


class Disconnected(CdpError):
    """The pipe closed: Chromium exited, crashed or was killed."""


class Chromium:
    """One Chromium process and its pipe (see the module's docstring)."""

    def __init__(self, pid: int, reader: int, writer: int, folder: Path) -> None:
        self.pid = pid
        self._reader = reader
        self._writer = writer
        self.folder = folder
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer known to hold no NUL
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._ignored: set[int] = set()
        self._handlers: dict[tuple[str, str | None], Handler] = {}
        self._events: collections.deque[dict[str, Any]] = collections.deque(maxlen=_KEPT_EVENTS)
        self._gone: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._connected = True
        self._reaped = False
        self._exit: os.waitid_result | None = None
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._poll = select.poll()
        self._poll.register(reader, select.POLLIN)

    # -- starting and stopping -----------------------------------------------------------------

    @classmethod
    def launch(
        cls, executable: str, args: Iterable[str] = (), *, timeout: float = TIMEOUT
    ) -> Chromium:
        """Start ``executable`` headless with ``args`` (besides :data:`HEADLESS`, a profile of
        its own and the pipe) and wait until it answers.

        Raises :class:`Disconnected` when it exits first (with the end of what it printed),
        :class:`CdpError` when it does not answer in ``timeout`` seconds, :class:`OSError`
        when it cannot be started at all."""
        folder = Path(tempfile.mkdtemp(prefix="rootcause-chromium-"))
        command = [
            executable,
            *HEADLESS,
            *args,
            f"--user-data-dir={folder / 'profile'}",
            "--remote-debugging-pipe",
        ]
        # Chromium's fd 3 reads what we write on `commands`, its fd 4 writes what we read on
        # `replies`. posix_spawn puts them there without running Python in the child (no
        # preexec_fn, which is unsafe in a threaded process); the pipes are first moved above
        # 4 so that neither is overwritten by the other's dup2.
        ours: list[int] = []
        theirs: list[int] = []
        try:
            commands_in, commands_out = os.pipe()
            ours.append(commands_out)
            theirs.append(commands_in)
            replies_in, replies_out = os.pipe()
            ours.append(replies_in)
            theirs.append(replies_out)
            child_in = fcntl.fcntl(commands_in, fcntl.F_DUPFD_CLOEXEC, 10)
            theirs.append(child_in)
            child_out = fcntl.fcntl(replies_out, fcntl.F_DUPFD_CLOEXEC, 10)
            theirs.append(child_out)
            log = os.open(folder / "chromium.log", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
            theirs.append(log)
            pid = os.posix_spawn(
                executable,
                command,
                # Chromium's own temporary files (its singleton socket's folder) in the
                # profile's folder, which kill() removes: a browser killed at exit, as the
                # command line does (web.cli.run), leaves nothing in the system's /tmp.
                {**os.environ, "TMPDIR": str(folder)},
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, log, 1),
                    (os.POSIX_SPAWN_DUP2, log, 2),
                    (os.POSIX_SPAWN_DUP2, child_in, 3),
                    (os.POSIX_SPAWN_DUP2, child_out, 4),
                ],
                setsid=True,
            )
        except BaseException:
            for fd in ours:
                os.close(fd)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        browser = cls(pid, reader=replies_in, writer=commands_out, folder=folder)
        _running.add(browser)
        try:
            browser.send("Browser.getVersion", timeout=timeout)
        except Disconnected as exc:
            why = browser._how_it_ended()
            tail = " ".join(browser.log_tail().splitlines()[-3:])
            browser.kill()
            raise Disconnected(" ".join(filter(None, [f"{exc}{why}", tail]))) from None
        except BaseException:
            browser.kill()
            raise
        return browser

    @property
    def connected(self) -> bool:
        return self._connected

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Ask Chromium to exit, kill it if it has not in ``timeout`` seconds, and remove its
        profile. Idempotent."""
        if self._connected:
            with contextlib.suppress(CdpError, OSError):
                self.post("Browser.close")
            deadline = time.monotonic() + timeout
            while not self._ended() and time.monotonic() < deadline:
                time.sleep(0.02)
        self.kill()

    def kill(self) -> None:
        """Kill what is left of Chromium (its process group: the browser, its zygote,
        renderers and helpers), wait for it, and remove its profile. Idempotent; safe from
        another thread at exit; nothing in a forked child, whose parent owns the browser.

        The group is killed before the browser is waited for: until then its pid, the
        group's id, cannot be given to another process."""
        if os.getpid() != self._owner:
            return
        with self._lock:
            self._connected = False
            if not self._reaped:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
                self._reaped = True
            self._forsake()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _forsake(self) -> None:
        """Close our ends of the pipe and forget the browser (killed, or a forked child's)."""
        self._connected = False
        for fd in (self._reader, self._writer):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._reader = self._writer = -1
        _running.discard(self)

    def log_tail(self) -> str:
        """The end of what Chromium printed (for an error message)."""
        try:
            with open(self.folder / "chromium.log", "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - _LOG_TAIL))
                return log.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def _ended(self) -> bool:
        """Whether the browser process has ended, without waiting for it (``WNOWAIT``: it
        stays a zombie, its pid still its group's, until :meth:`kill`)."""
        if self._reaped or self._exit is not None:
            return True
        try:
            ended = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        if ended is None or ended.si_pid == 0:
            return False
        self._exit = ended
        return True

    def _how_it_ended(self, wait: float = 1.0) -> str:
        """How the process ended (waiting ``wait`` seconds for it to), for a message."""
        deadline = time.monotonic() + wait
        while not self._ended() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._exit is None:
            return ""
        if self._exit.si_code == os.CLD_EXITED:
            return f" (код выхода {self._exit.si_status})"
        return f" (сигнал {self._exit.si_status})"

    # -- commands and events -------------------------------------------------------------------

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = TIMEOUT,
    ) -> dict[str, Any]:
        """Send a command and return its result, reading (and dispatching) the events that
        arrive first. Raises :class:`CdpError` on an error reply, a session that went away
        or no reply in ``timeout`` seconds, :class:`Disconnected` when Chromium is gone."""
        message_id = self._write(method, params, session)
        deadline = time.monotonic() + timeout
        try:
            while message_id not in self._replies:
                if session is not None and session in self._gone:
                    raise CdpError(f"{method}: {self._gone[session]}")
                self._read(deadline, method)
        except CdpError:
            self._ignored.add(message_id)  # a reply coming later is dropped
            raise
        reply = self._replies.pop(message_id)
        if "error" in reply:
            error = reply["error"]
            raise CdpError(f"{method}: {error.get('message', error)}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def post(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> None:
        """Send a command without waiting for its reply (which is then dropped): what an
        event handler may do."""
        self._ignored.add(self._write(method, params, session))

    def on(self, method: str, handler: Handler | None, *, session: str | None = None) -> None:
        """Call ``handler(params)`` for each ``method`` event of ``session`` as it is read
        (one handler for each: a second replaces the first, None removes it)."""
        if handler is None:
            self._handlers.pop((method, session), None)
        else:
            self._handlers[method, session] = handler

    def wait_for(
        self, method: str, *, session: str | None = None, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """The first ``method`` event of ``session`` not yet waited for (one read while a
        command waited for its reply included): its params."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self._events:
                if event["method"] == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    params: dict[str, Any] = event.get("params", {})
                    return params
            if session is not None and session in self._gone:
                raise CdpError(f"{method}: {self._gone[session]}")
            self._read(deadline, method)

    def _write(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        if not self._connected:
            raise Disconnected("канал к Chromium закрыт.")
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method}
        if params:
            message["params"] = params
        if session is not None:
            message["sessionId"] = session
        data = memoryview(json.dumps(message).encode("utf-8") + b"\0")
        try:
            while data:
                data = data[os.write(self._writer, data) :]
        except OSError as exc:  # BrokenPipeError: Chromium is gone
            self._connected = False
            raise Disconnected(f"канал к Chromium закрыт ({exc}).") from exc
        return self._next_id

    def _read(self, deadline: float, waiting_for: str) -> None:
        """Read what the pipe holds (waiting until ``deadline`` for something) and dispatch
        each whole message."""
        if not self._connected:
            raise Disconnected("канал к Chromium закрыт.")
        left = deadline - time.monotonic()
        # poll, not select: a web worker's descriptors may be numbered above select's 1024
        if left <= 0 or not self._poll.poll(left * 1000):
            raise CdpError(f"{waiting_for}: Chromium не ответил вовремя.")
        chunk = os.read(self._reader, 1 << 20)
        if not chunk:
            self._connected = False
            raise Disconnected("Chromium закрыл канал DevTools")
        self._buffer += chunk
        start = 0
        # a long message (a PDF) comes in many reads: its start is not searched again
        while (end := self._buffer.find(b"\0", max(start, self._scanned))) >= 0:
            self._dispatch(json.loads(self._buffer[start:end]))
            start = end + 1
            self._scanned = 0
        del self._buffer[:start]
        self._scanned = len(self._buffer)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            if message["id"] in self._ignored:
                self._ignored.discard(message["id"])
            else:
                self._replies[message["id"]] = message
            return
        method = message.get("method", "")
        params = message.get("params", {})
        session = message.get("sessionId")
        if method == "Target.detachedFromTarget":
            self._forget(params.get("sessionId", ""), "страница закрыта.")
        elif method == "Inspector.targetCrashed" and session is not None:
            self._forget(session, "страница Chromium аварийно завершилась.")
        handler = self._handlers.get((method, session))
        if handler is not None:
            handler(params)
        else:
            self._events.append(message)

    def _forget(self, session: str, why: str) -> None:
        """A session is gone: its commands fail with ``why``, its handlers are dropped."""
        self._gone[session] = why
        while len(self._gone) > _KEPT_GONE:
            self._gone.popitem(last=False)
        for key in [key for key in self._handlers if key[1] == session]:
            del self._handlers[key]

    def gone(self, session: str) -> bool:
        """Whether ``session`` was closed or its page crashed."""
        return session in self._gone

    # -- pages ---------------------------------------------------------------------------------

    def new_page(self, *, timeout: float = TIMEOUT) -> Page:
        """A blank page in a browser context of its own (no cookies, storage or cache shared
        with another page), attached as a flattened session."""
        context = self.send("Target.createBrowserContext", timeout=timeout)["browserContextId"]
        try:
            target = self.send(
                "Target.createTarget",
                {"url": "about:blank", "browserContextId": context},
                timeout=timeout,
            )["targetId"]
            session = self.send(
                "Target.attachToTarget", {"targetId": target, "flatten": True}, timeout=timeout
            )["sessionId"]
        except BaseException:
            with contextlib.suppress(CdpError):
                self.post("Target.disposeBrowserContext", {"browserContextId": context})
            raise
        return Page(self, session, target, context)


class Page:
    """A page of a :class:`Chromium`: its session's commands, and the helpers the charts and
    the printing need."""

    def __init__(self, browser: Chromium, session: str, target: str, context: str) -> None:
        self.browser = browser
        self.session = session
        self.target = target
        self.context = context

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def block_requests(self, allowed: Collection[str] = ()) -> None:
        """Fail every request of the page but those of the URLs in ``allowed``: the page
        fetches nothing else from anywhere (``Fetch`` pauses each request, the handler lets it
        go on or fails it)."""
        allowed = frozenset(allowed)
        browser, session = self.browser, self.session

        def paused(params: dict[str, Any]) -> None:
            request = params["requestId"]
            if params.get("request", {}).get("url") in allowed:
                browser.post("Fetch.continueRequest", {"requestId": request}, session=session)
            else:
                browser.post(
                    "Fetch.failRequest",
                    {"requestId": request, "errorReason": "BlockedByClient"},
                    session=session,
                )

        browser.on("Fetch.requestPaused", paused, session=session)
        self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})

    def evaluate(self, expression: str, *, timeout: float = TIMEOUT) -> Any:
        """The value of a JavaScript expression (a promise awaited), as JSON. Raises
        :class:`CdpError` with the script's exception."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            error = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"Ошибка в странице Chromium: {error}")
        return result.get("result", {}).get("value")

    def call(self, function: str, *args: Any, timeout: float = TIMEOUT) -> Any:
        """``function`` (JavaScript source) called with ``args`` (passed as JSON)."""
        arguments = ", ".join(json.dumps(arg) for arg in args)
        return self.evaluate(f"({function})({arguments})", timeout=timeout)

    def print_pdf(self, params: dict[str, Any], *, timeout: float = TIMEOUT) -> bytes:
        return base64.b64decode(self.send("Page.printToPDF", params, timeout=timeout)["data"])

    @property
    def closed(self) -> bool:
        """Closed, crashed, or its browser gone."""
        return not self.browser.connected or self.browser.gone(self.session)

    def close(self) -> None:
        """Close the page with its browser context (without waiting for Chromium)."""
        self.browser.on("Fetch.requestPaused", None, session=self.session)
        if self.browser.connected:
            with contextlib.suppress(CdpError):
                self.browser.post(
                    "Target.disposeBrowserContext", {"browserContextId": self.context}
                )


#: the browsers this process started and has not killed yet
_running: set[Chromium] = set()


@atexit.register
def _kill_running() -> None:
    """A browser nobody closed (a daemon thread's, at exit) is killed with its profile."""
    for browser in list(_running):
        browser.kill()


def _forsake_running() -> None:
    """A forked child neither drives nor kills its parent's browsers: it closes its copies
    of their pipes (Chromium still sees its own end close when the parent exits)."""
    for browser in list(_running):
        browser._forsake()


os.register_at_fork(after_in_child=_forsake_running)
