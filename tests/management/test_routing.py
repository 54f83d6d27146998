"""Group routing (api.md 2.10; S9, S12) on SQLite and PostgreSQL: CRUD, weighted split, close-by, restart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer
from tests.management.ops import REGION, audit, register

SVC = "route-svc"


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    doc = r.json()
    assert doc["success"] is True, doc
    return doc["data"]


def fail(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    doc: dict[str, Any] = r.json()
    assert doc["success"] is False
    assert doc["message"]
    if field is not None:
        assert doc["error"]["field"] == field, doc
    return doc


def make_group(api: httpx.Client, name: str, zone: str = "default", region: str = REGION) -> dict[str, Any]:
    body = {
        "serviceId": SVC,
        "regionId": region,
        "zoneId": zone,
        "name": name,
        "groupType": "physical",
        "operatorId": "rita",
    }
    data: dict[str, Any] = ok(api.post("/api/routing/groups", json=body), 201)
    return data


def first_ids(api: httpx.Client, n: int, **dc: Any) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _ in range(n):
        doc = api.post(
            "/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC, **dc}}
        ).json()
        groups = {i.get("groupId") for i in doc["service"]["instances"]}
        assert len(groups) == 1, groups  # the chosen group only
        seen[groups.pop()] += 1
    return seen


def setup_split(api: httpx.Client) -> None:
    for i in range(3):
        register(api, SVC, f"a{i}", ip=f"10.0.1.{i}", groupId="group-a")
        register(api, SVC, f"b{i}", ip=f"10.0.2.{i}", groupId="group-b")
    make_group(api, "group-a")
    make_group(api, "group-b", zone="zone-2")
    ok(
        api.post(
            "/api/routing/rules",
            json={
                "routeId": "split",
                "serviceId": SVC,
                "name": "70/30",
                "strategy": "weighted-round-robin",
                "operatorId": "rita",
            },
        ),
        201,
    )
    ok(api.post("/api/routing/rules/split/groups", json={"groupId": "group-a", "weight": 70}), 201)
    ok(api.post("/api/routing/rules/split/groups", json={"groupId": "group-b", "weight": 30}), 201)


def test_weighted_split_publish_unpublish_and_restart(node_factory: Callable[..., LiveServer]) -> None:
    first = node_factory()
    with httpx.Client(base_url=first.url, timeout=15) as api:
        setup_split(api)
        assert (
            len(
                api.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC}}).json()[
                    "service"
                ]["instances"]
            )
            == 6
        )  # not published yet
        ok(api.post("/api/routing/rules/split/publish"))
        rule = ok(api.get("/api/routing/rules/split"))
        assert rule["status"] == "active"
        assert rule["groups"] == [
            {"groupKey": "group-a", "weight": 70},
            {"groupKey": "group-b", "weight": 30},
        ]
        assert first_ids(api, 100) == Counter({"group-a": 70, "group-b": 30})
        ok(api.post("/api/routing/rules/split/unpublish"))
        doc = api.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC}}).json()
        assert len(doc["service"]["instances"]) == 6
        ok(api.post("/api/routing/rules/split/publish"))
    first.stop()

    second = node_factory()
    with httpx.Client(base_url=second.url, timeout=15) as api:
        setup_instances = [(f"a{i}", "group-a") for i in range(3)] + [(f"b{i}", "group-b") for i in range(3)]
        for iid, grp in setup_instances:
            register(api, SVC, iid, ip="10.0.9.9", groupId=grp)
        assert ok(api.get("/api/routing/rules/split"))["status"] == "active"
        assert first_ids(api, 100) == Counter({"group-a": 70, "group-b": 30})
        groups = ok(api.get("/api/routing/groups", params={"serviceId": SVC}))
        assert [g["name"] for g in groups] == ["group-a", "group-b"]
        # lookup is routed too (S9.5)
        picks = Counter()
        for _ in range(10):
            body = api.post("/api/discovery/lookup.json", json={"discoveryConfig": {"serviceId": SVC}}).json()
            inst = body.get("instance") or body.get("data") or body
            picks[inst.get("groupId")] += 1
        assert set(picks) <= {"group-a", "group-b"}


def test_close_by_visit_uses_client_region_then_zone(api: httpx.Client) -> None:
    register(api, SVC, "east-1", groupId="g-east", zone="z-east")
    register(api, SVC, "west-1", groupId="g-west", zone="z-west")
    ok(
        api.post(
            "/api/routing/rules",
            json={"routeId": "near", "serviceId": SVC, "name": "near", "strategy": "close-by-visit"},
        ),
        201,
    )
    ok(
        api.post(
            "/api/routing/rules/near/groups",
            json={"groupId": "g-east", "weight": 50, "regionId": "east", "zoneId": "z-east"},
        ),
        201,
    )
    ok(
        api.post(
            "/api/routing/rules/near/groups",
            json={"groupId": "g-west", "weight": 50, "regionId": "west", "zoneId": "z-west"},
        ),
        201,
    )
    ok(api.post("/api/routing/rules/near/publish"))
    assert first_ids(api, 3, regionId="WEST") == Counter({"g-west": 3})  # region compare ignores case
    assert first_ids(api, 3, regionId="nowhere", zoneId="z-west") == Counter({"g-west": 3})
    assert first_ids(api, 3, regionId="east") == Counter({"g-east": 3})
    assert first_ids(api, 3, regionId="nowhere") == Counter({"g-east": 3})  # first group


def test_binding_and_fallback(api: httpx.Client) -> None:
    register(api, SVC, "x1", ip="10.0.0.1")
    register(api, SVC, "x2", ip="10.0.0.2")
    g = make_group(api, "bound")
    key = g["groupKey"]
    assert key == f"{SVC}:{REGION}:default:bound"
    assert g["groupId"] >= 1
    assert g["status"] == "active"
    ok(
        api.post(
            "/api/routing/rules",
            json={"routeId": "bind", "serviceId": SVC, "name": "b", "strategy": "weighted-round-robin"},
        ),
        201,
    )
    ok(api.post("/api/routing/rules/bind/groups", json={"groupId": g["groupId"], "weight": 1000}), 201)
    ok(api.post("/api/routing/rules/bind/publish"))
    groups = ok(api.get("/api/routing/rules/bind/groups"))
    assert groups == [
        {"routeRuleId": "bind", "groupId": str(g["groupId"]), "weight": 100, "unreleasable": False}
    ]
    # nobody in the group yet: fall back to all instances (S9.8)
    doc = api.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC}}).json()
    assert len(doc["service"]["instances"]) == 2
    body = {
        "instanceId": "x2",
        "regionId": REGION,
        "zoneId": "default",
        "serviceId": SVC,
        "operatorId": "rita",
    }
    assert ok(api.post(f"/api/routing/groups/{key}/instances", json=body), 201) is None
    ok(api.post(f"/api/routing/groups/{key}/instances", json=body), 201)  # twice is fine
    doc = api.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC}}).json()
    assert [i["instanceId"] for i in doc["service"]["instances"]] == ["x2"]
    members = ok(api.get(f"/api/routing/groups/{key}/instances"))
    assert [m["instanceId"] for m in members] == ["x2"]
    fail(api.delete(f"/api/routing/groups/{key}/instances/x2"), 400, "regionId")
    ok(
        api.delete(
            f"/api/routing/groups/{key}/instances/x2", params={"regionId": REGION, "zoneId": "default"}
        )
    )
    fail(
        api.delete(
            f"/api/routing/groups/{key}/instances/x2", params={"regionId": REGION, "zoneId": "default"}
        ),
        404,
    )
    # batch binding answers the count
    items = [
        {
            "groupId": g["groupId"],
            "instanceId": f"x{i}",
            "regionId": REGION,
            "zoneId": "default",
            "serviceId": SVC,
        }
        for i in (1, 2)
    ]
    assert (
        b'"data":2' in api.post(f"/api/routing/services/{SVC}/instances", json={"instances": items}).content
    )
    items[1]["serviceId"] = "other"
    fail(
        api.post(f"/api/routing/services/{SVC}/instances", json={"instances": items}),
        400,
        "instances[1].serviceId",
    )
    fail(api.post(f"/api/routing/services/{SVC}/instances", json={"instances": []}), 400, "instances")
    types = {e["operationType"] for e in audit(api)}
    assert {"group", "route_rule", "route_rule_group", "group_instance", "service_instance"} <= types


def test_group_crud_tags_and_errors(api: httpx.Client) -> None:
    g = make_group(api, "crud")
    key = g["groupKey"]
    fail(
        api.post(
            "/api/routing/groups",
            json={
                "serviceId": SVC,
                "regionId": REGION,
                "zoneId": "default",
                "name": "crud",
                "groupType": "physical",
            },
        ),
        400,
    )
    fail(
        api.post(
            "/api/routing/groups",
            json={"serviceId": SVC, "regionId": REGION, "zoneId": "default", "name": "n2"},
        ),
        400,
        "groupType",
    )
    fail(
        api.post(
            "/api/routing/groups",
            json={
                "serviceId": SVC,
                "regionId": REGION,
                "zoneId": "default",
                "name": "n3",
                "groupType": "bogus",
            },
        ),
        400,
        "groupType",
    )
    assert ok(api.get(f"/api/routing/groups/by-id/{g['groupId']}"))["name"] == "crud"
    fail(api.get("/api/routing/groups/by-id/99999"), 404)
    upd = ok(api.put(f"/api/routing/groups/{key}", json={"description": "blue", "status": "inactive"}))
    assert (upd["description"], upd["status"]) == ("blue", "inactive")
    assert ok(api.patch(f"/api/routing/groups/{key}", json={"status": "active"}))["status"] == "active"
    fail(api.put("/api/routing/groups/no:such:group:here", json={"status": "active"}), 404)

    tagged = ok(
        api.post(
            f"/api/routing/groups/{key}/tags",
            json={"tags": [{"key": "env", "value": "prod"}, {"key": "tier", "value": "1"}]},
        )
    )
    assert tagged["tags"] == [{"key": "env", "value": "prod"}, {"key": "tier", "value": "1"}]
    ok(api.post(f"/api/routing/groups/{key}/tags", json={"tags": [{"key": "env", "value": "staging"}]}))
    assert ok(api.get(f"/api/routing/groups/{key}/tags")) == [
        {"key": "tier", "value": "1"},
        {"key": "env", "value": "staging"},
    ]
    ok(api.delete(f"/api/routing/groups/{key}/tags/env"))
    fail(api.delete(f"/api/routing/groups/{key}/tags/env"), 404)

    ok(api.delete(f"/api/routing/groups/{key}"))
    fail(api.delete(f"/api/routing/groups/{key}"), 404)
    fail(api.get(f"/api/routing/groups/{key}/tags"), 404)
    again = make_group(api, "crud")
    assert again["groupId"] > g["groupId"]  # ids are never reused


def test_rule_crud_and_errors(api: httpx.Client) -> None:
    body = {"routeId": "r1", "serviceId": SVC, "name": "first", "strategy": "WEIGHTED_ROUND_ROBIN"}
    rule = ok(api.post("/api/routing/rules", json=body), 201)
    assert (rule["status"], rule["strategy"], rule["routeRuleId"] >= 1) == (
        "inactive",
        "weighted-round-robin",
        True,
    )
    fail(api.post("/api/routing/rules", json=body), 400, "routeId")
    fail(
        api.post("/api/routing/rules", json={**body, "routeId": "r2", "strategy": "fastest"}), 400, "strategy"
    )
    fail(
        api.post(
            "/api/routing/rules", json={"routeId": "r3", "serviceId": SVC, "strategy": "close-by-visit"}
        ),
        400,
        "name",
    )
    fail(api.post("/api/routing/rules/r1/groups", json={"groupId": "g", "weight": "heavy"}), 400, "weight")
    fail(api.post("/api/routing/rules/r1/groups", json={"weight": 5}), 400, "groupId")
    fail(api.post("/api/routing/rules/nope/groups", json={"groupId": "g", "weight": 5}), 400)
    ok(api.post("/api/routing/rules/r1/groups", json={"groupId": "g", "weight": 0}), 201)
    assert ok(api.get("/api/routing/rules/r1/groups"))[0]["weight"] == 1  # clamped (S9.3)
    assert ok(api.put("/api/routing/rules/r1/groups/g", json={"weight": 500}))["weight"] == 100
    fail(api.put("/api/routing/rules/r1/groups/h", json={"weight": 5}), 404)
    assert ok(api.get("/api/routing/rules/unknown/groups")) == []
    upd = ok(api.patch("/api/routing/rules/r1", json={"name": "renamed", "strategy": "close-by-visit"}))
    assert (upd["name"], upd["strategy"]) == ("renamed", "close-by-visit")
    fail(api.put("/api/routing/rules/zzz", json={"name": "x"}), 404)
    fail(api.post("/api/routing/rules/zzz/publish"), 404)
    ok(api.delete("/api/routing/rules/r1/groups/g"))
    fail(api.delete("/api/routing/rules/r1/groups/g"), 404)
    ok(api.delete("/api/routing/rules/r1"))
    fail(api.get("/api/routing/rules/r1"), 404)
    assert ok(api.get("/api/routing/rules", params={"serviceId": SVC})) == []
    ops = [e["operation"] for e in audit(api, operationType="route_rule")]
    assert ops == ["delete", "update", "create"]


@pytest.mark.parametrize("path", ["/api/v1/management/groups", "/api/routing/groups"])
def test_group_aliases(api: httpx.Client, path: str) -> None:
    ok(
        api.post(
            path,
            json={
                "service_id": SVC,
                "region_id": REGION,
                "zone_id": "z",
                "name": path[-6:],
                "group_type": "logical",
            },
        ),
        201,
    )
    assert [g["groupType"] for g in ok(api.get(path, params={"service_id": SVC}))] == ["logical"]


def test_java_update_canary_ips_builds_group_rule_and_bindings(api: httpx.Client) -> None:
    register(api, SVC, "c1", ip="10.5.5.1")
    register(api, SVC, "c2", ip="10.5.5.2")
    body = {"serviceId": SVC, "appId": "app1", "canaryIps": ["10.5.5.2"], "operatorId": "j"}
    doc = api.post("/api/management/canary/update-canary-ips.json", json=body).json()
    assert doc["responseStatus"]["status"] == "success"
    rule = ok(api.get("/api/routing/rules/canary-route-rule"))
    assert rule["status"] == "active"
    assert len(rule["groups"]) == 1
    assert rule["groups"][0]["weight"] == 5
    key = f"{SVC}:{REGION}:canary:app1"
    assert [m["instanceId"] for m in ok(api.get(f"/api/routing/groups/{key}/instances"))] == ["c2"]
    # the only group of the rule holds c2: every discovery call is routed to it
    doc = api.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC}}).json()
    assert [i["instanceId"] for i in doc["service"]["instances"]] == ["c2"]
    assert api.get("/api/management/canary/configs").json()["data"] == []  # CanaryConfig untouched (S11.5)
    # idempotent
    assert (
        api.post("/api/management/canary/update-canary-ips.json", json=body).json()["responseStatus"][
            "status"
        ]
        == "success"
    )


def test_routing_changes_raise_reload(node: LiveServer, api: httpx.Client) -> None:
    seen: list[tuple[str, str]] = []
    unsubscribe = node.node.bus.subscribe(
        lambda evs: seen.extend((e.change_type, e.instance.service_id) for e in evs)
    )
    try:
        ok(
            api.post(
                "/api/routing/rules",
                json={"routeId": "rl", "serviceId": SVC, "name": "n", "strategy": "close-by-visit"},
            ),
            201,
        )
        ok(api.post("/api/routing/rules/rl/publish"))
        api.post("/api/management/canary/config", json={"serviceId": SVC, "ipWhitelist": ["1.1.1.1"]})
    finally:
        unsubscribe()
    assert seen == [("reload", SVC)] * 3


def test_emit_route_rules_writes_java_route_rules(node_factory: Callable[..., LiveServer]) -> None:
    srv = node_factory(discovery={"emit_route_rules": True})
    with httpx.Client(base_url=srv.url, timeout=15) as api:
        setup_split(api)
        ok(api.post("/api/routing/rules/split/publish"))
        doc = api.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC}}).json()
        assert len(doc["service"]["instances"]) == 6  # the client routes itself (S9.9)
        assert doc["service"]["routeRules"] == [
            {
                "routeId": "split",
                "strategy": "weighted-round-robin",
                "groups": [{"groupKey": "group-a", "weight": 70}, {"groupKey": "group-b", "weight": 30}],
            }
        ]


def test_routing_survives_sigkill(tmp_path, db_url: str) -> None:
    """Groups, a published 70/30 rule and bindings survive SIGKILL of a real `artemis server start`."""
    from tests.helpers import ServerProcess

    env = {"ARTEMIS_DATABASE__URL": db_url}
    proc = ServerProcess(tmp_path / "data", env=env).start()
    with httpx.Client(base_url=proc.url, timeout=15) as api:
        setup_split(api)
        ok(api.post("/api/routing/rules/split/publish"))
        g = make_group(api, "bound-after")
        body = {"instanceId": "a0", "regionId": REGION, "zoneId": "default", "serviceId": SVC}
        ok(api.post(f"/api/routing/groups/{g['groupKey']}/instances", json=body), 201)
    proc.kill()
    again = ServerProcess(tmp_path / "data", env=env).start()
    try:
        with httpx.Client(base_url=again.url, timeout=15) as api:
            for i in range(3):
                register(api, SVC, f"a{i}", ip=f"10.0.1.{i}", groupId="group-a")
                register(api, SVC, f"b{i}", ip=f"10.0.2.{i}", groupId="group-b")
            assert first_ids(api, 100) == Counter({"group-a": 70, "group-b": 30})
            members = ok(api.get(f"/api/routing/groups/{g['groupKey']}/instances"))
            assert [m["instanceId"] for m in members] == ["a0"]
    finally:
        assert again.terminate() == 0
