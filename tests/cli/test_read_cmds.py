"""Service, instance, server status and cluster commands against a real node; output formats; exit codes."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
import yaml

from tests.cli.conftest import Result, instance_ids, one_line_error, register, run_inproc, run_proc
from tests.helpers import LiveServer

Cli = Callable[..., Result]


def test_service_list_json_reflects_registry(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("svc")
    register(server.url, sid, "a", ip="10.0.0.1")
    register(server.url, sid, "b", ip="10.0.0.2")
    r = cli("service", "list")
    assert r.code == 0, r.stderr
    services = {s["serviceId"]: s for s in r.json()}
    assert sorted(i["instanceId"] for i in services[sid]["instances"]) == ["a", "b"]


def test_service_show_and_missing_service_exits_3(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("svc")
    register(server.url, sid, "a")
    r = cli("service", "show", sid)
    assert r.code == 0
    assert r.json()["serviceId"] == sid
    assert [i["instanceId"] for i in r.json()["instances"]] == ["a"]
    missing = cli("service", "show", unique("nope"))
    assert missing.code == 3
    assert "not found" in one_line_error(missing.stderr)
    assert missing.stdout == ""


def test_instance_list_show_and_missing_instance(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("svc")
    register(server.url, sid, "i1", ip="10.2.0.1", port=8080, metadata={"k": "v"})
    r = cli("instance", "list", sid)
    assert r.code == 0
    (inst,) = r.json()
    assert inst["instanceId"] == "i1"
    assert inst["url"] == "http://10.2.0.1:8080"
    assert inst["metadata"] == {"k": "v"}
    show = cli("instance", "show", sid, "i1")
    assert show.code == 0
    assert show.json()["instanceId"] == "i1"
    assert show.json()["serving"] is True
    assert cli("instance", "show", sid, "nope").code == 3


def test_instance_register_then_unregister_with_yes(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("svc")
    r = cli(
        "instance",
        "register",
        "--service",
        sid,
        "--instance-id",
        "x1",
        "--ip",
        "10.3.0.1",
        "--port",
        "81",
        "--metadata",
        "color=blue",
        "--metadata",
        "tier=web",
    )
    assert r.code == 0, r.stderr
    assert instance_ids(server.url, sid) == ["x1"]
    assert cli("instance", "show", sid, "x1").json()["metadata"] == {"color": "blue", "tier": "web"}
    # no terminal and no --yes: refuse with exit 2 and change nothing
    refused = cli("instance", "unregister", sid, "x1")
    assert refused.code == 2
    assert "--yes" in one_line_error(refused.stderr)
    assert instance_ids(server.url, sid) == ["x1"]
    # --dry-run shows the blast radius and changes nothing
    dry = cli("instance", "unregister", sid, "x1", "--dry-run")
    assert dry.code == 0
    plan = dry.json()
    assert plan["dryRun"] is True
    assert plan["instancesAffected"] == 1
    assert plan["serviceInstances"] == 1
    assert plan["share"] == "100%"
    assert instance_ids(server.url, sid) == ["x1"]
    done = cli("instance", "unregister", sid, "x1", "--yes")
    assert done.code == 0, done.stderr
    assert instance_ids(server.url, sid) == []
    assert cli("instance", "unregister", sid, "x1", "--yes").code == 3


def test_register_bad_metadata_names_the_flag(cli: Cli, unique: Callable[[str], str]) -> None:
    r = cli(
        "instance",
        "register",
        "--service",
        unique("s"),
        "--instance-id",
        "i",
        "--ip",
        "1.2.3.4",
        "--port",
        "1",
        "--metadata",
        "novalue",
    )
    assert r.code == 2
    assert "--metadata" in one_line_error(r.stderr)


def test_output_formats_yaml_table_wide(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("svc")
    register(server.url, sid, "i1", ip="10.4.0.1", metadata={"zone-tag": "z"})
    y = cli("-o", "yaml", "instance", "list", sid)
    assert y.code == 0
    assert yaml.safe_load(y.stdout)[0]["instanceId"] == "i1"
    t = cli("-o", "table", "instance", "list", sid)
    assert "INSTANCE" in t.stdout
    assert "i1" in t.stdout
    assert "METADATA" not in t.stdout
    w = cli("-o", "wide", "instance", "list", sid)
    assert "METADATA" in w.stdout
    assert "zone-tag=z" in w.stdout


def test_global_options_after_the_subcommand(
    cli: Cli, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("svc")
    register(server.url, sid, "i1")
    r = run_inproc("instance", "list", sid, "--server", server.url, "-o", "yaml", "-q")
    assert r.code == 0, r.stderr
    assert yaml.safe_load(r.stdout)[0]["instanceId"] == "i1"


def test_env_output_and_server(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("svc")
    register(server.url, sid, "i1")
    r = run_inproc("instance", "list", sid, env={"ARTEMIS_SERVER": server.url, "ARTEMIS_OUTPUT": "yaml"})
    assert r.code == 0, r.stderr
    assert yaml.safe_load(r.stdout)[0]["instanceId"] == "i1"


def test_server_status_and_cluster_nodes(cli: Cli, server: LiveServer) -> None:
    r = cli("server", "status")
    assert r.code == 0
    doc = r.json()
    assert doc["nodeStatus"]["status"] == "up"
    assert doc["nodeCount"] == 1
    assert doc["server"] == server.url
    nodes = cli("cluster", "nodes").json()
    assert [n["node"]["url"] for n in nodes] == [server.url]
    t = cli("-o", "table", "cluster", "nodes")
    assert server.url in t.stdout
    for fmt in ("table", "wide", "yaml"):
        r = cli("-o", fmt, "server", "status")
        assert r.code == 0, r.stderr
        assert server.url in r.stdout


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A socket that accepts connections (backlog) but never answers: every read times out."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


def _dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def test_failover_to_the_second_server(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("svc")
    register(server.url, sid, "i1")
    r = run_inproc("--server", f"{_dead_url()},{server.url}", "instance", "list", sid)
    assert r.code == 0, r.stderr
    assert [i["instanceId"] for i in r.json()] == ["i1"]


def test_unreachable_exits_4_with_one_line() -> None:
    r = run_inproc("--server", f"{_dead_url()},{_dead_url()}", "service", "list")
    assert r.code == 4
    assert "cannot reach any server (2 tried)" in one_line_error(r.stderr)
    assert r.stdout == ""


def test_timeout_exits_4(black_hole: str) -> None:
    r = run_inproc("--server", black_hole, "--timeout", "0.3", "service", "list")
    assert r.code == 4
    assert "timed out" in one_line_error(r.stderr)


def test_read_timeout_fails_over_for_reads(
    black_hole: str, server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("svc")
    register(server.url, sid, "i1")
    r = run_inproc("--server", f"{black_hole},{server.url}", "--timeout", "0.3", "instance", "list", sid)
    assert r.code == 0, r.stderr
    assert [i["instanceId"] for i in r.json()] == ["i1"]


def test_bad_server_url_is_a_usage_error() -> None:
    r = run_inproc("--server", "ftp://x", "service", "list")
    assert r.code == 2
    assert "--server" in one_line_error(r.stderr)


def test_subprocess_usage_errors_are_one_line(server: LiveServer) -> None:
    r = run_proc("--server", server.url, "-o", "bogus", "service", "list")
    assert r.code == 2
    assert "--output" in one_line_error(r.stderr)
    r = run_proc("--server", server.url, "service", "lisst")
    assert r.code == 2
    one_line_error(r.stderr)
    r = run_proc(
        "--server",
        server.url,
        "instance",
        "register",
        "--service",
        "s",
        "--instance-id",
        "i",
        "--ip",
        "1.1.1.1",
        "--port",
        "notaport",
    )
    assert r.code == 2
    assert "--port" in one_line_error(r.stderr)


def test_subprocess_end_to_end_with_env_server(server: LiveServer, unique: Callable[[str], str]) -> None:
    """The installed entry point, stdin not a terminal: json by default, ARTEMIS_SERVER honoured."""
    sid = unique("svc")
    register(server.url, sid, "i1")
    r = run_proc("service", "show", sid, env={"ARTEMIS_SERVER": server.url})
    assert r.code == 0, r.stderr
    assert r.json()["serviceId"] == sid
    r = run_proc("service", "show", unique("nope"), env={"ARTEMIS_SERVER": server.url})
    assert r.code == 3
    one_line_error(r.stderr)


def test_debug_env_shows_a_traceback() -> None:
    r = run_proc("--server", _dead_url(), "service", "list", env={"ARTEMIS_DEBUG": "1"})
    assert r.code == 4
    assert "Traceback" in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("error: ")


def test_quiet_and_verbose(cli: Cli, server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("svc")
    register(server.url, sid, "i1", status="starting")
    loud = cli("-v", "instance", "list", sid)
    assert loud.code == 0
    assert f"POST {server.url}/api/management/instances.json" in loud.stderr
    assert loud.json() == []
    quiet = cli("-q", "-o", "table", "instance", "list", sid)
    assert quiet.code == 0
    assert quiet.stderr == ""
    chatty = cli("-o", "table", "instance", "list", sid)
    assert "no serving instance" in chatty.stderr
    assert "1 starting" in chatty.stderr
