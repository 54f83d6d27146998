"""How soon `artemis tui --web` is usable in a real browser, and where the time goes.

    python -m benchmarks.tui_web [--loads 10] [--timeout 20] [--skip-stock]

Starts a node (`artemis server start`, 20 services x 5 instances), then for each console below opens the page
``--loads`` times in a fresh tab of headless Debian chromium (tests/tui/browser.py) and prints, from the
navigation: the page's load event, the terminal's WebSocket open, the app's first output (the splash goes)
and "usable" (the Overview has drawn its first sample of the cluster: the Nodes card, "N/M up"). Consoles:

- ``artemis tui --web``: this checkout (our page, the per-session entry point);
- ``textual-serve stock``: textual-serve's own page and the full CLI per session (what main had before
  issue 19), with the Google Fonts request failing at once (a closed network: no such host);
- the same with that request stalling (the font host answers TCP and then nothing: a slow proxy, a
  firewall that drops packets), the case users see as a splash that does not go away.

Every host name resolves to nothing or to a listener on 127.0.0.1: no traffic leaves the machine. Then,
without a browser, the session process alone: from its start to its first output and to the first screen
with data, for the CLI command and for the session entry point. Figures, no thresholds: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import ServerProcess  # noqa: E402
from tests.tui.browser import USABLE, Chromium, WebConsole, load_timeline, overview_loaded  # noqa: E402

QUIET = {"ARTEMIS_LOGGING__LEVEL": "warning"}
MILESTONES = ("page_loaded", "connected", "first_frame", "usable")


class StockConsole(WebConsole):
    """textual-serve's Server as main ran it before issue 19: its page, `python -m artemis_cli ... tui`."""

    def command(self) -> list[str]:
        session = shlex.join([sys.executable, "-m", "artemis_cli", "--server", ",".join(self.servers), "tui"])
        code = (
            "from textual_serve.server import Server\n"
            f"Server({session!r}, host='127.0.0.1', port={self.port}, title='Artemis').serve()\n"
        )
        return [sys.executable, "-c", code]


