"""The cached discovery answer (registry/answers.py) against the uncached path, over random change sequences."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import LiveServer, metric_value

SERVICES = ["svc-a", "SVC-B", "svc-c"]
IDS = ["i0", "i1", "i2", "i3"]
CALLERS = ["10.1.0.1", "10.2.0.2", "192.168.7.7"]  # the first is on every canary whitelist


def _instance(rnd: random.Random, sid: str, iid: str) -> dict[str, Any]:
    inst: dict[str, Any] = {
        "serviceId": sid,
        "instanceId": iid,
        "ip": f"10.0.0.{IDS.index(iid) + 1}",
        "port": rnd.choice([80, 8080]),
        "status": rnd.choice(["up", "up", "down", "starting"]),
        "zoneId": rnd.choice(["z1", "z2"]),
    }
    if rnd.random() < 0.3:
        inst["metadata"] = {"canary": "true"}
    return inst


def _changes(rnd: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    """One random change as (method, path, body) requests, the same for both nodes."""
    sid, iid = rnd.choice(SERVICES), rnd.choice(IDS)
    pick = rnd.random()
    if pick < 0.35:
        return [("POST", "/api/registry/register.json", {"instances": [_instance(rnd, sid, iid)]})]
    if pick < 0.5:
        keys = {"instanceKeys": [{"serviceId": sid, "instanceId": iid, "regionId": "default"}]}
        return [("POST", "/api/registry/unregister.json", keys)]
    if pick < 0.65:
        op = rnd.choice(["pullout", "pullin"])
        body = {
            "instanceKey": {"regionId": "default", "serviceId": sid, "instanceId": iid},
            "operation": op,
            "operationComplete": True,
            "operatorId": "diff",
        }
        return [("POST", "/api/management/instance/operate-instance.json", body)]
    if pick < 0.75:
        path = "/api/management/zone/pull-out" if rnd.random() < 0.5 else "/api/management/zone/pull-in"
        return [
            ("POST", path, {"zoneId": rnd.choice(["z1", "z2"]), "regionId": "default", "operatorId": "diff"})
        ]
    if pick < 0.9:
        body = {"serviceId": sid, "ipWhitelist": [CALLERS[0]], "operatorId": "diff"}
        return [("POST", "/api/management/canary/config", body)]
    return [("POST", "/api/management/canary/enable", {"serviceId": sid, "enabled": rnd.random() < 0.5})]


def _ask(http: httpx.Client, sid: str, caller: str, get: bool) -> bytes:
    if get:
        r = http.get(
            "/api/discovery/service.json", params={"serviceId": sid}, headers={"X-Forwarded-For": caller}
        )
    else:
        body = {"discoveryConfig": {"serviceId": sid, "discoveryData": {"clientIp": caller}}}
        r = http.post("/api/discovery/service.json", json=body)
    assert r.status_code == 200, r.text
    return r.content


def test_cached_answers_equal_the_uncached_path(make_server: Callable[..., LiveServer]) -> None:
    """Two nodes get the same random registrations, removals, pull-outs, zone operations and canary
    changes; after each, every service asked by every caller (POST and GET) answers the same bytes on
    the node with the answer cache as on the node without it, and the cache did serve answers."""
    cached = make_server()
    plain = make_server(cache={"discovery_cache_bytes": 0})
    rnd = random.Random(20)
    with (
        httpx.Client(base_url=cached.url, timeout=10) as a,
        httpx.Client(base_url=plain.url, timeout=10) as b,
    ):
        for _ in range(60):
            for method, path, body in _changes(rnd):
                ra, rb = a.request(method, path, json=body), b.request(method, path, json=body)
                # the same answer on both (enabling a canary a service has no config for is a 404 on both)
                assert ra.status_code == rb.status_code, (path, ra.text, rb.text)
                assert ra.status_code in (200, 404), (path, ra.text)
            for sid in [*SERVICES, "svc-none"]:
                for caller in CALLERS:
                    get = rnd.random() < 0.3
                    asked = sid.upper() if rnd.random() < 0.2 else sid  # any spelling finds the service
                    first = _ask(a, asked, caller, get)
                    assert first == _ask(b, asked, caller, get), (asked, caller)
                    assert (
                        _ask(a, asked, caller, get) == first
                    )  # asked again: now from the cache if cacheable
    assert cached.node.answers.hits > 100
    assert plain.node.answers.hits == 0
    # the repeated asks were answered by the fast lane as requests seen before, on the cached node only
    assert cached.server.config.app.answered_again > 50
    assert plain.server.config.app.answered_again == 0


def test_a_request_seen_before_is_answered_again_until_the_service_changes(
    make_server: Callable[..., LiveServer],
) -> None:
    """The same discovery request (POST body or GET query) is answered by the lane without decoding it,
    counted like any other call, and a registration, a pull-out or a canary config changes its answer at
    once; a request the handler refused (another zone) is never remembered."""
    srv = make_server(registry={"enforce_same_region": True}, discovery={"allow_from_other_zone": False})
    lane = srv.server.config.app
    inst = {"serviceId": "again", "instanceId": "a", "ip": "10.0.0.1", "port": 80}
    post = {"discoveryConfig": {"serviceId": "again"}}
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        assert http.post("/api/registry/register.json", json={"instances": [inst]}).status_code == 200

        def ids(get: bool = False) -> list[str]:
            if get:
                r = http.get("/api/discovery/service.json", params={"serviceId": "again"})
            else:
                r = http.post("/api/discovery/service.json", json=post)
            return sorted(i["instanceId"] for i in r.json()["service"]["instances"])

        before = metric_value(http, "artemis_discovery_requests_total")
        again = lane.answered_again
        for get in (False, False, False, True, True):
            assert ids(get) == ["a"]
        assert lane.answered_again == again + 3  # the second and third POST, the second GET
        assert metric_value(http, "artemis_discovery_requests_total") == before + 5

        http.post("/api/registry/register.json", json={"instances": [{**inst, "instanceId": "b"}]})
        assert ids() == ["a", "b"]
        assert ids(get=True) == ["a", "b"]
        op = {
            "instanceKey": {"regionId": "default", "serviceId": "again", "instanceId": "a"},
            "operation": "pullout",
            "operationComplete": True,
            "operatorId": "t",
        }
        assert http.post("/api/management/instance/operate-instance.json", json=op).status_code == 200
        assert ids() == ["b"]
        assert ids(get=True) == ["b"]
        canary = {"serviceId": "again", "ipWhitelist": ["10.9.9.9"], "operatorId": "t"}
        assert http.post("/api/management/canary/config", json=canary).status_code == 200
        again = lane.answered_again
        assert ids() == ids()  # a canary config: made for each caller, never answered again
        assert lane.answered_again == again

        other = {"discoveryConfig": {"serviceId": "again", "zoneId": "elsewhere"}}
        for _ in range(2):
            r = http.post("/api/discovery/service.json", json=other)
            assert r.json()["responseStatus"]["errorCode"] == "no-permission", r.text
        assert lane.answered_again == again


def test_services_json_is_answered_again_while_the_registry_holds(
    make_server: Callable[..., LiveServer],
) -> None:
    """services.json asked again is answered by the lane with the same bytes until a registration changes
    the registry; a heartbeat changes nothing it shows."""
    srv = make_server()
    lane = srv.server.config.app
    inst = {"serviceId": "every", "instanceId": "a", "ip": "10.0.0.1", "port": 80}
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        http.post("/api/registry/register.json", json={"instances": [inst]})
        first = http.get("/api/discovery/services.json").content
        again = lane.answered_again
        assert http.get("/api/discovery/services.json").content == first
        assert http.post("/api/discovery/services.json", json={}).content == first  # the handler's
        assert http.post("/api/discovery/services.json", json={}).content == first  # the lane's
        assert lane.answered_again == again + 2
        http.post(
            "/api/registry/heartbeat.json", json={"instanceKeys": [{"serviceId": "every", "instanceId": "a"}]}
        )
        assert http.get("/api/discovery/services.json").content == first
        http.post("/api/registry/register.json", json={"instances": [{**inst, "instanceId": "b"}]})
        now = http.get("/api/discovery/services.json").json()
        assert sorted(i["instanceId"] for s in now["services"] for i in s["instances"]) == ["a", "b"]
