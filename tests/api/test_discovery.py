"""Discovery endpoints (api.md 2.3, semantics S6-S8): service, services, lookup, services-delta, GET forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.wireclient import instance, java_post, key, ok, register
from tests.helpers import LiveServer, wait_for

SERVICE = ("/api/discovery/service.json", "/api/discovery/service")
SERVICES = ("/api/discovery/services.json", "/api/discovery/services")
LOOKUP = ("/api/discovery/lookup.json", "/api/discovery/lookup")


@pytest.mark.parametrize("path", SERVICE)
def test_service_post_java_and_rust_shapes(
    http: httpx.Client, unique: Callable[[str], str], path: str
) -> None:
    """POST service: region/zone at top level (Java) or inside discoveryConfig (Rust); filtered to up (F1)."""
    sid = unique("svc")
    ok(register(http, instance(sid, "a"), instance(sid, "b", status="starting"), instance(sid, "c")))
    java = java_post(http, path, {"discoveryConfig": {"serviceId": sid}, "regionId": "r1", "zoneId": "z1"})
    rust = http.post(path, json={"discoveryConfig": {"serviceId": sid, "regionId": "r1", "zoneId": "z1"}})
    for r in (java, rust):
        svc = ok(r.json())["service"]
        assert svc["serviceId"] == sid
        assert [i["instanceId"] for i in svc["instances"]] == ["a", "c"]


@pytest.mark.parametrize("path", SERVICE)
def test_service_unknown_post_fails_get_succeeds(
    http: httpx.Client, unique: Callable[[str], str], path: str
) -> None:
    """Unknown service: POST answers fail/bad-request without `service`, GET an empty service (S7.2)."""
    sid = unique("nobody")
    r = http.post(path, json={"discoveryConfig": {"serviceId": sid}})
    assert r.status_code == 200
    assert r.json() == {
        "responseStatus": {
            "status": "fail",
            "errorCode": "bad-request",
            "message": f"Service not found: {sid}",
            "errorMessage": f"Service not found: {sid}",
        }
    }
    doc = ok(http.get(path, params={"serviceId": sid, "regionId": "r1", "zoneId": "z1"}).json())
    assert doc["service"] == {"serviceId": sid, "instances": []}


def test_service_all_filtered_is_success(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """A registered service whose instances are all filtered out answers success with [] (S7.2)."""
    sid = unique("down")
    ok(register(http, instance(sid, "a", status="down")))
    doc = ok(http.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": sid}}).json())
    assert doc["service"]["instances"] == []


def test_service_get_any_query_spelling(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Query parameter names match by any spelling too (N1)."""
    sid = unique("q")
    ok(register(http, instance(sid, "a")))
    for name in ("serviceId", "service_id", "SERVICEID"):
        doc = ok(http.get("/api/discovery/service.json", params={name: sid}).json())
        assert [i["instanceId"] for i in doc["service"]["instances"]] == ["a"]


def _services(r: httpx.Response) -> dict[str, Any]:
    return ok(r.json())


@pytest.mark.parametrize("path", SERVICES)
def test_services_post_and_get(http: httpx.Client, unique: Callable[[str], str], path: str) -> None:
    """services lists every service with all statuses (no F1), empty services omitted, int version (S7.3)."""
    sid = unique("all")
    gone = unique("gone")
    ok(register(http, instance(sid, "a"), instance(sid, "b", status="starting"), instance(gone, "x")))
    ok(http.post("/api/registry/unregister.json", json={"instanceKeys": [key(gone, "x")]}).json())
    for r in (
        java_post(http, path, {"regionId": "elsewhere", "zoneId": "z"}),
        http.post(path),
        http.get(path, params={"regionId": "r1"}),
        http.get(path),
    ):
        doc = _services(r)
        assert isinstance(doc["version"], int)
        by_id = {s["serviceId"]: s for s in doc["services"]}
        assert [i["instanceId"] for i in by_id[sid]["instances"]] == ["a", "b"]
        assert gone not in by_id


def test_services_version_increases(make_server: Callable[..., LiveServer]) -> None:
    """version strictly increases with every change of the instance set (S6.1)."""
    srv = make_server()  # its own node: evictions of other tests' instances would bump the version too
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        v0 = _services(http.get("/api/discovery/services.json"))["version"]
        ok(register(http, instance("ver", "a")))
        v1 = _services(http.get("/api/discovery/services.json"))["version"]
        ok(register(http, instance("ver", "b")))
        v2 = _services(http.get("/api/discovery/services.json"))["version"]
        ok(register(http, instance("ver", "b")))  # identical data: no change
        v3 = _services(http.get("/api/discovery/services.json"))["version"]
        ok(http.post("/api/registry/unregister.json", json={"instanceKeys": [key("ver", "a")]}).json())
        v4 = _services(http.get("/api/discovery/services.json"))["version"]
    assert v0 < v1 < v2 == v3 < v4


@pytest.mark.parametrize("path", LOOKUP)
def test_batch_lookup(http: httpx.Client, unique: Callable[[str], str], path: str) -> None:
    """discoveryConfigs: one Service per config in order, blank ids skipped, unknown ids empty (S7.4)."""
    a, b, missing = unique("la"), unique("lb"), unique("lm")
    ok(register(http, instance(a, "a1"), instance(b, "b1"), instance(b, "b2", status="down")))
    configs = [{"serviceId": b}, {"serviceId": "  "}, {"serviceId": missing}, {"serviceId": a.upper()}]
    doc = ok(java_post(http, path, {"discoveryConfigs": configs, "regionId": "r1"}).json())
    assert [(s["serviceId"], [i["instanceId"] for i in s["instances"]]) for s in doc["services"]] == [
        (b, ["b1"]),
        (missing, []),
        (a, ["a1"]),
    ]


