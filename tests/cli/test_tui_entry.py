"""`artemis tui` is a lazy entry point: it imports artemis_cli.tui only when run."""

from __future__ import annotations

import importlib.util

import pytest

from tests.cli.conftest import one_line_error, run_proc


@pytest.mark.skipif(importlib.util.find_spec("artemis_cli.tui") is not None, reason="the TUI is installed")
def test_tui_without_the_tui_module_is_one_clear_line() -> None:
    r = run_proc("tui")
    assert r.code == 1
    assert "TUI is not available" in one_line_error(r.stderr)


def test_tui_help_works_without_the_tui() -> None:
    r = run_proc("tui", "--help")
    assert r.code == 0
    assert "--refresh" in r.stdout
    assert "--web" in r.stdout
