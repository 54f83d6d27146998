"""Contexts in the client config: set/use/list/delete, resolution order, tokens never printed, mode 0600."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import instance_ids, one_line_error, register, run_inproc, run_proc
from tests.helpers import LiveServer

SECRET = "s3cr3t-token-value-0123456789"


def test_context_set_use_list_delete(
    client_config: Path, server: LiveServer, unique: Callable[[str], str], tmp_path: Path
) -> None:
    token_file = tmp_path / "tok"
    token_file.write_text(SECRET + "\n")
    cc = ["--client-config", str(client_config)]
    r = run_inproc(
        *cc,
        "context",
        "set",
        "prod",
        "--server",
        f"{server.url},http://127.0.0.1:9",
        "--token-file",
        str(token_file),
        "--region",
        "default",
        "--zone",
        "default",
        "--user",
        "alice",
    )
    assert r.code == 0, r.stderr
    assert stat.S_IMODE(client_config.stat().st_mode) == 0o600
    doc = tomllib.loads(client_config.read_text())
    assert doc["current-context"] == "prod"  # the first context becomes current
    assert doc["contexts"]["prod"]["servers"] == [server.url, "http://127.0.0.1:9"]
    assert run_inproc(*cc, "context", "set", "staging", "--server", "http://127.0.0.1:9").code == 0
    listed = run_inproc(*cc, "context", "list")
    assert listed.code == 0
    rows = {c["name"]: c for c in listed.json()}
    assert rows["prod"]["current"] is True
    assert rows["staging"]["current"] is False
    assert rows["prod"]["hasToken"] is True
    for fmt in ("json", "yaml", "table", "wide"):
        out = run_inproc(*cc, "-o", fmt, "context", "list")
        assert SECRET not in out.stdout + out.stderr
    # the current context's servers are used when no --server is given
    sid = unique("svc")
    register(server.url, sid, "i1")
    r = run_inproc(*cc, "instance", "list", sid)
    assert r.code == 0, r.stderr
    assert [i["instanceId"] for i in r.json()] == ["i1"]
    # --context picks another one (its server is down: exit 4), ARTEMIS_CONTEXT too
    assert run_inproc(*cc, "--context", "staging", "--timeout", "1", "service", "list").code == 4
    assert run_inproc(*cc, "service", "list", env={"ARTEMIS_CONTEXT": "staging"}).code == 4
    assert run_inproc(*cc, "context", "use", "staging").code == 0
    assert tomllib.loads(client_config.read_text())["current-context"] == "staging"
    assert run_inproc(*cc, "context", "use", "nope").code == 3
    assert run_inproc(*cc, "context", "delete", "staging").code == 0
    assert "staging" not in tomllib.loads(client_config.read_text())["contexts"]
    assert run_inproc(*cc, "context", "delete", "staging").code == 3


def test_unknown_context_is_a_usage_error(client_config: Path) -> None:
    r = run_inproc("--client-config", str(client_config), "--context", "ghost", "service", "list")
    assert r.code == 2
    assert "--context" in one_line_error(r.stderr)


def test_context_operator_is_the_default_operator(
    client_config: Path, server: LiveServer, unique: Callable[[str], str]
) -> None:
    cc = ["--client-config", str(client_config)]
    assert run_inproc(*cc, "context", "set", "c", "--server", server.url, "--user", "bob").code == 0
    sid = unique("svc")
    register(server.url, sid, "i1", ip="10.77.0.1")
    plan = run_inproc(*cc, "server", "pull-out", "10.77.0.1", "--dry-run").json()
    assert plan["operatorId"] == "bob"
    assert plan["instancesAffected"] == 1
    assert instance_ids(server.url, sid) == ["i1"]
    plan = run_inproc(*cc, "server", "pull-out", "10.77.0.1", "--dry-run", "--operator", "carol").json()
    assert plan["operatorId"] == "carol"


def test_env_client_config(client_config: Path, server: LiveServer) -> None:
    assert (
        run_inproc("--client-config", str(client_config), "context", "set", "x", "--server", server.url).code
        == 0
    )
    r = run_proc("cluster", "nodes", env={"ARTEMIS_CLIENT_CONFIG": str(client_config)})
    assert r.code == 0, r.stderr
    assert r.json()[0]["node"]["url"] == server.url


def test_login_needs_a_password_source(client_config: Path, server: LiveServer) -> None:
    r = run_inproc("--client-config", str(client_config), "--server", server.url, "login", "--user", "admin")
    assert r.code == 2
    assert "--password-stdin" in one_line_error(r.stderr)


def test_login_with_a_wrong_password_exits_1(client_config: Path, server: LiveServer) -> None:
    """A refused login (HTTP 401) is exit 1, one line naming the endpoint, and nothing is written."""
    r = run_inproc(
        "--client-config",
        str(client_config),
        "--server",
        server.url,
        "login",
        "--user",
        "admin",
        "--password-stdin",
        input="pw\n",
    )
    assert r.code == 1
    assert "Invalid username or password" in one_line_error(r.stderr)
    assert not client_config.exists()


def test_logout_without_token_is_a_usage_error(client_config: Path, server: LiveServer) -> None:
    r = run_inproc("--client-config", str(client_config), "--server", server.url, "logout")
    assert r.code == 2
    one_line_error(r.stderr)
