"""Smoke tests of register / heartbeat / discovery against a live node."""

from __future__ import annotations

import gzip
import json

import httpx


def test_register_gzip_java_shape_then_discover(http: httpx.Client, unique) -> None:
    """A gzipped camelCase register (Java SDK shape) is discoverable by POST and GET service.json."""
    sid = unique()
    body = gzip.compress(
        json.dumps(
            {
                "instances": [
                    {
                        "serviceId": sid,
                        "instanceId": "i1",
                        "ip": "10.0.0.1",
                        "port": 8080,
                        "url": "http://10.0.0.1:8080",
                        "regionId": "r1",
                        "zoneId": "z1",
                    }
                ]
            }
        ).encode()
    )
    r = http.post(
        "/api/registry/register.json",
        content=body,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    assert r.json()["responseStatus"]["status"] == "success"
    r = http.post(
        "/api/discovery/service.json", json={"discoveryConfig": {"serviceId": sid}, "regionId": "r1"}
    )
    doc = r.json()
    assert doc["responseStatus"]["status"] == "success"
    assert [i["instanceId"] for i in doc["service"]["instances"]] == ["i1"]
    assert b'"status":"success"' in r.content  # compact output (T2)


def test_rust_shape_heartbeat_and_unregister(http: httpx.Client, unique) -> None:
    """snake_case keys bind (N1); unknown heartbeats are reported twice (S4.3); unregister removes at once."""
    sid = unique()
    r = http.post(
        "/api/registry/register",
        json={"instances": [{"service_id": sid, "instance_id": "a", "region_id": "r", "url": "http://x"}]},
    )
    assert r.json()["responseStatus"]["status"] == "success"
    keys = [
        {"region_id": "r", "service_id": sid, "instance_id": "a"},
        {"regionId": "r", "serviceId": sid, "instanceId": "ghost"},
    ]
    doc = http.post("/api/registry/heartbeat", json={"instanceKeys": keys}).json()
    assert doc["responseStatus"] == {
        "status": "partial_fail",
        "errorCode": "bad-request",
        "message": "Some heartbeats failed",
        "errorMessage": "Some heartbeats failed",
    }
    assert [k["instanceId"] for k in doc["failedInstanceKeys"]] == ["ghost"]
    assert doc["failedInstances"][0]["errorCode"] == "data-not-found"
    http.post("/api/registry/unregister", json={"instance_keys": [keys[0]]})
    doc = http.get("/api/discovery/service.json", params={"serviceId": sid}).json()
    assert doc["service"] == {"serviceId": sid, "instances": []}


def test_malformed_json_is_400_family_a(http: httpx.Client) -> None:
    """Malformed JSON answers 400 in the Artemis envelope naming the problem (T7)."""
    r = http.post("/api/registry/register.json", content=b"{nope")
    assert r.status_code == 400
    assert r.json()["responseStatus"]["errorCode"] == "bad-request"
    r = http.post(
        "/api/registry/register.json",
        json={"instances": [{"serviceId": "s", "instanceId": "i", "port": "eighty"}]},
    )
    assert r.status_code == 400
    assert "instances[0].port" in r.json()["responseStatus"]["message"]
