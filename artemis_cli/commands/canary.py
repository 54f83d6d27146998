"""`artemis canary ...`: per-service canary configs (IP whitelists of clients that see canary instances)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from artemis_cli import inventory
from artemis_cli import validate as v
from artemis_cli.cmdline import group_app
from artemis_cli.common import state
from artemis_cli.destructive import Plan, carry_out
from artemis_cli.options import DryRun, Operator, ServiceArg, Yes
from artemis_cli.output import Col
from artemis_client.wire.management import CanaryConfig

app = group_app("Canary configs: which client IPs see a service's canary instances.")


def _ip_list(value: Any) -> Any:
    """One --ip value: an IP address or CIDR block, or several separated by commas."""
    if value is None:
        return None
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if not parts:
        raise v.bad("--ip", "an IP address or CIDR block is required")
    for p in parts:
        v.ip_or_cidr("--ip", p)
    return ",".join(parts)


COLS = [Col("SERVICE", "serviceId"), Col("ENABLED", "enabled"), Col("IP WHITELIST", "ipWhitelist")]


def _record(st: Any, cfg: CanaryConfig) -> None:
    st.out.record(
        cfg, [Col("service", "serviceId"), Col("enabled", "enabled"), Col("ip whitelist", "ipWhitelist")]
    )


@app.command("set")
def set_(
    ctx: typer.Context,
    service_id: ServiceArg,
    ip: Annotated[
        list[str],
        typer.Option(
            "--ip",
            metavar="IP",
            help="Client IP address or CIDR block that sees the canary instances; repeat for several "
            "(required).",
            parser=_ip_list,
        ),
    ],
    disabled: Annotated[bool, typer.Option("--disabled", help="Store the config disabled.")] = False,
    operator: Operator = None,
) -> None:
    """Create or replace the canary config of a service (enabled unless --disabled)."""
    st = state(ctx)
    ips = list(dict.fromkeys(x for item in ip for x in item.split(",")))
    op = st.operator(operator)
    st.client.canary_set(service_id, ips, operator=op, enabled=not disabled)
    cfg = {"serviceId": service_id, "ipWhitelist": ips, "enabled": not disabled}
    st.out.done({**cfg, "operatorId": op}, f"canary config of {service_id} set ({len(ips)} IPs)")


@app.command("show")
def show(ctx: typer.Context, service_id: ServiceArg) -> None:
    """The canary config of a service; exits 3 when it has none."""
    st = state(ctx)
    _record(st, st.client.canary_get(service_id))


def _enable(ctx: typer.Context, service_id: str, enabled: bool, operator: str | None) -> None:
    st = state(ctx)
    op = st.operator(operator)
    st.client.canary_get(service_id)  # exit 3 when there is no config
    st.client.canary_enable(service_id, enabled, operator=op)
    word = "enabled" if enabled else "disabled"
    st.out.done(
        {"serviceId": service_id, "enabled": enabled, "operatorId": op}, f"canary of {service_id} {word}"
    )


@app.command("enable")
def enable(ctx: typer.Context, service_id: ServiceArg, operator: Operator = None) -> None:
    """Enable the canary config of a service."""
    _enable(ctx, service_id, True, operator)


@app.command("disable")
def disable(ctx: typer.Context, service_id: ServiceArg, operator: Operator = None) -> None:
    """Disable the canary config of a service (kept, no effect)."""
    _enable(ctx, service_id, False, operator)


@app.command("delete")
def delete(
    ctx: typer.Context,
    service_id: ServiceArg,
    operator: Operator = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Delete the canary config of a service; exits 3 when it has none."""
    st = state(ctx)
    op = st.operator(operator)
    cfg = st.client.canary_get(service_id)
    svc = inventory.service(st.client, service_id, warn=st.warn)
    insts = [i for i in svc.instances if i.serving] if svc is not None else []
    canaries = [
        i
        for i in insts
        if (i.metadata or {}).get("canary", "").lower() == "true" or (i.group_id or "").lower() == "canary"
    ]
    doc = {
        "operation": "delete",
        "serviceId": service_id,
        "config": cfg,
        "operatorId": op,
        "serviceInstances": len(insts),
        "canaryInstances": len(canaries),
    }
    line = (
        f"delete canary config of {service_id} ({'enabled' if cfg.enabled else 'disabled'}, "
        f"{len(cfg.ip_whitelist)} whitelisted IPs): its {len(canaries)} canary instance(s) of "
        f"{len(insts)} serving become visible to every client"
    )
    carry_out(
        st,
        Plan(f"delete the canary config of {service_id}", doc, [line]),
        yes=yes,
        dry_run=dry_run,
        run=lambda: st.client.canary_delete(service_id, operator=op),
        done=f"canary config of {service_id} deleted",
    )


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every canary config."""
    st = state(ctx)
    rows = sorted(st.client.canary_list(), key=lambda c: c.service_id)
    st.out.table(rows, COLS, empty="no canary configs")
