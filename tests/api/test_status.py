"""Health, metrics (api.md 2.1) and status endpoints (2.6, semantics S16)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.wireclient import instance, java_post, key, ok, register
from tests.helpers import LiveServer


def test_health_is_plain_ok(http: httpx.Client) -> None:
    """GET /health answers 200 text/plain with the body exactly OK."""
    r = http.get("/health")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.content == b"OK"


def _samples(http: httpx.Client) -> dict[str, float]:
    r = http.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


def test_metrics_counts_real_traffic(make_server: Callable[..., LiveServer]) -> None:
    """/metrics is Prometheus text whose counters, gauges and histograms follow the traffic (2.1)."""
    srv = make_server()
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        before = _samples(http)
        for name in (
            "artemis_register_requests_total",
            "artemis_heartbeat_requests_total",
            "artemis_discovery_requests_total",
            "artemis_active_instances",
        ):
            assert name in before
        ok(register(http, instance("m", "a"), instance("m", "b")))
        ok(register(http, instance("m", "c")))
        ok(
            http.post(
                "/api/registry/heartbeat.json", json={"instanceKeys": [key("m", "a"), key("m", "b")]}
            ).json()
        )
        http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key("m", "zz")]})
        ok(http.get("/api/discovery/service.json", params={"serviceId": "m"}).json())
        ok(http.post("/api/discovery/services.json").json())
        after = _samples(http)
    delta = {k: after[k] - before.get(k, 0.0) for k in after}
    assert delta["artemis_register_requests_total"] == 2
    assert delta["artemis_heartbeat_requests_total"] == 2
    assert delta["artemis_heartbeat_keys_total"] == 2
    assert delta["artemis_heartbeat_failed_keys_total"] == 1
    assert delta["artemis_discovery_requests_total"] == 2
    assert after["artemis_active_instances"] == 3
    assert after["artemis_leases"] == 3
    assert after["artemis_services"] == 1
    route = "/api/registry/register.json"
    assert delta[f"artemis_http_requests_total{{route={route},status=200}}"] == 2
    assert delta[f"artemis_http_request_duration_seconds_count{{route={route}}}"] == 2
    assert not [k for k in after if k.endswith("_created") or "_created{" in k]


def test_metrics_lines_for_scripts(http: httpx.Client) -> None:
    """Scripts count lines starting with `artemis_`; no `_created` series is exported."""
    text = http.get("/metrics").text
    lines = [line for line in text.splitlines() if line.startswith("artemis_")]
    assert len(lines) > 10
    assert "_created" not in text


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_node_and_cluster(http: httpx.Client, server: LiveServer, method: str) -> None:
    """node.json and cluster.json describe this node as up with a usable URL (S16.1, S16.2, S16.5)."""
    node = ok(http.request(method, "/api/status/node.json").json())["nodeStatus"]
    assert node == {
        "node": {
            "nodeId": server.settings.server.node_id,
            "url": server.url,
            "regionId": "default",
            "zoneId": "default",
            "zone": {"regionId": "default", "zoneId": "default"},
        },
        "status": "up",
        "canServiceDiscovery": True,
        "canServiceRegistry": True,
        "allowRegistryFromOtherZone": True,
        "allowDiscoveryFromOtherZone": True,
    }
    cluster = ok(http.request(method, "/api/status/cluster.json").json())
    assert cluster["nodeCount"] == 1
    assert cluster["nodesStatus"] == [node]


def _lease_ids(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {sid: [ls["instance"] for ls in items] for sid, items in doc["leasesStatus"].items()}


def test_leases_filters_all_forms(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """leases.json filters by serviceIds (POST) or appIds/serviceIds in any query form (2.6, S16.3)."""
    a, b = unique("la"), unique("lb")
    ok(register(http, instance(a, "a1"), instance(b, "b1"), instance(b, "b2")))
    want = {a: ["a1"], b: ["b1", "b2"]}
    forms = [
        http.post("/api/status/leases.json", json={"serviceIds": [a, b.upper()]}),
        java_post(http, "/api/status/leases.json", {"service_ids": [a, b]}),
        http.get(f"/api/status/leases.json?appIds={a}&appIds={b}"),
        http.get(f"/api/status/leases.json?appIds={a},{b}"),
        http.get(f"/api/status/leases.json?serviceIds={a}&app_ids={b}"),
    ]
    for r in forms:
        doc = ok(r.json())
        assert _lease_ids(doc) == want
        assert doc["leaseCount"] == 3
        assert doc["leases"] == doc["leasesStatus"]
    one = ok(http.get(f"/api/status/leases.json?appIds={a}").json())
    assert _lease_ids(one) == {a: ["a1"]}
    lease = one["leasesStatus"][a][0]
    assert lease["ttl"] == 20
    assert lease["creationTime"].endswith("seconds ago")
    assert lease["renewalTime"].endswith("seconds ago")
    assert lease["evitionTime"].startswith("in ")
    for field in (
        "leaseUpdateMaxCount",
        "leaseUpdateMaxCountLastUpdateTime",
        "leaseUpdateCountLastTimeWindow",
    ):
        assert isinstance(one[field], int)
    assert one["isSafe"] is True
    assert one["isSafeCheckEnabled"] is True


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_config_and_deployment(http: httpx.Client, server: LiveServer, method: str) -> None:
    """config.json and deployment.json carry the node properties with snake_case data keys (S16.4, N3)."""
    cfg = ok(http.request(method, "/api/status/config.json").json())
    assert cfg["sources"] == {"default": 1}
    assert cfg["properties"] == {
        "node_id": server.settings.server.node_id,
        "region_id": "default",
        "zone_id": "default",
        "app_id": "artemis",
    }
    r = http.request(method, "/api/status/deployment.json")
    assert b'"node_id"' in r.content
    dep = ok(r.json())
    assert (dep["regionId"], dep["zoneId"], dep["appId"]) == ("default", "default", "artemis")
    assert (dep["ip"], dep["port"], dep["protocol"], dep["path"]) == ("127.0.0.1", server.port, "http", "/")
    assert dep["machineName"]
    assert dep["properties"]["server_url"] == server.url


def test_connections_is_bare_map(http: httpx.Client) -> None:
    """message/connections.json is a bare map of strings, no envelope (2.6)."""
    doc = http.get("/api/status/message/connections.json").json()
    assert set(doc) == {"registry", "discovery"}
    assert all(isinstance(v, str) and v.isdigit() for v in doc.values())
