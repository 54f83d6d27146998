"""Instance detail: every field, the metadata, and the operations history from the audit log."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from artemis_cli.tui import data
from artemis_cli.tui.messages import InstancesChanged
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.screens.services import admin_or_discovery, load_pullouts
from artemis_cli.tui.widgets import KeyedTable

_FIELDS = (
    "serviceId", "instanceId", "regionId", "zoneId", "groupId", "ip", "port", "protocol", "url",
    "healthCheckUrl", "machineName", "status",
)  # fmt: skip
_LEASE = ("creationTime", "renewalTime", "ttl")


class InstanceDetailScreen(DashScreen):
    poll = False
    what = "instance refresh"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("o", "pull('instance')", "Pull instance"),
        Binding("s", "pull('server')", "Pull server IP"),
        Binding("z", "pull('zone')", "Pull zone"),
    ]

    def __init__(self, service_id: str, inst: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.service_id = service_id
        self.inst = inst
        self.key = data.instance_key(inst)
        self.pulls = data.PullOuts()
        self.gone = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(id="fields")
            yield Label("Operations history (audit log, newest first)", classes="section")
            yield KeyedTable(data.AUDIT_COLUMNS, data.AUDIT_LABELS, id="history")

    def on_mount(self) -> None:
        super().on_mount()
        self.title = "Instance"
        self.sub_title = f"{self.service_id} / {self.inst.get('instanceId')}"
        self._render_fields()

    async def load(self) -> None:
        svc: dict[str, Any] | None = await admin_or_discovery(self.dash, self.service_id)
        self.pulls = await load_pullouts(self.dash)
        found = None
        for inst in (svc or {}).get("instances") or []:
            if data.instance_key(inst) == self.key:
                found = inst
        self.gone = found is None
        if found is not None:
            self.inst = found
        self._render_fields()
        logs = await self.dash.call(
            self.dash.api.audit_instance_logs(
                service_id=self.service_id,
                instance_id=str(self.inst.get("instanceId")),
                region=str(self.inst.get("regionId") or "") or None,
                limit=200,
            )
        )
        table = self.query_one("#history", KeyedTable)
        before = set(table.cells)
        table.sync((str(log.log_id), data.audit_cells(data.plain(log))) for log in logs)
        if set(table.cells) - before:  # sync appends rows it adds: keep the newest on top
            table.sort("id", key=lambda v: -int(v or 0))

    def _render_fields(self) -> None:
        t = Table.grid(padding=(0, 2))
        t.add_column(style="bold")
        t.add_column()
        reason = self.pulls.reason(self.inst)
        for f in _FIELDS:
            v = self.inst.get(f)
            if f == "status" and reason:
                v = f"{v} (pulled out by {reason} operation)"
            t.add_row(f, "" if v is None else str(v))
        if self.gone:
            t.add_row("registered", "no (unregistered or expired)")
        meta = dict(self.inst.get("metadata") or {})
        lease = {k: meta.pop(k) for k in _LEASE if k in meta}
        if lease:
            t.add_row(
                "lease",
                f"created {data.age(lease.get('creationTime'))} ago, renewed "
                f"{data.age(lease.get('renewalTime'))} ago, ttl {int(lease.get('ttl', 0)) // 1000}s",
            )
        t.add_row("", "")
        t.add_row("metadata", "" if meta else "(none)")
        for k in sorted(meta):
            t.add_row(f"  {k}", str(meta[k]))
        self.query_one("#fields", Static).update(t)

    def on_instances_changed(self, message: InstancesChanged) -> None:
        for ch in message.changes:
            inst = ch.instance
            if (
                f"{data.low(inst.region_id)}|{inst.instance_id.lower()}" == self.key
                and inst.service_id.lower() == self.service_id.lower()
            ):
                self.soon()
                return

    def action_back(self) -> None:
        self.dismiss()

    def action_pull(self, target: str) -> None:
        from artemis_cli.tui.screens.modals import confirm_pull

        confirm_pull(self, target, self.inst, self.pulls)


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
