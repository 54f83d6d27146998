"""`artemis zone ...`: pull whole zones out of traffic and back in."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from artemis_cli import blast, inventory
from artemis_cli.cmdline import group_app
from artemis_cli.commands._opts import DryRun, Operator, Yes, ZoneArg, region_opt
from artemis_cli.common import confirm, state
from artemis_cli.errors import BadInput, NotFound
from artemis_cli.output import Col

app = group_app("Pull zones out of traffic and back in; zone status.")

RegionReq = Annotated[str | None, region_opt("Region of the zone (required; default: the context's region).")]


def _region(st: Any, region: str | None) -> str:
    r = st.region(region)
    if not r:
        raise BadInput("missing option '--region' (the zone's region)")
    return str(r)


def _in_zone(zone_id: str, region: str) -> Any:
    return lambda i: i.get("zoneId") == zone_id and inventory.ieq(i.get("regionId"), region)


@app.command("pull-out")
def pull_out(
    ctx: typer.Context,
    zone_id: ZoneArg,
    region: RegionReq = None,
    operator: Operator = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Take every instance of a zone out of traffic."""
    st = state(ctx)
    r = _region(st, region)
    op = st.operator(operator)
    with st.out.spinner("computing blast radius"):
        services = inventory.services(st.client, None, r, warn=st.warn)
        radius = blast.by_service(blast.serving_only(services), _in_zone(zone_id, r))
    plan = {"operation": "pullout", "zoneId": zone_id, "regionId": r, "operatorId": op, **radius}
    if not confirm(
        st,
        action=f"pull out zone {zone_id} (region {r})",
        lines=blast.lines_for(radius, f"zone {zone_id} (region {r})"),
        plan=plan,
        yes=yes,
        dry_run=dry_run,
    ):
        return
    st.client.zone_pull_out(zone_id, r, operator=op)
    st.out.done(
        {**plan, "dryRun": False},
        f"zone {zone_id} (region {r}) pulled out ({radius['instancesAffected']} instances)",
    )


@app.command("pull-in")
def pull_in(
    ctx: typer.Context, zone_id: ZoneArg, region: RegionReq = None, operator: Operator = None
) -> None:
    """Put a pulled-out zone back into traffic."""
    st = state(ctx)
    r = _region(st, region)
    op = st.operator(operator)
    st.client.zone_pull_in(zone_id, r, operator=op)
    st.out.done(
        {"operation": "pullin", "zoneId": zone_id, "regionId": r, "operatorId": op},
        f"zone {zone_id} (region {r}) pulled in",
    )


def _zones(st: Any, region: str | None) -> list[dict[str, Any]]:
    services = inventory.services(st.client, None, region, warn=st.warn)
    zones: dict[tuple[str, str], dict[str, Any]] = {}
    for svc in services:
        for i in svc.get("instances") or []:
            r, z = str(i.get("regionId") or ""), str(i.get("zoneId") or "")
            if region and not inventory.ieq(r, region):
                continue
            e = zones.setdefault(
                (r.lower(), z),
                {"regionId": r, "zoneId": z, "instances": 0, "services": set(), "isDown": False},
            )
            e["instances"] += 1
            e["services"].add(svc.get("serviceId"))
    for rec in st.client.zone_operations(region):
        r, z = str(rec.get("regionId") or ""), str(rec.get("zoneId") or "")
        e = zones.setdefault(
            (r.lower(), z), {"regionId": r, "zoneId": z, "instances": 0, "services": set(), "isDown": False}
        )
        if rec.get("operation") == "pullout" and not rec.get("serviceId"):
            e["isDown"] = True
            e["operatorId"] = rec.get("operatorId")
            e["operationTime"] = rec.get("operationTime")
    out = []
    for e in zones.values():
        out.append({**e, "services": len(e["services"])})
    out.sort(key=lambda e: (e["regionId"], e["zoneId"]))
    return out


@app.command("list")
def list_zones(
    ctx: typer.Context,
    region: Annotated[str | None, region_opt("Only this region.")] = None,
) -> None:
    """Zones with registered instances or operations, and whether they are pulled out."""
    st = state(ctx)
    with st.out.spinner("listing zones"):
        rows = _zones(st, st.region(region))
    st.out.table(
        rows,
        [
            Col("REGION", "regionId"),
            Col("ZONE", "zoneId"),
            Col("DOWN", "isDown"),
            Col("INSTANCES", "instances"),
            Col("SERVICES", "services"),
            Col("OPERATOR", "operatorId", wide=True),
        ],
        empty="no zones",
    )


@app.command("status")
def status(ctx: typer.Context, zone_id: ZoneArg, region: RegionReq = None) -> None:
    """Whether a zone is pulled out, and by whom; exits 3 for a zone nobody knows."""
    st = state(ctx)
    r = _region(st, region)
    doc = st.client.zone_status(zone_id, r) or {}
    if not doc.get("isDown") and not doc.get("operation"):
        known = any(z["zoneId"] == zone_id and inventory.ieq(z["regionId"], r) for z in _zones(st, r))
        if not known:
            raise NotFound(f"zone {zone_id} (region {r}) not found: no instance and no operation")
    st.out.record(
        doc,
        [
            Col("zone", "zoneId"),
            Col("region", "regionId"),
            Col("down", "isDown"),
            Col("operation", "operation"),
            Col("operator", "operatorId"),
        ],
    )
