"""`artemis server start` logging: per-request lines of third-party loggers only at debug; peers up at INFO,
down at WARNING."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import register
from tests.helpers import ServerProcess, free_port, wait_for

REQUEST_LOGGERS = ("httpx", "httpcore", "uvicorn.access")
FAST = {
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INITIAL_DELAY_SECS": "0.2",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INTERVAL_SECS": "0.2",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_TIMEOUT_SECS": "0.5",
    "ARTEMIS_REPLICATION__BATCH_INTERVAL_MS": "20",
    "ARTEMIS_LOGGING__FORMAT": "json",
}


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


def records(node: ServerProcess) -> list[dict[str, Any]]:
    assert node.log_file is not None
    return [json.loads(line) for line in node.log_file.read_text().splitlines() if line.startswith("{")]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two peers whose logs go to files; `chatty` runs with --log-level debug."""
    pa, pb = free_port(), free_port()
    quiet = ServerProcess(
        tmp_path / "quiet",
        "--peer",
        f"http://127.0.0.1:{pb}",
        port=pa,
        env=FAST,
        log_file=tmp_path / "quiet.log",
    )
    chatty = ServerProcess(
        tmp_path / "chatty",
        "--peer",
        f"http://127.0.0.1:{pa}",
        "--log-level",
        "debug",
        port=pb,
        env=FAST,
        log_file=tmp_path / "chatty.log",
    )
    yield quiet, chatty
    for n in (quiet, chatty):
        if n.proc is not None and n.proc.poll() is None:
            n.kill()


@pytest.mark.slow
def test_request_logs_only_at_debug_and_peer_state_levels(nodes: tuple[ServerProcess, ServerProcess]) -> None:
    """A default node logs no per-request lines and its peer going down (WARNING) and up (INFO); a node
    started with --log-level debug logs the requests it serves and sends."""
    quiet, chatty = nodes
    quiet.start(wait=False)
    wait_for(lambda: peer_up(quiet.url, chatty.url) == 0, timeout=20, what="quiet sees its peer down")
    chatty.start(wait=False)
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
    assert quiet.terminate() == 0
    assert chatty.terminate() == 0

    q = records(quiet)
    assert not [r for r in q if r["logger"] in REQUEST_LOGGERS], "request lines in a default log"
    peer_lines = [(r["level"], r["msg"]) for r in q if r["msg"].startswith(f"peer {chatty.url} is")]
    assert ("warning", f"peer {chatty.url} is down") in peer_lines
    assert ("info", f"peer {chatty.url} is up") in peer_lines

    c = records(chatty)
    loggers = {r["logger"] for r in c}
    assert "uvicorn.access" in loggers  # requests it served
    assert "httpx" in loggers  # requests it sent (replication, health checks)
