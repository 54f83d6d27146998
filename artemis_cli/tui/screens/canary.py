"""Canary: the canary config of every service (whitelist, enabled, canary instances among those served),
whitelist edits with every IP / CIDR block validated in the form, enable / disable, create, delete, and
which instances a given client IP would see (asked from discovery on that client's behalf)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from artemis_cli.tui import data
from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.screens.forms import Field, ask, confirm_then
from artemis_cli.tui.widgets import KeyedTable
from artemis_client.wire.management import CanaryConfig

COLUMNS = ("service", "enabled", "canary", "whitelist")
LABELS = ("SERVICE", "ENABLED", "CANARY / SERVED", "WHITELIST (IPs, CIDR blocks)")
IPS_LABEL = "IPs and CIDR blocks (comma or space separated):"


def _whitelist(text: str) -> str:
    ips = sources.parse_whitelist(text)
    if not ips:
        raise ValueError("at least one IP address or CIDR block")
    return " ".join(ips)


def _ip(text: str) -> str:
    if "/" in text:
        raise ValueError(f"{text!r}: one client address, not a block")
    return sources.check_ip_entry(text)


class CanaryScreen(DashScreen):
    TITLE = "Canary"
    what = "canary refresh"
    relax_when_live = True
    BINDINGS = [
        Binding("e", "enable", "Enable/disable"),
        Binding("w", "whitelist", "Whitelist"),
        Binding("n", "create", "New"),
        Binding("d", "delete", "Delete"),
        Binding("p", "preview", "Client view"),
    ]
    DEFAULT_CSS = """
    CanaryScreen #canary-preview { height: auto; max-height: 10; padding: 0 1; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.configs: dict[str, CanaryConfig] = {}
        self.served: dict[str, list[dict[str, Any]]] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Whitelisted clients see only canary instances (metadata canary=true or group canary); "
            "others lose them.",
            classes="hint",
        )
        yield KeyedTable(COLUMNS, LABELS, id="canaries")
        yield Static("", id="canary-preview", markup=False)
        yield Static("", id="canary-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "canary releases"
        self.query_one(KeyedTable).focus()

    async def load(self) -> None:
        configs = await sources.canaries(self.dash)
        self.served = await sources.served_by_service(self.dash)
        self.configs = {c.service_id.lower(): c for c in configs}
        self.query_one(KeyedTable).sync((k, self._cells(c)) for k, c in self.configs.items())
        on = sum(1 for c in configs if c.enabled)
        self.query_one("#canary-summary", Static).update(f"{len(configs)} canary configs, {on} enabled")

    def _cells(self, c: CanaryConfig) -> tuple[str, ...]:
        insts = self.served.get(c.service_id.lower(), [])
        n = sum(1 for i in insts if data.is_canary_instance(i))
        return (c.service_id, "yes" if c.enabled else "no", f"{n} / {len(insts)}", ", ".join(c.ip_whitelist))

    def _selected(self) -> CanaryConfig | None:
        c = self.configs.get(self.query_one(KeyedTable).selected_key() or "")
        if c is None:
            self.notify("no canary config selected (n creates one)", severity="warning")
        return c

    def _effect(self, service_id: str, ips: list[str], enabled: bool) -> list[str]:
        insts = self.served.get(service_id.lower(), [])
        n = sum(1 for i in insts if data.is_canary_instance(i))
        lines = [
            f"  whitelist: {', '.join(ips) or '(none)'}",
            f"  canary instances: {n} of {len(insts)} served",
        ]
        if not enabled:
            return [*lines, "  the config stays disabled: discovery does not change"]
        return lines + data.canary_effect(n, len(insts))

    # -- actions ---------------------------------------------------------------------------------------
    def action_enable(self) -> None:
        from artemis_cli.tui.screens.modals import confirm_canary

        c = self._selected()
        if c is not None:
            confirm_canary(self, c.service_id)

    def action_whitelist(self) -> None:
        c = self._selected()
        if c is None:
            return
        field = Field("ips", IPS_LABEL, " ".join(c.ip_whitelist), check=_whitelist)
        ask(self, f"Whitelist of {c.service_id}", [field], lambda v: self._set(c.service_id, v, c))

    def action_create(self) -> None:
        fields = [
            Field("service", "Service id:", check=lambda s: s.strip()),
            Field("ips", IPS_LABEL, placeholder="10.0.0.7 10.1.0.0/24", check=_whitelist),
            Field("enabled", "Enabled:", choices=("yes", "no")),
        ]
        ask(self, "New canary config", fields, lambda v: self._set(v["service"], v, None))

    def _set(self, service_id: str, values: dict[str, str], old: CanaryConfig | None) -> None:
        ips = values["ips"].split()
        enabled = old.enabled if old is not None else values.get("enabled", "yes") == "yes"
        lines = [f"{'Replace the whitelist' if old else 'Create the canary config'} of {service_id}"]
        if old is not None:
            added = [i for i in ips if i not in old.ip_whitelist]
            removed = [i for i in old.ip_whitelist if i not in ips]
            lines.append(f"  adds: {', '.join(added) or '-'}; removes: {', '.join(removed) or '-'}")
        lines += self._effect(service_id, ips, enabled)

        async def run() -> None:
            await sources.save_canary(self.dash, service_id, ips, enabled)

        confirm_then(
            self,
            "Save canary config?",
            lines,
            run,
            verb="Save",
            danger=enabled,
            done=f"canary of {service_id} saved",
        )

    def action_delete(self) -> None:
        c = self._selected()
        if c is None:
            return
        lines = [f"Delete the canary config of {c.service_id} ({', '.join(c.ip_whitelist)})"]
        lines.append(
            "  every client sees all instances again"
            if c.enabled
            else "  it is disabled: discovery does not change"
        )

        async def run() -> None:
            await sources.delete_canary(self.dash, c.service_id)

        confirm_then(
            self, "Delete canary config?", lines, run, verb="Delete", done=f"canary of {c.service_id} deleted"
        )

    def action_preview(self) -> None:
        c = self._selected()
        if c is None:
            return
        ask(
            self,
            f"What does a client of {c.service_id} see?",
            [Field("ip", "Client IP address:", check=_ip)],
            lambda v: self.run_guarded(self._preview(c.service_id, v["ip"]), "client view"),
        )

    async def _preview(self, service_id: str, ip: str) -> None:
        seen = await sources.seen_by(self.dash, service_id, ip)
        canary = sum(1 for i in seen if data.is_canary_instance(data.plain(i)))
        head = f"A client at {ip} sees {len(seen)} instance(s) of {service_id} ({canary} canary):"
        rows = [
            f"  {i.instance_id}  {i.ip}:{i.port}  zone {i.zone_id or '-'}  group {i.group_id or '-'}"
            for i in seen
        ]
        self.query_one("#canary-preview", Static).update("\n".join([head, *rows[:8]]))
