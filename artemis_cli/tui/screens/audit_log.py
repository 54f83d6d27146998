"""Audit: the audit log newest first, live, with filters by operator, service, operation and time range.

Operator, operation and time range are sent to the server (``/api/management/audit/logs``); the service is
matched against each record's target. Enter shows the selected record's details (its parameters).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Select, Static

from artemis_cli.tui import data
from artemis_cli.tui.messages import InstancesChanged
from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.widgets import KeyedTable

LIMIT = 500
RANGES = [
    ("any time", ""),
    ("last 15 min", "15m"),
    ("last hour", "1h"),
    ("last 24 h", "24h"),
    ("last 7 days", "7d"),
]


class AuditLogScreen(DashScreen):
    TITLE = "Audit"
    what = "audit refresh"
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filters", "Clear filters"),
    ]
    DEFAULT_CSS = """
    AuditLogScreen #audit-filters { height: 3; }
    AuditLogScreen #audit-filters Input { width: 1fr; }
    AuditLogScreen #audit-filters Select { width: 20; }
    AuditLogScreen #audit-details { height: auto; max-height: 6; padding: 0 1; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.logs: dict[str, Any] = {}
        self.filters: dict[str, str] = {"operator": "", "service": "", "operation": "", "since": ""}

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="audit-filters"):
            yield Input(placeholder="operator", id="f-operator")
            yield Input(placeholder="service", id="f-service")
            yield Input(placeholder="operation (pullout, ...)", id="f-operation")
            yield Select(RANGES, value="", allow_blank=False, id="f-since")
        yield KeyedTable(data.AUDIT_COLUMNS, data.AUDIT_LABELS, id="audit")
        yield Static("", id="audit-details", markup=False)
        yield Static("", id="audit-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "audit log, newest first"
        self.query_one(KeyedTable).focus()

    async def load(self) -> None:
        logs = await sources.audit(self.dash, limit=LIMIT, **self.filters)
        self.logs = {str(x.log_id): x for x in logs}
        table = self.query_one(KeyedTable)
        before = set(table.cells)
        rows = [(str(x.log_id), self._cells(x)) for x in logs]
        table.sync(rows)
        if set(table.cells) - before:
            table.sort("id", key=lambda v: -int(v or 0))  # newest first, also for rows that just arrived
        active = ", ".join(f"{k} {v}" for k, v in self.filters.items() if v)
        self.query_one("#audit-summary", Static).update(
            f"{len(rows)} records" + (f" matching {active}" if active else "") + f" (at most {LIMIT})"
        )

    @staticmethod
    def _cells(x: Any) -> tuple[str, ...]:
        return (
            str(x.log_id),
            data.fmt_time(x.operation_time),
            x.operation_type,
            x.target_id,
            x.operation,
            x.operator_id,
        )

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("f-")
        if name in self.filters and self.filters[name] != event.value.strip():
            self.filters[name] = event.value.strip()
            self.soon(0.3)

    @on(Select.Changed, "#f-since")
    def _range(self, event: Select.Changed) -> None:
        value = "" if event.value is Select.BLANK else str(event.value)
        if self.filters["since"] != value:
            self.filters["since"] = value
            self.reload()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.query_one(KeyedTable).focus()

    @on(DataTable.RowHighlighted, "#audit")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        x = self.logs.get(str(event.row_key.value))
        text = ""
        if x is not None:
            details = x.details or "(no details)"
            text = f"#{x.log_id} {x.operation} on {x.target_id} by {x.operator_id}: {details}"
        self.query_one("#audit-details", Static).update(text)

    def action_filter(self) -> None:
        self.query_one("#f-operator", Input).focus()

    def action_clear_filters(self) -> None:
        for name in ("operator", "service", "operation"):
            self.query_one(f"#f-{name}", Input).value = ""
        self.query_one("#f-since", Select).value = ""
        self.query_one(KeyedTable).focus()

    def on_instances_changed(self, message: InstancesChanged) -> None:
        return None  # audit records are not instance changes; the poll brings new ones
