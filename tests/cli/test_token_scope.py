"""Tokens go only where they belong (cli.md Behaviour, issue 15 finding 7): a context's token to that
context's servers; a warning before a token travels over plain HTTP beyond loopback; logins and logouts
decide who the audit log names."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.cli.conftest import one_line_error, register, run_inproc
from tests.helpers import LiveServer


class Recorder:
    """A foreign HTTP server on loopback that answers every GET like the canary list and records the
    Authorization header of each request (also requests it receives as an HTTP proxy)."""

    def __init__(self) -> None:
        seen: list[tuple[str, str | None]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, self.headers.get("Authorization")))
                body = json.dumps({"success": True, "data": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.seen = seen
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorders() -> Iterator[tuple[Recorder, Recorder]]:
    a, b = Recorder(), Recorder()
    yield a, b
    a.close()
    b.close()


def write_config(path: Path, **contexts: dict[str, Any]) -> None:
    doc = {"current-context": next(iter(contexts)), "contexts": contexts}
    path.write_text(tomli_w.dumps(doc))


def test_stored_token_goes_only_to_the_contexts_servers(
    recorders: tuple[Recorder, Recorder], client_config: Path
) -> None:
    """The context's servers get its token; --server or ARTEMIS_SERVER naming another server gets none,
    an explicit --token / ARTEMIS_TOKEN is still sent."""
    home, foreign = recorders
    write_config(client_config, prod={"servers": [home.url], "token": "ctx-secret", "login-user": "alice"})
    env = {"ARTEMIS_CLIENT_CONFIG": str(client_config)}
    runs: list[tuple[tuple[str, ...], dict[str, str], Recorder, str | None]] = [
        ((), {}, home, "Bearer ctx-secret"),
        (("--server", home.url + "/"), {}, home, "Bearer ctx-secret"),  # the same server, spelled apart
        (("--server", foreign.url), {}, foreign, None),
        ((), {"ARTEMIS_SERVER": foreign.url}, foreign, None),
        (("--server", f"{home.url},{foreign.url}"), {}, home, None),  # any foreign server: no stored token
        (("--server", foreign.url, "--token", "explicit"), {}, foreign, "Bearer explicit"),
        (("--server", foreign.url), {"ARTEMIS_TOKEN": "from-env"}, foreign, "Bearer from-env"),
    ]
    for args, extra, target, expected in runs:
        before = len(target.seen)
        r = run_inproc(*args, "canary", "list", env={**env, **extra})
        assert r.code == 0, (args, extra, r.stderr)
        assert target.seen[before:] == [("/api/management/canary/configs", expected)], (args, extra)
        assert "ctx-secret" not in r.stdout + r.stderr


def test_plain_http_beyond_loopback_warns_before_the_token_is_sent(
    recorders: tuple[Recorder, Recorder],
) -> None:
    """A token for http:// on a non-loopback host gets one warning line; without a token, or on loopback,
    nothing is said. (The recorder is an HTTP proxy here, so nothing leaves 127.0.0.1.)"""
    proxy, loop = recorders
    env = {"HTTP_PROXY": proxy.url, "http_proxy": proxy.url, "NO_PROXY": "", "no_proxy": ""}
    remote = "http://10.255.0.7:8080"
    r = run_inproc("--server", remote, "--token", "t0k", "canary", "list", env=env)
    assert r.code == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert remote in warnings[0]
    assert "plain HTTP" in warnings[0]
    assert proxy.seen[-1] == (remote + "/api/management/canary/configs", "Bearer t0k")
    quiet = run_inproc("--server", remote, "canary", "list", env=env)
    assert quiet.code == 0
    assert quiet.stderr == ""
    assert proxy.seen[-1][1] is None
    local = run_inproc("--server", loop.url, "--token", "t0k", "canary", "list")
    assert local.code == 0
    assert local.stderr == ""


def test_audit_operator_follows_login_and_logout(
    make_server: Callable[..., LiveServer],
    monkeypatch: pytest.MonkeyPatch,
    client_config: Path,
    unique: Callable[[str], str],
) -> None:
    """Changes are audited as the logged-in user, as the OS user after logout; a failed login does not tell
    the user to log in."""
    monkeypatch.setenv("ARTEMIS_ADMIN_PASSWORD", "scope-test-password")
    srv = make_server()
    env = {"ARTEMIS_CLIENT_CONFIG": str(client_config), "USER": "os-person", "LOGNAME": "os-person"}
    sid = unique("aud")
    register(srv.url, sid, "i1")

    bad = run_inproc(
        "--server", srv.url, "login", "--user", "admin", "--password-stdin", input="wrong\n", env=env
    )
    assert bad.code == 1
    assert "artemis login" not in one_line_error(bad.stderr)

    ok = run_inproc(
        "--server",
        srv.url,
        "login",
        "--user",
        "admin",
        "--password-stdin",
        input="scope-test-password\n",
        env=env,
    )
    assert ok.code == 0, ok.stderr
    assert run_inproc("instance", "pull-out", sid, "i1", "--yes", env=env).code == 0
    assert run_inproc("logout", env=env).code == 0
    assert run_inproc("instance", "pull-in", sid, "i1", env=env).code == 0
    logs = run_inproc("audit", "list", "--service", sid, env=env).json()
    assert [(e["operation"], e["operatorId"]) for e in logs] == [
        ("pullin", "os-person"),
        ("pullout", "admin"),
    ]


def test_login_refuses_to_store_a_token_for_a_server_outside_the_context(
    recorders: tuple[Recorder, Recorder], client_config: Path
) -> None:
    """`--server OTHER login` would put OTHER's token where the context's servers get it: refused, exit 2."""
    home, foreign = recorders
    write_config(client_config, prod={"servers": [home.url]})
    r = run_inproc(
        "--server",
        foreign.url,
        "login",
        "--password-stdin",
        input="pw\n",
        env={"ARTEMIS_CLIENT_CONFIG": str(client_config)},
    )
    assert r.code == 2
    assert "--server" in one_line_error(r.stderr)
    assert foreign.seen == []


def test_refused_call_without_the_withheld_token_says_why(
    make_server: Callable[..., LiveServer],
    monkeypatch: pytest.MonkeyPatch,
    client_config: Path,
    unique: Callable[[str], str],
) -> None:
    """With management protected, a call to a server outside the context (here the same node under another
    name) goes without the stored token, is refused, and the message says why and what to do."""
    monkeypatch.setenv("ARTEMIS_ADMIN_PASSWORD", "scope-test-password")
    srv = make_server(auth={"protect_management": True})
    env = {"ARTEMIS_CLIENT_CONFIG": str(client_config)}
    sid = unique("wh")
    register(srv.url, sid, "i1")
    login = run_inproc(
        "--server",
        srv.url,
        "login",
        "--user",
        "admin",
        "--password-stdin",
        input="scope-test-password\n",
        env=env,
    )
    assert login.code == 0, login.stderr
    assert run_inproc("instance", "pull-out", sid, "i1", "--yes", "--dry-run", env=env).code == 0
    other_name = srv.url.replace("127.0.0.1", "localhost")
    r = run_inproc("--server", other_name, "canary", "set", sid, "--ip", "10.1.2.3", env=env)
    assert r.code == 1
    line = one_line_error(r.stderr)
    assert "context 'default'" in line
    assert "--token" in line
