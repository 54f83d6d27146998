"""`artemis route ...` end to end against a node that serves group routing (api.md 2.10)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx

from tests.cli.conftest import Result, register
from tests.helpers import LiveServer

Cli = Callable[..., Result]


def test_route_group_rule_lifecycle(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("rt")
    for n in range(2):
        register(server.url, sid, f"a{n}", ip=f"10.7.0.{n + 1}", groupId="ga")
        register(server.url, sid, f"b{n}", ip=f"10.7.1.{n + 1}", groupId="gb")
    for name in ("ga", "gb"):
        r = cli("-o", "json", "route", "group", "create", "-s", sid, "--name", name, "--operator", "ops")
        assert r.code == 0, r.stderr
        assert r.json()["name"] == name
    dup = cli("route", "group", "create", "-s", sid, "--name", "ga")
    assert dup.code == 1
    assert len(dup.stderr.strip().splitlines()) == 1
    assert "already exists" in dup.stderr

    groups = cli("-o", "json", "route", "group", "list", "-s", sid).json()
    keys = {g["name"]: g["groupKey"] for g in groups}
    assert set(keys) == {"ga", "gb"}
    shown = cli("-o", "json", "route", "group", "show", keys["ga"])
    assert shown.code == 0
    assert shown.json()["groupKey"] == keys["ga"]
    assert cli("route", "group", "show", f"{sid}:nowhere:none:x").code == 3

    rule = f"rule-{sid}"
    r = cli(
        "route",
        "rule",
        "create",
        "--route-id",
        rule,
        "-s",
        sid,
        "--name",
        "split",
        "--strategy",
        "weighted-round-robin",
        "--operator",
        "ops",
    )
    assert r.code == 0, r.stderr
    assert cli("route", "rule", "add-group", rule, "ga", "--weight", "70").code == 0
    assert cli("route", "rule", "add-group", rule, "gb", "--weight", "30").code == 0
    assert cli("route", "rule", "publish", rule).code == 0
    shown = cli("-o", "json", "route", "rule", "show", rule).json()
    assert shown["status"] == "active"
    picks: Counter[str] = Counter()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for _ in range(100):
            doc = http.post(
                "/api/discovery/service.json", json={"discoveryConfig": {"serviceId": sid}}
            ).json()
            picks[doc["service"]["instances"][0]["groupId"]] += 1
    assert picks == Counter({"ga": 70, "gb": 30})
    assert cli("route", "rule", "update-group", rule, "gb", "--weight", "70").code == 0
    assert cli("route", "rule", "unpublish", rule).code == 0
    assert cli("-o", "json", "route", "rule", "show", rule).json()["status"] == "inactive"
    assert cli("route", "rule", "show", "no-such-rule").code == 3

    audit = cli("-o", "json", "audit", "list", "--operator", "ops").json()
    assert {e["operationType"] for e in audit} >= {"group", "route_rule"}
    assert cli("route", "rule", "remove-group", rule, "ga").code == 0
    assert cli("route", "rule", "delete", rule, "--yes").code == 0
    assert cli("route", "rule", "show", rule).code == 3
    assert cli("route", "group", "delete", keys["gb"], "--yes").code == 0
    assert cli("route", "group", "show", keys["gb"]).code == 3
