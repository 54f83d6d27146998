"""Lease expiry against a live node with a short TTL (S3), observed by bounded polling."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.wireclient import instance, instance_ids, key, ok, register
from tests.helpers import LiveServer, wait_for


def _evictions(http: httpx.Client) -> float:
    for line in http.get("/metrics").text.splitlines():
        if line.startswith("artemis_evictions_total "):
            return float(line.split()[1])
    raise AssertionError("artemis_evictions_total missing")


def test_instance_expires_without_heartbeats(make_server: Callable[..., LiveServer]) -> None:
    """An instance without heartbeats disappears after the TTL; its heartbeat then asks to re-register."""
    srv = make_server(lease={"ttl_secs": 0.5, "cleanup_interval_secs": 0.05})
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


def test_heartbeats_keep_instance(make_server: Callable[..., LiveServer]) -> None:
    """A beating instance outlives one that stopped; eviction order follows the last renewal."""
    srv = make_server(lease={"ttl_secs": 2.0, "cleanup_interval_secs": 0.05})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(register(http, instance("keep", "beating"), instance("keep", "silent")))

        def silent_gone() -> bool:
            ok(http.post("/api/registry/heartbeat", json={"instanceKeys": [key("keep", "beating")]}).json())
            return instance_ids(http, "keep") == ["beating"]

        wait_for(silent_gone, timeout=10, interval=0.05, what="the silent instance to expire")
