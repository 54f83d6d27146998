"""SVG snapshots of the main screens against a fresh live node with fixed data.

Stable by construction: fixed terminal size, a fixed label instead of the server URL (no port), no clock in
the header, coarse lease ages ("<1m"), rows sorted, and every snapshot waits until the data it shows has
loaded and the live feed is up. Update with ``pytest tests/tui --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from artemis_cli.tui.dashboard import make_dashboard
from artemis_cli.tui.screens.modals import ConfirmScreen
from tests.helpers import LiveServer
from tests.tui.conftest import register, table_cells, until

pytestmark = pytest.mark.snapshot

SIZE = (120, 30)


@pytest.fixture
def fixed(make_server: Callable[..., LiveServer]) -> LiveServer:
    srv = make_server(lease={"ttl_secs": 600})  # no expiry while a slow machine renders
    register(srv.url, "orders", ("orders-1", "10.0.1.1"), ("orders-2", "10.0.1.2"), ("orders-3", "10.0.1.3"))
    register(srv.url, "payments", ("pay-1", "10.0.2.1"), ("pay-2", "10.0.2.2"))
    register(srv.url, "search", ("search-1", "10.0.3.1"), status="starting")
    r = httpx.post(
        srv.url + "/api/management/instance/operate-instance.json",
        json={
            "instanceKey": {"serviceId": "orders", "instanceId": "orders-3", "regionId": "default"},
            "operation": "pullout",
            "operationComplete": True,
            "operatorId": "alice",
        },
        timeout=10,
    )
    assert r.json()["responseStatus"]["status"] == "success"
    return srv


def _app(srv: LiveServer) -> Any:
    return make_dashboard([srv.url], operator="alice", label="test-cluster", start="services", refresh=60)


async def _services_ready(pilot: Any) -> None:
    app = pilot.app
    await until(pilot, lambda: app.feed_server is not None and len(table_cells(app)) == 3, what="services")
    bar = app.screen.query_one("ConnectionBar")
    summary = app.screen.query_one("#services-summary")
    await until(
        pilot,
        lambda: "· live" in str(bar.render()) and "3 services, 6 instances" in str(summary.render()),
        what="bar and summary rendered",
    )
    app.clear_notifications()  # a toast (e.g. a slow request on a loaded machine) is not what is tested
    await pilot.pause()


async def _orders_ready(pilot: Any) -> None:
    app = pilot.app
    await _services_ready(pilot)
    app.open_service("orders")
    await until(
        pilot, lambda: table_cells(app).get("default|orders-3", ("",) * 8)[7] == "instance", what="rows"
    )
    summary = app.screen.query_one("#instances-summary")
    await until(pilot, lambda: "3 instances" in str(summary.render()), what="summary rendered")
    app.clear_notifications()
    await pilot.pause()


def test_services_screen(fixed: LiveServer, snap_compare: Any) -> None:
    assert snap_compare(_app(fixed), terminal_size=SIZE, run_before=_services_ready)


def test_services_filtered_by_typing(fixed: LiveServer, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await _services_ready(pilot)
        await pilot.press("p", "a", "y", "enter")
        await until(pilot, lambda: list(table_cells(pilot.app)) == ["payments"], what="filter")

    assert snap_compare(_app(fixed), terminal_size=SIZE, run_before=run_before)


def test_instances_screen_with_a_pulled_out_instance(fixed: LiveServer, snap_compare: Any) -> None:
    assert snap_compare(_app(fixed), terminal_size=SIZE, run_before=_orders_ready)


def test_pull_out_modal_shows_the_blast_radius(fixed: LiveServer, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await _orders_ready(pilot)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="modal")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(_app(fixed), terminal_size=SIZE, run_before=run_before)


def test_help_screen(fixed: LiveServer, snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await _services_ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(_app(fixed), terminal_size=SIZE, run_before=run_before)
