"""`artemis --help` stays fast: no server, TUI, HTTP or rendering library is imported for help."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

HEAVY = (
    "uvicorn",
    "litestar",
    "sqlalchemy",
    "alembic",
    "textual",
    "httpx",
    "httpcore",
    "websockets",
    "rich",
    "msgspec",
    "yaml",
    "artemis_server",
)


def imported_modules(*args: str) -> tuple[int, set[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "artemis_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
        timeout=60,
    )
    mods = set()
    for line in p.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                mods.add(name)
    return p.returncode, mods, p.stdout


@pytest.mark.parametrize(
    "args", [("--help",), ("instance", "--help"), ("server", "start", "--help"), ("route", "rule", "--help")]
)
def test_help_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    code, mods, out = imported_modules(*args)
    assert code == 0
    assert "Usage:" in out
    heavy = sorted(m for m in mods if m.split(".")[0] in HEAVY or m.startswith("artemis_cli.tui"))
    assert heavy == [], f"`artemis {' '.join(args)}` imported {heavy}"


def test_help_documents_exit_codes() -> None:
    code, _, out = imported_modules("--help")
    assert code == 0
    for text in ("Exit codes", "3 not found", "4 server unreachable", "2 usage error"):
        assert text in " ".join(out.split())


def test_lazy_group_help_matches_the_group() -> None:
    """`artemis --help` shows the short help kept in main.LAZY_GROUPS; it must be the group's own help."""
    from artemis_cli.main import LAZY_GROUPS, load_group

    for name, (_, short) in LAZY_GROUPS.items():
        group = load_group(name)
        assert " ".join((group.help or "").split()) == short, name
    assert set(LAZY_GROUPS) == {
        "server",
        "cluster",
        "service",
        "instance",
        "zone",
        "canary",
        "route",
        "audit",
        "context",
    }
