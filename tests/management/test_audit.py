"""Audit log queries (api.md 2.11, S18): filters, newest first, limit, J log shapes."""

from __future__ import annotations

import httpx

from tests.helpers import wait_for
from tests.management.ops import REGION, audit, operate_instance


def test_audit_filters_and_limit(api: httpx.Client) -> None:
    operate_instance(api, "alpha", "a1", "pullout", operator="ann")
    operate_instance(api, "alpha", "a2", "pullout", operator="ben")
    operate_instance(api, "beta", "b1", "pullout", operator="ann")
    operate_instance(api, "alphabet", "x1", "pullout", operator="ann")
    api.post(
        "/api/management/server/operate-server.json",
        json={
            "serverId": "10.2.2.2",
            "regionId": REGION,
            "operation": "pullout",
            "operationComplete": True,
            "operatorId": "ben",
        },
    )
    api.post("/api/management/zone/pull-out", json={"zoneId": "zz", "regionId": REGION, "operatorId": "cat"})

    every = audit(api)
    assert len(every) == 6
    assert [e["logId"] for e in every] == sorted((e["logId"] for e in every), reverse=True)
    assert every[0]["operationType"] == "zone"
    assert every[0]["targetId"] == f"zone:zz,region:{REGION}"
    assert isinstance(every[0]["operationTime"], int)

    assert [e["targetId"] for e in audit(api, operatorId="ben")] == [
        f"10.2.2.2:{REGION}",
        f"alpha:{REGION}:a2",
    ]
    assert len(audit(api, operationType="instance")) == 4
    assert len(audit(api, limit=2)) == 2
    # serviceId is a prefix of the target up to the colon: "alpha" does not match "alphabet"
    alpha = audit(api, "/api/management/audit/instance-logs", serviceId="alpha")
    assert sorted(e["targetId"] for e in alpha) == [f"alpha:{REGION}:a1", f"alpha:{REGION}:a2"]
    assert len(audit(api, "/api/management/audit/instance-logs", serviceId="alpha", operatorId="ann")) == 1
    assert len(audit(api, "/api/management/audit/instance-logs", instanceId="b1")) == 1
    assert len(audit(api, "/api/management/audit/server-logs", ip="10.2.2.2")) == 1
    assert audit(api, "/api/management/audit/server-logs", serverId="10.2.2.20") == []
    assert audit(api, operatorId="nobody") == []

    # shared /log/*.json paths: family C + responseStatus + J `logs`; filters in the body or the query string
    doc = api.post("/api/management/log/service-instance-logs.json", json={"serviceId": "beta"}).json()
    assert doc["success"] is True
    assert doc["responseStatus"]["status"] == "success"
    assert [e["targetId"] for e in doc["data"]] == [f"beta:{REGION}:b1"]
    assert doc["logs"] == []
    doc = api.post("/api/management/log/zone-operation-logs.json", params={"zone_id": "zz"}).json()
    assert [e["operatorId"] for e in doc["data"]] == ["cat"]
    assert [(j["zoneId"], j["operation"], j["operatorId"]) for j in doc["logs"]] == [("zz", "pullout", "cat")]
    empty = api.post("/api/management/log/group-logs.json").json()  # no body, no content type (T3)
    assert empty["success"] is True
    assert empty["data"] == []

    # J-only logs (family A)
    logs = api.post("/api/management/log/instance-operation-logs.json", json={"operatorId": "ann"}).json()
    assert logs["responseStatus"]["status"] == "success"
    assert sorted(j["serviceId"] for j in logs["logs"]) == ["alpha", "alphabet", "beta"]
    first = logs["logs"][0]
    assert set(first) >= {
        "id",
        "regionId",
        "serviceId",
        "instanceId",
        "operation",
        "operatorId",
        "createTime",
        "updateTime",
        "complete",
        "extensions",
    }
    servers = api.post("/api/management/log/server-operation-logs.json", json={"serverId": "10.2.2.2"}).json()
    assert [(j["serverId"], j["complete"]) for j in servers["logs"]] == [("10.2.2.2", True)]


def test_audit_rejects_bad_limit(api: httpx.Client) -> None:
    r = api.get("/api/management/audit/logs", params={"limit": "lots"})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "limit"


def test_audit_retention_drops_old_entries(node_factory) -> None:
    """S18.4: with retention_days set, entries older than that go (at start, then daily); newer ones stay."""
    srv = node_factory(audit={"retention_days": 7})
    with httpx.Client(base_url=srv.url, timeout=15) as api:
        operate_instance(api, "ret", "r1", "pullout", operator="old")
        operate_instance(api, "ret", "r2", "pullout", operator="new")
    store = srv.node.management.store
    assert store is not None
    from sqlalchemy import update

    from artemis_server.store import tables

    with store.engine.begin() as conn:  # age the first entry by 8 days
        conn.execute(
            update(tables.audit_log)
            .where(tables.audit_log.c.operator_id == "old")
            .values(operation_time=tables.audit_log.c.operation_time - 8 * 86400)
        )
    srv.stop()
    again = node_factory(audit={"retention_days": 7})
    with httpx.Client(base_url=again.url, timeout=15) as api:
        assert wait_for(
            lambda: [e["operatorId"] for e in audit(api)] == ["new"], timeout=10, what="pruned log"
        )
