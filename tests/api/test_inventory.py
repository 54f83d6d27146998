"""``/api/management/instances.json`` (P endpoint, issue 17): every registration as registered, with its
lease and what pulls it out, on a real node."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import LiveServer

PATH = "/api/management/instances.json"


def _register(http: httpx.Client, *insts: dict[str, Any]) -> None:
    r = http.post("/api/registry/register.json", json={"instances": list(insts)})
    assert r.json()["responseStatus"]["status"] == "success", r.text


def _operate(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    r = http.post(path, json={**body, "operatorId": "tester"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc.get("success", True) is True, doc
    assert doc.get("responseStatus", {"status": "success"})["status"] == "success", doc


def _by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["instance"]["instanceId"]: row for svc in doc["services"] for row in svc["instances"]}


def test_lists_every_registration_raw_with_lease_and_pull_outs(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    """Serving, not-up and pulled-out instances are all listed exactly as registered (status and metadata
    untouched), each with its lease in ms and the scopes that pull it out."""
    sid = unique("inv")
    zone = unique("z")
    _register(
        http,
        {"serviceId": sid, "instanceId": "ok", "ip": "10.9.0.1", "port": 1, "metadata": {"v": "1"}},
        {"serviceId": sid, "instanceId": "warm", "ip": "10.9.0.2", "port": 1, "status": "starting"},
        {"serviceId": sid, "instanceId": "off", "ip": "10.9.0.3", "port": 1, "metadata": {"v": "2"}},
        {"serviceId": sid, "instanceId": "host", "ip": "10.9.0.4", "port": 1},
        {"serviceId": sid, "instanceId": "zoned", "ip": "10.9.0.5", "port": 1, "zoneId": zone},
    )
    key = {"serviceId": sid, "instanceId": "off"}
    _operate(
        http,
        "/api/management/instance/operate-instance.json",
        {"instanceKey": key, "operation": "pullout", "operationComplete": True},
    )
    _operate(
        http,
        "/api/management/server/operate-server.json",
        {"serverId": "10.9.0.4", "operation": "pullout", "operationComplete": True},
    )
    region = http.get("/api/status/node.json").json()["nodeStatus"]["node"]["regionId"]
    _operate(
        http, "/api/management/zone/pull-out", {"zoneId": zone, "regionId": region, "operation": "pullout"}
    )

    before = int(time.time() * 1000)
    doc = http.post(PATH, json={"serviceId": sid.upper()}).json()  # service ids are case-insensitive
    assert doc["responseStatus"]["status"] == "success"
    assert [s["serviceId"] for s in doc["services"]] == [sid]
    rows = _by_id(doc)
    assert list(rows) == ["ok", "warm", "off", "host", "zoned"]  # order of registration
    assert rows["ok"]["instance"]["metadata"] == {"v": "1"}
    assert rows["off"]["instance"]["metadata"] == {"v": "2"}  # nothing merged into metadata
    assert rows["warm"]["instance"]["status"] == "starting"  # not overwritten by a view
    assert (rows["ok"]["pulledOut"], rows["ok"]["pulledOutBy"]) == (False, [])
    assert (rows["warm"]["pulledOut"], rows["warm"]["pulledOutBy"]) == (False, [])
    assert (rows["off"]["pulledOut"], rows["off"]["pulledOutBy"]) == (True, ["instance"])
    assert rows["host"]["pulledOutBy"] == ["server"]
    assert rows["zoned"]["pulledOutBy"] == ["zone"]
    lease = rows["off"]["lease"]
    assert set(lease) == {"creationTime", "renewalTime", "ttl"}
    assert lease["ttl"] == 20_000
    assert before - 60_000 < lease["renewalTime"] <= before + 1_000
    # discovery serves only the one that is up and not pulled out; the inventory lists all five
    served = http.get("/api/discovery/service.json", params={"serviceId": sid}).json()["service"]
    assert [i["instanceId"] for i in served["instances"]] == ["ok"]


def test_scope_filters_and_get(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """GET with query parameters answers like POST; a zone filter keeps that zone only; an unknown service
    is an empty list, not an error; without a service every service with instances is listed."""
    sid, other = unique("inv"), unique("inv")
    _register(
        http,
        {"serviceId": sid, "instanceId": "a", "ip": "10.9.1.1", "port": 1, "zoneId": "za"},
        {"serviceId": sid, "instanceId": "b", "ip": "10.9.1.2", "port": 1, "zoneId": "zb"},
        {"serviceId": other, "instanceId": "c", "ip": "10.9.1.3", "port": 1, "zoneId": "za"},
    )
    got = http.get(PATH, params={"serviceId": sid, "zoneId": "zb"}).json()
    assert list(_by_id(got)) == ["b"]
    assert http.post(PATH, json={"serviceId": unique("nobody")}).json()["services"] == []
    every = {s["serviceId"] for s in http.post(PATH, json={}).json()["services"]}
    assert {sid, other} <= every
    zone_a = _by_id(http.post(PATH, json={"zoneId": "za"}).json())
    assert {"a", "c"} <= set(zone_a)
    assert "b" not in zone_a


def test_bad_request_names_the_field(http: httpx.Client) -> None:
    """A malformed filter is a 400-class family A failure naming the field; nothing else happens."""
    r = http.post(PATH, json={"serviceId": 5})
    doc = r.json()
    assert doc["responseStatus"]["errorCode"] == "bad-request"
    assert "serviceId" in doc["responseStatus"]["errorMessage"]


def test_guarded_and_origin_checked_like_management_reads(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """With auth.protect_management the inventory needs a token (401); a foreign browser origin is refused
    (403) like every management read."""
    srv = make_server(auth={"protect_management": True})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        r = http.post(PATH, json={})
        assert r.status_code == 401, r.text
        assert r.json()["responseStatus"]["errorCode"] == "unauthorized"
        r = http.post(
            PATH, content=b"{}", headers={"Origin": "https://evil.example", "Content-Type": "text/plain"}
        )
        assert r.status_code == 403, r.text
