"""The cached discovery answer (registry/answers.py) against the uncached path, over random change sequences."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import LiveServer

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
