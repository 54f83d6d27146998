"""Pull-out / pull-in of instances, servers and zones (api.md 2.7, 2.8; S10) on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import httpx

from tests.management.ops import (
    REGION,
    audit,
    is_instance_down,
    key,
    operate_instance,
    register,
    visible,
)


def lookup_ids(http: httpx.Client, sid: str, n: int = 20) -> set[str]:
    seen: set[str] = set()
    for _ in range(n):
        doc = http.post(
            "/api/discovery/lookup.json", json={"discoveryConfig": {"serviceId": sid, "regionId": REGION}}
        )
        body = doc.json()
        inst = (
            body.get("instance") or (body.get("data") or {}).get("instance")
            if isinstance(body, dict)
            else None
        )
        if inst:
            seen.add(inst["instanceId"])
    return seen


def test_instance_pull_out_and_in(api: httpx.Client) -> None:
    register(api, "orders", "o1")
    register(api, "orders", "o2", ip="10.0.0.2")
    assert visible(api, "orders") == ["o1", "o2"]

    operate_instance(api, "orders", "o1", "pullout", operator="alice")
    assert visible(api, "orders") == ["o2"]
    assert is_instance_down(api, "orders", "o1")
    ops = api.post(
        "/api/management/instance/get-instance-operations.json", json={"instanceKey": key("orders", "o1")}
    )
    assert ops.json()["operations"] == ["pullout"]
    listing = api.get("/api/management/all-instance-operations.json", params={"regionId": REGION}).json()
    recs = listing["instanceOperationRecords"]
    assert [
        (r["instanceKey"]["instanceId"], r["operation"], r["operationComplete"], r["operatorId"])
        for r in recs
    ] == [("o1", "pullout", True, "alice")]
    assert listing["allInstanceOperations"] == [
        {"instanceKey": key("orders", "o1"), "operations": ["pullout"]}
    ]
    # the services listing and the J delta cache see it at once: services.json has only o2
    services = api.post("/api/discovery/services.json", json={"regionId": REGION}).json()["services"]
    orders = next(s for s in services if s["serviceId"] == "orders")
    assert [i["instanceId"] for i in orders["instances"]] == ["o2"]

    operate_instance(api, "orders", "o1", "pullin", operator="bob")
    assert visible(api, "orders") == ["o1", "o2"]
    assert not is_instance_down(api, "orders", "o1")
    listing = api.post("/api/management/all-instance-operations.json", json={}).json()
    assert listing["instanceOperationRecords"] == []

    logs = audit(api, "/api/management/audit/instance-logs", serviceId="orders")
    assert [(entry["operation"], entry["operatorId"], entry["targetId"]) for entry in logs] == [
        ("pullin", "bob", f"orders:{REGION}:o1"),
        ("pullout", "alice", f"orders:{REGION}:o1"),
    ]
    assert logs[0]["logId"] > logs[1]["logId"] >= 1


def test_announced_pull_out_keeps_instance_up(api: httpx.Client) -> None:
    """S10.2: operationComplete=false records the pull-out without taking the instance down."""
    register(api, "pay", "p1")
    operate_instance(api, "pay", "p1", "pullout", complete=False)
    assert visible(api, "pay") == ["p1"]
    assert not is_instance_down(api, "pay", "p1")
    recs = api.get("/api/management/all-instance-operations.json").json()["instanceOperationRecords"]
    assert [(r["operation"], r["operationComplete"]) for r in recs] == [("pullout", False)]
    operate_instance(api, "pay", "p1", "pullout", complete=True)
    assert visible(api, "pay") == []
    operate_instance(api, "pay", "p1", "pullin", complete=False)
    assert visible(api, "pay") == ["p1"]


def test_pull_out_before_registration_and_across_reregistration(api: httpx.Client) -> None:
    """S10.9: a pull-out works for identities not registered yet and survives unregister + register."""
    operate_instance(api, "later", "l1", "pullout")
    register(api, "later", "l1")
    register(api, "later", "l2", ip="10.0.0.2")
    assert visible(api, "later") == ["l2"]
    api.post("/api/registry/unregister.json", json={"instanceKeys": [key("later", "l1")]})
    register(api, "later", "l1")
    assert visible(api, "later") == ["l2"]


def test_instance_identity_is_case_insensitive(api: httpx.Client) -> None:
    register(api, "Catalog", "C1")
    operate_instance(api, "catalog", "c1", "pullout")
    assert visible(api, "CATALOG") == []
    operate_instance(api, "CATALOG", "C1", "pullin")
    assert visible(api, "catalog") == ["C1"]


def test_server_pull_out_hides_every_instance_on_the_ip(api: httpx.Client) -> None:
    register(api, "web", "w1", ip="10.1.1.1")
    register(api, "web", "w2", ip="10.1.1.2")
    register(api, "api", "a1", ip="10.1.1.1")

    def server(op: str, complete: bool = True) -> None:
        body = {
            "serverId": "10.1.1.1",
            "regionId": REGION,
            "operation": op,
            "operationComplete": complete,
            "operatorId": "ops",
        }
        doc = api.post("/api/management/server/operate-server.json", json=body).json()
        assert doc["responseStatus"]["status"] == "success", doc

    server("pullout", complete=False)  # R: incomplete server operations change nothing
    assert visible(api, "web") == ["w1", "w2"]
    server("pullout")
    assert visible(api, "web") == ["w2"]
    assert visible(api, "api") == []
    down = api.post(
        "/api/management/server/is-server-down.json", json={"serverId": "10.1.1.1", "regionId": REGION}
    )
    assert down.json()["isDown"] is True
    listing = api.get("/api/management/all-server-operations.json").json()
    assert listing["serverOperationRecords"] == [
        {"serverId": "10.1.1.1", "regionId": REGION, "operation": "pullout"}
    ]
    assert listing["allServerOperations"] == [
        {"serverKey": {"regionId": REGION, "serverId": "10.1.1.1"}, "operations": ["pullout"]}
    ]
    server("pullin")
    assert visible(api, "web") == ["w1", "w2"]
    assert visible(api, "api") == ["a1"]
    logs = audit(api, "/api/management/audit/server-logs", serverId="10.1.1.1")
    assert [entry["operation"] for entry in logs] == ["pullin", "pullout", "pullout"]
    assert {entry["operatorId"] for entry in logs} == {"ops"}


def test_zone_pull_out_status_and_pull_in(api: httpx.Client) -> None:
    """Zone pull-out hides the zone's instances and reports who and when at once; pull-in restores them."""
    register(api, "geo", "g1", zone="zone-a")
    register(api, "geo", "g2", zone="zone-b", ip="10.0.0.2")
    body = {"zoneId": "zone-a", "regionId": REGION, "operatorId": "carol", "operation": "pullout"}
    r = api.post("/api/management/zone/pull-out", json=body)
    assert r.status_code == 200
    assert r.json() == {"success": True, "data": "Zone pulled out successfully"}
    assert visible(api, "geo") == ["g2"]
    status = api.get(f"/api/management/zone/status/zone-a/{REGION}").json()["data"]
    assert status == {
        "zoneId": "zone-a",
        "regionId": REGION,
        "isDown": True,
        "operation": "pullout",
        "operatorId": "carol",
    }
    ops = api.get("/api/management/zone/operations", params={"region_id": REGION}).json()["data"]
    assert [(o["zoneId"], o["operation"], o["operatorId"]) for o in ops] == [("zone-a", "pullout", "carol")]
    # the time of this pull-out, right away (it used to read 0 until a restart reloaded it: issue 14)
    assert abs(ops[0]["operationTime"] - time.time()) < 60

    r = api.post("/api/management/zone/pull-in", json=body)
    assert r.json() == {"success": True, "data": "Zone pulled in successfully"}
    assert visible(api, "geo") == ["g1", "g2"]
    status = api.get(f"/api/management/zone/status/zone-a/{REGION}").json()["data"]
    assert status == {"zoneId": "zone-a", "regionId": REGION, "isDown": False}

    api.post("/api/management/zone/pull-out", json=body)
    r = api.delete(f"/api/management/zone/zone-a/{REGION}")
    assert r.json() == {"success": True, "data": "Zone operation removed"}
    assert visible(api, "geo") == ["g1", "g2"]
    logs = api.post(
        "/api/management/log/zone-operation-logs.json", json={"zoneId": "zone-a", "regionId": REGION}
    )
    doc = logs.json()
    assert doc["success"] is True
    assert doc["responseStatus"]["status"] == "success"
    assert [(d["operation"], d["operatorId"]) for d in doc["data"]] == [
        ("pullin", "system"),
        ("pullout", "carol"),
        ("pullin", "carol"),
        ("pullout", "carol"),
    ]
    assert [j["operation"] for j in doc["logs"]] == ["pullin", "pullout", "pullin", "pullout"]


