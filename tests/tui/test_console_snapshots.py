"""SVG snapshots of the console's screens at 80x24 (the smallest terminal they must work in).

Stable by construction like test_snapshots.py: a fixed node id and label, no load (so every chart holds its
first, zero sample), a refresh period longer than the test, and each snapshot waits for its data. The
Cluster and Audit screens are not snapshotted: they show ports and timestamps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from artemis_cli.client import ArtemisClient
from artemis_cli.tui.dashboard import make_dashboard
from artemis_cli.tui.screens.forms import FormScreen
from artemis_cli.tui.widgets import KeyedTable
from tests.helpers import LiveServer
from tests.tui.conftest import register, until

pytestmark = pytest.mark.snapshot

SIZE = (80, 24)


@pytest.fixture
def shop(make_server: Callable[..., LiveServer]) -> LiveServer:
    srv = make_server(lease={"ttl_secs": 600}, server={"node_id": "node-a"})
    register(srv.url, "orders", ("orders-1", "10.0.1.1"), ("orders-2", "10.0.1.2"), zoneId="zone-a")
    register(srv.url, "orders", ("orders-3", "10.0.1.3"), zoneId="zone-b", metadata={"canary": "true"})
    register(srv.url, "payments", ("pay-1", "10.0.2.1"), zoneId="zone-b")
    c = ArtemisClient([srv.url], timeout=10)
    c.zone_pull_out("zone-b", "default", operator="alice")
    c.canary_set("orders", ["10.9.0.0/16", "192.0.2.7"], operator="alice", enabled=True)
    for name, inst in (("blue", "orders-1"), ("green", "orders-2")):
        c.group_create(
            service_id="orders",
            region="default",
            zone="default",
            name=name,
            group_type="physical",
            operator="a",
        )
        key = f"orders:default:default:{name}"
        c.group_bind(
            key, instance_id=inst, service_id="orders", region="default", zone="default", operator="a"
        )
    c.rule_create(
        route_id="orders-split",
        service_id="orders",
        name="70/30",
        strategy="weighted-round-robin",
        operator="a",
    )
    c.rule_group_add("orders-split", "orders:default:default:blue", 70, operator="a")
    c.rule_group_add("orders-split", "orders:default:default:green", 30, operator="a")
    c.close()
    return srv


def _app(srv: LiveServer, start: str) -> Any:
    return make_dashboard([srv.url], operator="alice", label="test-cluster", start=start, refresh=60)


async def _settled(pilot: Any, table: str | None = None, rows: int = 0) -> None:
    app = pilot.app
    await until(pilot, lambda: app.feed_server is not None, what="live feed")
    if table is not None:
        await until(
            pilot, lambda: len(app.screen.query_one(f"#{table}", KeyedTable).cells) == rows, what=table
        )
    app.clear_notifications()
    await pilot.pause()


def test_overview_at_80x24(shop: LiveServer, snap_compare: Any) -> None:
    """The Overview fits 80x24: five cards, then the charts (the body scrolls)."""

    async def run_before(pilot: Any) -> None:
        screen = pilot.app.screen
        await until(pilot, lambda: "1/1 up" in str(screen.query_one("#card-nodes").render()), what="nodes")
        await until(
            pilot, lambda: "2 serving" in str(screen.query_one("#card-instances").render()), what="counts"
        )
        await _settled(pilot)

    assert snap_compare(_app(shop, "overview"), terminal_size=SIZE, run_before=run_before)


def test_zones_at_80x24(shop: LiveServer, snap_compare: Any) -> None:
    """The Zones table at 80x24: a zone pulled out by alice next to one serving."""

    async def run_before(pilot: Any) -> None:
        await _settled(pilot, "zones", 2)

    assert snap_compare(_app(shop, "zones"), terminal_size=SIZE, run_before=run_before)


def test_canary_at_80x24(shop: LiveServer, snap_compare: Any) -> None:
    """The Canary table at 80x24: an enabled config with an IP and a CIDR block, 1 canary of 3."""

    async def run_before(pilot: Any) -> None:
        await _settled(pilot, "canaries", 1)

    assert snap_compare(_app(shop, "canary"), terminal_size=SIZE, run_before=run_before)


def test_routing_weights_at_80x24(shop: LiveServer, snap_compare: Any) -> None:
    """A 70/30 rule at 80x24: its groups with the configured split drawn as bars."""

    async def run_before(pilot: Any) -> None:
        pilot.app.screen.open("orders")
        await _settled(pilot, "rules", 1)
        await until(pilot, lambda: pilot.app.screen.query_one("#split").row_count == 2, what="split rows")
        await pilot.pause()

    assert snap_compare(_app(shop, "routing"), terminal_size=SIZE, run_before=run_before)


def test_whitelist_form_names_a_bad_entry(shop: LiveServer, snap_compare: Any) -> None:
    """The whitelist form keeps an invalid entry on screen and names it under the field."""

    async def run_before(pilot: Any) -> None:
        await _settled(pilot, "canaries", 1)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(pilot.app.screen, FormScreen), what="form")
        pilot.app.screen.query_one("#field-ips").value = "10.9.0.0/16 10.1.2.300"
        await pilot.press("enter")
        await until(
            pilot,
            lambda: "10.1.2.300" in str(pilot.app.screen.query_one("#form-error").render()),
            what="error",
        )

    assert snap_compare(_app(shop, "canary"), terminal_size=SIZE, run_before=run_before)
