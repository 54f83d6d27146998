"""J group-admin paths (api.md 2.10, `/api/management/group/*.json`, family A): a round trip over all 32."""

from __future__ import annotations

from typing import Any

import httpx

from tests.management.ops import REGION, register

P = "/api/management/group/"
SVC = "jroute"


def call(api: httpx.Client, path: str, body: dict[str, Any] | None = None, *, expect: str = "success") -> Any:
    r = api.post(P + path, json=body or {})
    assert r.status_code in (200, 400), r.text
    doc = r.json()
    assert doc["responseStatus"]["status"] == expect, (path, doc)
    return doc


def test_java_group_admin_round_trip(api: httpx.Client) -> None:
    ctx = {"operatorId": "java-admin", "token": "t"}
    call(
        api,
        "insert-groups.json",
        {
            **ctx,
            "groups": [
                {"serviceId": SVC, "regionId": REGION, "zoneId": "z1", "name": "blue"},
                {"serviceId": SVC, "regionId": REGION, "zoneId": "z2", "name": "green", "description": "new"},
            ],
        },
    )
    groups = call(api, "get-all-groups.json")["groups"]
    by_name = {g["name"]: g for g in groups}
    blue, green = by_name["blue"]["groupId"], by_name["green"]["groupId"]
    assert by_name["blue"]["groupKey"] == f"{SVC}:{REGION}:z1:blue"
    assert [g["name"] for g in call(api, "get-groups.json", {"zoneId": "z2"})["groups"]] == ["green"]
    call(api, "update-groups.json", {**ctx, "groups": [{"groupId": green, "status": "inactive"}]})
    assert call(api, "get-groups.json", {"groupId": green})["groups"][0]["status"] == "inactive"

    call(
        api, "insert-group-tags.json", {**ctx, "groupTagsList": [{"groupId": blue, "tags": {"env": "prod"}}]}
    )
    call(api, "update-group-tags.json", {**ctx, "groupTagsList": [{"groupId": blue, "tags": {"env": "dr"}}]})
    assert call(api, "get-all-group-tags.json")["allGroupTags"] == [{"groupId": blue, "tags": {"env": "dr"}}]
    assert call(api, "get-group-tags.json", {"groupId": blue, "tagKey": "env"})["groupTags"] == [
        {"groupId": blue, "tags": {"env": "dr"}}
    ]
    call(api, "delete-group-tags.json", {**ctx, "groupId": blue, "tag": "env", "value": "dr"})
    assert call(api, "get-all-group-tags.json")["allGroupTags"] == []

    call(
        api,
        "operate-group-operations.json",
        {
            **ctx,
            "groupOperationsList": [{"groupId": blue, "operations": ["pullout"]}],
            "operationComplete": False,
        },
    )
    assert call(api, "get-all-group-operations.json")["allGroupOperations"] == [
        {"groupId": blue, "operations": ["pullout"]}
    ]
    call(
        api,
        "operate-group-operation.json",
        {**ctx, "groupId": blue, "operation": "pullout", "operationComplete": True},
    )
    assert call(api, "get-group-operations.json", {"groupId": blue})["groupOperations"] == {
        "groupId": blue,
        "operations": [],
    }

    # rules with staged weights
    call(
        api,
        "insert-route-rules.json",
        {**ctx, "routeRules": [{"serviceId": SVC, "name": "jrule", "status": "active"}]},
    )
    rules = call(api, "get-all-route-rules.json")["routeRules"]
    assert [(r["name"], r["status"], r["strategy"]) for r in rules] == [
        ("jrule", "active", "weighted-round-robin")
    ]
    rid = rules[0]["routeRuleId"]
    call(api, "update-route-rules.json", {**ctx, "routeRules": [{"routeRuleId": rid, "description": "d"}]})
    assert call(api, "get-route-rules.json", {"serviceId": SVC})["routeRules"][0]["description"] == "d"
    call(
        api,
        "insert-route-rule-groups.json",
        {
            **ctx,
            "routeRuleGroups": [
                {"routeRuleId": rid, "groupId": blue, "weight": 80},
                {"routeRuleId": rid, "groupId": green, "weight": 20},
            ],
        },
    )
    rgs = call(api, "get-route-rule-groups.json", {"routeRuleId": rid})["routeRuleGroups"]
    assert [(g["groupId"], g["weight"]) for g in rgs] == [(blue, 80), (green, 20)]
    call(
        api,
        "update-route-rule-groups.json",
        {
            **ctx,
            "routeRuleGroups": [{"routeRuleGroupId": rgs[0]["routeRuleGroupId"], "unreleasedWeight": 50}],
        },
    )
    staged = call(api, "get-all-route-rule-groups.json")["routeRuleGroups"][0]
    assert (staged["weight"], staged["unreleasedWeight"]) == (80, 50)  # live weight unchanged until release
    call(
        api,
        "release-route-rule-groups.json",
        {**ctx, "routeRuleGroups": [{"routeRuleGroupId": rgs[0]["routeRuleGroupId"]}]},
    )
    assert call(api, "get-all-route-rule-groups.json")["routeRuleGroups"][0]["weight"] == 50

    # bindings decide membership: blue 50, green 20 now, exact over any 70 calls
    register(api, SVC, "b1", ip="10.0.0.1")
    register(api, SVC, "g1", ip="10.0.0.2")
    call(
        api,
        "insert-group-instances.json",
        {
            **ctx,
            "groupInstances": [{"groupId": blue, "instanceId": "b1"}, {"groupId": green, "instanceId": "g1"}],
        },
    )
    seen = []
    for _ in range(70):
        doc = api.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": SVC}}).json()
        seen.append(tuple(i["instanceId"] for i in doc["service"]["instances"]))
    assert seen.count(("b1",)) == 50
    assert seen.count(("g1",)) == 20
    gis = call(api, "get-group-instances.json", {"groupId": blue})["groupInstances"]
    assert [(g["groupId"], g["instanceId"]) for g in gis] == [(blue, "b1")]
    call(api, "delete-group-instances.json", {**ctx, "groupInstanceIds": [gis[0]["id"]]})
    assert call(api, "get-group-instances.json", {"instanceId": "b1"})["groupInstances"] == []

    call(api, "delete-route-rule-groups.json", {**ctx, "routeRuleGroupIds": [rgs[1]["routeRuleGroupId"]]})
    assert len(call(api, "get-all-route-rule-groups.json")["routeRuleGroups"]) == 1
    call(
        api,
        "create-route-rule.json",
        {
            **ctx,
            "routeRule": {"serviceId": SVC, "name": "second"},
            "groups": [{"groupId": green, "weight": 7}],
        },
    )
    second = call(api, "get-route-rules.json", {"name": "second"})["routeRules"][0]
    assert (
        call(api, "get-route-rule-groups.json", {"routeRuleId": second["routeRuleId"]})["routeRuleGroups"][0][
            "weight"
        ]
        == 7
    )
    call(api, "delete-route-rules.json", {**ctx, "routeRuleIds": [rid, second["routeRuleId"]]})
    assert call(api, "get-all-route-rules.json")["routeRules"] == []

    # static service instances
    call(
        api,
        "insert-service-instances.json",
        {
            **ctx,
            "serviceInstances": [
                {
                    "serviceId": SVC,
                    "instanceId": "static-1",
                    "ip": "10.1.1.1",
                    "port": 81,
                    "metadata": {"a": "b"},
                }
            ],
        },
    )
    sis = call(api, "get-service-instances.json", {"serviceId": SVC})["serviceInstances"]
    assert [(s["instanceId"], s["port"], s["metadata"]) for s in sis] == [("static-1", 81, {"a": "b"})]
    call(api, "delete-service-instances.json", {**ctx, "serviceInstanceIds": [sis[0]["id"]]})
    assert call(api, "get-service-instances.json", {"instanceId": "static-1"})["serviceInstances"] == []

    call(api, "delete-groups.json", {**ctx, "groupIds": [blue, green]})
    assert call(api, "get-all-groups.json")["groups"] == []
    logs = api.post("/api/management/log/group-logs.json", json={"groupId": blue}).json()
    assert {e["operation"] for e in logs["data"]} >= {"create", "add-tag", "remove-tag", "delete"}
    assert all(e["operatorId"] == "java-admin" for e in logs["data"])
    assert {j["operation"] for j in logs["logs"]} >= {"create", "delete"}
    ops = api.post("/api/management/log/group-operation-logs.json", json={"groupId": blue}).json()["logs"]
    assert [(j["operation"], j["complete"]) for j in ops] == [("pullout", True), ("pullout", False)]


def test_java_group_admin_errors(api: httpx.Client) -> None:
    doc = call(api, "delete-groups.json", {"groupIds": [424242]}, expect="fail")
    assert doc["responseStatus"]["errorCode"] == "bad-request"
    assert "424242" in doc["responseStatus"]["message"]
    call(api, "insert-groups.json", {"groups": [{"serviceId": SVC, "name": "x"}]}, expect="fail")
    call(api, "update-route-rules.json", {"routeRules": [{"routeRuleId": 999}]}, expect="fail")
    call(api, "insert-route-rules.json", {"routeRules": []}, expect="fail")
    assert call(api, "get-all-groups.json")["groups"] == []