def test_java_paths_share_the_store(api: httpx.Client) -> None:
    """S10.6: J meaning of operationComplete (false inserts an effective record, true deletes it)."""
    register(api, "jsvc", "j1")
    body = {
        "instanceKey": key("jsvc", "j1"),
        "operation": "pullout",
        "operationComplete": False,
        "operatorId": "j",
    }
    doc = api.post("/api/management/operate-instance.json", json=body).json()
    assert doc["responseStatus"]["status"] == "success"
    assert "status" not in doc  # family A only
    assert visible(api, "jsvc") == []
    down = api.post(
        "/api/management/instance-down.json",
        json={"instance": {"serviceId": "jsvc", "instanceId": "j1", "regionId": REGION}},
    )
    assert down.json()["down"] is True
    ops = api.post("/api/management/instance-operations.json", json={"instanceKey": key("jsvc", "j1")}).json()
    assert ops["operations"] == {"instanceKey": key("jsvc", "j1"), "operations": ["pullout"]}
    assert is_instance_down(api, "jsvc", "j1")  # the R view reads the same records
    body["operationComplete"] = True
    api.post("/api/management/operate-instance.json", json=body)
    assert visible(api, "jsvc") == ["j1"]

    server = {
        "serverKey": {"regionId": REGION, "serverId": "10.0.0.1"},
        "operation": "pullout",
        "operationComplete": False,
        "operatorId": "j",
    }
    api.post("/api/management/operate-server.json", json=server)
    assert api.post("/api/management/server-down.json", json={"serverKey": server["serverKey"]}).json()[
        "down"
    ]
    assert visible(api, "jsvc") == []
    server["operationComplete"] = True
    api.post("/api/management/operate-server.json", json=server)
    assert visible(api, "jsvc") == ["j1"]

    zkey = {"regionId": REGION, "serviceId": "jsvc", "zoneId": "default"}
    zbody = {
        "zoneOperationsList": [{"zoneKey": zkey}],
        "operation": "pullout",
        "operationComplete": False,
        "operatorId": "j",
    }
    assert (
        api.post("/api/management/zone/operate-zone-operations.json", json=zbody).json()["responseStatus"][
            "status"
        ]
        == "success"
    )
    assert visible(api, "jsvc") == []
    assert api.post("/api/management/zone/is-zone-down.json", json={"zoneKey": zkey}).json()["down"] is True
    every = api.post("/api/management/zone/get-all-zone-operations.json", json={}).json()["allZoneOperations"]
    assert every == [{"zoneKey": zkey, "operations": ["pullout"]}]
    zbody["operationComplete"] = True
    api.post("/api/management/zone/operate-zone-operations.json", json=zbody)
    assert visible(api, "jsvc") == ["j1"]
    logs = api.post("/api/management/log/instance-operation-logs.json", json={"serviceId": "jsvc"}).json()[
        "logs"
    ]
    assert [(entry["operation"], entry["complete"]) for entry in logs] == [
        ("pullout", True),
        ("pullout", False),
    ]


