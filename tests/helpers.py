"""Test helpers: a real node on a pre-bound loopback socket, bounded polling, subprocess servers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from artemis_server.api.fastpath import build_asgi
from artemis_server.node import Node
from artemis_server.registry.ports import Clock
from artemis_server.settings import Settings, load_settings
from artemis_server.transport import uvicorn_options
from artemis_server.wsframes import PushProtocol

ROOT = Path(__file__).resolve().parent.parent


def make_settings(data_dir: Path, **sections: dict[str, Any]) -> Settings:
    overrides: dict[str, dict[str, Any]] = {
        "server": {"data_dir": str(data_dir), "listen_addr": "127.0.0.1:0"}
    }
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    settings, _ = load_settings(None, env={}, overrides=overrides)
    return settings


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process owns signals
        pass


class LiveServer:
    """One node served by uvicorn in a background thread on a socket bound before start.

    Pre-binding to 127.0.0.1:0 avoids the "find a free port, then start" race.
    """

    def __init__(self, settings: Settings, clock: Clock | None = None, parser: str = "auto") -> None:
        self.settings = settings
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.node = Node(settings, clock=clock)  # a FakeClock lets lease tests move time without sleeping
        app = build_asgi(settings, bound_port=self.port, node=self.node)
        config = uvicorn.Config(
            app,
            lifespan="on",
            log_level="warning",
            access_log=False,
            ws=PushProtocol,  # as `artemis server start`: the push fan-out writes ready frames
            ws_per_message_deflate=False,
            **uvicorn_options(settings, parser),  # the node's own head-size and request-timeout limits
        )
        self.server = _Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        # uvloop, like `artemis server start`: the default selector loop in a thread cost ~40 ms a request
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(self.server.serve(sockets=[self.sock]))

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    srv = LiveServer(settings).start()
    try:
        yield srv
    finally:
        srv.stop()


def wait_for(
    predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll until ``predicate()`` is truthy; fail after ``timeout`` seconds (bounded, never a bare sleep)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


@contextmanager
def pg_database(admin_url: str, prefix: str = "artemis_test") -> Iterator[str]:
    """A PostgreSQL database of its own on the server ``admin_url`` names, dropped afterwards; yields its URL."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`artemis server start` as a real subprocess (for SIGKILL/restart and CLI end-to-end tests)."""

    def __init__(
        self,
        data_dir: Path,
        *args: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        config: Path | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.log_file = log_file  # stderr to this file instead of a pipe (a long debug log fills a pipe)
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.args = list(args)
        self.config = config
        self.env = {**os.environ, **(env or {})}
        self.env["PYTHONPATH"] = str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", "")
        self.proc: subprocess.Popen[str] | None = None

    def start(self, wait: bool = True) -> ServerProcess:
        cmd = [
            sys.executable,
            "-m",
            "artemis_cli",
            "server",
            "start",
            "--addr",
            f"127.0.0.1:{self.port}",
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]
        if self.config:
            cmd += ["--config", str(self.config)]
        if self.log_file is None:
            err: Any = subprocess.PIPE
        else:
            err = self.log_file.open("a")
        try:
            self.proc = subprocess.Popen(
                cmd, env=self.env, stdout=subprocess.PIPE, stderr=err, text=True, cwd=str(ROOT)
            )
        finally:
            if self.log_file is not None:
                err.close()
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 20) -> None:
        def ok() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"server exited early: {self.proc.stderr.read() if self.proc.stderr else ''}"
                )
            try:
                return httpx.get(self.url + "/health", timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ok, timeout=timeout, interval=0.1, what=f"{self.url}/health")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 15) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def output(self) -> tuple[str, str]:
        assert self.proc is not None
        out, err = self.proc.communicate(timeout=10)
        return out, err


@contextmanager
def black_hole() -> Iterator[str]:
    """A URL whose socket accepts connections (kernel backlog) and never answers: every read times out."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield f"http://127.0.0.1:{s.getsockname()[1]}"
    finally:
        s.close()


def dead_url() -> str:
    """A URL on a loopback port nothing listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


def metric_value(http: httpx.Client, sample: str) -> float:
    """The value of one sample of the node's /metrics: ``name`` or ``name{labels}`` as it is printed."""
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in /metrics")
