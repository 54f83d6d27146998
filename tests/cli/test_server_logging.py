"""`artemis server start` logging: per-request lines of third-party loggers only at debug; peers up at INFO,
down at WARNING."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import register
from tests.helpers import ROOT, free_port, wait_for

REQUEST_LOGGERS = ("httpx", "httpcore", "uvicorn.access")
FAST = {
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INITIAL_DELAY_SECS": "0.2",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INTERVAL_SECS": "0.2",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_TIMEOUT_SECS": "0.5",
    "ARTEMIS_REPLICATION__BATCH_INTERVAL_MS": "20",
    "ARTEMIS_LOGGING__FORMAT": "json",
}


class Node:
    """A node whose log goes to a file (a debug log can outgrow a pipe nobody reads while the test runs)."""

    def __init__(self, tmp: Path, name: str, port: int, peer_port: int, *args: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = tmp / f"{name}.log"
        self.cmd = [
            sys.executable,
            "-m",
            "artemis_cli",
            "server",
            "start",
            "--addr",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(tmp / name),
            "--peer",
            f"http://127.0.0.1:{peer_port}",
            *args,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Node:
        env = {**os.environ, **FAST, "PYTHONPATH": str(ROOT)}
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen(
                self.cmd, env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=err
            )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]


def peer_up(url: str, peer: str) -> float | None:
    """The node's artemis_peer_up gauge for ``peer`` (None while the node does not answer)."""
    try:
        text = httpx.get(url + "/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    for line in text.splitlines():
        if line.startswith(f'artemis_peer_up{{peer="{peer}"}}'):
            return float(line.split()[-1])
    return None


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    pa, pb = free_port(), free_port()
    quiet = Node(tmp_path, "quiet", pa, pb)
    chatty = Node(tmp_path, "chatty", pb, pa, "--log-level", "debug")
    yield quiet, chatty
    quiet.stop()
    chatty.stop()


@pytest.mark.slow
def test_request_logs_only_at_debug_and_peer_state_levels(nodes: tuple[Node, Node]) -> None:
    """A default node logs no per-request lines and its peer going down (WARNING) and up (INFO); a node
    started with --log-level debug logs the requests it serves and sends."""
    quiet, chatty = nodes
    quiet.start()
    wait_for(lambda: peer_up(quiet.url, chatty.url) == 0, timeout=20, what="quiet sees its peer down")
    chatty.start()
    wait_for(lambda: peer_up(quiet.url, chatty.url) == 1, timeout=20, what="quiet sees its peer up")
    wait_for(lambda: peer_up(chatty.url, quiet.url) == 1, timeout=20, what="chatty sees its peer up")
    register(chatty.url, "logsvc", "i1")  # replicated by chatty to quiet: requests on both sides
    register(quiet.url, "logsvc", "i2")
    wait_for(
        lambda: (
            len(
                httpx.get(quiet.url + "/api/discovery/service.json?serviceId=logsvc").json()["service"][
                    "instances"
                ]
            )
            == 2
        ),
        timeout=15,
        what="replication",
    )
    quiet.stop()
    chatty.stop()

    q = quiet.records()
    assert not [r for r in q if r["logger"] in REQUEST_LOGGERS], "request lines in a default log"
    peer_lines = [(r["level"], r["msg"]) for r in q if r["msg"].startswith(f"peer {chatty.url} is")]
    assert ("warning", f"peer {chatty.url} is down") in peer_lines
    assert ("info", f"peer {chatty.url} is up") in peer_lines

    c = chatty.records()
    loggers = {r["logger"] for r in c}
    assert "uvicorn.access" in loggers  # requests it served
    assert "httpx" in loggers  # requests it sent (replication, health checks)
