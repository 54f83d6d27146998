"""Table output (what a person sees) renders for the read commands, not only -o json."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cli.conftest import Result


@pytest.mark.parametrize(
    "args",
    [
        ("server", "status"),
        ("cluster", "nodes"),
        ("service", "list"),
        ("server", "operations"),
        ("zone", "list"),
        ("canary", "list"),
        ("audit", "list"),
        ("route", "group", "list", "-s", "nothing"),
        ("route", "rule", "list"),
    ],
)
def test_read_commands_render_tables(cli: Callable[..., Result], args: tuple[str, ...]) -> None:
    r = cli("-o", "table", *args)
    assert r.code == 0, r.stderr
    assert r.stdout.strip() or r.stderr.strip()  # a table, or "no ..." on stderr when empty
    assert "Traceback" not in r.stderr
