"""Fixtures for multi-node tests: in-process clusters on 127.0.0.1 and scripted fake peers."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer, make_settings, pg_database, wait_for

# Short peer timings so health changes are seen within a second (production: 10 s / 5 s / 2 s).
FAST_CLUSTER = {
    "enabled": True,
    "health_check_initial_delay_secs": 0.3,
    "health_check_interval_secs": 0.3,
    "health_check_timeout_secs": 0.5,
    "sync_timeout_secs": 2.0,
}
FAST_REPLICATION = {"timeout_secs": 1.0, "batch_interval_ms": 20, "retry_interval_secs": 0.2}


PG_URL = os.environ.get("ARTEMIS_TEST_POSTGRES_URL", "")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own (skipped without ARTEMIS_TEST_POSTGRES_URL)."""
    if not PG_URL:
        pytest.skip("ARTEMIS_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    with pg_database(PG_URL, "artemis_cluster") as url:
        yield url


def cluster_sections(**sections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"cluster": dict(FAST_CLUSTER), "replication": dict(FAST_REPLICATION)}
    for name, values in sections.items():
        out.setdefault(name, {}).update(values)
    return out


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Callable[..., list[LiveServer]]]:
    """Start ``n`` peered nodes (each lists every node, itself included: its own address is ignored)."""
    started: list[LiveServer] = []

    def factory(
        n: int = 3, extra_peers: tuple[str, ...] = (), **sections: dict[str, Any]
    ) -> list[LiveServer]:
        base = len(started)
        servers = [
            LiveServer(make_settings(tmp_path / f"node{base + i}", **cluster_sections(**sections)))
            for i in range(n)
        ]
        urls = [s.url for s in servers] + list(extra_peers)
        for s in servers:
            s.settings.cluster.peers = list(urls)
        for s in servers:
            s.start()
            started.append(s)
        if not extra_peers:
            for s in servers:  # every node sees every peer up before the test writes
                wait_for(lambda s=s: _node_count(s.url) == n, timeout=5, what=f"{s.url} sees {n} nodes")
        return servers

    yield factory
    for srv in started:
        srv.stop()


def _node_count(url: str) -> int:
    return int(httpx.get(url + "/api/status/cluster.json", timeout=5).json()["nodeCount"])


def instance(service: str, iid: str, **extra: Any) -> dict[str, Any]:
    doc = {
        "serviceId": service,
        "instanceId": iid,
        "regionId": "r1",
        "zoneId": "z1",
        "ip": "10.0.0.1",
        "port": 80,
        "url": f"http://10.0.0.1/{iid}",
    }
    doc.update(extra)
    return doc


def instance_ids(base_url: str, service: str) -> list[str]:
    r = httpx.get(base_url + "/api/discovery/service.json", params={"serviceId": service}, timeout=5)
    return [i["instanceId"] for i in r.json()["service"]["instances"]]


def metric(base_url: str, name: str, labels: str = "") -> float:
    """Value of one sample of /metrics (0 when absent)."""
    text = httpx.get(base_url + "/metrics", timeout=5).text
    want = name + (("{" + labels + "}") if labels else "")
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return 0.0


class FakePeer:
    """A scripted peer at a true boundary: answers from ``script(method, path, body) -> (status, body)``.

    Records every request; ``delay`` holds answers back (a slow peer); ``hold`` blocks until released.
    """

    def __init__(self, script: Callable[[str, str, bytes], tuple[int, bytes]], delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.release = threading.Event()
        self.release.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                fake.requests.append((self.command, self.path, dict(self.headers), body))
                if fake.delay:
                    time.sleep(fake.delay)
                fake.release.wait(timeout=30)
                status, out = fake.script(self.command, self.path, body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    pass

            do_GET = _serve  # noqa: N815 - http.server naming
            do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [p for _, p, _, _ in list(self.requests)]

    def bodies(self, path: str) -> list[Any]:
        return [json.loads(b) for _, p, _, b in list(self.requests) if p == path and b]

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_peer() -> Iterator[Callable[..., FakePeer]]:
    made: list[FakePeer] = []

    def factory(script: Callable[[str, str, bytes], tuple[int, bytes]], delay: float = 0.0) -> FakePeer:
        peer = FakePeer(script, delay)
        made.append(peer)
        return peer

    yield factory
    for peer in made:
        peer.close()
