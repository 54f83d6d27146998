"""The console's screens (Overview, Cluster, Zones, Canary, Routing, Audit, Users) driven through Pilot
against live nodes: every action goes through its form and the confirm modal and is checked on the server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from textual.widgets import Input, Select

from artemis_cli.client import ArtemisClient
from artemis_cli.tui.dashboard import make_dashboard
from artemis_cli.tui.screens.forms import FormScreen
from artemis_cli.tui.screens.modals import ConfirmScreen
from artemis_cli.tui.screens.overview import OverviewScreen
from artemis_cli.tui.widgets import KeyedTable
from artemis_cli.tui.widgets.charts import ChartPanel, StatCard
from tests.helpers import LiveServer
from tests.tui.conftest import aregister, register, until

SIZE = (120, 40)


def text(widget: Any) -> str:
    return str(widget.render())


def cells(app: Any, table: str) -> dict[str, tuple[str, ...]]:
    return dict(app.screen.query_one(f"#{table}", KeyedTable).cells)


async def confirm(pilot: Any, app: Any, *expected: str) -> str:
    """Wait for the confirm modal, check its body names ``expected``, press y; returns the body."""
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm modal")
    body = str(app.screen.query_one("#confirm-body").render())
    for part in expected:
        assert part in body, body
    await pilot.press("y")
    return body


async def fill(pilot: Any, app: Any, **values: str) -> None:
    """Wait for the form, set its fields (inputs and choices) and submit it."""
    await until(pilot, lambda: isinstance(app.screen, FormScreen), what="form")
    for name, value in values.items():
        widget = app.screen.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    ok = app.screen.query_one("#form-ok")
    await until(
        pilot,
        lambda: not ok.has_class("-active"),
        what="the button ready (a click while it animates is ignored)",
    )
    await pilot.click("#form-ok")


def api(url: str, token: str | None = None) -> ArtemisClient:
    return ArtemisClient([url], token=token, timeout=10)


@pytest.fixture
def auth_admin(
    make_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch
) -> tuple[LiveServer, str]:
    """A node whose first admin has a known password, and that admin's token."""
    monkeypatch.setenv("ARTEMIS_ADMIN_PASSWORD", "admin-secret-pw")
    srv = make_server(auth={"min_password_length": 8})
    r = httpx.post(
        f"{srv.url}/api/auth/login", json={"username": "admin", "password": "admin-secret-pw"}, timeout=10
    )
    assert r.status_code == 200, r.text
    return srv, str(r.json()["data"]["accessToken"])


async def test_overview_cards_and_charts_follow_the_cluster(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """The Overview counts nodes, services and instances and draws one sparkline per node that moves when
    registrations arrive."""
    sid = unique("ov")
    app = make_dashboard([server.url], operator="pilot", refresh=0.3)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, OverviewScreen)
        nodes = app.screen.query_one("#card-nodes", StatCard)
        await until(pilot, lambda: "1/1 up" in text(nodes), what="one node up")
        chart = app.screen.query_one("#chart-registrations", ChartPanel)
        await until(pilot, lambda: len(chart.rows) == 1, what="one chart row per node")
        for i in range(5):
            await aregister(server.url, sid, (f"o{i}", f"10.90.0.{i + 1}"))
        await until(
            pilot,
            lambda: any(v > 0 for v in app.screen.query_one("#chart-registrations ChartRow Sparkline").data),
            what="the registrations chart moves",
        )
        services = app.screen.query_one("#card-services", StatCard)
        n = len(api(server.url).services())
        await until(pilot, lambda: text(services).startswith(f"{n:,}"), what="services counted")
        assert "serving" in text(app.screen.query_one("#card-instances", StatCard))


