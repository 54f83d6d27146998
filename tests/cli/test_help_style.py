"""One help style for every command, clean usage lines, and no flag value that skips the CLI's own checks."""

from __future__ import annotations

from typing import Any

import pytest

from artemis_cli import gen_docs
from tests.cli.conftest import run_inproc

# Values the CLI checks elsewhere (parse_servers, split_addr, the config loader) or that are free-form paths.
UNCHECKED = {
    ("artemis", "--server"),
    ("artemis", "--client-config"),
    ("artemis", "--token"),
    ("artemis context set", "--server"),
    ("artemis context set", "--token-file"),
    ("artemis server start", "--config"),
    ("artemis server start", "--addr"),
    ("artemis server start", "--data-dir"),
    ("artemis server reset-password", "--config"),
    ("artemis server reset-password", "--data-dir"),
}


def every_command() -> list[tuple[Any, Any]]:
    root = gen_docs._root()
    rctx = gen_docs._ctx(root, "artemis")
    return [(root, rctx), *gen_docs._walk(root, rctx)]


def test_every_help_is_plain_with_clean_usage() -> None:
    """Every command's help uses the plain layout (no Rich panels) and no Typer type labels or braces."""
    for cmd, ctx in every_command():
        text = cmd.get_help(ctx)
        usage = text.splitlines()[0]
        assert usage.startswith(f"Usage: {ctx.command_path}"), usage
        for bad in ("╭", "│", "<str>", "<list", "<int", "<float", " range>", "{", "}"):
            assert bad not in text, (ctx.command_path, bad, text)


@pytest.mark.parametrize("group", ["canary", "route", "instance", "context", "server"])
def test_group_help_looks_like_the_others(group: str) -> None:
    """`artemis GROUP --help` renders the same Usage/Options/Commands layout for every group."""
    r = run_inproc(group, "--help")
    assert r.code == 0
    assert r.stdout.split(" ", 2)[2].startswith(f"{group} [OPTIONS] COMMAND [ARGS]...")
    assert "\nCommands:\n" in r.stdout


def test_every_value_is_checked_by_the_cli() -> None:
    """Each option or argument that takes a value has one of artemis_cli.validate's parsers (or is listed
    in UNCHECKED with where it is checked instead): no value reaches the server unchecked."""
    missing = []
    for cmd, ctx in every_command():
        for p in cmd.params:
            if getattr(p, "is_flag", False) or p.name in ("help", "install_completion", "show_completion"):
                continue
            name = next((o for o in getattr(p, "opts", []) if o.startswith("--")), p.name)
            if p.type_descriptor.parameter_info.parser is None and (ctx.command_path, name) not in UNCHECKED:
                missing.append(f"{ctx.command_path} {name}")
    assert missing == []
