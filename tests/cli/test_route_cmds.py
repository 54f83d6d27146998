"""`artemis route ...` (api.md 2.10): argument handling, and a server without routing answers 404 -> exit 3.

The routing endpoints are built on another branch; their end-to-end behaviour is tested there.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cli.conftest import Result, one_line_error

Cli = Callable[..., Result]

no_routing = pytest.mark.skipif(
    __import__("importlib").util.find_spec("artemis_server.api.routing") is not None,
    reason="this tree serves routing: the 404 mapping is exercised by the routing tests",
)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("route", "group", "show", "not-a-key"), "GROUP"),
        (("route", "group", "show", "a:b:c"), "GROUP"),
        (
            (
                "route",
                "group",
                "create",
                "--service",
                "s",
                "--name",
                "n",
                "--region",
                "r",
                "--zone",
                "z",
                "--type",
                "bogus",
            ),
            "--type",
        ),
        (("route", "rule", "add-group", "r1", "g1", "--weight", "0"), "--weight"),
        (("route", "rule", "add-group", "r1", "g1", "--weight", "101"), "--weight"),
        (("route", "rule", "create", "--service", "s", "--name", "n"), "--route-id"),
        (
            (
                "route",
                "rule",
                "create",
                "--route-id",
                "r",
                "--service",
                "s",
                "--name",
                "n",
                "--strategy",
                "x",
            ),
            "--strategy",
        ),
        (("route", "group", "update", "s:r:z:n"), "--description"),
        (("route", "rule", "update", "r1"), "--name"),
        (("route", "group", "tag", "add", "s:r:z:n", "novalue"), "KEY=VALUE"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(cli: Cli, args: tuple[str, ...], flag: str) -> None:
    r = cli(*args)
    assert r.code == 2, (r.stdout, r.stderr)
    assert flag in r.stderr


@no_routing
@pytest.mark.parametrize(
    "args",
    [
        ("route", "group", "show", "svc:default:default:g1"),
        ("route", "group", "show", "42"),
        ("route", "group", "list", "--service", "svc"),
        ("route", "group", "delete", "svc:default:default:g1", "--dry-run"),
        ("route", "group", "instances", "svc:default:default:g1"),
        ("route", "group", "tag", "list", "svc:default:default:g1"),
        ("route", "rule", "show", "r1"),
        ("route", "rule", "list"),
        ("route", "rule", "publish", "r1"),
        ("route", "rule", "delete", "r1", "--yes"),
        ("route", "rule", "remove-group", "r1", "g1"),
    ],
)
def test_a_server_without_routing_answers_not_found(cli: Cli, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.code == 3, (r.stdout, r.stderr)
    assert "/api/routing/" in one_line_error(r.stderr)
    assert r.stdout == ""