async def test_cluster_shows_a_stopped_node_down_with_its_links(
    make_server: Callable[..., LiveServer],
) -> None:
    """The Cluster screen lists every node with counts from its own /metrics, draws the replication links,
    and shows a node that stops as down (also its link from the node the console talks to)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    b = make_server()
    a = make_server(
        cluster={
            "enabled": True,
            "peers": [b.url, dead],
            "health_check_initial_delay_secs": 0,
            "health_check_interval_secs": 0.2,
        }
    )
    register(b.url, "cl", ("c1", "10.4.0.1"), ("c2", "10.4.0.2"))
    app = make_dashboard([a.url], operator="pilot", refresh=0.5, start="cluster")
    async with app.run_test(size=SIZE) as pilot:

        def by_url() -> dict[str, tuple[str, ...]]:
            return {c[2]: c for c in cells(app, "nodes").values()}

        await until(
            pilot,
            lambda: by_url().get(b.url, ("",) * 5)[1] == "up" and by_url().get(dead, ("",) * 2)[1] == "down",
            timeout=20,
            what="b up, the dead peer down",
        )
        assert by_url()[a.url][1] == "up"
        await until(pilot, lambda: by_url()[b.url][4] == "2", what="b's instance count from its /metrics")
        tree = app.screen.query_one("#topology")
        labels = lambda: [str(n.label) for n in tree.root.children]  # noqa: E731
        await until(pilot, lambda: any(a.url in x for x in labels()), what="a in the topology")

        await asyncio.to_thread(b.stop)
        await until(pilot, lambda: by_url().get(b.url, ("",) * 2)[1] == "down", timeout=20, what="b down")
        assert app.link_state == "connected"  # the node the console talks to is still up
        summary = app.screen.query_one("#cluster-summary")
        await until(pilot, lambda: "1 of 3 nodes up" in text(summary), what="summary")

        def a_links() -> list[str]:
            return [str(x.label) for n in tree.root.children if a.url in str(n.label) for x in n.children]

        await until(
            pilot, lambda: sum("DOWN" in x for x in a_links()) == 2, timeout=20, what="a's two links down"
        )


async def test_zone_pull_out_and_in(make_server: Callable[..., LiveServer]) -> None:
    """A zone is listed with its instance count; o pulls it out after a confirm naming the blast radius, and
    o again pulls it back in."""
    srv = make_server()
    register(srv.url, "zsvc", ("z1", "10.5.0.1"), ("z2", "10.5.0.2"), zoneId="zone-a")
    register(srv.url, "zsvc", ("z3", "10.5.0.3"), zoneId="zone-b")
    app = make_dashboard([srv.url], operator="zone-op", start="zones")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "default|zone-a" in cells(app, "zones"), what="zone-a listed")
        assert cells(app, "zones")["default|zone-a"][2:6] == ("2", "2", "1", "serving")
        table = app.screen.query_one("#zones", KeyedTable)
        table.move_cursor(row=table.get_row_index("default|zone-a"))
        await pilot.press("o")
        await confirm(pilot, app, "zone zone-a", "zsvc: 2 of 3 instances")
        status = lambda: api(srv.url).zone_status("zone-a", "default")  # noqa: E731
        await until(pilot, lambda: status().is_down, what="zone-a pulled out")
        await until(pilot, lambda: cells(app, "zones")["default|zone-a"][5] == "pulled out", what="shown out")
        assert cells(app, "zones")["default|zone-a"][6] == "zone-op"
        await pilot.press("o")
        await confirm(pilot, app, "Pull in zone zone-a")
        await until(pilot, lambda: not status().is_down, what="zone-a back in")


async def test_canary_config_whitelist_and_client_view(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """A canary config is created through the form (a bad IP keeps the form open and names it), its
    whitelist edited, enabled, shown from a client's point of view, and deleted; each confirmed."""
    sid = unique("can")
    register(server.url, sid, ("c1", "10.6.0.1"), ("c2", "10.6.0.2"))
    register(server.url, sid, ("cc", "10.6.0.9"), metadata={"canary": "true"})
    client = api(server.url)
    app = make_dashboard([server.url], operator="canary-op", start="canary")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await fill(pilot, app, service=sid, ips="10.7.0.1, 300.1.1.1", enabled="no")
        error = app.screen.query_one("#form-error")
        await until(
            pilot, lambda: "'300.1.1.1' is not an IP address or CIDR block" in text(error), what="error"
        )
        assert isinstance(app.screen, FormScreen)
        await fill(pilot, app, ips="10.7.0.1, 10.8.0.0/16")
        await confirm(pilot, app, f"Create the canary config of {sid}", "canary instances: 1 of 3")
        await until(pilot, lambda: sid.lower() in cells(app, "canaries"), what="config listed")
        cfg = client.canary_get(sid)
        assert cfg.ip_whitelist == ["10.7.0.1", "10.8.0.0/16"]
        assert cfg.enabled is False

        table = app.screen.query_one("#canaries", KeyedTable)
        table.move_cursor(row=table.get_row_index(sid.lower()))
        await pilot.press("w")
        await fill(pilot, app, ips="10.8.0.0/16 10.9.0.5")
        await confirm(pilot, app, "adds: 10.9.0.5; removes: 10.7.0.1")
        await until(
            pilot, lambda: client.canary_get(sid).ip_whitelist == ["10.8.0.0/16", "10.9.0.5"], what="saved"
        )

        await pilot.press("e")
        await confirm(pilot, app, f"Enable canary routing of {sid}")
        await until(pilot, lambda: client.canary_get(sid).enabled is True, what="enabled")

        await pilot.press("p")
        await fill(pilot, app, ip="10.8.3.4")
        preview = app.screen.query_one("#canary-preview")
        await until(pilot, lambda: "sees 1 instance(s)" in text(preview), what="whitelisted client view")
        assert "cc" in text(preview)
        await pilot.press("p")
        await fill(pilot, app, ip="192.0.2.1")
        await until(pilot, lambda: "sees 2 instance(s)" in text(preview), what="other client view")

        await pilot.press("d")
        await confirm(pilot, app, f"Delete the canary config of {sid}")
        await until(pilot, lambda: sid.lower() not in cells(app, "canaries"), what="config gone")


