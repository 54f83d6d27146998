"""Generated completion scripts and man pages are current; dynamic completion asks the server, never hangs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from artemis_cli import gen_docs
from tests.cli.conftest import register, run_inproc
from tests.helpers import ROOT, LiveServer


def test_completions_and_man_pages_are_current() -> None:
    stale = gen_docs.stale()
    assert stale == [], f"regenerate with `python -m artemis_cli.gen_docs`: {stale}"


def test_stale_check_notices_a_change(tmp_path: Path) -> None:
    gen_docs.write(tmp_path)
    assert gen_docs.stale(tmp_path) == []
    (tmp_path / "man" / "artemis.1").write_text("old\n")
    (tmp_path / "completions" / "leftover.sh").write_text("x\n")
    assert sorted(gen_docs.stale(tmp_path)) == ["completions/leftover.sh", "man/artemis.1"]


def test_one_man_page_per_command_group() -> None:
    pages = sorted(p.name for p in (ROOT / "man").glob("*.1"))
    for group in ("server", "cluster", "service", "instance", "zone", "canary", "route", "audit", "context"):
        assert f"artemis-{group}.1" in pages
    assert "artemis.1" in pages
    assert sorted(p.name for p in (ROOT / "completions").iterdir()) == [
        "_artemis",
        "artemis.bash",
        "artemis.fish",
    ]


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_renders() -> None:
    p = subprocess.run(
        ["man", "-l", str(ROOT / "man" / "artemis.1")],
        capture_output=True,
        text=True,
        env={**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "100"},
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert "EXIT STATUS" in p.stdout
    assert "server unreachable" in p.stdout


def complete(words: str, server: str, timeout: float = 30, **extra: str) -> list[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "_ARTEMIS_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
        "ARTEMIS_SERVER": server,
        **extra,
    }
    p = subprocess.run(
        [sys.executable, "-m", "artemis_cli"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.splitlines() if line.strip()]


def test_dynamic_completion_of_service_and_instance_ids(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("compl")
    register(server.url, sid, "inst-a")
    register(server.url, sid, "inst-b")
    got = complete(f"artemis service show {sid[:8]}", server.url)
    assert sid in got
    got = complete(f"artemis instance show {sid} inst-", server.url)
    assert sorted(got) == ["inst-a", "inst-b"]


def test_completion_with_a_hanging_server_returns_nothing() -> None:
    """A server that never answers must not hang the shell: the completion timeout is short."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        got = complete("artemis service show x", f"http://127.0.0.1:{s.getsockname()[1]}", timeout=20)
    finally:
        s.close()
    assert got == []


def test_completion_of_context_names(tmp_path: Path) -> None:
    """`context use <TAB>` and `--context <TAB>` offer the contexts of the client config, not file names."""
    cfg = tmp_path / "client.toml"
    cfg.write_text('[contexts.prod]\nservers = ["http://127.0.0.1:9"]\n[contexts.staging]\nservers = []\n')
    env = {"ARTEMIS_CLIENT_CONFIG": str(cfg)}
    assert complete("artemis context use ", "http://127.0.0.1:9", **env) == ["prod", "staging"]
    assert complete("artemis context delete st", "http://127.0.0.1:9", **env) == ["staging"]
    assert complete("artemis --context p", "http://127.0.0.1:9", **env) == ["prod"]


def test_completion_of_groups_rules_and_pulled_out_instances(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """Group names (with -s or the rule's service), route ids, and instance ids that are pulled out."""
    sid = unique("cg")
    register(server.url, sid, "in-1")
    register(server.url, sid, "out-1")
    rule = unique("crule")
    for args in (
        ("route", "group", "create", "-s", sid, "--name", "blue"),
        ("route", "rule", "create", "--route-id", rule, "-s", sid, "--name", "r"),
        ("instance", "pull-out", sid, "out-1", "--yes"),
    ):
        assert run_inproc("--server", server.url, *args).code == 0
    assert complete(f"artemis route group show -s {sid} b", server.url) == ["blue"]
    assert complete(f"artemis route group show {sid}:", server.url) == [f"{sid}:default:default:blue"]
    assert complete(f"artemis route rule add-group {rule} bl", server.url) == ["blue"]
    assert complete(f"artemis route rule show {rule[:7]}", server.url) == [rule]
    assert complete(f"artemis instance pull-in {sid} out", server.url) == ["out-1"]
