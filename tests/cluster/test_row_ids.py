"""Row ids differ between nodes with their own databases and change nothing's meaning (S14.2, issue 14).

Node B's database already holds a deleted group, so the group A creates is row 1 on A and row 2 on B. A rule
naming the group by A's row id must route to the same group on B; audit records on B name B's id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from artemis_server.store import tables as t
from artemis_server.store.engine import make_engine, migrate
from tests.cluster.conftest import cluster_sections
from tests.helpers import LiveServer, make_settings, wait_for

KEY = "svc-ids:default:z1:blue"


def _get(url: str, path: str, **params: Any) -> Any:
    return httpx.get(url + path, params=params, timeout=5).json()["data"]


def test_a_group_means_the_same_on_a_node_that_numbered_it_differently(tmp_path: Path) -> None:
    """Group, tag, binding and a rule naming the group by A's row id are the same state on B (B's ids)."""
    b_db = tmp_path / "b" / "artemis.db"
    b_db.parent.mkdir(mode=0o700)
    engine = make_engine(f"sqlite:///{b_db}")
    migrate(engine)
    with engine.begin() as conn:  # a group deleted long ago: B's next group is row 2
        conn.execute(
            insert(t.service_group).values(
                SERVICE_ID="old", REGION_ID="default", ZONE_ID="z1", NAME="gone", DELETED=1
            )
        )
    engine.dispose()
    nodes = [LiveServer(make_settings(tmp_path / n, **cluster_sections())) for n in ("a", "b")]
    for n in nodes:
        n.settings.cluster.peers = [m.url for m in nodes]
        n.start()
    a, b = nodes
    try:
        with httpx.Client(timeout=10) as http:
            body = {
                "serviceId": "svc-ids",
                "regionId": "default",
                "zoneId": "z1",
                "name": "blue",
                "groupType": "physical",
                "operatorId": "ops",
            }
            created = http.post(a.url + "/api/routing/groups", json=body).json()["data"]
            assert created["groupId"] == 1
            wait_for(lambda: _get(b.url, "/api/routing/groups", serviceId="svc-ids"), timeout=5, what="on B")
            (on_b,) = _get(b.url, "/api/routing/groups", serviceId="svc-ids")
            assert on_b["groupId"] == 2
            assert on_b["groupKey"] == KEY
            assert on_b["createdAt"] == created["createdAt"]

            r = http.post(
                a.url + f"/api/routing/groups/{KEY}/tags", json={"tags": [{"key": "k", "value": "v"}]}
            )
            assert r.json()["success"] is True
            rule = {
                "routeId": "r-ids",
                "serviceId": "svc-ids",
                "name": "r-ids",
                "strategy": "weighted-round-robin",
            }
            assert http.post(a.url + "/api/routing/rules", json=rule).json()["success"] is True
            # the rule names the group by A's row id, "1"; on B row 1 is the deleted group
            rg = http.post(a.url + "/api/routing/rules/r-ids/groups", json={"groupId": "1", "weight": 40})
            assert rg.json()["success"] is True

            def rule_groups(url: str) -> list[Any]:
                return list(_get(url, "/api/routing/rules/r-ids/groups") or [])

            wait_for(lambda: rule_groups(b.url), timeout=5, what="rule-group on B")
            assert [(g["groupId"], g["weight"]) for g in rule_groups(a.url)] == [("1", 40)]
            assert [(g["groupId"], g["weight"]) for g in rule_groups(b.url)] == [("2", 40)]
            wait_for(lambda: _get(b.url, f"/api/routing/groups/{KEY}/tags"), timeout=5, what="tag on B")
            assert _get(b.url, f"/api/routing/groups/{KEY}/tags") == [{"key": "k", "value": "v"}]

            # each node's audit names its own row id for the group
            def group_targets(url: str) -> list[str]:
                logs = _get(url, "/api/management/audit/logs", operationType="group")
                return sorted({d["targetId"] for d in logs})

            assert group_targets(a.url) == [f"group:1,key:{KEY}"]
            wait_for(lambda: group_targets(b.url) == [f"group:2,key:{KEY}"], timeout=5, what="B's audit")
            (create_log,) = [
                d
                for d in _get(b.url, "/api/management/audit/logs", operationType="group")
                if d["operation"] == "create"
            ]
            assert create_log["operatorId"] == "ops"

            # delete on B, re-create on A: the old tag does not come back on either node
            assert http.delete(b.url + f"/api/routing/groups/{KEY}").json()["success"] is True
            wait_for(
                lambda: not _get(a.url, "/api/routing/groups", serviceId="svc-ids"),
                timeout=5,
                what="gone on A",
            )
            assert http.post(a.url + "/api/routing/groups", json=body).json()["success"] is True
            wait_for(
                lambda: _get(b.url, "/api/routing/groups", serviceId="svc-ids"), timeout=5, what="back on B"
            )
            for n in (a, b):
                (g,) = _get(n.url, "/api/routing/groups", serviceId="svc-ids")
                assert "tags" not in g
            # the rule-group is kept (S12.4) on both nodes
            wait_for(
                lambda: [g["weight"] for g in rule_groups(b.url)] == [40], timeout=5, what="rule-group kept"
            )
    finally:
        for n in nodes:
            n.stop()