async def test_routing_rule_weights_publish_and_observed_split(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """A rule's groups show their configured split; a weight edit previews the split before and after, publish
    and a strategy edit need a confirm, and the measured split comes from discovery."""
    sid = unique("rt")
    register(server.url, sid, ("a1", "10.10.0.1"), ("b1", "10.10.0.2"))
    c = api(server.url)
    keys = []
    for name, inst in (("ga", "a1"), ("gb", "b1")):
        c.group_create(
            service_id=sid, region="default", zone="default", name=name, group_type="physical", operator="t"
        )
        key = f"{sid}:default:default:{name}"
        c.group_bind(key, instance_id=inst, service_id=sid, region="default", zone="default", operator="t")
        keys.append(key)
    c.rule_create(
        route_id=f"{sid}-rule", service_id=sid, name="split", strategy="weighted-round-robin", operator="t"
    )
    c.rule_group_add(f"{sid}-rule", keys[0], 1, operator="t")
    app = make_dashboard([server.url], operator="route-op", start="routing")
    async with app.run_test(size=SIZE) as pilot:
        app.screen.open(sid)
        await until(pilot, lambda: f"{sid}-rule" in cells(app, "rules"), what="rule listed")
        assert cells(app, "rules")[f"{sid}-rule"][2] == "unpublished"
        await pilot.press("a")
        await fill(pilot, app, group=keys[1], weight="3")
        await confirm(pilot, app, f"{keys[0]}:  25.0%", f"{keys[1]}:  75.0%")
        await until(pilot, lambda: cells(app, "rules")[f"{sid}-rule"][4] == "2", what="two groups")

        split = app.screen.query_one("#split")
        await until(pilot, lambda: split.row_count == 2, what="split rows")
        split.move_cursor(row=1)
        await pilot.press("w")
        await fill(pilot, app, weight="1000000")
        assert "not a weight" in text(app.screen.query_one("#form-error"))
        await fill(pilot, app, weight="1")
        await confirm(pilot, app, " 25.0% ->  50.0%", " 75.0% ->  50.0%", "unpublished")
        await until(
            pilot, lambda: [g.weight for g in c.rule_groups(f"{sid}-rule")] == [1, 1], what="weights 1/1"
        )

        await pilot.press("p")
        await confirm(pilot, app, f"Publish rule {sid}-rule")
        await until(pilot, lambda: c.rule_get(f"{sid}-rule").status == "active", what="published")
        await until(
            pilot, lambda: cells(app, "rules")[f"{sid}-rule"][2] == "published", what="shown published"
        )

        await pilot.press("m")
        await until(pilot, lambda: app.screen.observed.get(f"{sid}-rule"), timeout=20, what="measured split")
        shares = app.screen.observed[f"{sid}-rule"]
        assert abs(sum(shares.values()) - 1.0) < 0.01, shares
        assert all(v > 0.2 for v in shares.values()), shares

        await pilot.press("e")
        await fill(pilot, app, strategy="close-by-visit")
        await confirm(pilot, app, "strategy: weighted-round-robin -> close-by-visit", "published")
        await until(pilot, lambda: c.rule_get(f"{sid}-rule").strategy == "close-by-visit", what="edited")
        await until(pilot, lambda: cells(app, "rules")[f"{sid}-rule"][3] == "close-by-visit", what="shown")


async def test_audit_is_newest_first_and_filters(server: LiveServer, unique: Callable[[str], str]) -> None:
    """The audit log lists the newest record first, takes new records live, and narrows by operator,
    operation, service and time range."""
    sid = unique("au")
    register(server.url, sid, ("u1", "10.11.0.1"))
    c = api(server.url)
    op = unique("auditor")
    c.operate_instance(sid, "u1", "pullout", operator=op, complete=True)
    app = make_dashboard([server.url], operator="pilot", start="audit", refresh=0.3)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-operator", Input).value = op
        await until(pilot, lambda: len(cells(app, "audit")) == 1, what="one record of the operator")
        c.operate_instance(sid, "u1", "pullin", operator=op, complete=True)
        await until(pilot, lambda: len(cells(app, "audit")) == 2, what="the new record, live")
        table = app.screen.query_one("#audit", KeyedTable)
        first = table.get_row_at(0)
        assert first[4] == "pullin"
        assert int(first[0]) > int(table.get_row_at(1)[0])  # newest first
        app.screen.query_one("#f-operation", Input).value = "pullout"
        await until(
            pilot, lambda: [r[4] for r in cells(app, "audit").values()] == ["pullout"], what="operation"
        )
        app.screen.query_one("#f-service", Input).value = unique("other")
        await until(pilot, lambda: not cells(app, "audit"), what="no record of another service")
        app.screen.query_one("#f-service", Input).value = sid
        app.screen.query_one("#f-since", Select).value = "15m"
        await until(pilot, lambda: len(cells(app, "audit")) == 1, what="service and time range")


async def test_users_for_admins_only(auth_admin: tuple[LiveServer, str]) -> None:
    """With an admin's token the Users screen lists users and creates one, changes its role, resets its
    password and deactivates it, each confirmed; without a token the screen stays closed."""
    srv, token = auth_admin
    app = make_dashboard([srv.url], token=token, operator="admin")
    async with app.run_test(size=SIZE) as pilot:
        from artemis_cli.tui.navigation import is_admin

        await until(pilot, lambda: is_admin(app), what="the console knows it is an admin")
        await pilot.press("8")
        await until(pilot, lambda: any(r[0] == "admin" for r in cells(app, "users").values()), what="users")
        await pilot.press("n")
        await fill(pilot, app, username="carol", password="short", role="operator")
        assert "at least 8 characters" in text(app.screen.query_one("#form-error"))
        await fill(pilot, app, password="carol-pw-123")
        await confirm(pilot, app, "Create user carol with role operator")
        await until(pilot, lambda: any(r[0] == "carol" for r in cells(app, "users").values()), what="carol")
        table = app.screen.query_one("#users", KeyedTable)
        carol = next(k for k, r in cells(app, "users").items() if r[0] == "carol")
        table.move_cursor(row=table.get_row_index(carol))

        await pilot.press("o")
        await fill(pilot, app, role="viewer")
        await confirm(pilot, app, "operator -> viewer")
        await until(pilot, lambda: cells(app, "users")[carol][1] == "viewer", what="role changed")

        await pilot.press("p")
        await fill(pilot, app, password="carol-new-pw-1")
        await confirm(pilot, app, "Reset the password of carol")

        def login(pw: str) -> int:
            body = {"username": "carol", "password": pw}
            return httpx.post(f"{srv.url}/api/auth/login", json=body, timeout=10).status_code

        await until(pilot, lambda: login("carol-new-pw-1") == 200, what="new password works")

        await pilot.press("d")
        await confirm(pilot, app, "Deactivate carol", "sessions end now")
        await until(pilot, lambda: cells(app, "users")[carol][2] == "inactive", what="deactivated")
        assert login("carol-new-pw-1") != 200
        history = app.screen.query_one("#history", KeyedTable)
        await until(pilot, lambda: history.row_count >= 1, what="carol's login history")

    plain = make_dashboard([srv.url], operator="nobody")
    async with plain.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        assert plain.current_mode == "overview"


async def test_bulk_pull_out_and_in_with_one_confirm(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """Instances selected with space are pulled out together after one confirm naming the blast radius, then
    pulled back in together; > sorts the rows and the Services screen counts canary instances."""
    from tests.tui.conftest import is_instance_down, table_cells

    sid = unique("bulk")
    register(server.url, sid, ("b1", "10.20.0.4"), ("b2", "10.20.0.3"), ("b3", "10.20.0.2"))
    register(server.url, sid, ("b4", "10.20.0.1"), metadata={"canary": "true"})
    app = make_dashboard([server.url], operator="bulk-op", start="services")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: sid.lower() in table_cells(app), what="service listed")
        assert table_cells(app)[sid.lower()][1:] == ("4", "4", "0", "0", "", "1")
        app.open_service(sid)
        await until(pilot, lambda: len(table_cells(app)) == 4, what="rows")
        await pilot.press("space", "space")  # b1, b2
        await until(pilot, lambda: app.screen.chosen == {"default|b1", "default|b2"}, what="two selected")
        assert table_cells(app)["default|b1"][0] == "✓"
        await pilot.press("o")
        await confirm(pilot, app, "Pull out 2 selected instances", f"{sid}: 2 of 4 instances (50%)", "b1, b2")
        await until(
            pilot,
            lambda: is_instance_down(server.url, sid, "b1") and is_instance_down(server.url, sid, "b2"),
            what="both pulled out",
        )
        await until(pilot, lambda: table_cells(app)["default|b2"][7] == "instance", what="marked out")
        assert not app.screen.chosen  # done: the selection is cleared
        assert not is_instance_down(server.url, sid, "b3")

        await pilot.press("a")  # select all four; i pulls in only the two that are out
        await pilot.press("i")
        await confirm(pilot, app, "Pull in 2 selected instances")
        await until(
            pilot,
            lambda: (
                not is_instance_down(server.url, sid, "b1") and not is_instance_down(server.url, sid, "b2")
            ),
            what="both back in",
        )
        table = app.screen.query_one("#instances", KeyedTable)
        await pilot.press("greater_than_sign")  # by address
        await until(pilot, lambda: table.get_row_at(0)[1] == "b4", what="sorted by address")
