"""Every read command renders in every output format (table, wide, yaml, json) without crashing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import yaml

from tests.cli.conftest import Result, register
from tests.helpers import LiveServer

Cli = Callable[..., Result]


@pytest.fixture
def world(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> dict[str, str]:
    sid = unique("fmt")
    zone = unique("fz")
    register(server.url, sid, "i1", ip="10.201.0.1", zoneId=zone, metadata={"k": "v"})
    register(server.url, sid, "i2", ip="10.201.0.2", zoneId=zone)
    rule = unique("frule")
    steps = [
        ("instance", "pull-out", sid, "i2", "--yes"),
        ("zone", "pull-out", zone, "--region", "default", "--yes"),
        ("zone", "pull-in", zone, "--region", "default"),
        ("canary", "set", sid, "--ip", "10.9.9.9"),
        (
            "route",
            "group",
            "create",
            "--service",
            sid,
            "--name",
            "g",
            "--region",
            "default",
            "--zone",
            "default",
        ),
        ("route", "rule", "create", "--route-id", rule, "--service", sid, "--name", "r"),
        ("route", "rule", "add-group", rule, "g", "--weight", "10"),
    ]
    for step in steps:
        r = cli(*step)
        assert r.code == 0, (step, r.stderr)
    return {"sid": sid, "zone": zone, "rule": rule, "group": f"{sid}:default:default:g"}


READS = [
    ("service", "list"),
    ("service", "show", "{sid}"),
    ("instance", "list", "{sid}"),
    ("instance", "list", "{sid}", "--all"),
    ("instance", "show", "{sid}", "i1"),
    ("instance", "show", "{sid}", "i2"),
    ("instance", "operations", "{sid}"),
    ("server", "status"),
    ("server", "operations"),
    ("cluster", "nodes"),
    ("zone", "list"),
    ("zone", "status", "{zone}", "--region", "default"),
    ("canary", "list"),
    ("canary", "show", "{sid}"),
    ("audit", "list", "--service", "{sid}"),
    ("audit", "list", "--limit", "5"),
    ("context", "list"),
    ("route", "group", "list", "--service", "{sid}"),
    ("route", "group", "show", "{group}"),
    ("route", "group", "instances", "{group}"),
    ("route", "group", "tag", "list", "{group}"),
    ("route", "rule", "list", "--service", "{sid}"),
    ("route", "rule", "show", "{rule}"),
]


def test_every_read_command_in_every_format(cli: Cli, world: dict[str, str]) -> None:
    for cmd in READS:
        args = [a.format(**world) for a in cmd]
        for fmt in ("table", "wide", "yaml", "json"):
            r = cli("-o", fmt, *args)
            assert r.code == 0, (args, fmt, r.stderr)
            assert "Traceback" not in r.stderr
            if fmt == "json":
                json.loads(r.stdout)
            elif fmt == "yaml":
                yaml.safe_load(r.stdout)
