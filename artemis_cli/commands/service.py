"""`artemis service ...`: every service with registered instances, and what state they are in."""

from __future__ import annotations

from typing import Annotated

import typer

from artemis_cli import inventory
from artemis_cli.cmdline import group_app
from artemis_cli.columns import INSTANCE_COLS, SERVICE_COLS
from artemis_cli.common import state
from artemis_cli.options import ServiceArg, region_opt, zone_opt
from artemis_client.errors import NotFoundError

app = group_app("List and inspect services.")

RegionOpt = Annotated[str | None, region_opt("Only this region.")]
ZoneOpt = Annotated[str | None, zone_opt("Only this zone.")]


@app.command("list")
def list_services(ctx: typer.Context, region: RegionOpt = None, zone: ZoneOpt = None) -> None:
    """Every service with registered instances, also when none is serving: counts of serving, pulled-out,
    starting and down instances (optionally in one region / zone)."""
    st = state(ctx)
    region, zone = st.region(region), st.zone(zone)
    with st.out.spinner("listing services"):
        rows = inventory.services(st.client, None, region, zone, warn=st.warn)
    rows.sort(key=lambda s: s.service_id.lower())
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
        raise NotFoundError(f"service {service_id} not found: no instance of it is registered")
    if st.out.structured:
        st.out.document(svc)
        return
    counts = ", ".join(
        f"{n} {label}"
        for label, n in (
            ("serving", svc.serving),
            ("pulled out", svc.pulled_out),
            ("starting", svc.starting),
            ("down", svc.down),
        )
        if n or label == "serving"
    )
    st.out.line(f"service {svc.service_id}: {svc.instance_count} instance(s), {counts}")
    st.out.table(svc.instances, INSTANCE_COLS)
