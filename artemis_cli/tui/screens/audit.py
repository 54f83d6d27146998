"""Operations screen: recent management operations from the audit log, filter by operator or service."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from artemis_cli.tui import data
from artemis_cli.tui.messages import InstancesChanged
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.widgets import KeyedTable

LIMIT = 500


class AuditScreen(DashScreen):
    TITLE = "Operations"
    what = "audit refresh"
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.logs: list[dict[str, Any]] = []
        self.filter_text = ""

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder="filter: operator:NAME service:ID or any text (/ to focus)",
            id="audit-filter",
            select_on_focus=False,
        )
        yield KeyedTable(data.AUDIT_COLUMNS, data.AUDIT_LABELS, id="audit")
        yield Static("", id="audit-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "audit log"
        self.query_one(KeyedTable).focus()

    async def load(self) -> None:
        logs = await self.dash.call(self.dash.api.audit_logs(limit=LIMIT))
        self.logs = [data.plain(log) for log in sorted(logs, key=lambda log: -log.log_id)]
        self._redraw()

    def _redraw(self) -> None:
        table = self.query_one(KeyedTable)
        rows = [
            (str(x.get("logId")), data.audit_cells(x))
            for x in self.logs
            if data.audit_matches(x, self.filter_text)
        ]
        before = set(table.cells)
        table.sync(rows)
        if before and set(table.cells) - before:
            table.sort("id", key=lambda v: -int(v or 0))
        f = f" matching {self.filter_text!r}" if self.filter_text else ""
        self.query_one("#audit-summary", Static).update(
            f"{len(rows)} of {len(self.logs)} recent operations{f}"
        )

    @on(Input.Changed, "#audit-filter")
    def _changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._redraw()

    @on(Input.Submitted, "#audit-filter")
    def _submitted(self) -> None:
        self.query_one(KeyedTable).focus()

    def action_filter(self) -> None:
        self.query_one("#audit-filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#audit-filter", Input).value = ""
        self.query_one(KeyedTable).focus()

    def on_instances_changed(self, message: InstancesChanged) -> None:
        return None  # operations are not instance changes; the poll picks them up