def test_admin_views_mark_pulled_out_instances_down(api: httpx.Client) -> None:
    register(api, "adm", "a1")
    register(api, "adm", "a2", ip="10.0.0.2")
    operate_instance(api, "adm", "a1", "pullout")
    doc = api.post("/api/management/service.json", json={"serviceId": "adm"}).json()
    statuses = {i["instanceId"]: i["status"] for i in doc["service"]["instances"]}
    assert statuses == {"a1": "down", "a2": "up"}
    md = doc["service"]["instances"][0]["metadata"]
    assert int(md["ttl"]) == 20_000
    assert int(md["renewalTime"]) >= int(md["creationTime"]) > 0
    assert doc["groups"] == []


def test_pull_out_events_follow_visibility(node, api: httpx.Client) -> None:
    """S10.10: pull-out emits `delete` for the registered instance, pull-in emits `new`."""
    seen: list[tuple[str, str]] = []
    unsubscribe = node.node.bus.subscribe(
        lambda evs: seen.extend((e.change_type, e.instance.instance_id) for e in evs)
    )
    try:
        register(api, "ev", "e1")
        operate_instance(api, "ev", "e1", "pullout")
        register(api, "ev", "e1", metadata={"v": "2"})  # changes of a down instance are not published
        operate_instance(api, "ev", "e1", "pullin")
    finally:
        unsubscribe()
    assert seen == [("new", "e1"), ("delete", "e1"), ("new", "e1")]


def test_java_delta_sees_a_pull_out_at_once(node_factory) -> None:
    """services-delta from the version a client holds lists the pulled-out instance as deleted right away."""
    srv = node_factory(cache={"snapshot_initial_delay_secs": 0, "snapshot_interval_secs": 3600})
    with httpx.Client(base_url=srv.url, timeout=15) as api:
        register(api, "dl", "d1")
        register(api, "dl", "d2", ip="10.0.0.2")
        srv.node.take_snapshot()  # what the periodic snapshotter does
        version = api.post("/api/discovery/services.json", json={}).json()["version"]
        operate_instance(api, "dl", "d1", "pullout")
        doc = api.post("/api/discovery/services-delta.json", json={"version": version}).json()
        assert doc["responseStatus"]["status"] == "success", doc
        changes = doc["delta"]["dl"]
        assert [(c["changeType"], c["instance"]["instanceId"]) for c in changes] == [("delete", "d1")]
        assert doc["version"] > version