@pytest.mark.parametrize("path", LOOKUP)
def test_single_lookup(http: httpx.Client, unique: Callable[[str], str], path: str) -> None:
    """discoveryConfig: one instance picked; round-robin cycles in order; 404 when none is left (S7.4, S8)."""
    sid = unique("one")
    ok(register(http, *(instance(sid, f"i{n}") for n in range(3)), instance(sid, "d", status="down")))
    picks = []
    for _ in range(6):
        r = http.post(path, json={"discoveryConfig": {"serviceId": sid}, "strategy": "round-robin"})
        assert r.status_code == 200
        doc = r.json()
        assert doc["success"] is True
        picks.append(doc["instance"]["instanceId"])
    assert picks == ["i0", "i1", "i2", "i0", "i1", "i2"]
    for strategy in ("random", None, "whatever"):
        body: dict[str, Any] = {"discovery_config": {"service_id": sid}}
        if strategy:
            body["strategy"] = strategy
        assert http.post(path, json=body).json()["instance"]["instanceId"] in {"i0", "i1", "i2"}
    missing = unique("none")
    r = http.post(path, json={"discoveryConfig": {"serviceId": missing}})
    assert r.status_code == 404
    assert r.json() == {"success": False, "message": f"Service not found: {missing}"}
    down = unique("alldown")
    ok(register(http, instance(down, "x", status="down")))
    r = http.post(path, json={"discoveryConfig": {"serviceId": down}})
    assert r.status_code == 404
    assert r.json() == {"success": False, "message": f"No instances found for service: {down}"}


@pytest.mark.parametrize("body", [{}, {"strategy": "random"}, {"discoveryConfig": {"serviceId": ""}}])
def test_lookup_without_config_is_400(http: httpx.Client, body: dict[str, Any]) -> None:
    """A lookup with neither config shape (or a blank id) is HTTP 400, family A bad-request (2.3)."""
    r = http.post("/api/discovery/lookup.json", json=body)
    assert r.status_code == 400
    rs = r.json()["responseStatus"]
    assert (rs["status"], rs["errorCode"]) == ("fail", "bad-request")


def test_services_delta_unknown_version(http: httpx.Client) -> None:
    """An unknown delta version answers fail/data-not-found "Delta is not found." in HTTP 200 (S6.3)."""
    r = java_post(http, "/api/discovery/services-delta.json", {"version": 12345, "regionId": "r1"})
    assert r.status_code == 200
    rs = r.json()["responseStatus"]
    assert (rs["status"], rs["errorCode"], rs["message"]) == ("fail", "data-not-found", "Delta is not found.")


def test_services_delta_between_snapshots(make_server: Callable[..., LiveServer]) -> None:
    """With fast snapshots, a delta from a known version lists new and deleted identities (S6.3)."""
    srv = make_server(cache={"snapshot_interval_secs": 0.05, "snapshot_initial_delay_secs": 0})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(register(http, instance("alpha", "a1"), instance("alpha", "a2")))
        version = ok(http.get("/api/discovery/services.json").json())["version"]

        def known() -> bool:
            doc = http.post("/api/discovery/services-delta.json", json={"version": version}).json()
            return bool(doc["responseStatus"]["status"] == "success")

        wait_for(known, timeout=10, what="a snapshot of the first version")
        ok(register(http, instance("beta", "b1")))
        ok(http.post("/api/registry/unregister.json", json={"instanceKeys": [key("alpha", "a1")]}).json())

        def changed() -> dict[str, Any] | None:
            doc = ok(http.post("/api/discovery/services-delta.json", json={"version": version}).json())
            # A snapshot may fall between the two writes: wait for one taken after both.
            return doc if {"alpha", "beta"} <= set(doc["delta"]) else None

        doc = wait_for(changed, timeout=10, what="a delta with changes")
        assert doc["version"] > version
        delta = doc["delta"]
        assert [(c["changeType"], c["instance"]["instanceId"]) for c in delta["alpha"]] == [("delete", "a1")]
        assert [(c["changeType"], c["instance"]["instanceId"]) for c in delta["beta"]] == [("new", "b1")]
        assert isinstance(delta["beta"][0]["changeTime"], int)


def test_discovery_from_other_zone_refused_when_configured(make_server: Callable[..., LiveServer]) -> None:
    """Same-region enforcement with discovery.allow_from_other_zone=false refuses other zones (S20)."""
    srv = make_server(
        server={"region": "home", "zone": "z1"},
        registry={"enforce_same_region": True},
        discovery={"allow_from_other_zone": False},
    )
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(register(http, instance("zoned", "a", regionId="home", zoneId="z1")))
        node = ok(http.get("/api/status/node.json").json())["nodeStatus"]
        assert node["allowDiscoveryFromOtherZone"] is False
        here = {"discoveryConfig": {"serviceId": "zoned", "zoneId": "z1"}}
        assert (
            len(ok(http.post("/api/discovery/service.json", json=here).json())["service"]["instances"]) == 1
        )
        for r in (
            http.post(
                "/api/discovery/service.json",
                json={"discoveryConfig": {"serviceId": "zoned"}, "zoneId": "z9"},
            ),
            http.get("/api/discovery/service.json", params={"serviceId": "zoned", "zoneId": "z9"}),
            http.post(
                "/api/discovery/lookup.json",
                json={"discoveryConfigs": [{"serviceId": "zoned", "zoneId": "z9"}]},
            ),
            http.post(
                "/api/discovery/lookup.json", json={"discoveryConfig": {"serviceId": "zoned", "zoneId": "z9"}}
            ),
        ):
            assert r.status_code == 200
            rs = r.json()["responseStatus"]
            assert (rs["status"], rs["errorCode"]) == ("fail", "no-permission")
