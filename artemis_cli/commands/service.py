"""`artemis service ...`: every service with registered instances, and what state they are in."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from artemis_cli import inventory
from artemis_cli.cmdline import group_app
from artemis_cli.commands._opts import ServiceArg, region_opt, zone_opt
from artemis_cli.common import state
from artemis_cli.errors import NotFound
from artemis_cli.output import Col

app = group_app("List and inspect services.")

RegionOpt = Annotated[str | None, region_opt("Only this region.")]
ZoneOpt = Annotated[str | None, zone_opt("Only this zone.")]


def _distinct(insts: list[dict[str, Any]], key: str) -> list[str]:
    return sorted({str(i.get(key)) for i in insts if i.get(key)})


def _ago(ms: Any) -> str:
    try:
        secs = max(0, int(time.time() - int(ms) / 1000))
    except (TypeError, ValueError):
        return "-"
    return f"{secs}s ago"


def lease_text(inst: dict[str, Any]) -> str:
    """``created 12s ago, renewed 3s ago, ttl 20s`` from an instance's ``lease`` field."""
    lease = inst.get("lease") or {}
    if not lease:
        return "-"
    ttl = lease.get("ttl")
    return f"created {_ago(lease.get('creationTime'))}, renewed {_ago(lease.get('renewalTime'))}" + (
        f", ttl {int(ttl) // 1000}s" if isinstance(ttl, int) else ""
    )


SERVICE_COLS = [
    Col("SERVICE", "serviceId"),
    Col("INSTANCES", "instanceCount"),
    Col("SERVING", "serving"),
    Col("PULLED OUT", "pulledOut"),
    Col("STARTING", "starting"),
    Col("DOWN", "down"),
    Col("REGIONS", lambda s: _distinct(s["instances"], "regionId")),
    Col("ZONES", lambda s: _distinct(s["instances"], "zoneId")),
    Col("GROUPS", lambda s: _distinct(s["instances"], "groupId"), wide=True),
]

INSTANCE_COLS = [
    Col("INSTANCE", "instanceId"),
    Col("STATE", "state"),
    Col("URL", "url"),
    Col("REGION", "regionId"),
    Col("ZONE", "zoneId"),
    Col("STATUS", "status", wide=True),
    Col("IP", "ip", wide=True),
    Col("PORT", "port", wide=True),
    Col("GROUP", "groupId", wide=True),
    Col("LEASE", lease_text, wide=True),
    Col("METADATA", "metadata", wide=True),
]


@app.command("list")
def list_services(ctx: typer.Context, region: RegionOpt = None, zone: ZoneOpt = None) -> None:
    """Every service with registered instances, also when none is serving: counts of serving, pulled-out,
    starting and down instances (optionally in one region / zone)."""
    st = state(ctx)
    region, zone = st.region(region), st.zone(zone)
    with st.out.spinner("listing services"):
        rows = inventory.services(st.client, None, region, zone, warn=st.warn)
    rows.sort(key=lambda s: str(s.get("serviceId", "")).lower())
    st.out.table(rows, SERVICE_COLS, empty="no services")


@app.command("show")
def show(ctx: typer.Context, service_id: ServiceArg, region: RegionOpt = None, zone: ZoneOpt = None) -> None:
    """One service: counts and every registered instance with its state; exits 3 when no instance of it is
    registered."""
    st = state(ctx)
    region, zone = st.region(region), st.zone(zone)
    with st.out.spinner(f"fetching {service_id}"):
        svc = inventory.service(st.client, service_id, region, zone, warn=st.warn)
    if svc is None:
        raise NotFound(f"service {service_id} not found: no instance of it is registered")
    if st.out.structured:
        st.out.document(svc)
        return
    counts = ", ".join(
        f"{svc[k]} {label}"
        for k, label in (
            ("serving", "serving"),
            ("pulledOut", "pulled out"),
            ("starting", "starting"),
            ("down", "down"),
        )
        if svc[k] or k == "serving"
    )
    st.out.line(f"service {svc['serviceId']}: {svc['instanceCount']} instance(s), {counts}")
    st.out.table(svc["instances"], INSTANCE_COLS)
