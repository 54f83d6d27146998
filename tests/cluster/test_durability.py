"""An acknowledged management change is never lost (S14.2, issue 14): the issue's own scenarios.

Real `artemis server start` processes on loopback, SIGKILLed and SIGSTOPped, with the production health-check
timings (first check after 10 s, then every 5 s): convergence must not wait for them.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest
import websockets

from tests.cluster.mgmt_state import canary_ips, canary_set, ok
from tests.helpers import LiveServer, ServerProcess, make_settings, wait_for

QUIET = {"ARTEMIS_LOGGING__LEVEL": "warning"}  # default cluster timings otherwise

pytestmark = pytest.mark.slow


def _pair(tmp_path: Path, env: dict[str, str] | None = None) -> tuple[ServerProcess, ServerProcess]:
    a, b = (ServerProcess(tmp_path / name, env={**QUIET, **(env or {})}) for name in ("a", "b"))
    for n in (a, b):
        n.args = ["--peer", a.url, "--peer", b.url]
    return a, b


def _set(http: httpx.Client, url: str, service: str, ips: list[str]) -> None:
    r = canary_set(http, url, service, ips)
    assert ok(r), r.text


def test_crash_of_the_writer_loses_nothing(tmp_path: Path) -> None:
    """X acknowledged by A while B is down, A crashes, Y made on B: once both run, both hold X and Y, and
    for the config written on both, the later write (B's) wins everywhere."""
    a, b = _pair(tmp_path)
    try:
        a.start(wait=False)
        b.start()
        a.wait_healthy()
        with httpx.Client(timeout=10) as http:
            b.kill()
            _set(http, a.url, "svc-x", ["10.0.0.1"])
            _set(http, a.url, "svc-both", ["10.1.1.1"])
            a.kill()
            b.start()
            _set(http, b.url, "svc-y", ["10.0.0.2"])
            _set(http, b.url, "svc-both", ["10.2.2.2"])
            a.start()
            up = time.monotonic()
            for n in (a, b):
                wait_for(
                    lambda n=n: (
                        canary_ips(n.url, "svc-x") == ["10.0.0.1"]
                        and canary_ips(n.url, "svc-y") == ["10.0.0.2"]
                        and canary_ips(n.url, "svc-both") == ["10.2.2.2"]
                    ),
                    timeout=15 - (time.monotonic() - up),
                    interval=0.2,
                    what=f"X, Y and the later write on {n.url}",
                )
    finally:
        a.kill()
        b.kill()


@pytest.mark.parametrize("shared", [False, True], ids=["own-sqlite", "shared-postgres"])
def test_frozen_peer_catches_up_after_it_resumes(
    tmp_path: Path, shared: bool, request: pytest.FixtureRequest
) -> None:
    """B is frozen (SIGSTOP) until A counts it down, A makes 20 changes, B resumes: all 20 on B within 15 s."""
    env = {"ARTEMIS_DATABASE__URL": request.getfixturevalue("pg_url")} if shared else None
    a, b = _pair(tmp_path, env)
    try:
        a.start(wait=False)
        b.start()
        a.wait_healthy()
        assert b.proc is not None
        b.proc.send_signal(signal.SIGSTOP)
        wait_for(
            lambda: httpx.get(a.url + "/api/status/cluster.json", timeout=5).json()["nodeCount"] == 1,
            timeout=30,
            interval=0.5,
            what="A counts the frozen B down",
        )
        with httpx.Client(timeout=10) as http:
            for i in range(20):
                _set(http, a.url, f"frozen-{i}", [f"10.9.{i}.1"])
        b.proc.send_signal(signal.SIGCONT)
        wait_for(
            lambda: all(canary_ips(b.url, f"frozen-{i}") == [f"10.9.{i}.1"] for i in range(20)),
            timeout=15,
            interval=0.2,
            what="all 20 changes on B",
        )
    finally:
        if b.proc is not None and b.proc.poll() is None:
            b.proc.send_signal(signal.SIGCONT)
        a.kill()
        b.kill()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_nodes_sharing_a_database_learn_from_it_without_a_relay(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Two nodes on one database and not peered: a change on A is in force on B within 2 s (SQLite: the
    change-log poll; PostgreSQL: LISTEN/NOTIFY) and raises the same events for B's subscribers."""
    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    a = LiveServer(make_settings(tmp_path / "a", database={"url": url})).start()
    b = LiveServer(make_settings(tmp_path / "b", database={"url": url})).start()
    try:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            websockets.connect(b.url.replace("http://", "ws://") + "/ws") as ws,
        ):
            await ws.send(json.dumps({"type": "subscribe", "serviceId": "svc-shared"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "subscribed"
            body = {"serviceId": "svc-shared", "ipWhitelist": ["10.3.3.3"], "operatorId": "x"}
            started = time.monotonic()
            r = await http.post(a.url + "/api/management/canary/config", json=body)
            assert r.json()["success"] is True
            msg = json.loads(await asyncio.wait_for(ws.recv(), 2.5))
            assert [c["changeType"] for c in msg["changes"]] == ["reload"]
            assert time.monotonic() - started < 2.0
            cfg = (await http.get(b.url + "/api/management/canary/config/svc-shared")).json()
            assert cfg["data"]["ipWhitelist"] == ["10.3.3.3"]
    finally:
        a.stop()
        b.stop()
