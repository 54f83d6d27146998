"""auth.protect_management (api.md A2, A3, S19.5): every mutating endpoint of the table refuses callers without a
token (401) or with a viewer token (403) in its own envelope family and changes nothing; operators and admins
pass and the audit log names them; registry, discovery, status, health and metrics stay open."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from artemis_server.api.app import all_endpoints
from tests.auth.conftest import ADMIN_PASSWORD, bearer, create_user, login
from tests.helpers import LiveServer
from tests.management.ops import key, register, visible

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _concrete(path: str) -> str:
    return _PARAM.sub(lambda m: "1" if m.group(1).endswith("id") and "group" in m.group(1) else "x1", path)


def _mutating() -> list[tuple[str, str, str]]:
    out = []
    for ep in all_endpoints():
        if ep.extra.get("mutating"):
            for m in ep.methods:
                out.append((m, _concrete(ep.paths[0]), ep.family))
    return out


def _management_reads() -> list[tuple[str, str, str]]:
    out = []
    for ep in all_endpoints():
        if ep.extra.get("mutating") or ep.extra.get("peer"):
            continue
        if ep.paths[0].startswith(("/api/management/", "/api/v1/management/")):
            out.append((ep.methods[0], _concrete(ep.paths[0]), ep.family))
    return out


def _refused(r: httpx.Response, family: str, status: int) -> None:
    assert r.status_code == status, r.text
    doc = r.json()
    code = "unauthorized" if status == 401 else "forbidden"
    if family in ("A", "B"):
        assert doc["responseStatus"]["status"] == "fail"
        assert doc["responseStatus"]["errorCode"] == code
        if family == "B":
            assert doc["status"]["errorCode"] == code
    else:
        assert doc["success"] is False
        assert doc["message"]


def _snapshot(http: httpx.Client, token: str) -> Any:
    """Everything a management write could change, read with a valid token."""
    h = bearer(token)
    return (
        http.get("/api/management/audit/logs", headers=h).json()["data"],
        http.get("/api/management/all-instance-operations.json", headers=h).json(),
        http.get("/api/management/canary/configs", headers=h).json()["data"],
        http.get("/api/routing/groups").json()["data"],
        http.get("/api/routing/rules").json()["data"],
        http.get("/api/management/zone/operations", headers=h).json()["data"],
    )


def test_every_mutating_endpoint_refuses_without_token_or_as_viewer(
    protected: httpx.Client, admin_token: str
) -> None:
    endpoints = _mutating()
    assert len(endpoints) >= 50  # management, zone, canary, routing and J group paths
    create_user(protected, admin_token, "vera", "viewer", "viewer-password")
    viewer = login(protected, "vera", "viewer-password")
    logged_out = login(protected, "vera", "viewer-password")
    protected.post("/api/auth/logout", headers=bearer(logged_out))
    register(protected, "guarded", "g1")
    before = _snapshot(protected, admin_token)
    body = {"instanceKey": key("guarded", "g1"), "operation": "pullout", "operationComplete": True}
    for method, path, family in endpoints:
        for headers, status in (
            ({}, 401),
            (bearer("forged.token.value"), 401),
            (bearer(logged_out), 401),
            (bearer(viewer), 403),
        ):
            r = protected.request(method, path, json=body, headers=headers)
            _refused(r, family, status)
    assert _snapshot(protected, admin_token) == before
    assert visible(protected, "guarded") == ["g1"]


def test_management_reads_need_a_token_of_any_role(protected: httpx.Client, admin_token: str) -> None:
    create_user(protected, admin_token, "rita", "viewer", "viewer-password")
    viewer = login(protected, "rita", "viewer-password")
    reads = _management_reads()
    assert len(reads) >= 20
    for method, path, family in reads:
        _refused(protected.request(method, path, json={}), family, 401)
        r = protected.request(method, path, json={}, headers=bearer(viewer))
        assert r.status_code not in (401, 403), (path, r.text)
        assert r.status_code < 500, (path, r.text)


def test_operator_token_works_and_names_the_operator_in_the_audit(
    protected: httpx.Client, admin_token: str
) -> None:
    create_user(protected, admin_token, "otto", "operator", "operator-password")
    op = login(protected, "otto", "operator-password")
    register(protected, "opsvc", "o1")
    r = protected.post(
        "/api/management/instance/operate-instance.json",
        json={
            "instanceKey": key("opsvc", "o1"),
            "operation": "pullout",
            "operationComplete": True,
            "operatorId": "mallory",  # the token wins over the body (S18.1)
        },
        headers=bearer(op),
    )
    assert r.json()["responseStatus"]["status"] == "success", r.text
    assert visible(protected, "opsvc") == []
    r = protected.post(
        "/api/management/zone/pull-out", json={"zoneId": "zq", "regionId": "default"}, headers=bearer(op)
    )
    assert r.json()["success"] is True
    r = protected.post(
        "/api/routing/groups",
        json={
            "serviceId": "opsvc",
            "name": "g1",
            "regionId": "default",
            "zoneId": "default",
            "groupType": "physical",
        },
        headers=bearer(op),
    )
    assert r.status_code in (200, 201), r.text
    logs = protected.get("/api/management/audit/logs", headers=bearer(admin_token)).json()["data"]
    logs = [e for e in logs if e["operationType"] != "user"]  # the admin created otto (audited too)
    assert logs
    assert {e["operatorId"] for e in logs} == {"otto"}
    # the admin may do the same
    r = protected.post(
        "/api/management/zone/pull-in",
        json={"zoneId": "zq", "regionId": "default"},
        headers=bearer(admin_token),
    )
    assert r.json()["success"] is True
    logs = protected.get("/api/management/audit/logs", headers=bearer(op)).json()["data"]
    assert logs[0]["operatorId"] == "admin"


def test_a3_registry_discovery_status_stay_open(protected: httpx.Client) -> None:
    register(protected, "openreg", "r1")
    assert visible(protected, "openreg") == ["r1"]
    for path in ("/health", "/metrics", "/api/status/node.json", "/api/cluster/up-registry-nodes.json"):
        assert protected.get(path).status_code == 200, path
    r = protected.post("/api/registry/heartbeat.json", json={"instanceKeys": [key("openreg", "r1")]})
    assert r.json()["responseStatus"]["status"] == "success"
    assert protected.get("/api/routing/rules").status_code == 200  # routing reads follow A3


def test_protection_off_is_open_but_a_token_still_names_the_operator(
    auth_node: Callable[..., LiveServer],
) -> None:
    srv = auth_node()
    with httpx.Client(base_url=srv.url, timeout=15) as http:
        register(http, "offsvc", "f1")
        body = {"instanceKey": key("offsvc", "f1"), "operation": "pullout", "operationComplete": True}
        r = http.post("/api/management/instance/operate-instance.json", json={**body, "operatorId": "bob"})
        assert r.json()["responseStatus"]["status"] == "success"
        tok = login(http, "admin", ADMIN_PASSWORD)
        r = http.post(
            "/api/management/instance/operate-instance.json",
            json={**body, "operation": "pullin", "operatorId": "bob"},
            headers=bearer(tok),
        )
        assert r.json()["responseStatus"]["status"] == "success"
        # a bad token on an open endpoint is ignored (A2), the body's operator is used
        r = http.post(
            "/api/management/zone/pull-out",
            json={"zoneId": "zz", "regionId": "default", "operatorId": "carol"},
            headers=bearer("junk"),
        )
        assert r.json()["success"] is True
        ops = [e["operatorId"] for e in http.get("/api/management/audit/logs").json()["data"]]
        assert ops == ["carol", "admin", "bob"]
        # A1 applies to /api/auth/* even with protection off
        assert http.get("/api/auth/users").status_code == 401


def test_management_change_log_is_no_back_door(protected: httpx.Client, admin_token: str) -> None:
    """With protection on and no cluster.peer_token, the management change log between peers is closed: it
    neither hands out management state and audit records nor takes pokes without a token."""
    register(protected, "relay", "r1")
    before = _snapshot(protected, admin_token)
    r = protected.post("/api/replication/management/changes.json", json={"since": {}, "limit": 100})
    _refused(r, "A", 401)
    assert "changes" not in r.json()
    _refused(protected.post("/api/replication/management/poke.json", json={}), "A", 401)
    assert visible(protected, "relay") == ["r1"]
    assert _snapshot(protected, admin_token) == before
