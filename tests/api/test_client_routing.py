"""The clientRouting flag of lookup.json (docs/sdk.md): unrouted instances plus the active rule."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.helpers import LiveServer


def setup_split(url: str, svc: str) -> None:
    with httpx.Client(base_url=url, timeout=5) as api:
        for iid, group in (("a1", "group-a"), ("a2", "group-a"), ("b1", "group-b")):
            body = {"serviceId": svc, "instanceId": iid, "groupId": group, "url": f"http://127.0.0.1:9/{iid}"}
            api.post("/api/registry/register.json", json={"instances": [body]}).raise_for_status()
        rule = {
            "routeId": f"{svc}-split",
            "serviceId": svc,
            "name": "split",
            "strategy": "weighted-round-robin",
        }
        assert api.post("/api/routing/rules", json=rule).status_code == 201
        for group, weight in (("group-a", 70), ("group-b", 30)):
            r = api.post(f"/api/routing/rules/{svc}-split/groups", json={"groupId": group, "weight": weight})
            assert r.status_code == 201
        assert api.post(f"/api/routing/rules/{svc}-split/publish", json={}).status_code == 200


def test_client_routing_flag_answers_unrouted_instances_and_the_rule(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """lookup.json with clientRouting skips F6 and writes the active rule with each group's location and
    managed name; without the flag (a Java client) the node routes as before and writes no rule."""
    node = make_server()
    svc = unique("sdk")
    with httpx.Client(base_url=node.url, timeout=5) as api:
        made = api.post(
            "/api/routing/groups",
            json={
                "serviceId": svc,
                "regionId": "default",
                "zoneId": "z9",
                "name": "group-b",
                "groupType": "physical",
                "operatorId": "t",
            },
        )
        assert made.status_code == 201, made.text
        setup_split(node.url, svc)
        body = {"discoveryConfigs": [{"serviceId": svc}], "clientRouting": True}
        (mine,) = api.post("/api/discovery/lookup.json", json=body).json()["services"]
        del body["clientRouting"]
        (java,) = api.post("/api/discovery/lookup.json", json=body).json()["services"]
    assert sorted(i["instanceId"] for i in mine["instances"]) == ["a1", "a2", "b1"]
    (rule,) = mine["routeRules"]
    assert rule["strategy"] == "weighted-round-robin"
    assert [(g["groupKey"], g["weight"]) for g in rule["groups"]] == [("group-a", 70), ("group-b", 30)]
    assert "metadata" not in rule["groups"][0]
    assert rule["groups"][1]["metadata"] == {"regionId": "default", "zoneId": "z9", "groupName": "group-b"}
    assert "routeRules" not in java
    assert len({i["groupId"] for i in java["instances"]}) == 1  # routed: one group
