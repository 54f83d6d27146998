"""Instances of one service: a live table keyed by instance identity.

Push events are applied in place: ``new``/``change`` upsert one row (only changed cells are redrawn),
``delete`` is resolved in a debounced batch against the admin view (still registered -> pulled out, else
the row is removed). Nothing rebuilds the table, so 10,000 rows stay responsive.
"""

from __future__ import annotations

import time
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from artemis_cli.tui import data
from artemis_cli.tui.messages import InstancesChanged
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.screens.services import admin_or_discovery, load_pullouts
from artemis_cli.tui.widgets import KeyedTable


class InstancesScreen(DashScreen):
    poll = False  # push-driven; a slow poll keeps lease ages fresh
    what = "instances refresh"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "detail", "Detail"),
        Binding("o", "pull('instance')", "Pull instance"),
        Binding("s", "pull('server')", "Pull server IP"),
        Binding("z", "pull('zone')", "Pull zone"),
        Binding("c", "canary", "Canary"),
        Binding("slash", "filter", "Filter", key_display="/"),
    ]

    def __init__(self, service_id: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.service_id = service_id
        self.instances: dict[str, dict[str, Any]] = {}
        self.pulled: dict[str, str] = {}
        self.known_status: dict[str, str] = {}
        self.pulls = data.PullOuts()
        self._deleted: set[str] = set()
        self.filter_text = ""

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder="filter: id, ip, zone, group, status (Enter: back to the table, Esc: clear)",
            id="instances-filter",
            classes="hidden",
            select_on_focus=False,
        )
        yield KeyedTable(data.INSTANCE_COLUMNS, data.INSTANCE_LABELS, id="instances")
        yield Static("", id="instances-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.title = "Instances"
        self.sub_title = self.service_id
        self.query_one(KeyedTable).focus()
        self.set_interval(max(self.dash.refresh_secs * 15, 30.0), self.reload)

    @property
    def table(self) -> KeyedTable:
        return self.query_one(KeyedTable)

    def _cells(self, key: str) -> tuple[str, ...]:
        return data.instance_cells(self.instances[key], self.pulled.get(key, ""), self.known_status.get(key))

    async def load(self) -> None:
        svc = await admin_or_discovery(self.dash, self.service_id)
        self.pulls = await load_pullouts(self.dash)
        insts = list((svc or {}).get("instances") or [])
        before, before_pulled = self.instances, self.pulled
        self.instances = {data.instance_key(i): i for i in insts}
        self.pulled = {k: r for k, i in self.instances.items() if (r := self.pulls.reason(i))}
        for k in self.pulled:
            # the admin view says "down" for a pulled-out instance: keep the status it had while serving
            if k not in self.known_status and k in before and k not in before_pulled:
                self.known_status[k] = str(before[k].get("status") or "unknown")
        self.known_status = {k: v for k, v in self.known_status.items() if k in self.instances}
        self.table.sync((k, cells) for k in sorted(self.instances) if self._shown(cells := self._cells(k)))
        self._deleted.clear()
        self._summary()

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
        self.query_one("#instances-summary", Static).update(
            f"{n} instances: {up} up, {n - up - out} not up, {out} pulled out{shown}"
        )

    # -- push ------------------------------------------------------------------------------------
    def on_instances_changed(self, message: InstancesChanged) -> None:
        sid = self.service_id.lower()
        touched = False
        for ch in message.changes:
            if ch.instance.service_id.lower() != sid:
                continue
            inst = data.plain(ch.instance)  # the table's rows are plain JSON (admin view) until issue 19
            kind = ch.change_type.lower()
            if kind == "reload":
                self.soon()
                continue
            key = data.instance_key(inst)
            if kind in ("new", "change"):
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
                touched = True
            elif kind == "delete":
                self._deleted.add(key)
                self.soon(0.25)
        if touched:
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
        self.table.sync((k, cells) for k in sorted(self.instances) if self._shown(cells := self._cells(k)))
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

    def action_pull(self, target: str) -> None:
        from artemis_cli.tui.screens.modals import confirm_pull

        inst = self.selected()
        if inst is None:
            self.notify("no instance selected", severity="warning")
            return
        confirm_pull(self, target, inst, self.pulls)

    def action_canary(self) -> None:
        from artemis_cli.tui.screens.modals import confirm_canary

        confirm_canary(self, self.service_id)
