"""Confirmation modals that show the blast radius of pull-out / pull-in (instance, server IP, zone) and of
canary enable / disable, then run the operation and report the outcome as a notification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from artemis_cli.blast import by_service, lines_for
from artemis_cli.tui import data
from artemis_cli.tui.screens import sources
from artemis_client.errors import NotFoundError
from artemis_client.wire.registry import Instance


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no with a body; ``y`` confirms, ``n`` / Esc cancel. Cancel has the focus (safe default)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Confirm"),
        Binding("n", "answer(False)", "Cancel"),
        Binding("escape", "answer(False)", "Cancel", show=False),
    ]

    def __init__(self, title: str, lines: list[str], confirm: str = "Confirm", danger: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.confirm_label = confirm
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(self.title_text, id="confirm-title")
            yield Static("\n".join(self.lines), id="confirm-body", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    f"{self.confirm_label} (y)", id="yes", variant="error" if self.danger else "primary"
                )
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


MAX_LINES = 14


def _clip(lines: list[str]) -> list[str]:
    """Keep the modal on screen: the first services of a long blast radius, then a count of the rest."""
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[: MAX_LINES - 1], f"  ... and {len(lines) - MAX_LINES + 1} more services"]


def _ieq(a: Any, b: Any) -> bool:
    return data.low(a) == data.low(b)


def _matcher(target: str, inst: dict[str, Any]) -> tuple[Callable[[Instance], bool], str]:
    region, sid, iid = inst.get("regionId"), inst.get("serviceId"), inst.get("instanceId")
    ip, zone = inst.get("ip"), inst.get("zoneId")
    if target == "instance":
        return (
            lambda i: _ieq(i.region_id, region) and _ieq(i.service_id, sid) and _ieq(i.instance_id, iid),
            f"instance {sid}/{iid} (region {region})",
        )
    if target == "server":
        return (
            lambda i: _ieq(i.region_id, region) and _ieq(i.ip, ip),
            f"server {ip} (region {region})",
        )
    return (
        lambda i: _ieq(i.region_id, region) and _ieq(i.zone_id, zone),
        f"zone {zone} (region {region})",
    )


def _is_out(target: str, inst: dict[str, Any], pulls: data.PullOuts) -> bool:
    region = data.low(inst.get("regionId"))
    if target == "instance":
        return (region, data.low(inst.get("serviceId")), data.low(inst.get("instanceId"))) in pulls.instances
    if target == "server":
        return (region, data.low(inst.get("ip"))) in pulls.servers
    return (region, data.low(inst.get("zoneId")), "") in pulls.zones


def confirm_pull(screen: Any, target: str, inst: dict[str, Any], pulls: data.PullOuts) -> None:
    """Work out pull-out vs pull-in from the current state, show the blast radius, run it when confirmed."""
    dash = screen.app
    out = _is_out(target, inst, pulls)
    op = "pullin" if out else "pullout"
    match, what = _matcher(target, inst)

    async def prepare() -> None:
        if op == "pullout":
            served = await dash.call(dash.api.services())  # what clients are served now
            radius = by_service(served, match)
            lines = _clip(lines_for(radius, f"Pull out {what}"))
            lines.append("")
            lines.append("Clients stop receiving these instances (a 'delete' is pushed to watchers).")
        else:
            # every registered instance counts in a service's total; only pulled-out ones can come back.
            # The admin view of every service is the biggest read: in the reader thread (dash.read)
            radius = await dash.read(
                lambda c: by_service(
                    c.admin_services(), lambda i: match(i) and bool(pulls.reason(data.plain(i)))
                )
            )
            n = radius.instances_affected
            lines = [f"Pull in {what}: up to {n} pulled-out instance{'s' if n != 1 else ''} may serve again"]
            lines = _clip(lines + lines_for(radius, "pulled out now")[1:])
            lines.append("")
            lines.append("Instances still held by another pull-out (instance, server or zone) stay out.")
        lines.append(f"Operator: {dash.operator}")
        verb = "Pull out" if op == "pullout" else "Pull in"
        dash.push_screen(
            ConfirmScreen(f"{verb} {target}?", lines, confirm=verb, danger=op == "pullout"),
            lambda yes: _run(yes),
        )

    def _run(yes: bool | None) -> None:
        if yes:
            screen.run_guarded(execute(), f"{op} {target}")

    async def execute() -> None:
        region = inst.get("regionId") or None
        if target == "instance":
            failed = await sources.operate_instances(dash, [inst], op)  # the bulk path, with one instance
            if failed:
                raise failed[0][1]
        elif target == "server":
            await dash.call(
                dash.api.operate_server(str(inst.get("ip")), op, operator=dash.operator, region=region)
            )
        else:
            zone = dash.api.zone_pull_out if op == "pullout" else dash.api.zone_pull_in
            await dash.call(zone(str(inst.get("zoneId")), str(region or "default"), operator=dash.operator))
        dash.notify(f"{'pulled out' if op == 'pullout' else 'pulled in'}: {what}", title="Done")
        dash.resync_all()

    screen.run_guarded(prepare(), "blast radius")


def confirm_canary(screen: Any, service_id: str) -> None:
    dash = screen.app

    async def prepare() -> None:
        try:
            cfg = await dash.call(dash.api.canary_get(service_id))
        except NotFoundError:
            dash.notify(
                f"{service_id} has no canary config: create one on the Canary screen (6, then n) or with "
                f"'artemis canary set {service_id} --ip IP'",
                severity="warning",
                timeout=8,
            )
            return
        enabled = cfg.enabled
        ips = list(cfg.ip_whitelist)
        svc = await dash.call(dash.api.service(service_id))
        insts = [data.plain(i) for i in svc.instances] if svc is not None else []
        canary = sum(1 for i in insts if data.is_canary_instance(i))
        verb = "Disable" if enabled else "Enable"
        lines = [
            f"{verb} canary routing of {service_id}",
            f"  whitelisted client IPs: {', '.join(ips) or '(none)'}",
            f"  canary instances: {canary} of {len(insts)} served instances",
        ]
        if enabled:
            lines.append("  every client sees all instances again")
        else:
            lines += data.canary_effect(canary, len(insts))
        lines.append(f"Operator: {dash.operator}")
        dash.push_screen(
            ConfirmScreen(f"{verb} canary?", lines, confirm=verb, danger=not enabled),
            lambda yes: _run(yes, not enabled),
        )

    def _run(yes: bool | None, enable: bool) -> None:
        if yes:
            screen.run_guarded(execute(enable), "canary")

    async def execute(enable: bool) -> None:
        await dash.call(dash.api.canary_enable(service_id, enable, operator=dash.operator))
        dash.notify(f"canary {'enabled' if enable else 'disabled'} for {service_id}", title="Done")
        dash.resync_all()

    screen.run_guarded(prepare(), "canary")
