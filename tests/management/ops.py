"""Small request helpers shared by the management tests (plain HTTP, shaped like the spec's clients)."""

from __future__ import annotations

from typing import Any

import httpx

REGION = "default"
ZONE = "default"


def register(
    http: httpx.Client,
    sid: str,
    iid: str,
    *,
    ip: str = "10.0.0.1",
    zone: str = ZONE,
    region: str = REGION,
    **extra: Any,
) -> None:
    inst = {
        "serviceId": sid,
        "instanceId": iid,
        "ip": ip,
        "port": 8080,
        "url": f"http://{ip}:8080",
        "regionId": region,
        "zoneId": zone,
        **extra,
    }
    r = http.post("/api/registry/register.json", json={"instances": [inst]})
    assert r.json()["responseStatus"]["status"] == "success", r.text


def visible(http: httpx.Client, sid: str, *, region: str = REGION, client_ip: str | None = None) -> list[str]:
    dc: dict[str, Any] = {"serviceId": sid, "regionId": region}
    if client_ip:
        dc["discoveryData"] = {"clientIp": client_ip}
    doc = http.post("/api/discovery/service.json", json={"discoveryConfig": dc}).json()
    assert doc["responseStatus"]["status"] == "success", doc
    return sorted(i["instanceId"] for i in (doc.get("service") or {}).get("instances", []))


def key(sid: str, iid: str, region: str = REGION) -> dict[str, str]:
    return {"regionId": region, "serviceId": sid, "instanceId": iid}


def operate_instance(
    http: httpx.Client, sid: str, iid: str, operation: str, *, complete: bool = True, operator: str = "alice"
) -> dict[str, Any]:
    r = http.post(
        "/api/management/instance/operate-instance.json",
        json={
            "instanceKey": key(sid, iid),
            "operation": operation,
            "operationComplete": complete,
            "operatorId": operator,
        },
    )
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    assert doc["responseStatus"]["status"] == "success", doc
    assert doc["status"]["status"] == "success", doc  # family B twin
    return doc


def is_instance_down(http: httpx.Client, sid: str, iid: str) -> bool:
    doc = http.post(
        "/api/management/instance/is-instance-down.json", json={"instanceKey": key(sid, iid)}
    ).json()
    return bool(doc["isDown"])


def audit(
    http: httpx.Client, path: str = "/api/management/audit/logs", **params: Any
) -> list[dict[str, Any]]:
    r = http.get(path, params=params)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["success"] is True, doc
    return list(doc["data"])
