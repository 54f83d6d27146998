"""`artemis zone ...`: pull whole zones out of traffic and back in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from artemis_cli import blast, inventory
from artemis_cli.cmdline import group_app
from artemis_cli.common import state
from artemis_cli.destructive import Plan, carry_out
from artemis_cli.options import DryRun, Operator, Yes, ZoneArg, region_opt
from artemis_cli.output import Col, plain
from artemis_client.errors import InvalidArgumentError, NotFoundError

if TYPE_CHECKING:
    from artemis_cli.views import ZoneRow

app = group_app("Pull zones out of traffic and back in; zone status.")

RegionReq = Annotated[str | None, region_opt("Region of the zone (required; default: the context's region).")]


def _region(st: Any, region: str | None) -> str:
    r = st.region(region)
    if not r:
        raise InvalidArgumentError("missing option '--region' (the zone's region)")
    return str(r)


def _in_zone(zone_id: str, region: str) -> Any:
    return lambda i: i.zone_id == zone_id and inventory.ieq(i.region_id, region)


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
    plan = Plan(
        f"pull out zone {zone_id} (region {r})",
        {"operation": "pullout", "zoneId": zone_id, "regionId": r, "operatorId": op, **plain(radius)},
        blast.lines_for(radius, f"zone {zone_id} (region {r})"),
    )
    carry_out(
        st,
        plan,
        yes=yes,
        dry_run=dry_run,
        run=lambda: st.client.zone_pull_out(zone_id, r, operator=op),
        done=f"zone {zone_id} (region {r}) pulled out ({radius.instances_affected} instances)",
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


def _zones(st: Any, region: str | None) -> list[ZoneRow]:
    from artemis_cli.views import ZoneRow

    services = inventory.services(st.client, None, region, warn=st.warn)
    zones: dict[tuple[str, str], ZoneRow] = {}
    names: dict[tuple[str, str], set[str]] = {}

    def row(r: str, z: str) -> ZoneRow:
        return zones.setdefault((r.lower(), z), ZoneRow(r, z, 0, 0, False))

    for svc in services:
        for i in svc.instances:
            r, z = i.region_id or "", i.zone_id or ""
            if region and not inventory.ieq(r, region):
                continue
            row(r, z).instances += 1
            names.setdefault((r.lower(), z), set()).add(svc.service_id)
    for rec in st.client.zone_operations(region):
        e = row(rec.region_id, rec.zone_id)
        if rec.operation == "pullout" and not rec.service_id:
            e.is_down = True
            e.operator_id = rec.operator_id
            e.operation_time = rec.operation_time
    for key, e in zones.items():
        e.services = len(names.get(key, ()))
    return sorted(zones.values(), key=lambda e: (e.region_id, e.zone_id))


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
    doc = st.client.zone_status(zone_id, r)
    if not doc.is_down and not doc.operation:
        known = any(z.zone_id == zone_id and inventory.ieq(z.region_id, r) for z in _zones(st, r))
        if not known:
            raise NotFoundError(f"zone {zone_id} (region {r}) not found: no instance and no operation")
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
