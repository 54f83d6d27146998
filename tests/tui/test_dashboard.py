"""The dashboard driven through Textual's Pilot against a real live node (HTTP + WebSocket push)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import httpx

from artemis_cli.tui.dashboard import make_dashboard
from artemis_cli.tui.screens.audit_log import AuditLogScreen
from artemis_cli.tui.screens.detail import InstanceDetailScreen
from artemis_cli.tui.screens.help import HelpScreen
from artemis_cli.tui.screens.instances import InstancesScreen
from artemis_cli.tui.screens.modals import ConfirmScreen
from artemis_cli.tui.screens.overview import OverviewScreen
from artemis_cli.tui.screens.services import ServicesScreen
from artemis_cli.tui.screens.topology import TopologyScreen
from tests.helpers import LiveServer
from tests.tui.conftest import aregister, is_instance_down, is_server_down, register, table_cells, until

SIZE = (140, 40)


def _ip() -> str:
    return f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


async def test_navigation_across_every_screen(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("nav")
    register(server.url, sid, ("n1", _ip()), ("n2", _ip()))
    app = make_dashboard([server.url], operator="pilot")
    async with app.run_test(size=SIZE) as pilot:
        # Overview first, then the Cluster: this node, up, with its counts from /metrics
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("2")
        assert isinstance(app.screen, TopologyScreen)
        rows = await until(pilot, lambda: list(table_cells(app).values()), what="cluster rows")
        assert any(r[1] == "up" and r[2] == server.url for r in rows), rows
        assert app.link_state == "connected"

        await pilot.press("3")
        assert isinstance(app.screen, ServicesScreen)
        await until(pilot, lambda: sid.lower() in table_cells(app), what="service listed")
        assert table_cells(app)[sid.lower()][1:4] == ("2", "2", "0")
        # typing filters (the first character moves the focus to the filter box)
        await pilot.press(*sid)
        await until(pilot, lambda: list(table_cells(app)) == [sid.lower()], what="filtered to one service")
        await pilot.press("enter")  # back to the table
        await pilot.press("enter")  # open the service
        assert isinstance(app.screen, InstancesScreen)
        assert app.screen.service_id == sid
        await until(pilot, lambda: set(table_cells(app)) == {"default|n1", "default|n2"}, what="instances")

        await pilot.press("enter")
        assert isinstance(app.screen, InstanceDetailScreen)
        await until(pilot, lambda: app.screen.loaded, what="detail loaded")
        await pilot.press("escape")
        assert isinstance(app.screen, InstancesScreen)

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, InstancesScreen)

        for key, mode in (
            ("4", "routing"),
            ("5", "zones"),
            ("6", "canary"),
            ("7", "audit"),
            ("1", "overview"),
        ):
            await pilot.press(key)
            assert app.current_mode == mode
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("8")  # Users is for admins: no token, no screen
        assert app.current_mode == "overview"
        await pilot.press("7")
        assert isinstance(app.screen, AuditLogScreen)
        await pilot.press("3")  # the services stack kept the open service
        assert isinstance(app.screen, InstancesScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ServicesScreen)


async def test_live_update_after_registration_updates_rows_in_place(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid = unique("live")
    ip1, ip2 = _ip(), _ip()
    register(server.url, sid, ("a", ip1), ("b", ip2))
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.feed_server is not None, what="live feed")
        app.open_service(sid)
        await until(pilot, lambda: len(table_cells(app)) == 2, what="two rows")
        table = app.screen.query_one("KeyedTable")
        await pilot.press("down")
        assert table.cursor_row == 1

        await aregister(server.url, sid, ("c", _ip()))
        await until(pilot, lambda: "default|c" in table_cells(app), what="pushed registration")
        # a status change of an existing instance updates its cells in place
        await aregister(server.url, sid, ("a", ip1), status="starting")
        await until(pilot, lambda: table_cells(app)["default|a"][5] == "starting", what="status update")
        assert table.row_count == 3
        assert table.cursor_row == 1  # not rebuilt: the cursor stays where it was
        assert table.get_row_index("default|a") == 0

        # an unregister removes the row
        r = httpx.post(
            server.url + "/api/registry/unregister.json",
            json={"instanceKeys": [{"serviceId": sid, "instanceId": "b", "regionId": "default"}]},
            timeout=10,
        )
        assert r.json()["responseStatus"]["status"] == "success"
        await until(pilot, lambda: "default|b" not in table_cells(app), what="row removed")
        assert set(table_cells(app)) == {"default|a", "default|c"}


async def test_pull_out_and_in_through_the_modal(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("pull")
    register(server.url, sid, ("p1", _ip()), ("p2", _ip()), metadata={"team": "blue"})
    app = make_dashboard([server.url], operator="pilot-op", start="services")
    async with app.run_test(size=SIZE) as pilot:
        app.open_service(sid)
        await until(pilot, lambda: len(table_cells(app)) == 2, what="rows")
        assert app.screen.query_one("KeyedTable").cursor_row == 0  # p1 (rows sorted by id)

        await pilot.press("o")
        modal = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="modal")
        text = "\n".join(modal.lines)
        assert f"{sid}: 1 of 2 instances (50%)" in text
        assert "Operator: pilot-op" in text
        await pilot.press("n")  # cancelled: nothing happens
        assert isinstance(app.screen, InstancesScreen)
        assert not is_instance_down(server.url, sid, "p1")

        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="modal again")
        await pilot.press("y")
        await until(pilot, lambda: is_instance_down(server.url, sid, "p1"), what="server says pulled out")
        await until(pilot, lambda: table_cells(app)["default|p1"][7] == "instance", what="pulled-out marker")
        assert table_cells(app)["default|p1"][5] == "up"  # its own status is kept
        # audited with the operator
        logs = httpx.get(
            server.url + "/api/management/audit/instance-logs", params={"serviceId": sid}, timeout=10
        ).json()["data"]
        assert any(x["operation"] == "pullout" and x["operatorId"] == "pilot-op" for x in logs)

        # the same key now offers the pull-in
        await pilot.press("o")
        modal = await until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="pull-in"
        )
        assert modal.title_text.startswith("Pull in")
        await pilot.press("y")
        await until(pilot, lambda: not is_instance_down(server.url, sid, "p1"), what="pulled back in")
        await until(pilot, lambda: table_cells(app)["default|p1"][7] == "", what="marker cleared")

        # the detail screen: fields, metadata and the operations history from the audit log
        await pilot.press("enter")
        assert isinstance(app.screen, InstanceDetailScreen)
        history = await until(
            pilot, lambda: len(table_cells(app)) == 2 and list(table_cells(app).values()), what="history"
        )
        assert [(h[4], h[5]) for h in history] == [("pullin", "pilot-op"), ("pullout", "pilot-op")]
        fields = _text(app.screen.query_one("#fields").content)
        assert "p1" in fields
        assert "team" in fields
        assert "blue" in fields  # metadata


async def test_server_pull_out_shows_blast_radius_across_services(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    a, b = unique("srva"), unique("srvb")
    ip = _ip()
    register(server.url, a, ("a1", ip), ("a2", _ip()))
    register(server.url, b, ("b1", ip))
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        app.open_service(a)
        await until(pilot, lambda: len(table_cells(app)) == 2, what="rows")
        await pilot.press("s")
        modal = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="modal")
        text = "\n".join(modal.lines)
        assert f"server {ip}" in text
        assert "2 serving instances in 2 services affected" in text
        assert f"{b}: 1 of 1 instances (100%)  <- the whole service" in text
        await pilot.press("y")
        try:
            await until(pilot, lambda: is_server_down(server.url, ip), what="server pulled out")
            await until(pilot, lambda: table_cells(app)["default|a1"][7] == "server", what="marker")
        finally:
            httpx.post(
                server.url + "/api/management/server/operate-server.json",
                json={
                    "serverId": ip,
                    "regionId": "default",
                    "operation": "pullin",
                    "operationComplete": True,
                },
                timeout=10,
            )


async def test_zone_pull_out_and_canary_modals(make_server: Callable[..., LiveServer]) -> None:
    srv = make_server()
    register(srv.url, "zsvc", ("z1", "10.1.0.1"), ("z2", "10.1.0.2"))
    register(srv.url, "other", ("o1", "10.2.0.1"))
    r = httpx.post(
        srv.url + "/api/management/canary/config",
        json={"serviceId": "zsvc", "ipWhitelist": ["10.9.9.9"], "enabled": False, "operatorId": "t"},
        timeout=10,
    )
    assert r.json()["success"], r.text
    app = make_dashboard([srv.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "zsvc" in table_cells(app), what="services")
        assert table_cells(app)["zsvc"][5] == "off"
        assert app.screen.query_one("KeyedTable").get_row_index("zsvc") == 1  # sorted: other, zsvc
        await pilot.press("c")  # on "other": it has no canary config -> a warning, no modal
        await until(
            pilot, lambda: any("no canary config" in n.message for n in app._notifications), what="warn"
        )
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("down", "c")
        modal = await until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="canary"
        )
        assert "10.9.9.9" in "\n".join(modal.lines)
        await pilot.press("y")
        await until(pilot, lambda: table_cells(app)["zsvc"][5] == "on", what="canary on")
        cfg = httpx.get(srv.url + "/api/management/canary/config/zsvc", timeout=10).json()["data"]
        assert cfg["enabled"] is True

        app.open_service("zsvc")
        await until(pilot, lambda: len(table_cells(app)) == 2, what="rows")
        await pilot.press("z")
        modal = await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="zone")
        assert "3 serving instances in 2 services affected" in "\n".join(modal.lines)
        await pilot.press("y")

        def zone_down() -> bool:
            d = httpx.get(srv.url + "/api/management/zone/status/default/default", timeout=10).json()
            return bool(d["data"]["isDown"])

        await until(pilot, zone_down, what="zone pulled out")
        await until(pilot, lambda: table_cells(app)["default|z1"][7] == "zone", what="zone marker")


async def test_disconnected_state_then_failover_to_the_other_server(
    make_server: Callable[..., LiveServer],
) -> None:
    first, second = make_server(), make_server()
    register(first.url, "fo", ("f1", "10.3.0.1"))
    register(second.url, "fo", ("s1", "10.3.0.2"))
    app = make_dashboard([first.url, second.url], operator="pilot", start="services", refresh=0.5)
    async with app.run_test(size=SIZE) as pilot:
        app.open_service("fo")
        await until(pilot, lambda: set(table_cells(app)) == {"default|f1"}, what="rows from the first")
        await until(pilot, lambda: app.feed_server == first.url, what="live on the first")

        await asyncio.to_thread(first.stop)
        # fails over: the second server answers, the rows and the live feed follow it
        await until(pilot, lambda: set(table_cells(app)) == {"default|s1"}, timeout=20, what="failover")
        await until(pilot, lambda: app.feed_server == second.url, timeout=20, what="feed on the second")
        assert app.link_state == "connected"
        await aregister(second.url, "fo", ("s2", "10.3.0.3"))
        await until(pilot, lambda: "default|s2" in table_cells(app), what="live updates resumed")

        await asyncio.to_thread(second.stop)
        await until(pilot, lambda: app.link_state == "disconnected", timeout=20, what="disconnected")
        bar = app.screen.query_one("ConnectionBar")
        assert "DISCONNECTED" in str(bar.render())
        assert app.feed_server is None
        # still usable: navigation works and nothing crashed
        await pilot.press("1")
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("2")
        assert isinstance(app.screen, TopologyScreen)
        await pilot.press("3")
        assert isinstance(app.screen, InstancesScreen)
    assert app.return_code in (None, 0)


async def test_command_palette_opens_a_service(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("pal")
    register(server.url, sid, ("x1", _ip()))
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: sid.lower() in table_cells(app), what="service listed")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette", what="palette")
        await pilot.press(*f"service {sid}")
        await until(pilot, lambda: _palette_has(app, sid), what="hit for the service")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InstancesScreen), what="instances screen")
        assert app.screen.service_id == sid


def _text(renderable: Any) -> str:
    from rich.console import Console

    console = Console(width=160, no_color=True)
    with console.capture() as cap:
        console.print(renderable)
    return cap.get()


def _palette_has(app: Any, sid: str) -> bool:
    from textual.command import CommandList

    lst = app.screen.query_one(CommandList)
    return lst.option_count > 0 and sid in str(lst.get_option_at_index(0).prompt)


async def test_ten_thousand_instances_stay_responsive(make_server: Callable[..., LiveServer]) -> None:
    srv = make_server()
    n = 10_000
    await asyncio.to_thread(_register_many, srv.url, "big", n)
    app = make_dashboard([srv.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        app.open_service("big")
        await until(pilot, lambda: len(table_cells(app)) == n, timeout=30, what="10,000 rows")
        await until(pilot, lambda: app.feed_server is not None, what="live feed")
        table = app.screen.query_one("KeyedTable")
        await pilot.press("ctrl+end")
        assert table.cursor_row == n - 1
        await aregister(srv.url, "big", ("zz-new", "10.200.0.1"))
        await aregister(srv.url, "big", ("i00007", "10.0.0.7"), status="down")
        await until(pilot, lambda: "default|zz-new" in table_cells(app), what="new row")
        await until(pilot, lambda: table_cells(app)["default|i00007"][5] == "down", what="updated cell")
        assert table.row_count == n + 1
        assert table.cursor_row == n - 1  # updates did not rebuild the table

        # "/" filters the 10,000 rows; pushes for rows outside the filter stay out of the table
        await pilot.press("slash", *"i0999")
        await until(pilot, lambda: table.row_count == 10, what="filtered rows")
        await aregister(srv.url, "big", ("zz-other", "10.200.0.2"))
        await aregister(srv.url, "big", ("i09995", "10.0.39.11"), status="starting")
        await until(
            pilot, lambda: table_cells(app)["default|i09995"][5] == "starting", what="filtered update"
        )
        assert "default|zz-other" not in table_cells(app)
        await pilot.press("escape")
        await until(pilot, lambda: table.row_count == n + 2, what="filter cleared")
        assert isinstance(app.screen, InstancesScreen)


def _register_many(url: str, service: str, n: int) -> None:
    with httpx.Client(timeout=30) as http:
        for start in range(0, n, 2000):
            body = {
                "instances": [
                    {"serviceId": service, "instanceId": f"i{k:05d}", "ip": f"10.{k // 65536}.{k // 256 % 256}.{k % 256}",
                     "port": 80, "url": "http://x"}
                    for k in range(start, min(n, start + 2000))
                ]
            }  # fmt: skip
            assert http.post(url + "/api/registry/register.json", json=body).status_code == 200


def test_web_serves_the_dashboard_on_loopback(server: LiveServer) -> None:
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT, free_port, wait_for

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "artemis_cli", "--server", server.url, "tui", "--web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:

        def page() -> str | None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                return None
            return r.text if r.status_code == 200 else None

        html = wait_for(page, timeout=20, what="textual-serve page")
        assert "Artemis" in html
        assert "textual" in html.lower()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert f"http://127.0.0.1:{port}" in err
    assert "Traceback" not in err


async def test_type_to_filter_survives_a_burst_of_keys(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """Keys pasted / typed fast arrive before the filter box has the focus; bound letters (c, 1, 2, 3, r, q)
    inside a name must still be text once typing started."""
    from textual import events

    sid = unique("b") + "-c1qr23"  # starts with an unbound letter (a bound first key keeps its action)
    register(server.url, sid, ("b1", _ip()))
    register(server.url, sid[:-2], ("b2", _ip()))  # a prefix of the name: must be filtered out
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: sid.lower() in table_cells(app), what="service listed")
        assert len(table_cells(app)) >= 2
        for ch in sid:
            app.post_message(events.Key(ch, ch))
        flt = app.screen.query_one("#filter")
        await until(pilot, lambda: flt.value == sid, what="the whole name in the filter box")
        await until(pilot, lambda: list(table_cells(app)) == [sid.lower()], what="filtered to the service")
        assert isinstance(app.screen, ServicesScreen)
        await pilot.press("enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, InstancesScreen), what="service opened")
