"""The CLI as ops scripts use it (cli.md Behaviour, issue 16), against live nodes: metadata as registered, no
phantom pull-outs, every registered service listed with its counts, unknown services exit 3."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import pytest
import yaml

from tests.cli.conftest import Result, instance_ids, one_line_error, register, run_inproc
from tests.helpers import LiveServer

Cli = Callable[..., Result]
MD = {"version": "1.4.2", "ttl": "mine", "creationTime": "registered-too", "zone-tag": "a=b"}


def fresh_ip() -> str:
    return f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def operations(url: str) -> list[dict[str, str]]:
    doc = httpx.post(url + "/api/management/all-instance-operations.json", json={}, timeout=10).json()
    return [r["instanceKey"] for r in doc["instanceOperationRecords"]]


def server_operations(url: str) -> list[str]:
    doc = httpx.post(url + "/api/management/all-server-operations.json", json={}, timeout=10).json()
    return [r["serverId"] for r in doc["serverOperationRecords"]]


def test_metadata_is_exactly_what_was_registered(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """show, list, list --all, service show and service list print metadata as registered (also keys the
    admin view overwrites), serving and pulled out; lease times and state are separate fields."""
    sid = unique("md")
    register(server.url, sid, "on", ip=fresh_ip(), metadata=MD)
    register(server.url, sid, "off", ip=fresh_ip(), metadata=MD)
    assert cli("instance", "pull-out", sid, "off", "--yes").code == 0

    for iid, state in (("on", "serving"), ("off", "pulled-out")):
        r = cli("instance", "show", sid, iid)
        assert r.code == 0, r.stderr
        doc = r.json()
        assert doc["metadata"] == MD
        assert doc["state"] == state
        assert doc["serving"] is (state == "serving")
        assert doc["pulledOut"] is (state == "pulled-out")
        assert set(doc["lease"]) == {"creationTime", "renewalTime", "ttl"}
        assert doc["lease"]["ttl"] == 20_000
        assert doc["status"] == "up"  # as registered, not the admin view's "down"
    listed = {i["instanceId"]: i for i in cli("instance", "list", sid, "--all").json()}
    assert {k: (i["metadata"], i["state"]) for k, i in listed.items()} == {
        "on": (MD, "serving"),
        "off": (MD, "pulled-out"),
    }
    assert [i["metadata"] for i in cli("instance", "list", sid).json()] == [MD]
    assert all(i["metadata"] == MD for i in cli("service", "show", sid).json()["instances"])
    row = next(s for s in cli("service", "list").json() if s["serviceId"] == sid)
    assert all(i["metadata"] == MD for i in row["instances"])
    y = yaml.safe_load(cli("-o", "yaml", "instance", "show", sid, "off").stdout)
    assert y["metadata"] == MD
    wide = cli("-o", "wide", "instance", "list", sid, "--all").stdout
    assert "version=1.4.2" in wide
    assert "ttl=mine" in wide
    assert "ttl=20000" not in wide


def test_metadata_of_pulled_out_instances_on_a_node_with_a_peer_token(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """On a node whose replication list needs a peer token, a pulled-out instance still shows exactly what
    it registered (metadata without lease keys, its own status, not the admin view's "down")."""
    srv = make_server(cluster={"peer_token": "peer-token-for-tests-0123456789"})
    sid = unique("mdp")
    register(srv.url, sid, "off", ip=fresh_ip(), metadata={"version": "2"}, status="starting")
    assert run_inproc("--server", srv.url, "instance", "pull-out", sid, "off", "--yes").code == 0
    r = run_inproc("--server", srv.url, "instance", "show", sid, "off")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["metadata"] == {"version": "2"}
    assert doc["state"] == "pulled-out"
    assert doc["status"] == "starting"
    assert set(doc["lease"]) == {"creationTime", "renewalTime", "ttl"}


def test_mistyped_pull_out_is_refused_and_records_nothing(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """A pull-out naming an id (or a service) nobody registered exits 3 and records nothing, not even for
    the valid ids given with it; --force records it ahead of registration."""
    sid = unique("ph")
    register(server.url, sid, "real", ip=fresh_ip())
    before = operations(server.url)
    for args in (
        (sid, "nope"),
        (sid, "real", "nope"),
        (unique("nosvc"), "real"),
    ):
        r = cli("instance", "pull-out", *args, "--yes")
        assert r.code == 3, r.stderr
        line = one_line_error(r.stderr)
        assert "nothing was recorded" in line
        assert "--force" in line
        assert r.stdout == ""
    dry = cli("instance", "pull-out", sid, "nope", "--dry-run")
    assert dry.code == 3
    assert operations(server.url) == before
    assert instance_ids(server.url, sid) == ["real"]
    assert cli("audit", "list", "--service", sid).json() == []

    forced = cli("instance", "pull-out", sid, "nope", "--yes", "--force")
    assert forced.code == 0, forced.stderr
    plan = forced.json()
    assert (plan["instancesAffected"], plan["notRegistered"]) == (0, ["nope"])
    assert any(k["serviceId"] == sid and k["instanceId"] == "nope" for k in operations(server.url))
    register(server.url, sid, "nope", ip=fresh_ip())  # recorded ahead: out of traffic as soon as it registers
    assert instance_ids(server.url, sid) == ["real"]
    states = {i["instanceId"]: i["state"] for i in cli("instance", "list", sid, "--all").json()}
    assert states == {"real": "serving", "nope": "pulled-out"}


def test_server_pull_out_of_an_ip_without_instances(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """server pull-out of an IP with no registered instance exits 3 and records nothing; --force records
    it; the blast radius counts only instances really on that IP."""
    ip = fresh_ip()
    r = cli("server", "pull-out", ip, "--yes")
    assert r.code == 3, r.stderr
    assert "nothing was recorded" in one_line_error(r.stderr)
    assert ip not in server_operations(server.url)
    forced = cli("server", "pull-out", ip, "--yes", "--force", "--region", "default")
    assert forced.code == 0, forced.stderr
    assert forced.json()["instancesAffected"] == 0
    assert ip in server_operations(server.url)
    assert cli("server", "pull-in", ip, "--region", "default").code == 0
    assert cli("server", "pull-out", "not-an-ip", "--yes").code == 2


def test_service_list_keeps_services_nobody_serves(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """A service whose instances are all pulled out stays in service list, with its counts; instance list
    of it answers 0 and says why it is empty; --all marks the instances."""
    gone, mixed = unique("gone"), unique("mixed")
    register(server.url, gone, "g1", ip=fresh_ip())
    register(server.url, gone, "g2", ip=fresh_ip())
    register(server.url, mixed, "m1", ip=fresh_ip())
    register(server.url, mixed, "m2", ip=fresh_ip(), status="starting")
    register(server.url, mixed, "m3", ip=fresh_ip())
    assert cli("instance", "pull-out", gone, "g1", "g2", "--yes").code == 0
    assert cli("instance", "pull-out", mixed, "m3", "--yes").code == 0
    rows = {s["serviceId"]: s for s in cli("service", "list").json()}
    counts = ("instanceCount", "serving", "pulledOut", "starting", "down")
    assert tuple(rows[gone][k] for k in counts) == (2, 0, 2, 0, 0)
    assert tuple(rows[mixed][k] for k in counts) == (3, 1, 1, 1, 0)
    table = cli("-o", "table", "service", "list").stdout
    assert gone in table
    assert "PULLED OUT" in table

    empty = cli("-o", "table", "instance", "list", gone)
    assert empty.code == 0
    assert "2 pulled out" in empty.stderr
    assert cli("instance", "list", gone).json() == []
    marked = {
        i["instanceId"]: (i["state"], i["serving"]) for i in cli("instance", "list", gone, "--all").json()
    }
    assert marked == {"g1": ("pulled-out", False), "g2": ("pulled-out", False)}
    assert "pulled-out" in cli("-o", "table", "instance", "list", gone, "--all").stdout


def test_queries_about_unknown_services_exit_3(cli: Cli, unique: Callable[[str], str]) -> None:
    """instance list / service show / instance show of a service nobody registered exit 3 with one line."""
    nosuch = unique("nosuch")
    for args in (
        ("instance", "list", nosuch),
        ("service", "show", nosuch),
        ("instance", "show", nosuch, "i"),
    ):
        r = cli(*args)
        assert r.code == 3, (args, r.stderr)
        assert "not found" in one_line_error(r.stderr)
        assert r.stdout == ""


def test_routing_does_not_hide_instances_from_listings(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """An active route rule and a canary config steer discovery clients, not the operator's listing."""
    sid = unique("steer")
    register(server.url, sid, "a1", ip=fresh_ip(), groupId="ga")
    register(server.url, sid, "b1", ip=fresh_ip(), groupId="gb")
    register(server.url, sid, "c1", ip=fresh_ip(), metadata={"canary": "true"})
    assert cli("route", "group", "create", "-s", sid, "--name", "ga").code == 0
    rule = unique("r")
    assert cli("route", "rule", "create", "--route-id", rule, "-s", sid, "--name", "only-a").code == 0
    assert cli("route", "rule", "add-group", rule, "ga", "--weight", "100").code == 0
    assert cli("route", "rule", "publish", rule).code == 0
    assert cli("canary", "set", sid, "--ip", "192.0.2.10").code == 0
    for _ in range(3):
        assert sorted(i["instanceId"] for i in cli("instance", "list", sid).json()) == ["a1", "b1", "c1"]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("canary", "set", "S", "--ip", "not-an-ip"), "--ip"),
        (("canary", "set", "S", "--ip", "10.0.0.1,300.1.1.1"), "--ip"),
        (("canary", "set", "S"), "--ip"),
        (("instance", "register", "-s", "s", "-i", "i", "--ip", "1.2.3.4", "--port", "0"), "--port"),
        (("instance", "register", "-s", "s", "-i", "i", "--ip", "1.2.3.4", "--port", "65536"), "--port"),
        (("instance", "register", "-s", "s", "-i", "i", "--ip", "1.2.3.4", "--port", "http"), "--port"),
        (("instance", "register", "-s", "s", "-i", "i", "--ip", "host", "--port", "80"), "--ip"),
        (("instance", "register", "-s", "s\x00x", "-i", "i", "--ip", "1.2.3.4", "--port", "80"), "--service"),
        (
            ("instance", "register", "-s", "s", "-i", "i" * 257, "--ip", "1.2.3.4", "--port", "80"),
            "--instance-id",
        ),
        (
            (
                "instance",
                "register",
                "-s",
                "s",
                "-i",
                "i",
                "--ip",
                "1.2.3.4",
                "-p",
                "8",
                "--interval",
                "soon",
            ),
            "--interval",
        ),
        (
            ("instance", "register", "-s", "s", "-i", "i", "--ip", "1.2.3.4", "-p", "8", "--url", "nowhere"),
            "--url",
        ),
        (
            ("instance", "register", "-s", "s", "-i", "i", "--ip", "1.2.3.4", "-p", "8", "-m", "novalue"),
            "--metadata",
        ),
        (("instance", "list", "s\u202egnp"), "SERVICE_ID"),
        (("instance", "pull-out", "s", "i", "--region", ""), "--region"),
        (("-o", "xml", "service", "list"), "--output"),
        (("service", "list", "-o", "xml"), "--output"),
        (("--timeout", "0", "service", "list"), "--timeout"),
        (("--timeout", "later", "service", "list"), "--timeout"),
        (("audit", "list", "--since", "yesterday"), "--since"),
        (("audit", "list", "--limit", "0"), "--limit"),
        (("route", "rule", "add-group", "r", "g", "--weight", "101"), "--weight"),
        (("route", "group", "create", "-s", "s", "--name", "a:b"), "--name"),
        (("route", "group", "create", "-s", "s", "--name", "n", "--type", "virtual"), "--type"),
        (
            ("route", "rule", "create", "--route-id", "r", "-s", "s", "--name", "n", "--strategy", "x"),
            "--strategy",
        ),
        (("route", "group", "show", "bare-name"), "GROUP"),
        (("zone", "pull-out", "z", "--region", "r" * 300), "--region"),
        (("instance", "watch", "s", "--max-events", "-1"), "--max-events"),
        (("tui", "--port", "99999"), "--port"),
        (("server", "start", "--log-level", "loud"), "--log-level"),
        (("server", "start", "--peer", "ftp://x"), "--peer"),
    ],
)
def test_bad_flag_values_exit_2_naming_the_flag_before_any_request(args: tuple[str, ...], flag: str) -> None:
    """Every wrong flag value is a usage error (exit 2) in one plain line naming the flag; nothing is sent
    (the server named here does not exist: a request would exit 4)."""
    r = run_inproc("--server", "http://127.0.0.1:9", *args)
    assert r.code == 2, (args, r.stdout, r.stderr)
    line = one_line_error(r.stderr)
    assert flag in line
    for leak in ("Input should", "Value error", "pydantic", "<str>", "int_parsing"):
        assert leak not in line
