"""`artemis service ...`: services as discovery serves them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from artemis_cli import blast
from artemis_cli.common import complete_region, complete_service, complete_zone, state
from artemis_cli.errors import NotFound
from artemis_cli.output import Col

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="List and inspect services.")

RegionOpt = Annotated[
    str | None,
    typer.Option("--region", metavar="R", help="Only this region.", autocompletion=complete_region),
]
ZoneOpt = Annotated[
    str | None, typer.Option("--zone", metavar="Z", help="Only this zone.", autocompletion=complete_zone)
]


def _ieq(a: Any, b: Any) -> bool:
    return str(a or "").lower() == str(b or "").lower()


def filter_instances(
    insts: list[dict[str, Any]], region: str | None, zone: str | None
) -> list[dict[str, Any]]:
    return [
        i
        for i in insts
        if (region is None or _ieq(i.get("regionId"), region)) and (zone is None or i.get("zoneId") == zone)
    ]


def _distinct(insts: list[dict[str, Any]], key: str) -> list[str]:
    return sorted({str(i.get(key)) for i in insts if i.get(key)})


@app.command("list")
def list_services(ctx: typer.Context, region: RegionOpt = None, zone: ZoneOpt = None) -> None:
    """Every service with instances currently served (optionally in one region / zone)."""
    st = state(ctx)
    region, zone = st.region(region), st.zone(zone)
    with st.out.spinner("listing services"):
        services = st.client.services(region, zone)
    out = []
    for s in services:
        insts = filter_instances(list(s.get("instances") or []), region, zone)
        if (region or zone) and not insts:
            continue
        out.append({**s, "instances": insts})
    out.sort(key=lambda s: str(s.get("serviceId", "")).lower())
    st.out.table(
        out,
        [
            Col("SERVICE", "serviceId"),
            Col("INSTANCES", lambda s: len(s["instances"])),
            Col("UP", lambda s: sum(1 for i in s["instances"] if i.get("status", "up") == "up")),
            Col("REGIONS", lambda s: _distinct(s["instances"], "regionId")),
            Col("ZONES", lambda s: _distinct(s["instances"], "zoneId")),
            Col("GROUPS", lambda s: _distinct(s["instances"], "groupId"), wide=True),
        ],
        empty="no services",
    )


INSTANCE_COLS = [
    Col("INSTANCE", "instanceId"),
    Col("STATUS", "status"),
    Col("URL", "url"),
    Col("REGION", "regionId"),
    Col("ZONE", "zoneId"),
    Col("IP", "ip", wide=True),
    Col("PORT", "port", wide=True),
    Col("GROUP", "groupId", wide=True),
    Col("METADATA", "metadata", wide=True),
]


@app.command("show")
def show(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE_ID", autocompletion=complete_service)],
    region: RegionOpt = None,
    zone: ZoneOpt = None,
) -> None:
    """One service and its served instances; exits 3 when no instance of it is registered."""
    st = state(ctx)
    region, zone = st.region(region), st.zone(zone)
    with st.out.spinner(f"fetching {service_id}"):
        svc = st.client.service(service_id, region, zone) or {}
    insts = filter_instances(list(svc.get("instances") or []), region, zone)
    if not insts:
        known = any(_ieq(s.get("serviceId"), service_id) for s in st.client.services())
        if not known and not blast.admin_instances(st.client, service_id):
            raise NotFound(f"service {service_id} not found")
    svc = {**svc, "instances": insts}
    if st.out.structured:
        st.out.document(svc)
        return
    st.out.line(f"service {svc.get('serviceId', service_id)}: {len(insts)} instance(s)")
    st.out.table(insts, INSTANCE_COLS)
