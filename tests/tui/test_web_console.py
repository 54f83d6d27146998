"""`artemis tui --web` without a browser: its page needs nothing from other hosts, only loopback hosts and
pages of the console itself may open a dashboard session, the token reaches sessions through the environment
only, and bad settings or a busy port are one line on stderr."""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosedOK
from websockets.sync.client import ClientConnection, connect

from tests.cli.conftest import one_line_error, run_proc
from tests.helpers import ROOT, LiveServer, wait_for
from tests.tui.browser import WebConsole

TOKEN = "tok-web-console-" + "7" * 24
PROXY = "https://console.example.com"


@pytest.fixture(scope="module")
def console(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebConsole]:
    """A console with a token and one reverse-proxy origin allowed."""
    c = WebConsole(
        [server.url],
        tmp_path_factory.mktemp("console"),
        env={"ARTEMIS_TOKEN": TOKEN, "ARTEMIS_TUI_WEB_ORIGINS": PROXY},
    ).start()
    yield c
    c.stop()


def handshake(port: int, *, host: str, origin: str | None) -> int:
    """The HTTP status of a WebSocket upgrade on /ws with these Host and Origin headers."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /ws?width=80&height=24 HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status = sock.makefile("rb").readline().decode()
    return int(status.split()[1])


def test_page_and_assets_come_from_the_console(console: WebConsole) -> None:
    """The page links only the console's own assets (no CDN font), sends a strict CSP, and points the
    terminal's WebSocket at the host the browser used."""
    r = httpx.get(console.url, timeout=10)
    assert r.status_code == 200
    page = r.text
    assert "googleapis" not in page
    assert "https://" not in page
    assert set(re.findall(r'(?:src|href)="([^"]+)"', page)) == {
        "/static/fonts/RobotoMono-VariableFont_wght.ttf",
        "/static/css/xterm.css",
        "/static/js/textual.js",
    }
    assert f'data-session-websocket-url="ws://127.0.0.1:{console.port}/ws"' in page
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    for asset in ("fonts/RobotoMono-VariableFont_wght.ttf", "css/xterm.css", "js/textual.js"):
        assert httpx.get(f"{console.url}static/{asset}", timeout=10).status_code == 200, asset
    via_name = httpx.get(console.url, headers={"Host": f"localhost:{console.port}"}, timeout=10)
    assert via_name.status_code == 200
    assert f'data-session-websocket-url="ws://localhost:{console.port}/ws"' in via_name.text


def test_foreign_host_names_are_refused(console: WebConsole) -> None:
    """A Host that is not loopback (DNS rebinding: evil.example resolving to 127.0.0.1) gets 403, page and
    WebSocket alike."""
    r = httpx.get(console.url, headers={"Host": f"evil.example:{console.port}"}, timeout=10)
    assert r.status_code == 403
    assert "unknown host" in r.text
    assert "ARTEMIS_TUI_WEB_ORIGINS" in r.text
    assert handshake(console.port, host=f"evil.example:{console.port}", origin=None) == 403


def test_websocket_origins(console: WebConsole) -> None:
    """Only the console's own pages and the listed proxy origin may open a session; another site's page
    may not, whatever Host it reaches us with."""
    here = f"127.0.0.1:{console.port}"
    assert handshake(console.port, host=here, origin="http://evil.example") == 403
    assert handshake(console.port, host=here, origin=f"http://localhost:{console.port}") == 403
    assert handshake(console.port, host="console.example.com", origin="http://evil.example") == 403
    assert handshake(console.port, host=here, origin=f"http://{here}") == 101
    assert handshake(console.port, host="console.example.com", origin=PROXY) == 101


def test_session_gets_the_token_in_its_environment_not_its_command_line(console: WebConsole) -> None:
    """The dashboard process of a session runs with the token in ARTEMIS_TOKEN; no process of the console
    has it on its command line (visible to every user in ps)."""
    with connect(console.ws_url + "?width=100&height=30", open_timeout=10) as ws:
        first = ws.recv(timeout=30)  # the session's first output: its process is up
        assert isinstance(first, bytes)
        assert first

        def session_pid() -> int | None:
            for pid in console.session_pids():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"artemis_cli.tui.web.session" in cmdline:
                    return pid
            return None

        pid = wait_for(session_pid, timeout=10, what="the session process")
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"ARTEMIS_TOKEN={TOKEN}".encode() in environ
        for p in [console.proc.pid, *console.session_pids()] if console.proc else []:
            try:
                assert TOKEN.encode() not in Path(f"/proc/{p}/cmdline").read_bytes()
            except FileNotFoundError:
                pass  # a shell that has exec'd or exited meanwhile


def test_ctrl_c_ends_open_sessions_at_once(server: LiveServer, tmp_path: Path) -> None:
    """Ctrl+C with a browser session open closes it as "going away" (1001) instead of waiting out the
    graceful period, the console exits 0, and the session's dashboard process is gone."""
    console = WebConsole([server.url], tmp_path / "console").start()
    try:
        with connect(console.ws_url + "?width=80&height=24", open_timeout=10) as ws:
            ws.recv(timeout=30)
            sessions = wait_for(console.session_pids, timeout=10, what="the session process")
            assert console.proc is not None
            console.proc.send_signal(signal.SIGINT)
            closed = _drain(ws)
            assert closed.rcvd is not None
            assert closed.rcvd.code == 1001
        assert console.proc.wait(timeout=30) == 0
        wait_for(
            lambda: not any(_alive(pid) for pid in sessions), timeout=15, what="the session processes to exit"
        )
    finally:
        console.stop()


def _drain(ws: ClientConnection) -> ConnectionClosedOK:
    """Read until the server closes the session cleanly (a bounded loop: each read waits at most 30 s)."""
    for _ in range(100_000):
        try:
            ws.recv(timeout=30)
        except ConnectionClosedOK as closed:
            return closed
    raise AssertionError("the session kept sending and never closed")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_busy_port_and_bad_origins_are_one_line_errors(console: WebConsole, server: LiveServer) -> None:
    """A port already in use exits 1 and a malformed ARTEMIS_TUI_WEB_ORIGINS exits 2, each with one line
    on stderr and no traceback."""
    busy = run_proc("--server", server.url, "tui", "--web", "--port", str(console.port), timeout=60)
    assert busy.code == 1
    assert f"cannot listen on 127.0.0.1:{console.port}" in one_line_error(busy.stderr)
    bad = run_proc(
        "--server",
        server.url,
        "tui",
        "--web",
        "--port",
        str(console.port),
        env={"ARTEMIS_TUI_WEB_ORIGINS": "console.example.com"},
        timeout=60,
    )
    assert bad.code == 2
    assert "'console.example.com' is not an origin" in one_line_error(bad.stderr)


def test_session_module_needs_the_console() -> None:
    """Started by hand, the per-session module says it belongs to `artemis tui --web` (exit 2, one line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTEMIS_")}
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run(
        [sys.executable, "-m", "artemis_cli.tui.web.session"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(ROOT),
    )
    assert p.returncode == 2
    assert "started by `artemis tui --web`" in one_line_error(p.stderr)
