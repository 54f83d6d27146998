"""Services screen: instance counts per service (up / down / pulled out), filtered by typing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from artemis_cli.tui import data
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.widgets import KeyedTable
from artemis_client.errors import ArtemisError, TransportError

T = TypeVar("T")


def _same(value: Any) -> Any:
    return value


_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


async def load_pullouts(dash: Any) -> data.PullOuts:
    """Current instance / server / zone pull-outs (three small management reads)."""
    try:
        inst = data.plain(await dash.call(dash.api.all_instance_operations()))
        srv = data.plain(await dash.call(dash.api.all_server_operations()))
    except TransportError:
        raise
    except ArtemisError:
        inst, srv = [], []
    try:
        zones = data.plain(await dash.call(dash.api.zone_operations()))
    except TransportError:
        raise
    except ArtemisError:
        zones = []
    return data.PullOuts.from_json(inst, srv, zones)


async def admin_or_discovery(
    dash: Any, service_id: str | None = None, digest: Callable[[Any], T] = _same
) -> T:
    """The admin view of one service (``service_id``) or of all, as plain JSON: every registered instance,
    pulled-out included. When the server refuses it (auth on management, an older server) the discovery
    view, with one warning. Read, decoded and passed through ``digest`` (counting, keying) in the console's
    reader thread (:meth:`ArtemisDashboard.read`): 12,000 instances kept the event loop for 400-700 ms."""

    def admin(client: Any) -> T:
        if service_id is None:
            return digest(client.admin_services_json())
        return digest(client.admin_service_json(service_id))

    def discovery(client: Any) -> T:
        if service_id is None:
            return digest(data.plain(client.services()))
        return digest(data.plain(client.service(service_id)))

    try:
        return cast("T", await dash.read(admin))
    except TransportError:
        raise
    except ArtemisError as exc:
        dash.warn_once(f"management view refused ({exc}); showing the discovery view (served instances only)")
    return cast("T", await dash.read(discovery))


async def load_canaries(dash: Any) -> list[dict[str, Any]]:
    try:
        return list(data.plain(await dash.call(dash.api.canary_list())))
    except TransportError:
        raise
    except ArtemisError:
        return []


class ServicesScreen(DashScreen):
    TITLE = "Services"
    what = "services refresh"
    relax_when_live = True  # the admin view of every service is the biggest read: push drives it
    BINDINGS = [
        Binding("enter", "open", "Instances", show=True),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("c", "canary", "Canary"),
        Binding("greater_than_sign", "sort", "Sort", key_display=">"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    SORTS = (("service", "name"), ("total", "instances"), ("pulled", "pulled out"), ("down", "not up"))

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.counts: dict[str, data.ServiceCounts] = {}
        self.filter_text = ""
        self._typing = False
        self.sort_by = 0  # index in SORTS
        self._submitted = 0.0  # when Enter last left the filter box

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder="type to filter services (/ to focus, Esc to clear)",
            id="filter",
            select_on_focus=False,
        )
        yield KeyedTable(data.SERVICE_COLUMNS, data.SERVICE_LABELS, id="services")
        yield Static("", id="services-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(KeyedTable).focus()

    async def load(self) -> None:
        pulls = await load_pullouts(self.dash)
        canaries = await load_canaries(self.dash)
        counts = await admin_or_discovery(
            self.dash, digest=lambda services: data.service_counts(services, pulls, canaries)
        )
        self.counts = {c.service_id.lower(): c for c in counts}
        self.dash.service_names = [c.service_id for c in counts]
        self._redraw()

    def _redraw(self) -> None:
        table = self.query_one(KeyedTable)
        f = self.filter_text.lower()
        rows = [(k, c.cells()) for k, c in sorted(self.counts.items()) if f in k]
        table.sync(rows, self._sort_if)
        total = sum(c.total for c in self.counts.values())
        shown = len(rows)
        suffix = f" (filter {self.filter_text!r}: {shown} shown)" if f else ""
        self.query_one("#services-summary", Static).update(
            f"{len(self.counts)} services, {total} instances{suffix}"
        )

    def _sort_if(self, changed: bool) -> None:
        if changed:
            self._sort()

    def _sort(self) -> None:
        """Rows by name, or by a count (largest first, then by name)."""
        column = self.SORTS[self.sort_by][0]
        table = self.query_one(KeyedTable)
        if column == "service":
            table.sort("service", key=lambda v: str(v).lower())
        else:
            table.sort(column, "service", key=lambda row: (-int(row[0]), str(row[1]).lower()))

    def action_sort(self) -> None:
        self.sort_by = (self.sort_by + 1) % len(self.SORTS)
        self._sort()
        self.notify(f"sorted by {self.SORTS[self.sort_by][1]}", timeout=2)

    # -- filtering -------------------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._redraw()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        now = time.monotonic()
        if now - self._submitted < 1.0:
            # Enter, Enter: the second reached the box before the focus moved to the table; it means "open"
            self._submitted = 0.0
            self.action_open()
            return
        self._submitted = now
        self._typing = False
        self.query_one(KeyedTable).focus()

    def on_key(self, event: events.Key) -> None:
        """Typing a name character while the table has focus starts filtering. Keys typed in a burst can
        arrive before the filter box has the focus, so they are appended here directly; once typing has
        started, bound keys (c, 1, 2, ...) are text too until Enter / Down / Esc returns to the table."""
        flt = self.query_one("#filter", Input)
        table = self.query_one(KeyedTable)
        if flt.has_focus:
            if event.key in ("down", "escape"):
                self._typing = False
                table.focus()
                if event.key == "escape":
                    flt.value = ""
                event.stop()
            return
        if event.key in ("enter", "escape", "down", "up") and self._typing:
            self._typing = False
            if event.key == "escape":
                flt.value = ""
            return
        ch = event.character
        if (
            ch
            and ch in _NAME_CHARS
            and event.is_printable
            and (self._typing or event.key not in self.active_bindings)
        ):
            self._typing = True
            flt.value += ch
            flt.cursor_position = len(flt.value)
            flt.focus()
            event.stop()
            event.prevent_default()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""

    # -- actions ---------------------------------------------------------------------------------
    def _selected(self) -> str | None:
        key = self.query_one(KeyedTable).selected_key()
        c = self.counts.get(key or "")
        return c.service_id if c else None

    @on(DataTable.RowSelected, "#services")
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        sid = self._selected()
        if sid:
            self.dash.open_service(sid)

    def action_canary(self) -> None:
        from artemis_cli.tui.screens.modals import confirm_canary

        sid = self._selected()
        if sid:
            confirm_canary(self, sid)
