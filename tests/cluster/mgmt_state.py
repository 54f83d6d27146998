"""Management writes and reads over HTTP for multi-node tests: one call per write, a node's whole state."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

M = "/api/management"


def ok(r: httpx.Response) -> bool:
    """A management answer that reports success in its family (B/A responseStatus or C success)."""
    if r.status_code >= 300:
        return False
    try:
        doc = r.json()
    except ValueError:
        return False
    if "success" in doc:
        return bool(doc["success"])
    return (doc.get("responseStatus") or {}).get("status") == "success"


def canary_set(http: httpx.Client, url: str, service: str, ips: list[str]) -> httpx.Response:
    body = {"serviceId": service, "ipWhitelist": ips, "operatorId": "chaos"}
    return http.post(url + M + "/canary/config", json=body)


def canary_delete(http: httpx.Client, url: str, service: str) -> httpx.Response:
    return http.delete(url + M + "/canary/config/" + quote(service, safe=""))


def canary_ips(url: str, service: str) -> list[str] | None:
    r = httpx.get(url + M + "/canary/config/" + quote(service, safe=""), timeout=5)
    if r.status_code == 404:
        return None
    return list(r.json()["data"]["ipWhitelist"])


def instance_op(http: httpx.Client, url: str, service: str, iid: str, op: str) -> httpx.Response:
    body = {
        "instanceKey": {"regionId": "default", "serviceId": service, "instanceId": iid},
        "operation": op,
        "operationComplete": True,
        "operatorId": "chaos",
    }
    return http.post(url + M + "/instance/operate-instance.json", json=body)


def server_op(http: httpx.Client, url: str, server: str, op: str) -> httpx.Response:
    body = {"serverId": server, "regionId": "default", "operation": op, "operationComplete": True}
    return http.post(url + M + "/server/operate-server.json", json=body)


def zone_op(http: httpx.Client, url: str, zone: str, op: str) -> httpx.Response:
    return http.post(url + M + f"/zone/pull-{op[4:]}", json={"zoneId": zone, "regionId": "default"})


def group_create(http: httpx.Client, url: str, service: str, name: str) -> httpx.Response:
    body = {
        "serviceId": service,
        "regionId": "default",
        "zoneId": "z1",
        "name": name,
        "groupType": "physical",
        "operatorId": "chaos",
    }
    return http.post(url + "/api/routing/groups", json=body)


def snapshot(url: str) -> dict[str, Any]:
    """Everything the management read endpoints of one node say, minus what is only local: row ids."""
    with httpx.Client(base_url=url, timeout=10) as http:
        inst = http.get(M + "/all-instance-operations.json").json()["instanceOperationRecords"]
        srv = http.get(M + "/all-server-operations.json").json()["serverOperationRecords"]
        zones = http.get(M + "/zone/operations").json()["data"]
        canary = http.get(M + "/canary/configs").json()["data"]
        groups = http.get("/api/routing/groups").json()["data"]
        rules = http.get("/api/routing/rules").json()["data"]
        for g in groups:
            bindings = http.get(f"/api/routing/groups/{quote(g['groupKey'], safe='')}/bindings").json()[
                "data"
            ]
            g["bindings"] = sorted(
                (b["instanceId"], b["serviceId"], b["bindingType"]) for b in bindings or []
            )
            g.pop("groupId", None)
        for r in rules:
            r["ruleGroups"] = http.get(f"/api/routing/rules/{quote(r['routeId'], safe='')}/groups").json()[
                "data"
            ]
            r.pop("routeRuleId", None)
    return {
        "instances": sorted(
            (
                d["instanceKey"]["regionId"].casefold(),
                d["instanceKey"]["serviceId"].casefold(),
                d["instanceKey"]["instanceId"].casefold(),
                d["operation"],
                d["operationComplete"],
            )
            for d in inst
        ),
        "servers": sorted((d["regionId"].casefold(), d["serverId"], d["operation"]) for d in srv),
        "zones": sorted(
            (
                d["regionId"].casefold(),
                d["zoneId"],
                d.get("serviceId", ""),
                d["operation"],
                d["operationTime"],
            )
            for d in zones
        ),
        "canary": sorted((c["serviceId"].casefold(), tuple(c["ipWhitelist"]), c["enabled"]) for c in canary),
        "groups": sorted(groups, key=lambda g: g["groupKey"]),
        "rules": sorted(rules, key=lambda r: r["routeId"]),
    }
