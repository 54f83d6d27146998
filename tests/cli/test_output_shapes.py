"""``-o json`` documents keep their keys and key order per output family (what scripts parse), now that the
CLI writes typed views: services, instances, zones, nodes, rules, change plans."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.cli.conftest import Result, register
from tests.helpers import LiveServer

Cli = Callable[..., Result]
INSTANCE_KEYS = ["serviceId", "instanceId", "regionId", "zoneId", "ip", "port", "url", "status", "metadata"]


def test_service_and_instance_documents(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> None:
    """A service row is serviceId, counts, instances; an instance is the registered fields in wire order,
    then state, serving, pulledOut, lease; ``instance show`` adds operations."""
    sid = unique("shape")
    register(server.url, sid, "a", ip="10.77.0.1", zoneId="z", metadata={"k": "v"}, status="up")
    (svc,) = [s for s in cli("service", "list").json() if s["serviceId"] == sid]
    assert list(svc) == [
        "serviceId",
        "instanceCount",
        "serving",
        "pulledOut",
        "starting",
        "down",
        "instances",
    ]
    (inst,) = svc["instances"]
    assert list(inst) == [*INSTANCE_KEYS, "state", "serving", "pulledOut", "lease"]
    assert list(inst["lease"]) == ["creationTime", "renewalTime", "ttl"]
    shown = cli("instance", "show", sid, "a").json()
    assert list(shown) == [*INSTANCE_KEYS, "state", "serving", "pulledOut", "lease", "operations"]


def test_zone_rows_write_every_count(cli: Cli, unique: Callable[[str], str]) -> None:
    """A zone known only by its pull-out still writes instances 0, services 0 and isDown, then who."""
    zone = unique("zone")
    assert cli("zone", "pull-out", zone, "--region", "default", "--yes").code == 0
    (row,) = [z for z in cli("zone", "list").json() if z["zoneId"] == zone]
    assert row["instances"] == 0
    assert row["services"] == 0
    assert list(row) == [
        "regionId",
        "zoneId",
        "instances",
        "services",
        "isDown",
        "operatorId",
        "operationTime",
    ]
    assert cli("zone", "pull-in", zone, "--region", "default").code == 0


def test_nodes_and_plans(cli: Cli, server: LiveServer) -> None:
    """Node rows are the node status as cluster.json gives it; a dry-run plan lists its radius per service."""
    (node,) = cli("cluster", "nodes").json()
    assert list(node)[:2] == ["node", "status"]
    assert list(node["node"]) == ["nodeId", "url", "regionId", "zoneId", "zone"]
    ip = f"10.78.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    register(server.url, "shape-plan", f"i-{ip}", ip=ip)
    plan = cli("server", "pull-out", ip, "--dry-run").json()
    assert list(plan) == [
        "operation",
        "serverId",
        "regionId",
        "operatorId",
        "instancesRegistered",
        "instancesAffected",
        "services",
        "dryRun",
    ]
    assert list(plan["services"][0]) == ["serviceId", "affected", "total", "share", "instanceIds"]


def test_rule_show_adds_rule_groups(cli: Cli, unique: Callable[[str], str]) -> None:
    """``route rule show`` is the rule as the server lists it, then ruleGroups."""
    sid, rid = unique("shape"), unique("r")
    assert cli("route", "rule", "create", "--route-id", rid, "-s", sid, "--name", "N").code == 0
    doc = cli("route", "rule", "show", rid).json()
    assert list(doc)[-1] == "ruleGroups"
    assert list(doc)[:2] == ["routeRuleId", "routeId"]
