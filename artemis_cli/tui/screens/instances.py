"""Instances of one service: a live table keyed by instance identity.

Push events are applied in place: ``new``/``change`` upsert one row (only changed cells are redrawn),
``delete`` is resolved in a debounced batch against the admin view (still registered -> pulled out, else
the row is removed). Nothing rebuilds the table, so 10,000 rows stay responsive.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from artemis_cli.tui import data
from artemis_cli.tui.messages import InstancesChanged
from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.screens.services import admin_or_discovery, load_pullouts
from artemis_cli.tui.widgets import KeyedTable
from artemis_client.wire.registry import InstanceChange


class InstancesScreen(DashScreen):
    poll = False  # push-driven; a slow poll keeps lease ages fresh
    what = "instances refresh"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "detail", "Detail"),
        Binding("space", "choose", "Select"),
        Binding("a", "choose_all", "Select all"),
        Binding("o", "pull('instance')", "Pull out/in"),
        Binding("i", "pull_in", "Pull in", show=False),
        Binding("s", "pull('server')", "Pull server IP"),
        Binding("z", "pull('zone')", "Pull zone"),
        Binding("c", "canary", "Canary"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("greater_than_sign", "sort", "Sort", key_display=">"),
    ]
    SORTS = (
        ("id", "instance id"),
        ("address", "address"),
        ("zone", "zone"),
        ("status", "status"),
        ("pulled", "pulled out"),
    )

    def __init__(self, service_id: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.service_id = service_id
        self.instances: dict[str, dict[str, Any]] = {}
        self.pulled: dict[str, str] = {}
        self.known_status: dict[str, str] = {}
        self.pulls = data.PullOuts()
        self._deleted: set[str] = set()
        self._queue: deque[InstanceChange] = deque()
        self.filter_text = ""
        self._summary_timer: Timer | None = None
        self.chosen: set[str] = set()  # keys of the selected rows (bulk pull-out / pull-in)
        self.sort_by = 0

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder="filter: id, ip, zone, group, status (Enter: back to the table, Esc: clear)",
            id="instances-filter",
            classes="hidden",
            select_on_focus=False,
        )
        yield KeyedTable(("sel", *data.INSTANCE_COLUMNS), ("", *data.INSTANCE_LABELS), id="instances")
        yield Static("", id="instances-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.title = "Instances"
        self.sub_title = self.service_id
        self.query_one(KeyedTable).focus()
        self.set_interval(max(self.dash.refresh_secs * 15, 30.0), self.reload)

    def on_unmount(self) -> None:
        """Closed: the instances are let go here (the table lets its rows go itself, KeyedTable.on_unmount),
        so reference counting frees them at once rather than a later full collection."""
        self._queue.clear()
        self.instances, self.pulled, self.known_status = {}, {}, {}

    @property
    def table(self) -> KeyedTable:
        return self.query_one(KeyedTable)

    def _cells(self, key: str) -> tuple[str, ...]:
        mark = "✓" if key in self.chosen else ""
        return (
            mark,
            *data.instance_cells(self.instances[key], self.pulled.get(key, ""), self.known_status.get(key)),
        )

    async def load(self) -> None:
        self.pulls = await load_pullouts(self.dash)
        instances: dict[str, dict[str, Any]] = await admin_or_discovery(
            self.dash,
            self.service_id,
            digest=lambda svc: {data.instance_key(i): i for i in (svc or {}).get("instances") or []},
        )
        before, before_pulled = self.instances, self.pulled
        self.instances = instances
        self.pulled = {k: r for k, i in self.instances.items() if (r := self.pulls.reason(i))}
        # the admin view says "down" for a pulled-out instance: show the status it is registered with
        # (the inventory endpoint), else the one it had while this screen saw it serve
        registered = await sources.registered_status(self.dash, self.service_id) if self.pulled else {}
        for k in self.pulled:
            if k in registered:
                self.known_status[k] = registered[k]
            elif k not in self.known_status and k in before and k not in before_pulled:
                self.known_status[k] = str(before[k].get("status") or "unknown")
        self.known_status = {k: v for k, v in self.known_status.items() if k in self.instances}
        self.chosen &= set(self.instances)
        self._sync()
        self._deleted.clear()
        self._summary()

    def _sync(self) -> None:
        def then(changed: bool) -> None:
            if self.sort_by and changed:
                self._sort()
            self._summary()  # the filter's "N shown" once every row is written

        self.table.sync(
            ((k, cells) for k in sorted(self.instances) if self._shown(cells := self._cells(k))), then
        )

    def _shown(self, cells: tuple[str, ...]) -> bool:
        f = self.filter_text.lower()
        return not f or any(f in c.lower() for c in cells)

    def _summary(self) -> None:
        n = len(self.instances)
        out = len(self.pulled)
        up = sum(
            1 for k, i in self.instances.items() if k not in self.pulled and data.low(i.get("status")) == "up"
        )
        shown = f" (filter {self.filter_text!r}: {self.table.row_count} shown)" if self.filter_text else ""
        chosen = f"; {len(self.chosen)} selected (o / i: pull out / in)" if self.chosen else ""
        self.query_one("#instances-summary", Static).update(
            f"{n} instances: {up} up, {n - up - out} not up, {out} pulled out{shown}{chosen}"
        )

    # -- push ------------------------------------------------------------------------------------
    SLICE_SECS = 0.02  # pushed changes applied per turn of the screen's queue, so frames keep being drawn

    def on_instances_changed(self, message: InstancesChanged) -> None:
        """Pushed changes join a queue applied oldest first, in slices of about 20 ms: a burst of 2,000
        changes on a 10,000-row table is several short turns with frames drawn between them, not one
        150 ms stall (benchmarks/tui_frames.py)."""
        sid = self.service_id.lower()
        fresh = not self._queue
        self._queue.extend(ch for ch in message.changes if ch.instance.service_id.lower() == sid)
        if fresh and self._queue:
            self._apply_queued()

    def _apply_queued(self) -> None:
        deadline = time.perf_counter() + self.SLICE_SECS
        touched = False
        while self._queue:
            for _ in range(min(50, len(self._queue))):
                touched |= self._apply(self._queue.popleft())
            if time.perf_counter() > deadline:
                break
        if self._queue:
            self.call_later(self._apply_queued)  # after the messages (and repaints) already queued
        if touched and self._summary_timer is None:
            # the summary (a pass over every instance) once per burst
            self._summary_timer = self.set_timer(0.1, self._summary_later)

    def _apply(self, ch: InstanceChange) -> bool:
        """One pushed change; True when a row was added or updated."""
        kind = ch.change_type.lower()
        if kind == "reload":
            self.soon()
            return False
        inst = data.plain(ch.instance)  # the table's rows are plain JSON (admin view)
        key = data.instance_key(inst)
        if kind == "delete":
            self._deleted.add(key)
            self.soon(0.25)
            return False
        if kind not in ("new", "change"):
            return False
        self._deleted.discard(key)
        old_meta = (self.instances.get(key) or {}).get("metadata") or {}
        meta = dict(inst.get("metadata") or {})
        meta.setdefault("creationTime", old_meta.get("creationTime") or str(int(time.time() * 1000)))
        inst = {**inst, "metadata": meta}
        self.instances[key] = inst
        self.known_status[key] = str(inst.get("status") or "unknown")
        reason = self.pulls.reason(inst)
        if reason and reason != "instance":
            self.pulled[key] = reason
        else:
            # a published new/change means the instance serves again (S10.10)
            self.pulled.pop(key, None)
        cells = self._cells(key)
        if self._shown(cells):
            self.table.upsert(key, cells)
        else:
            self.table.drop(key)
        return True

    def _summary_later(self) -> None:
        self._summary_timer = None
        self._summary()

    # -- actions ---------------------------------------------------------------------------------
    def selected(self) -> dict[str, Any] | None:
        key = self.table.selected_key()
        return self.instances.get(key or "")

    def action_back(self) -> None:
        if self.filter_text:
            self._set_filter("")
            return
        self.dismiss()

    # -- filter ----------------------------------------------------------------------------------
    def action_filter(self) -> None:
        flt = self.query_one("#instances-filter", Input)
        flt.remove_class("hidden")
        flt.focus()

    def _set_filter(self, text: str) -> None:
        flt = self.query_one("#instances-filter", Input)
        if flt.value != text:
            flt.value = text
        self.filter_text = text.strip()
        self._sync()
        self._summary()
        if not text:
            flt.add_class("hidden")
            self.table.focus()

    @on(Input.Changed, "#instances-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value.strip() != self.filter_text:
            self._set_filter(event.value)

    @on(Input.Submitted, "#instances-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def on_key(self, event: Any) -> None:
        flt = self.query_one("#instances-filter", Input)
        if flt.has_focus and event.key in ("escape", "down"):
            event.stop()
            if event.key == "escape":
                self._set_filter("")
            self.table.focus()

    @on(DataTable.RowSelected, "#instances")
    def _row_selected(self) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        from artemis_cli.tui.screens.detail import InstanceDetailScreen

        inst = self.selected()
        if inst is not None:
            self.app.push_screen(InstanceDetailScreen(self.service_id, inst))

    # -- selection and bulk actions ---------------------------------------------------------------
    def _mark(self, key: str) -> None:
        if key in self.instances and key in self.table.cells:
            self.table.upsert(key, self._cells(key))

    def action_choose(self) -> None:
        """Select or unselect the row under the cursor, then move down (space, space, ... selects a run)."""
        key = self.table.selected_key()
        if key is None:
            return
        self.chosen ^= {key}
        self._mark(key)
        self.table.action_cursor_down()
        self._summary()

    def action_choose_all(self) -> None:
        """Select every row shown (the filter applies); when they all are, clear the selection."""
        shown = set(self.table.cells)
        if shown <= self.chosen:
            self.clear_selection()
            return
        self.chosen |= shown
        for key in shown:
            self._mark(key)
        self._summary()

    def clear_selection(self) -> None:
        keys, self.chosen = self.chosen, set()
        for key in keys:
            self._mark(key)
        self._summary()

    def _bulk(self, op: str) -> None:
        from artemis_cli.tui.screens.bulk import confirm_bulk

        confirm_bulk(
            self, op, [self.instances[k] for k in sorted(self.chosen) if k in self.instances], self.pulls
        )

    def action_pull_in(self) -> None:
        if self.chosen:
            self._bulk("pullin")
            return
        inst = self.selected()
        if inst is None or self.pulls.reason(inst) != "instance":
            self.notify("select pulled-out instances first (space), or use o on one", severity="warning")
            return
        self.action_pull("instance")

    def _sort(self) -> None:
        column = self.SORTS[self.sort_by][0]
        self.table.sort(column, "id", key=lambda row: (str(row[0]).lower(), str(row[1]).lower()))

    def action_sort(self) -> None:
        self.sort_by = (self.sort_by + 1) % len(self.SORTS)
        self._sort()
        self.notify(f"sorted by {self.SORTS[self.sort_by][1]}", timeout=2)

    def action_pull(self, target: str) -> None:
        from artemis_cli.tui.screens.modals import confirm_pull

        if target == "instance" and self.chosen:
            self._bulk("pullout")
            return
        inst = self.selected()
        if inst is None:
            self.notify("no instance selected", severity="warning")
            return
        confirm_pull(self, target, inst, self.pulls)

    def action_canary(self) -> None:
        from artemis_cli.tui.screens.modals import confirm_canary

        confirm_canary(self, self.service_id)
