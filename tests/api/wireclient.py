"""Requests shaped like the real clients: the Java SDK (camelCase, gzip) and the Rust SDK (instanceKeys)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx


def java_post(http: httpx.Client, path: str, doc: Any) -> httpx.Response:
    """POST like caravan's executeGzippedJson: gzip body, Content-Encoding: gzip, JSON content type."""
    body = gzip.compress(json.dumps(doc).encode())
    return http.post(
        path,
        content=body,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json", "Accept-Encoding": "gzip"},
    )


def instance(service_id: str, instance_id: str, **extra: Any) -> dict[str, Any]:
    """A Java-shaped Instance with the fields the SDK always sends."""
    doc: dict[str, Any] = {
        "regionId": "r1",
        "zoneId": "z1",
        "serviceId": service_id,
        "instanceId": instance_id,
        "machineName": f"host-{instance_id}",
        "ip": "10.0.0.1",
        "port": 8080,
        "protocol": "http",
        "url": f"http://10.0.0.1:8080/{instance_id}",
        "healthCheckUrl": "http://10.0.0.1:8080/health",
        "status": "up",
        "metadata": {"owner": "team-a"},
    }
    doc.update(extra)
    return doc


def key(service_id: str, instance_id: str, region_id: str = "r1") -> dict[str, str]:
    return {"regionId": region_id, "serviceId": service_id, "instanceId": instance_id}


def register(http: httpx.Client, *instances: dict[str, Any]) -> dict[str, Any]:
    r = java_post(http, "/api/registry/register.json", {"instances": list(instances)})
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def ok(doc: dict[str, Any]) -> dict[str, Any]:
    """Assert a family-A success and return the document."""
    assert doc["responseStatus"] == {"status": "success", "errorCode": "success", "message": ""}, doc
    return doc


def instance_ids(http: httpx.Client, service_id: str, **params: str) -> list[str]:
    r = http.get("/api/discovery/service.json", params={"serviceId": service_id, **params})
    doc = ok(r.json())
    return [i["instanceId"] for i in doc["service"]["instances"]]