def stalled_listener() -> tuple[int, Callable[[], None]]:
    """A loopback port that accepts connections and never answers (a stalled CDN); returns (port, stop)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.settimeout(0.2)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    def stop() -> None:
        done.set()
        thread.join(2)
        for c in held:
            c.close()
        sock.close()

    return int(sock.getsockname()[1]), stop


def register(url: str, services: int, per_service: int) -> None:
    with httpx.Client(timeout=10) as http:
        for s in range(services):
            body = {
                "instances": [
                    {
                        "serviceId": f"bench-web-{s:02d}",
                        "instanceId": f"i{i}",
                        "ip": f"10.90.{s}.{i + 1}",
                        "port": 8080,
                        "url": f"http://10.90.{s}.{i + 1}:8080",
                    }
                    for i in range(per_service)
                ]
            }
            http.post(url + "/api/registry/register.json", json=body).raise_for_status()


def browse(
    name: str, browser: Chromium, console: WebConsole, node_url: str, loads: int, timeout: float
) -> None:
    """Open the console ``loads`` times in fresh tabs; one line per load, one summary line."""
    rows: list[dict[str, float]] = []
    failures = 0
    for n in range(loads):
        page = browser.open()
        try:
            marks = load_timeline(page, console.url, overview_loaded(node_url), timeout=timeout)
            rows.append(marks)
            print(f"  {name:<34} load {n + 1:>2}: " + "  ".join(f"{k} {v:5.2f}s" for k, v in marks.items()))
        except AssertionError:
            failures += 1
            print(f"  {name:<34} load {n + 1:>2}: not usable within {timeout:g}s")
        finally:
            page.close()
        time.sleep(0.3)  # the closed session's process exits before the next one starts
    summary(name, rows, failures, timeout)


def summary(name: str, rows: list[dict[str, float]], failures: int, timeout: float) -> None:
    parts = []
    for key in MILESTONES:
        values = [r[key] for r in rows if key in r]
        if values:
            parts.append(f"{key} p50 {statistics.median(values):.2f}s max {max(values):.2f}s")
    tail = f"; {failures} of {len(rows) + failures} loads not usable within {timeout:g}s" if failures else ""
    SUMMARY.append(f"{name:<34} n={len(rows) + failures:<3} " + " | ".join(parts) + tail)


SUMMARY: list[str] = []


def session_process(name: str, cmd: list[str], env: dict[str, str], node_url: str, runs: int) -> None:
    """Time the per-session process alone, speaking textual-serve's packet protocol on its pipes."""
    first: list[float] = []
    usable: list[float] = []
    for _ in range(runs):
        t0 = time.monotonic()
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert proc.stdout is not None
        assert proc.stdin is not None
        screen = b""
        got_first = None
        try:
            while True:
                line = proc.stdout.readline()
                if not line or line == b"__GANGLION__\n":
                    break
            got_first = time.monotonic() - t0
            while time.monotonic() - t0 < 30:
                kind = proc.stdout.read(1)
                if not kind:
                    break
                size = int.from_bytes(proc.stdout.read(4), "big")
                payload = proc.stdout.read(size)
                if kind == b"D":
                    screen += payload
                    if node_url.encode() in screen and USABLE.search(screen.decode(errors="replace")):
                        usable.append(time.monotonic() - t0)
                        break
            first.append(got_first)
        finally:
            quit_packet = json.dumps({"type": "quit"}).encode()
            try:
                proc.stdin.write(b"M" + len(quit_packet).to_bytes(4, "big") + quit_packet)
                proc.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    SUMMARY.append(
        f"{name:<34} n={runs:<3} process start -> first output p50 {statistics.median(first):.2f}s "
        f"max {max(first):.2f}s | -> first data drawn p50 {statistics.median(usable):.2f}s "
        f"max {max(usable):.2f}s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=10, help="page loads per console (default 10)")
    ap.add_argument("--timeout", type=float, default=20.0, help="give up on one load after this (s)")
    ap.add_argument("--skip-stock", action="store_true", help="only this checkout's console")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="artemis-tui-web-bench-"))
    node = ServerProcess(base / "node", env=QUIET)
    stall_port, stop_stall = stalled_listener()
    consoles: list[WebConsole] = []
    browser: Chromium | None = None
    try:
        node.start()
        register(node.url, 20, 5)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"node {node.url}: 20 services x 5 instances; load average {load:.2f}; {os.cpu_count()} CPUs")
        # the font host of textual-serve's page answers TCP and then nothing, for every console
        browser = Chromium.launch(
            base / "shots", host_rules=[f"MAP fonts.googleapis.com 127.0.0.1:{stall_port}"]
        )
        refused = Chromium.launch(base / "shots-refused")
        try:
            ours = WebConsole([node.url], base / "ours").start()
            consoles.append(ours)
            browse("artemis tui --web", browser, ours, node.url, args.loads, args.timeout)
            if not args.skip_stock:
                stock = StockConsole([node.url], base / "stock").start()
                consoles.append(stock)
                browse("textual-serve stock, CDN refused", refused, stock, node.url, args.loads, args.timeout)
                browse(
                    "textual-serve stock, CDN stalls",
                    browser,
                    stock,
                    node.url,
                    min(args.loads, 3),
                    args.timeout,
                )
        finally:
            refused.close()

        env = {k: v for k, v in os.environ.items() if not k.startswith("ARTEMIS_")}
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
                "TEXTUAL_FPS": "60",
                "TEXTUAL_COLOR_SYSTEM": "truecolor",
                "TERM_PROGRAM": "textual",
                "COLUMNS": "140",
                "ROWS": "40",
                "XDG_CONFIG_HOME": str(base / "xdg"),
                "ARTEMIS_TUI_SESSION": json.dumps({"servers": [node.url]}),
            }
        )
        runs = max(3, args.loads)
        session_process(
            "session: artemis_cli.tui.web.session",
            [sys.executable, "-m", "artemis_cli.tui.web.session"],
            env,
            node.url,
            runs,
        )
        session_process(
            "session: artemis_cli ... tui (before)",
            [sys.executable, "-m", "artemis_cli", "--server", node.url, "tui"],
            env,
            node.url,
            runs,
        )
        print()
        print("\n".join(SUMMARY))
    finally:
        if browser is not None:
            browser.close()
        for c in consoles:
            c.stop()
        stop_stall()
        node.kill()


if __name__ == "__main__":
    main()
