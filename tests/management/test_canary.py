"""Canary by client IP (api.md 2.9, S11) on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.management.ops import audit, register, visible


def setup_service(api: httpx.Client) -> None:
    register(api, "shop", "stable-1", ip="10.0.0.1")
    register(api, "shop", "stable-2", ip="10.0.0.2")
    register(api, "shop", "canary-1", ip="10.0.0.3", metadata={"canary": "TRUE"})
    register(api, "shop", "canary-2", ip="10.0.0.4", groupId="canary")


def test_whitelisted_clients_see_only_canary_instances(api: httpx.Client) -> None:
    setup_service(api)
    everyone = ["canary-1", "canary-2", "stable-1", "stable-2"]
    assert visible(api, "shop", client_ip="192.168.0.7") == everyone

    r = api.post(
        "/api/management/canary/config",
        json={"serviceId": "shop", "ipWhitelist": ["192.168.0.7", "172.16.0.0/16"], "operatorId": "dora"},
    )
    assert r.json() == {"success": True, "data": "Canary config set successfully"}
    assert visible(api, "shop", client_ip="192.168.0.7") == ["canary-1", "canary-2"]
    assert visible(api, "shop", client_ip="172.16.4.9") == ["canary-1", "canary-2"]  # CIDR block
    assert visible(api, "shop", client_ip="192.168.0.8") == ["stable-1", "stable-2"]
    # X-Forwarded-For identifies the client when discoveryData carries no IP (S7.5)
    doc = api.post(
        "/api/discovery/service.json",
        json={"discoveryConfig": {"serviceId": "shop"}},
        headers={"X-Forwarded-For": "192.168.0.7, 10.9.9.9"},
    ).json()
    assert sorted(i["instanceId"] for i in doc["service"]["instances"]) == ["canary-1", "canary-2"]

    cfg = api.get("/api/management/canary/config/shop").json()
    assert cfg == {
        "success": True,
        "data": {"serviceId": "shop", "ipWhitelist": ["192.168.0.7", "172.16.0.0/16"], "enabled": True},
    }

    r = api.post("/api/management/canary/enable", json={"serviceId": "shop", "enabled": False})
    assert r.json() == {"success": True, "data": "Canary disabled for service shop"}
    assert visible(api, "shop", client_ip="192.168.0.7") == everyone
    r = api.post("/api/management/canary/enable", json={"serviceId": "shop", "enabled": True})
    assert r.json()["data"] == "Canary enabled for service shop"

    r = api.post("/api/management/canary/shop/whitelist/add", json={"ips": ["192.168.0.8", "192.168.0.7"]})
    assert r.json()["data"]["ipWhitelist"] == ["192.168.0.7", "172.16.0.0/16", "192.168.0.8"]
    assert visible(api, "shop", client_ip="192.168.0.8") == ["canary-1", "canary-2"]
    r = api.post("/api/management/canary/shop/whitelist/remove", json={"ips": ["192.168.0.7"]})
    assert r.json()["data"]["ipWhitelist"] == ["172.16.0.0/16", "192.168.0.8"]
    assert visible(api, "shop", client_ip="192.168.0.7") == ["stable-1", "stable-2"]

    r = api.post("/api/management/canary/disable", json={"serviceId": "shop"})
    assert r.json()["data"]["enabled"] is False
    listing = api.get("/api/management/canary/configs").json()["data"]
    assert [c["serviceId"] for c in listing] == ["shop"]

    r = api.delete("/api/management/canary/config/shop")
    assert r.json() == {"success": True, "data": "Canary config removed"}
    assert api.get("/api/management/canary/config/shop").status_code == 404
    assert api.delete("/api/management/canary/config/shop").json()["success"] is True  # also when absent

    ops = [entry["operation"] for entry in audit(api, operationType="canary")]
    assert ops == [
        "delete",
        "delete",
        "disable",
        "whitelist-remove",
        "whitelist-add",
        "enable",
        "disable",
        "set",
    ]
    assert audit(api, operationType="canary", operatorId="dora")[0]["targetId"] == "service:shop"


def test_empty_canary_result_falls_back_to_input(api: httpx.Client) -> None:
    """S11.3: if the filter would leave nothing, the client keeps the unfiltered list."""
    register(api, "plain", "p1")
    api.post("/api/management/canary/config", json={"serviceId": "plain", "ipWhitelist": ["10.10.10.10"]})
    assert visible(api, "plain", client_ip="10.10.10.10") == ["p1"]


def test_canary_errors(api: httpx.Client) -> None:
    r = api.get("/api/management/canary/config/nobody")
    assert r.status_code == 404
    assert r.json()["success"] is False
    assert "nobody" in r.json()["message"]
    r = api.post("/api/management/canary/enable", json={"serviceId": "nobody", "enabled": True})
    assert r.status_code == 404
    r = api.post("/api/management/canary/nobody/whitelist/add", json={"ips": ["1.2.3.4"]})
    assert r.status_code == 404
    r = api.post("/api/management/canary/disable", json={})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "serviceId"
    r = api.post("/api/management/canary/config", json={"serviceId": "x", "ipWhitelist": "not-an-ip"})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "ipWhitelist"
    r = api.post("/api/management/canary/config", json={"serviceId": "x", "ipWhitelist": [1, 2]})
    assert r.status_code == 400
    assert "ipWhitelist" in r.json()["message"]
    r = api.post("/api/management/canary/config", json={"serviceId": "x"})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "ipWhitelist"
    assert api.get("/api/management/canary/configs").json() == {"success": True, "data": []}
    assert audit(api, operationType="canary") == []
