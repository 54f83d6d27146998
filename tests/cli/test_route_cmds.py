"""`artemis route ...` (api.md 2.10): argument handling, and the whole group / tag / binding / rule lifecycle
against a real node."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cli.conftest import Result, one_line_error, register
from tests.helpers import LiveServer

Cli = Callable[..., Result]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("route", "group", "show", "not-a-key"), "GROUP"),
        (("route", "group", "show", "a:b:c"), "GROUP"),
        (
            (
                "route",
                "group",
                "create",
                "--service",
                "s",
                "--name",
                "n",
                "--region",
                "r",
                "--zone",
                "z",
                "--type",
                "bogus",
            ),
            "--type",
        ),
        (("route", "rule", "add-group", "r1", "g1", "--weight", "0"), "--weight"),
        (("route", "rule", "add-group", "r1", "g1", "--weight", "101"), "--weight"),
        (("route", "rule", "create", "--service", "s", "--name", "n"), "--route-id"),
        (
            (
                "route",
                "rule",
                "create",
                "--route-id",
                "r",
                "--service",
                "s",
                "--name",
                "n",
                "--strategy",
                "x",
            ),
            "--strategy",
        ),
        (("route", "group", "update", "s:r:z:n"), "--description"),
        (("route", "rule", "update", "r1"), "--name"),
        (("route", "group", "tag", "add", "s:r:z:n", "novalue"), "KEY=VALUE"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(cli: Cli, args: tuple[str, ...], flag: str) -> None:
    r = cli(*args)
    assert r.code == 2, (r.stdout, r.stderr)
    assert flag in r.stderr


def test_group_tag_binding_lifecycle(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("rt")
    for n in (1, 2, 3):
        register(server.url, sid, f"r{n}", ip=f"10.66.0.{n}")
    created = cli(
        "route",
        "group",
        "create",
        "--service",
        sid,
        "--name",
        "blue",
        "--region",
        "default",
        "--zone",
        "default",
        "--description",
        "blue fleet",
        "--operator",
        "gina",
    )
    assert created.code == 0, created.stderr
    group = created.json()
    gid, key = group["groupId"], f"{sid}:default:default:blue"
    assert group["status"] == "active"
    dup = cli(
        "route",
        "group",
        "create",
        "--service",
        sid,
        "--name",
        "blue",
        "--region",
        "default",
        "--zone",
        "default",
    )
    assert dup.code == 1
    one_line_error(dup.stderr)
    assert [g["groupId"] for g in cli("route", "group", "list", "--service", sid).json()] == [gid]
    assert cli("route", "group", "show", key).json()["groupId"] == gid
    assert cli("route", "group", "show", str(gid)).json()["name"] == "blue"
    assert cli("route", "group", "show", f"{sid}:default:default:nope").code == 3
    assert cli("route", "group", "show", "987654").code == 3

    assert cli("route", "group", "update", str(gid), "--status", "inactive").code == 0
    assert cli("route", "group", "show", key).json()["status"] == "inactive"

    assert cli("route", "group", "tag", "add", key, "env=prod", "tier=web").code == 0
    tags = {t["key"]: t["value"] for t in cli("route", "group", "tag", "list", key).json()}
    assert tags == {"env": "prod", "tier": "web"}
    assert cli("route", "group", "tag", "remove", key, "tier").code == 0
    assert [t["key"] for t in cli("route", "group", "tag", "list", str(gid)).json()] == ["env"]

    assert cli("route", "group", "bind", key, "r1", "r2").code == 0
    bound = sorted(i["instanceId"] for i in cli("route", "group", "instances", key).json())
    assert bound == ["r1", "r2"]
    assert cli("route", "group", "unbind", key, "r2").code == 0
    assert cli("route", "group", "unbind", key, "r2").code == 3  # not bound any more
    assert [i["instanceId"] for i in cli("route", "group", "instances", key).json()] == ["r1"]

    assert cli("route", "group", "delete", key).code == 2  # no terminal, no --yes
    plan = cli("route", "group", "delete", key, "--dry-run").json()
    assert plan["dryRun"] is True
    assert plan["instancesAffected"] == 1
    assert cli("route", "group", "delete", key, "--yes").code == 0
    assert cli("route", "group", "show", key).code == 3
    ops = [e["operation"] for e in cli("audit", "list", "--type", "group", "--operator", "gina").json()]
    assert ops == ["create"]


def test_rule_lifecycle(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("rt")
    rule = unique("rule")
    register(server.url, sid, "r1")
    for name in ("g-a", "g-b"):
        assert cli("route", "group", "create", "-s", sid, "--name", name).code == 0
    key_a, key_b = f"{sid}:default:default:g-a", f"{sid}:default:default:g-b"
    assert cli("route", "rule", "show", rule).code == 3
    assert cli("route", "rule", "add-group", rule, "g-a", "-s", sid, "--weight", "30").code == 3
    created = cli("route", "rule", "create", "--route-id", rule, "--service", sid, "--name", "split")
    assert created.code == 0, created.stderr
    assert created.json()["status"] == "inactive"
    assert cli("route", "rule", "create", "--route-id", rule, "--service", sid, "--name", "again").code == 1
    assert cli("route", "rule", "add-group", rule, "g-a", "--weight", "30").code == 0
    assert cli("route", "rule", "add-group", rule, "g-b", "--weight", "70").code == 0
    assert cli("route", "rule", "update-group", rule, "g-a", "--weight", "40").code == 0
    shown = cli("route", "rule", "show", rule).json()
    assert {g["groupId"]: g["weight"] for g in shown["ruleGroups"]} == {key_a: 40, key_b: 70}
    assert cli("route", "rule", "publish", rule).code == 0
    assert cli("route", "rule", "show", rule).json()["status"] == "active"
    assert [r["routeId"] for r in cli("route", "rule", "list", "--service", sid).json()] == [rule]
    assert cli("route", "rule", "update", rule, "--name", "renamed", "--strategy", "close-by-visit").code == 0
    after = cli("route", "rule", "show", rule).json()
    assert (after["name"], after["strategy"]) == ("renamed", "close-by-visit")
    assert cli("route", "rule", "remove-group", rule, "g-b").code == 0
    assert [g["groupId"] for g in cli("route", "rule", "show", rule).json()["ruleGroups"]] == [key_a]
    assert cli("route", "rule", "unpublish", rule).code == 0
    assert cli("route", "rule", "show", rule).json()["status"] == "inactive"
    plan = cli("route", "rule", "delete", rule, "--dry-run").json()
    assert plan["dryRun"] is True
    assert cli("route", "rule", "delete", rule).code == 2
    assert cli("route", "rule", "delete", rule, "--yes").code == 0
    assert cli("route", "rule", "show", rule).code == 3
