"""The rough spots issue 19 lists for the screens kept from the first dashboard, each fixed and pinned here."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
from textual.app import App, ComposeResult

from artemis_cli.tui.dashboard import make_dashboard
from artemis_cli.tui.screens.detail import InstanceDetailScreen
from artemis_cli.tui.screens.modals import ConfirmScreen
from artemis_cli.tui.widgets import KeyedTable
from tests.helpers import LiveServer
from tests.tui.conftest import register, table_cells, until

SIZE = (140, 40)


def _ip() -> str:
    return f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def _operate(url: str, sid: str, iid: str, op: str) -> None:
    r = httpx.post(
        url + "/api/management/instance/operate-instance.json",
        json={
            "instanceKey": {"serviceId": sid, "instanceId": iid, "regionId": "default"},
            "operation": op,
            "operationComplete": True,
            "operatorId": "script",
        },
        timeout=10,
    )
    assert r.json()["responseStatus"]["status"] == "success", r.text


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(("node", "status"), ("NODE", "STATUS"))


async def test_a_cell_that_grows_widens_its_column() -> None:
    """A value updated in place to a longer one is drawn whole ("unreachable", not "unreac")."""
    app = _TableApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.upsert("n1", ("node-1", "up"))
        await pilot.pause()
        table.upsert("n1", ("node-1", "unreachable"))
        await pilot.pause()
        assert table.columns["status"].content_width >= len("unreachable")  # type: ignore[index]


async def test_a_big_sync_is_written_in_slices_and_newer_updates_win() -> None:
    """A sync of 3,000 rows leaves the loop between slices; a row updated meanwhile keeps the newer value and
    its place, a row dropped meanwhile stays dropped, and the callback runs once every row is written."""
    app = _TableApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(KeyedTable)
        table.SLICE_SECS = 0.0  # one slice of 100 rows per turn, whatever the machine's speed
        done: list[bool] = []
        table.sync(((f"n{i:04d}", (f"node-{i}", "up")) for i in range(3000)), done.append)
        assert 0 < table.row_count < 3000
        assert table.pending > 0
        assert not done
        table.upsert("n2999", ("node-2999", "unreachable"))  # a pushed change, newer than the sync's row
        table.drop("n2998")
        await until(pilot, lambda: bool(done), what="the sync to finish")
        assert done == [True]
        assert table.pending == 0
        assert table.row_count == 2999
        assert "n2998" not in table.cells
        assert table.cells["n2999"][1] == "unreachable"
        assert table.get_row_at(2998) == ["node-2999", "unreachable"]  # in the sync's order


async def test_history_stays_newest_first_after_a_reload(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """The instance's operations history keeps the newest row on top when a new operation arrives (r)."""
    sid = unique("hist")
    register(server.url, sid, ("h1", _ip()))
    _operate(server.url, sid, "h1", "pullout")
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        app.open_service(sid)
        await until(pilot, lambda: len(table_cells(app)) == 1, what="row")
        await pilot.press("enter")
        assert isinstance(app.screen, InstanceDetailScreen)
        history = app.screen.query_one("#history", KeyedTable)
        await until(pilot, lambda: history.row_count == 1, what="one operation")
        _operate(server.url, sid, "h1", "pullin")
        await pilot.press("r")
        await until(pilot, lambda: history.row_count == 2, what="two operations")
        newest, older = history.get_row_at(0), history.get_row_at(1)
        assert newest[4] == "pullin"
        assert int(newest[0]) > int(older[0])


async def test_pull_in_radius_counts_the_whole_service(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """Pulling one instance of a four-instance service back in says 1 of 4 (25%), not 1 of 1, the whole service."""
    sid = unique("pin")
    register(server.url, sid, *((f"i{n}", _ip()) for n in range(4)))
    _operate(server.url, sid, "i0", "pullout")
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        app.open_service(sid)
        await until(
            pilot, lambda: table_cells(app).get("default|i0", ("",) * 8)[7] == "instance", what="i0 out"
        )
        await pilot.press("o")
        modal = await until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="pull-in"
        )
        text = "\n".join(modal.lines)
        assert modal.title_text.startswith("Pull in")
        assert f"{sid}: 1 of 4 instances (25%)" in text, text
        assert "whole service" not in text


async def test_canary_hint_names_a_command_that_works(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """c on a service without a canary config points to the Canary screen and to a command line that runs."""
    sid = unique("nocan")
    register(server.url, sid, ("n1", _ip()))
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        app.open_service(sid)
        await until(pilot, lambda: len(table_cells(app)) == 1, what="row")
        await pilot.press("c")
        note = await until(
            pilot,
            lambda: next((n.message for n in app._notifications if "no canary config" in n.message), None),
            what="the hint",
        )
        assert f"artemis canary set {sid} --ip IP" in note
        assert "Canary screen (6, then n)" in note


async def test_a_pulled_out_instance_shows_its_registered_status(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """An instance pulled out before the console started shows the status it is registered with (up), as one
    pulled out while the console watched does; not the admin view's down."""
    sid = unique("pst")
    register(server.url, sid, ("s1", _ip()), ("s2", _ip()))
    _operate(server.url, sid, "s1", "pullout")
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        app.open_service(sid)
        await until(
            pilot, lambda: table_cells(app).get("default|s1", ("",) * 8)[7] == "instance", what="s1 out"
        )
        assert table_cells(app)["default|s1"][5] == "up"


async def test_enter_enter_from_the_filter_opens_the_service(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """Enter in the filter box followed at once by Enter opens the service, though the second Enter reaches
    the box before the table has the focus."""
    from textual import events

    from artemis_cli.tui.screens.instances import InstancesScreen

    sid = unique("ee")
    register(server.url, sid, ("e1", _ip()))
    app = make_dashboard([server.url], operator="pilot", start="services")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: sid.lower() in table_cells(app), what="service listed")
        await pilot.press("slash", *sid)
        await until(pilot, lambda: list(table_cells(app)) == [sid.lower()], what="filtered")
        app.post_message(events.Key("enter", None))
        app.post_message(events.Key("enter", None))
        await until(pilot, lambda: isinstance(app.screen, InstancesScreen), what="service opened")
