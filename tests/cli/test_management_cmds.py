"""Management commands (api.md 2.7 instance/server ops, 2.8 zone, 2.9 canary, 2.11 audit) against a real node.

These endpoints come from the management branch; on a tree without them the module is skipped.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.cli.conftest import Result, instance_ids, one_line_error, register
from tests.helpers import LiveServer

Cli = Callable[..., Result]


def fresh_ip() -> str:
    return f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def test_instance_pull_out_confirm_dry_run_and_pull_in(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("mg")
    for n in range(4):
        register(server.url, sid, f"i{n}", ip=fresh_ip())
    refused = cli("instance", "pull-out", sid, "i0", "i1", "--operator", "alice")
    assert refused.code == 2
    assert "--yes" in one_line_error(refused.stderr)
    dry = cli("instance", "pull-out", sid, "i0", "i1", "--operator", "alice", "--dry-run")
    assert dry.code == 0
    plan = dry.json()
    assert plan["dryRun"] is True
    assert plan["instancesAffected"] == 2
    assert plan["serviceInstances"] == 4
    assert plan["share"] == "50%"
    assert instance_ids(server.url, sid) == ["i0", "i1", "i2", "i3"]

    done = cli("instance", "pull-out", sid, "i0", "i1", "--operator", "alice", "--yes")
    assert done.code == 0, done.stderr
    assert instance_ids(server.url, sid) == ["i2", "i3"]

    everyone = {i["instanceId"]: i["serving"] for i in cli("instance", "list", sid, "--all").json()}
    assert everyone == {"i0": False, "i1": False, "i2": True, "i3": True}
    assert [i["instanceId"] for i in cli("instance", "list", sid).json()] == ["i2", "i3"]

    ops = cli("instance", "operations", sid).json()
    assert sorted(o["instanceKey"]["instanceId"] for o in ops) == ["i0", "i1"]
    assert {o["operatorId"] for o in ops} == {"alice"}
    assert {o["operation"] for o in ops} == {"pullout"}

    shown = cli("instance", "show", sid, "i0")
    assert shown.code == 0
    assert shown.json()["serving"] is False
    assert shown.json()["operations"] == ["pullout"]

    back = cli("instance", "pull-in", sid, "i0", "i1", "--operator", "bob")
    assert back.code == 0, back.stderr
    assert instance_ids(server.url, sid) == ["i0", "i1", "i2", "i3"]
    assert cli("instance", "operations", sid).json() == []

    logs = cli("audit", "list", "--service", sid).json()
    assert [(e["operation"], e["operatorId"]) for e in logs] == [
        ("pullin", "bob"),
        ("pullin", "bob"),
        ("pullout", "alice"),
        ("pullout", "alice"),
    ]
    only = cli("audit", "list", "--service", sid, "--operation", "pullout", "--limit", "1").json()
    assert len(only) == 1
    assert only[0]["operatorId"] == "alice"
    assert cli("audit", "list", "--operator", "bob", "--since", "1h").json()[0]["operatorId"] == "bob"


def test_service_show_of_a_fully_pulled_out_service_exists(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("mg")
    register(server.url, sid, "only", ip=fresh_ip())
    assert cli("instance", "pull-out", sid, "only", "--yes").code == 0
    r = cli("service", "show", sid)
    assert r.code == 0
    doc = r.json()
    assert (doc["instanceCount"], doc["serving"], doc["pulledOut"]) == (1, 0, 1)
    assert [(i["instanceId"], i["state"]) for i in doc["instances"]] == [("only", "pulled-out")]


def test_server_pull_out_blast_radius_across_services(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    ip = fresh_ip()
    a, b = unique("mga"), unique("mgb")
    register(server.url, a, "a1", ip=ip)
    register(server.url, a, "a2", ip=fresh_ip())
    register(server.url, b, "b1", ip=ip)
    plan = cli("server", "pull-out", ip, "--dry-run").json()
    assert plan["instancesAffected"] == 2
    per = {s["serviceId"]: (s["affected"], s["total"], s["share"]) for s in plan["services"]}
    assert per == {a: (1, 2, "50%"), b: (1, 1, "100%")}
    assert cli("server", "pull-out", ip).code == 2
    done = cli("server", "pull-out", ip, "--yes", "--operator", "ops")
    assert done.code == 0, done.stderr
    assert instance_ids(server.url, a) == ["a2"]
    assert instance_ids(server.url, b) == []
    assert ip in [o["serverId"] for o in cli("server", "operations").json()]
    assert cli("server", "pull-in", ip, "--operator", "ops").code == 0
    assert instance_ids(server.url, a) == ["a1", "a2"]
    assert ip not in [o["serverId"] for o in cli("server", "operations").json()]
    logs = cli("audit", "list", "--type", "server", "--operator", "ops").json()
    assert {e["targetId"] for e in logs} == {f"{ip}:default"}


def test_zone_pull_out_status_list_pull_in(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    zone = unique("z")
    sid = unique("mgz")
    register(server.url, sid, "in-zone", ip=fresh_ip(), zoneId=zone)
    register(server.url, sid, "elsewhere", ip=fresh_ip())
    assert cli("zone", "pull-out", zone).code == 2  # no --region and no context region
    plan = cli("zone", "pull-out", zone, "--region", "default", "--dry-run").json()
    assert plan["instancesAffected"] == 1
    assert plan["services"][0]["share"] == "50%"
    assert cli("zone", "pull-out", zone, "--region", "default").code == 2
    assert cli("zone", "pull-out", zone, "--region", "default", "--yes", "--operator", "zed").code == 0
    assert instance_ids(server.url, sid) == ["elsewhere"]
    st = cli("zone", "status", zone, "--region", "default").json()
    assert st["isDown"] is True
    assert st["operatorId"] == "zed"
    zones = {z["zoneId"]: z for z in cli("zone", "list", "--region", "default").json()}
    assert zones[zone]["isDown"] is True
    assert zones[zone]["instances"] == 1
    assert cli("zone", "pull-in", zone, "--region", "default").code == 0
    assert instance_ids(server.url, sid) == ["elsewhere", "in-zone"]
    assert cli("zone", "status", zone, "--region", "default").json()["isDown"] is False
    missing = cli("zone", "status", unique("nozone"), "--region", "default")
    assert missing.code == 3
    one_line_error(missing.stderr)


def test_canary_lifecycle(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("mgc")
    missing = cli("canary", "show", sid)
    assert missing.code == 3
    one_line_error(missing.stderr)
    assert cli("canary", "enable", sid).code == 3
    assert cli("canary", "set", sid, "--ip", "10.1.1.1", "--ip", "10.2.0.0/16", "--operator", "cy").code == 0
    cfg = cli("canary", "show", sid).json()
    assert cfg == {"serviceId": sid, "ipWhitelist": ["10.1.1.1", "10.2.0.0/16"], "enabled": True}
    assert sid in [c["serviceId"] for c in cli("canary", "list").json()]
    assert cli("canary", "disable", sid).code == 0
    assert cli("canary", "show", sid).json()["enabled"] is False
    assert cli("canary", "enable", sid).code == 0
    assert cli("canary", "show", sid).json()["enabled"] is True
    assert cli("canary", "delete", sid).code == 2  # no terminal, no --yes
    dry = cli("canary", "delete", sid, "--dry-run").json()
    assert dry["dryRun"] is True
    assert cli("canary", "show", sid).code == 0
    assert cli("canary", "delete", sid, "--yes", "--operator", "cy").code == 0
    assert cli("canary", "show", sid).code == 3
    assert cli("canary", "delete", sid, "--yes").code == 3
    logs = cli("audit", "list", "--type", "canary", "--operator", "cy").json()
    assert [e["operation"] for e in logs] == ["delete", "set"]  # newest first
