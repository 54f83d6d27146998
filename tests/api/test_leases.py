"""Lease expiry against a live node with a short TTL (S3), observed by bounded polling."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from artemis_server.registry.ports import FakeClock
from artemis_server.settings import Settings
from tests.api.wireclient import instance, instance_ids, key, ok, register
from tests.helpers import LiveServer, make_settings, metric_value, wait_for


@contextlib.contextmanager
def live_server_with_clock(settings: Settings, clock: FakeClock) -> Iterator[LiveServer]:
    srv = LiveServer(settings, clock=clock).start()
    try:
        yield srv
    finally:
        srv.stop()


def _evictions(http: httpx.Client) -> float:
    return metric_value(http, "artemis_evictions_total")


def test_instance_expires_without_heartbeats(make_server: Callable[..., LiveServer]) -> None:
    """An instance without heartbeats disappears after the TTL; its heartbeat then asks to re-register."""
    srv = make_server(lease={"ttl_secs": 1.5, "cleanup_interval_secs": 0.05})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(register(http, instance("lease", "a"), instance("lease", "b")))
        assert instance_ids(http, "lease") == ["a", "b"]
        leases = ok(http.get("/api/status/leases.json", params={"appIds": "lease"}).json())
        assert leases["leaseCount"] == 2
        wait_for(lambda: instance_ids(http, "lease") == [], timeout=10, what="lease expiry")
        assert _evictions(http) == 2
        assert ok(http.get("/api/status/leases.json").json())["leaseCount"] == 0
        doc = http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key("lease", "a")]}).json()
        assert doc["failedInstances"][0]["errorCode"] == "data-not-found"
        # Re-registering brings it back with a fresh lease (what the Java SDK does on data-not-found).
        ok(register(http, instance("lease", "a")))
        assert instance_ids(http, "lease") == ["a"]


def test_heartbeats_keep_instance(tmp_path: Path) -> None:
    """A beating instance outlives one that stopped (FakeClock: no dependence on real timing)."""
    clock = FakeClock(time.time())
    settings = make_settings(tmp_path / "node", lease={"ttl_secs": 20, "cleanup_interval_secs": 0.02})
    with live_server_with_clock(settings, clock) as srv, httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(register(http, instance("keep", "beating"), instance("keep", "silent")))
        for _ in range(3):
            clock.advance(15)
            ok(http.post("/api/registry/heartbeat", json={"instanceKeys": [key("keep", "beating")]}).json())
        wait_for(lambda: instance_ids(http, "keep") == ["beating"], what="the silent instance to expire")
        clock.advance(15)  # 15 s after its last heartbeat: still within the 20 s TTL
        ok(http.post("/api/registry/heartbeat", json={"instanceKeys": [key("keep", "beating")]}).json())
        assert instance_ids(http, "keep") == ["beating"]


def _leases(http: httpx.Client) -> dict[str, Any]:
    return ok(http.get("/api/status/leases.json").json())


def test_self_preservation_on_a_live_node(tmp_path: Path) -> None:
    """A live node whose renewals collapse keeps expired instances (S3.7), with a FakeClock driving leases."""
    clock = FakeClock(time.time())
    settings = make_settings(tmp_path / "node", lease={"cleanup_interval_secs": 0.02})
    with live_server_with_clock(settings, clock) as srv, httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(register(http, *(instance("sp", f"i{n}") for n in range(60))))
        everyone = [key("sp", f"i{n}") for n in range(60)]
        for _ in range(12):
            clock.advance(1)
            ok(http.post("/api/registry/heartbeat.json", json={"instanceKeys": everyone}).json())
        wait_for(lambda: _leases(http)["leaseUpdateMaxCount"] == 600, what="the sweeper to see 600 renewals")
        for _ in range(30):  # a partition: only 5 of 60 instances still reach this node
            clock.advance(1)
            ok(http.post("/api/registry/heartbeat.json", json={"instanceKeys": everyone[:5]}).json())

        def unsafe() -> bool:
            doc = _leases(http)
            return doc["leaseUpdateCountLastTimeWindow"] == 50 and doc["isSafe"] is False

        wait_for(unsafe, what="a sweep at the final time reporting the node unsafe")
        assert len(instance_ids(http, "sp")) == 60  # 55 leases expired 10 s ago, none evicted
        assert sum(ls["evitionTime"] == "expired" for ls in _leases(http)["leasesStatus"]["sp"]) == 55
        assert _evictions(http) == 0
        ok(http.post("/api/registry/unregister.json", json={"instanceKeys": [everyone[59]]}).json())
        assert len(instance_ids(http, "sp")) == 59  # explicit unregisters still apply
        # Ten minutes later the low rate is the new normal: eviction resumes. Time moves in 1 s steps with
        # heartbeats so that no sweep ever sees the 5 live instances without a recent renewal.
        for _ in range(612):
            clock.advance(1)
            ok(http.post("/api/registry/heartbeat.json", json={"instanceKeys": everyone[:5]}).json())
        wait_for(lambda: len(instance_ids(http, "sp")) == 5, what="eviction after the max window reset")
        assert _evictions(http) == 54
