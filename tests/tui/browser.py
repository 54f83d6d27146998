"""A real headless browser for the `artemis tui --web` tests: Debian's chromium driven over the DevTools protocol.

Why CDP and not Selenium: the protocol is JSON over one WebSocket, and the `websockets` package is already a
runtime dependency, so the harness needs no new package (Selenium would add itself, urllib3, trio and a
chromedriver of the same version as the browser). CDP also gives what the tests need directly: key events,
JavaScript evaluation in the page and PNG screenshots.

Reading the screen: textual-serve draws the app with xterm.js on a canvas, so the text is not in the DOM. A
script installed before the page's own scripts catches the xterm ``Terminal`` object when textual.js stores it
(``this.terminal = new Terminal(...)``) and :meth:`Page.text` reads its buffer, the characters the terminal
shows (not pixels).

Usage: tests take the ``dashboard`` fixture (tests/tui/conftest.py: one browser and one `artemis tui --web`
per module, a fresh tab per test, on the session's live node) and drive it like an operator::

    def test_something(dashboard: Page, server: LiveServer) -> None:
        # (a one-sentence docstring)
        dashboard.press("2")                            # Textual's key names: "enter", "ctrl+p", "slash"
        dashboard.wait_for_text("Services", "SERVICE")  # every needle somewhere on the screen
        row = dashboard.wait_for_line("payments", "4")  # one row holding every needle
        dashboard.type("pay")                           # text, one key per character
        dashboard.screenshot("services")                # tests/tui/artifacts/<test>/NN-services.png

Assert through the ``wait_*`` methods: the screen is always in flux (pushes, polls), so a one-shot read may
catch the frame before the one you expect. Key bursts are delivered as fast as a fast typist: when a key
moves the focus (a filter box, a modal), wait for what it shows before pressing the next.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.helpers import ROOT, free_port

# The flags the machine notes ask for: without the background-networking ones chromium tries to reach
# Google's hosts (updates, field trials, safe browsing), which a closed network refuses or stalls.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--mute-audio",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",  # the port chromium picked is in <user-data-dir>/DevToolsActivePort
)

# Every host but localhost and 127.0.0.1 resolves to nothing: whatever a page links (a CDN font, ...) fails at once
# instead of leaving the machine. ``Chromium.launch(host_rules=...)`` puts its own mappings first.
NO_OUTSIDE = "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")

# Runs in every new document before the page's scripts: keeps the xterm Terminal textual.js creates, and
# counts the writes xterm has not finished parsing (a frame is applied in slices), so the screen is read
# between frames, not halfway through one.
CAPTURE_TERMINAL = """
(() => {
  window.__artemisPending = 0;
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
      if (value && value.buffer && typeof value.write === "function" && !window.__artemisTerm) {
        window.__artemisTerm = value;
        const write = value.write.bind(value);
        value.write = (data, done) => {
          window.__artemisPending++;
          write(data, () => { window.__artemisPending--; if (done) { done(); } });
        };
      }
    },
  });
})();
"""

READ_SCREEN = """
(() => {
  const term = window.__artemisTerm;
  if (!term) { return null; }
  const buf = term.buffer.active, lines = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buf.getLine(buf.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return [window.__artemisPending, lines.join("\\n")];
})()
"""

# key name -> (key, code, windowsVirtualKeyCode, text); single printable characters are built on the fly
_SPECIAL_KEYS: dict[str, tuple[str, str, int, str]] = {
    "enter": ("Enter", "Enter", 13, "\r"),
    "escape": ("Escape", "Escape", 27, ""),
    "tab": ("Tab", "Tab", 9, ""),
    "backspace": ("Backspace", "Backspace", 8, ""),
    "delete": ("Delete", "Delete", 46, ""),
    "space": (" ", "Space", 32, " "),
    "up": ("ArrowUp", "ArrowUp", 38, ""),
    "down": ("ArrowDown", "ArrowDown", 40, ""),
    "left": ("ArrowLeft", "ArrowLeft", 37, ""),
    "right": ("ArrowRight", "ArrowRight", 39, ""),
    "home": ("Home", "Home", 36, ""),
    "end": ("End", "End", 35, ""),
    "pageup": ("PageUp", "PageUp", 33, ""),
    "pagedown": ("PageDown", "PageDown", 34, ""),
}
# Textual's names of printable keys, so tests can say what the app's bindings say
_ALIASES = {
    "slash": "/",
    "question_mark": "?",
    "full_stop": ".",
    "minus": "-",
    "colon": ":",
    "underscore": "_",
    "plus": "+",
    "comma": ",",
}
_MODIFIERS = {"alt": 1, "ctrl": 2, "meta": 4, "shift": 8}
_SHIFTED = {
    "?": ("Slash", 191),
    "!": ("Digit1", 49),
    "@": ("Digit2", 50),
    "#": ("Digit3", 51),
    "$": ("Digit4", 52),
    "%": ("Digit5", 53),
    "^": ("Digit6", 54),
    "&": ("Digit7", 55),
    "*": ("Digit8", 56),
    "(": ("Digit9", 57),
    ")": ("Digit0", 48),
    "_": ("Minus", 189),
    "+": ("Equal", 187),
    ":": ("Semicolon", 186),
    '"': ("Quote", 222),
    "<": ("Comma", 188),
    ">": ("Period", 190),
    "{": ("BracketLeft", 219),
    "}": ("BracketRight", 221),
    "|": ("Backslash", 220),
    "~": ("Backquote", 192),
}
_PLAIN = {
    "/": ("Slash", 191),
    "-": ("Minus", 189),
    "=": ("Equal", 187),
    ";": ("Semicolon", 186),
    "'": ("Quote", 222),
    ",": ("Comma", 188),
    ".": ("Period", 190),
    "[": ("BracketLeft", 219),
    "]": ("BracketRight", 221),
    "\\": ("Backslash", 220),
    "`": ("Backquote", 192),
}


def find_chromium() -> str | None:
    """The browser binary: $ARTEMIS_TEST_CHROMIUM, else the first of chromium/chromium-browser on PATH."""
    explicit = os.environ.get("ARTEMIS_TEST_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(RuntimeError):
    pass


class CDPConnection:
    """One WebSocket to the browser: commands are answered by id; events go to their tab's handler."""

    def __init__(self, ws_url: str) -> None:
        self._stack = contextlib.ExitStack()  # websockets >= 17.1 wants connect() entered as a context
        self.ws: ClientConnection = self._stack.enter_context(
            connect(ws_url, max_size=None, open_timeout=10, close_timeout=2)
        )
        self._ids = itertools.count(1)
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {}

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = 15,
    ) -> dict[str, Any]:
        msg_id = next(self._ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError(f"{method}: no answer from the browser within {timeout}s")
            try:
                reply = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                continue
            if reply.get("id") == msg_id:
                if "error" in reply:
                    err = reply["error"]
                    raise CDPError(f"{method}: {err.get('message')} {err.get('data', '')}".rstrip())
                return dict(reply.get("result", {}))
            handler = self.handlers.get(reply.get("sessionId", ""))
            if handler is not None and "method" in reply:
                handler(reply)

    def close(self) -> None:
        try:
            self._stack.close()
        except Exception:
            pass


class Chromium:
    """A headless chromium process of the test's own, with a fresh profile, reached over CDP on loopback."""

    def __init__(
        self, proc: subprocess.Popen[bytes], profile: Path, cdp: CDPConnection, artifacts: Path
    ) -> None:
        self.proc = proc
        self.profile = profile
        self.cdp = cdp
        self.artifacts = artifacts
        self.pages: list[Page] = []

    @classmethod
    def launch(
        cls,
        artifacts: Path,
        *,
        binary: str | None = None,
        host_rules: Iterable[str] = (),
        timeout: float = 30,
    ) -> Chromium:
        """Start chromium; skips the calling test (with the reason) when no chromium is installed.

        ``host_rules``: chromium host-resolver rules tried before :data:`NO_OUTSIDE`, e.g.
        ``"MAP fonts.googleapis.com 127.0.0.1:PORT"`` to stand in for a slow CDN.
        """
        binary = binary or find_chromium()
        if binary is None:
            reason = (
                "chromium is not installed (apt-get install chromium; .ci/run installs it), "
                "or $ARTEMIS_TEST_CHROMIUM does not name an executable"
            )
            if os.environ.get("ARTEMIS_TEST_REQUIRE_BROWSER", "") not in ("", "0"):
                pytest.fail(reason + "; ARTEMIS_TEST_REQUIRE_BROWSER is set", pytrace=False)
            pytest.skip(reason)
        profile = Path(tempfile.mkdtemp(prefix="artemis-chromium-"))
        log = (profile / "chromium.log").open("wb")
        try:
            proc = subprocess.Popen(
                [
                    binary,
                    *CHROMIUM_FLAGS,
                    "--host-resolver-rules=" + ", ".join([*host_rules, NO_OUTSIDE]),
                    f"--user-data-dir={profile}",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # one process group: stop() ends the renderers and helpers with it
            )
        finally:
            log.close()
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while True:
            if port_file.exists():
                lines = port_file.read_text().splitlines()
                if len(lines) >= 2:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (profile / "chromium.log").read_text(errors="replace")[-2000:]
                _stop(proc)
                shutil.rmtree(profile, ignore_errors=True)
                raise RuntimeError(f"chromium did not start (exit {proc.poll()}): {tail}")
            time.sleep(0.05)
        cdp = CDPConnection(f"ws://127.0.0.1:{int(lines[0])}{lines[1]}")
        artifacts.mkdir(parents=True, exist_ok=True)
        return cls(proc, profile, cdp, artifacts)

    def open(
        self,
        url: str | None = None,
        *,
        artifacts: Path | None = None,
        width: int = 1280,
        height: int = 800,
    ) -> Page:
        """A new tab of ``width`` x ``height`` CSS pixels with the terminal catcher installed; loads ``url``.

        Screenshots go to ``artifacts`` (default: the browser's artifacts directory)."""
        target = self.cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session, artifacts or self.artifacts)
        self.cdp.handlers[session] = page.on_event
        page.call("Page.enable")
        page.call("Network.enable")
        page.call("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE_TERMINAL})
        page.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.pages.append(page)
        if url is not None:
            page.goto(url)
        return page

    def close(self) -> None:
        for page in list(self.pages):
            page.close()
        try:
            self.cdp.call("Browser.close", timeout=5)
        except Exception:
            pass
        self.cdp.close()
        _stop(self.proc)
        shutil.rmtree(self.profile, ignore_errors=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End chromium and every process of its group (renderers, GPU and network helpers)."""
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


class Page:
    """One browser tab showing `artemis tui --web`: keys in, terminal text and screenshots out."""

    def __init__(self, browser: Chromium, target: str, session: str, artifacts: Path) -> None:
        self.browser = browser
        self.target = target
        self.session = session
        self.artifacts = artifacts
        self.shots: list[Path] = []
        self.requests: list[str] = []  # every URL the tab asked for, in order
        self.console: list[str] = []  # the page's errors (console, uncaught exceptions), for failure messages

    def on_event(self, event: dict[str, Any]) -> None:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.webSocketCreated":
            self.requests.append(params["url"])
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.console.append(f"request failed: {params.get('errorText')} ({params.get('type')})")

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 15) -> dict[str, Any]:
        return self.browser.cdp.call(method, params, session=self.session, timeout=timeout)

    def goto(self, url: str) -> None:
        """Navigate; returns as soon as the browser has committed to the page (not when it has loaded)."""
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError(f"navigating to {url}: {result['errorText']}")

    def wait_loaded(self, timeout: float = 15) -> None:
        """Wait for the current document's load event (a page that is not the console: no terminal)."""
        deadline = time.monotonic() + timeout
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise AssertionError(f"the page did not finish loading within {timeout}s")
            time.sleep(0.05)

    def evaluate(self, expression: str, timeout: float = 15) -> Any:
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CDPError(f"{expression[:60]!r}: {details.get('exception', {}).get('description', details)}")
        return result.get("result", {}).get("value")

    # -- the screen ---------------------------------------------------------------------------------
    def text(self) -> str:
        """Every row of the terminal as text (rows joined with newlines); "" before the terminal exists.

        Read when xterm has applied every write it received (waits up to 1 s for that, then reads anyway:
        a screen that never settles still has to be shown in a failure message)."""
        deadline = time.monotonic() + 1.0
        while True:
            result = self.evaluate(READ_SCREEN)
            if result is None:
                return ""
            pending, screen = result
            if pending == 0 or time.monotonic() > deadline:
                return str(screen)
            time.sleep(0.01)

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def size(self) -> tuple[int, int]:
        """The terminal's (columns, rows)."""
        cols, rows = self.evaluate("window.__artemisTerm ? [__artemisTerm.cols, __artemisTerm.rows] : [0, 0]")
        return int(cols), int(rows)

    def wait_until(
        self, predicate: Callable[[str], Any], *, timeout: float = 15, what: str = "condition"
    ) -> Any:
        """Poll the screen text until ``predicate(text)`` is truthy; fail (with the screen) after ``timeout``."""
        deadline = time.monotonic() + timeout
        screen = ""
        while True:
            screen = self.text()
            result = predicate(screen)
            if result:
                return result
            if time.monotonic() > deadline:
                shot = self.screenshot(f"timeout-{_slug(what)}")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; screenshot {shot}; screen:\n{screen}"
                )
            time.sleep(0.05)

    def wait_for_text(self, *needles: str, timeout: float = 15) -> str:
        """Wait until every ``needle`` is on the screen; returns the screen text."""
        return str(
            self.wait_until(
                lambda s: s if all(n in s for n in needles) else None,
                timeout=timeout,
                what=" and ".join(repr(n) for n in needles),
            )
        )

    def wait_for_line(self, *needles: str, timeout: float = 15) -> str:
        """Wait until one row of the screen holds every ``needle`` (a table row, a bar); returns that row."""

        def row(screen: str) -> str | None:
            return next((line for line in screen.splitlines() if all(n in line for n in needles)), None)

        return str(
            self.wait_until(
                row, timeout=timeout, what="one row with " + " and ".join(repr(n) for n in needles)
            )
        )

    def wait_gone(self, *needles: str, timeout: float = 15) -> str:
        """Wait until none of ``needles`` is on the screen; returns the screen text."""
        return str(
            self.wait_until(
                lambda s: s if not any(n in s for n in needles) else None,
                timeout=timeout,
                what="no " + " or ".join(repr(n) for n in needles),
            )
        )

    def wait_for_terminal(self, timeout: float = 15) -> None:
        """Wait until textual.js has created its terminal (the page's scripts ran)."""
        deadline = time.monotonic() + timeout
        while not self.evaluate("!!window.__artemisTerm"):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no xterm terminal in the page after {timeout}s (did textual-serve's textual.js "
                    "stop assigning `this.terminal`?)"
                )
            time.sleep(0.05)

    # -- input --------------------------------------------------------------------------------------
    def press(self, *keys: str) -> None:
        """Press keys one after the other: "a", "2", "?", "enter", "escape", "down", "ctrl+p", "shift+tab"."""
        self.wait_for_terminal()
        self.evaluate("window.__artemisTerm.focus()")
        for key in keys:
            for event in _key_events(key):
                self.call("Input.dispatchKeyEvent", event)

    def type(self, text: str) -> None:
        """Type ``text`` one character at a time (printable ASCII)."""
        self.press(*text)

    # -- artifacts ----------------------------------------------------------------------------------
    def screenshot(self, name: str) -> Path:
        """Save a PNG of the page as ``<artifacts>/<NN>-<name>.png``; returns its path."""
        data = self.call("Page.captureScreenshot", {"format": "png"}, timeout=30)["data"]
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{len(self.shots) + 1:02d}-{_slug(name)}.png"
        path.write_bytes(base64.b64decode(data))
        self.shots.append(path)
        return path

    def close(self) -> None:
        """Close the tab (its dashboard session ends with it)."""
        try:
            self.browser.cdp.call("Target.closeTarget", {"targetId": self.target}, timeout=5)
        except Exception:
            pass
        self.browser.cdp.handlers.pop(self.session, None)
        if self in self.browser.pages:
            self.browser.pages.remove(self)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text).strip("-")[:60] or "screen"


def _key_events(key: str) -> Iterable[dict[str, Any]]:
    parts = key.split("+") if len(key) > 1 else [key]
    name = _ALIASES.get(parts[-1].lower(), parts[-1])
    mods = 0
    for m in parts[:-1]:
        if m.lower() not in _MODIFIERS:
            raise ValueError(f"unknown modifier {m!r} in key {key!r}")
        mods |= _MODIFIERS[m.lower()]
    if len(name) > 1 and name.lower() not in _SPECIAL_KEYS:
        raise ValueError(f"unknown key {name!r} in {key!r} (type text with Page.type)")
    if len(name) > 1:
        k, code, vk, text = _SPECIAL_KEYS[name.lower()]
    elif name.isalpha() and name.isascii():
        k, code, vk, text = name, f"Key{name.upper()}", ord(name.upper()), name
        if name.isupper():
            mods |= _MODIFIERS["shift"]
    elif name.isdigit():
        k, code, vk, text = name, f"Digit{name}", ord(name), name
    elif name in _SHIFTED:
        code, vk = _SHIFTED[name]
        k, text = name, name
        mods |= _MODIFIERS["shift"]
    elif name in _PLAIN:
        code, vk = _PLAIN[name]
        k, text = name, name
    else:
        raise ValueError(f"no key event for {name!r}")
    if mods & (_MODIFIERS["ctrl"] | _MODIFIERS["alt"] | _MODIFIERS["meta"]):
        text = ""  # the terminal builds the control sequence from the key code
    down: dict[str, Any] = {
        "type": "keyDown" if text else "rawKeyDown",
        "key": k,
        "code": code,
        "windowsVirtualKeyCode": vk,
        "nativeVirtualKeyCode": vk,
        "modifiers": mods,
    }
    if text:
        down["text"] = text
        down["unmodifiedText"] = text.lower() if len(text) == 1 else text
    yield down
    yield {
        "type": "keyUp",
        "key": k,
        "code": code,
        "windowsVirtualKeyCode": vk,
        "nativeVirtualKeyCode": vk,
        "modifiers": mods,
    }


# -- `artemis tui --web` as the browser tests start it ---------------------------------------------------------


class WebConsole:
    """`artemis tui --web` as a real subprocess on a free loopback port, with its own config directories.

    The environment is the test process's without ARTEMIS_* variables (plus ``env``); every dashboard session
    textual-serve starts is in the console's process group, so :meth:`stop` ends them too.
    """

    def __init__(
        self,
        servers: Iterable[str],
        workdir: Path,
        *,
        args: Iterable[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.servers = list(servers)
        self.workdir = workdir
        self.args = list(args)
        # the browser shows what an operator sees: colours on (no NO_COLOR), no ARTEMIS_* settings leaking in
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ARTEMIS_") and k != "NO_COLOR"}
        self.env.update(
            {
                "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                "XDG_CONFIG_HOME": str(workdir / "xdg-config"),
                "XDG_DATA_HOME": str(workdir / "xdg-data"),
            }
        )
        self.env.update(env or {})
        self.log = workdir / "console.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 30) -> WebConsole:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):  # a free port can be taken between free_port() and the bind: try another
            self.port = free_port()
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    self.command(),
                    env=self.env,
                    cwd=str(ROOT),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    if httpx.get(self.url, timeout=1).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            output = self.output()
            if self.proc.poll() is None:
                self.stop()
                raise RuntimeError(f"`artemis tui --web` did not answer within {timeout}s: {output}")
            if "cannot listen" not in output and "address already in use" not in output.lower():
                raise RuntimeError(f"`artemis tui --web` exited with {self.proc.returncode}: {output}")
        raise RuntimeError(f"`artemis tui --web` found no free port: {self.output()}")

    def command(self) -> list[str]:
        """What runs the console on ``self.port`` (benchmarks/tui_web.py swaps in textual-serve's own)."""
        return [
            sys.executable,
            "-m",
            "artemis_cli",
            "--server",
            ",".join(self.servers),
            "tui",
            "--web",
            "--port",
            str(self.port),
            *self.args,
        ]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def session_pids(self) -> list[int]:
        """The processes textual-serve started for browser sessions (descendants of the console)."""
        if self.proc is None:
            return []
        found: list[int] = []
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
        return found

    def stop(self) -> None:
        """SIGTERM (the console closes its sessions), then SIGKILL to whatever of its group is left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


_LOAD_STATE = "[location.href, document.readyState, document.body ? document.body.className : '', !!window.__artemisTerm]"


USABLE = re.compile(r"\b\d+/\d+ up\b")


def overview_loaded(server_url: str) -> Callable[[str], bool]:
    """Usable: the Overview (the first screen), connected to ``server_url``, has drawn its first sample of the
    cluster (the Nodes card, "N/M up")."""
    return lambda screen: f"connected to {server_url}" in screen and USABLE.search(screen) is not None


def load_timeline(
    page: Page, url: str, usable: Callable[[str], Any], *, timeout: float = 30
) -> dict[str, float]:
    """Open ``url`` in ``page`` and time it, in seconds from the navigation: ``page_loaded`` (window load),
    ``connected`` (the terminal's WebSocket is open), ``first_frame`` (the app's first output: the splash
    goes), ``usable`` (``usable(screen text)`` is true). Fails after ``timeout`` (a hang, not a slow load)."""
    marks: dict[str, float] = {}
    t0 = time.monotonic()
    page.goto(url)
    while True:
        href, ready, classes, term = page.evaluate(_LOAD_STATE)
        now = time.monotonic() - t0
        if href.startswith(url.rstrip("/")):
            if ready == "complete":
                marks.setdefault("page_loaded", now)
            if "-loaded" in classes:
                marks.setdefault("connected", now)
            if "-first-byte" in classes:
                marks.setdefault("first_frame", now)
            if term and usable(page.text()):
                marks["usable"] = now
                return marks
        if now > timeout:
            shot = page.screenshot("load-timeout")
            raise AssertionError(
                f"{url} not usable after {timeout}s (milestones {marks}; screenshot {shot}):\n{page.text()}"
            )
        time.sleep(0.02)
