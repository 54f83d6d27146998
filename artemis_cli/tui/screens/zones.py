"""Zones: every zone of every region with its instance count and pull-out state; pull-out / pull-in of the
selected zone through the confirm-with-blast-radius modal (what clients stop receiving, per service)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from artemis_cli.tui import data
from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.widgets import KeyedTable

COLUMNS = ("region", "zone", "instances", "serving", "services", "state", "operator")
LABELS = ("REGION", "ZONE", "INSTANCES", "SERVING", "SERVICES", "STATE", "PULLED OUT BY")


def zone_cells(z: sources.ZoneView) -> tuple[str, ...]:
    return (
        z.region,
        z.zone or "(none)",
        f"{z.instances:,}",
        f"{z.serving:,}",
        f"{len(z.services):,}",
        z.state,
        z.operator,
    )


class ZonesScreen(DashScreen):
    TITLE = "Zones"
    what = "zones refresh"
    relax_when_live = True
    BINDINGS = [Binding("o", "pull", "Pull out / in")]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.zones: dict[str, sources.ZoneView] = {}
        self.pulls = data.PullOuts()

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Zones of every region; o pulls the selected zone out (or back in) for every service.",
            classes="hint",
        )
        yield KeyedTable(COLUMNS, LABELS, id="zones")
        yield Static("", id="zones-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "regions and zones"
        self.query_one(KeyedTable).focus()

    async def load(self) -> None:
        zones, self.pulls = await sources.zones(self.dash)
        self.zones = {z.key: z for z in zones}
        self.query_one(KeyedTable).sync((z.key, zone_cells(z)) for z in zones)
        out = sum(1 for z in zones if z.pulled_out)
        regions = len({z.region.lower() for z in zones})
        self.query_one("#zones-summary", Static).update(
            f"{len(zones)} zones in {regions} regions, {out} pulled out"
        )

    def action_pull(self) -> None:
        from artemis_cli.tui.screens.modals import confirm_pull

        z = self.zones.get(self.query_one(KeyedTable).selected_key() or "")
        if z is None:
            self.notify("no zone selected", severity="warning")
            return
        confirm_pull(self, "zone", {"regionId": z.region, "zoneId": z.zone}, self.pulls)
