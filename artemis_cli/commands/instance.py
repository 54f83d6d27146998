"""`artemis instance ...`: list, inspect, register (with keep-alive), pull in/out, watch instances."""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from artemis_cli import blast
from artemis_cli.commands._opts import DryRun, Operator, ServiceArg, Yes, ZoneOpt
from artemis_cli.commands.service import INSTANCE_COLS, filter_instances
from artemis_cli.common import (
    complete_instance,
    complete_region,
    complete_service,
    confirm,
    parse_kv,
    percent,
    state,
)
from artemis_cli.errors import BadInput, NotFound, Refused, Unreachable
from artemis_cli.output import Col

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="List, register, pull in/out and watch service instances.",
)

InstanceArg = Annotated[str, typer.Argument(metavar="INSTANCE_ID", autocompletion=complete_instance)]
InstancesArg = Annotated[
    list[str], typer.Argument(metavar="INSTANCE_ID...", autocompletion=complete_instance)
]
RegionOpt = Annotated[
    str | None,
    typer.Option("--region", metavar="R", help="Region of the instance(s).", autocompletion=complete_region),
]


def _ieq(a: Any, b: Any) -> bool:
    return str(a or "").lower() == str(b or "").lower()


@app.command("list")
def list_instances(
    ctx: typer.Context,
    service_id: ServiceArg,
    region: RegionOpt = None,
    zone: ZoneOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Include pulled-out / not-up instances, marked.")
    ] = False,
) -> None:
    """Instances of a service that discovery serves (--all: every registered one, with `serving`)."""
    st = state(ctx)
    region, zone = st.region(region), st.zone(zone)
    with st.out.spinner(f"listing {service_id}"):
        serving = filter_instances(blast.service_instances(st.client, service_id, region, zone), region, zone)
        rows = serving
        if all_:
            every = blast.admin_instances(st.client, service_id, region, zone)
            if every is None:
                st.out.warn(
                    "the server has no admin view (/api/management/service.json); "
                    "showing served instances only"
                )
                every = serving
            served = {
                (str(i.get("regionId", "")).lower(), str(i.get("instanceId", "")).lower()) for i in serving
            }
            rows = []
            for i in filter_instances(every, region, zone):
                key = (str(i.get("regionId", "")).lower(), str(i.get("instanceId", "")).lower())
                rows.append({**i, "serving": key in served})
    rows.sort(key=lambda i: (str(i.get("regionId", "")), str(i.get("instanceId", ""))))
    cols = list(INSTANCE_COLS)
    if all_:
        cols.insert(1, Col("SERVING", "serving"))
    st.out.table(rows, cols, empty=f"no instances of {service_id}")


@app.command("show")
def show(
    ctx: typer.Context, service_id: ServiceArg, instance_id: InstanceArg, region: RegionOpt = None
) -> None:
    """One instance (also when pulled out); exits 3 when it is not registered."""
    st = state(ctx)
    inst, serving = blast.find_instance(st.client, service_id, instance_id, st.region(region))
    if inst is None:
        raise NotFound(f"instance {instance_id} of service {service_id} not found")
    doc = {**inst, "serving": serving}
    try:
        doc["operations"] = st.client.instance_operations(
            service_id, str(inst.get("instanceId")), inst.get("regionId")
        )
    except (NotFound, Refused):
        pass
    st.out.record(
        doc,
        [
            Col("service", "serviceId"),
            Col("instance", "instanceId"),
            Col("serving", "serving"),
            Col("status", "status"),
            Col("url", "url"),
            Col("ip", "ip"),
            Col("port", "port"),
            Col("region", "regionId"),
            Col("zone", "zoneId"),
            Col("group", "groupId"),
            Col("operations", "operations"),
            Col("metadata", "metadata"),
            Col("machine", "machineName", wide=True),
            Col("protocol", "protocol", wide=True),
            Col("health check", "healthCheckUrl", wide=True),
        ],
    )


def _key(inst: dict[str, Any]) -> dict[str, Any]:
    return {k: inst[k] for k in ("serviceId", "instanceId", "regionId", "zoneId", "groupId") if inst.get(k)}


@app.command("register")
def register(
    ctx: typer.Context,
    service: Annotated[str, typer.Option("--service", "-s", metavar="S", help="Service id.")],
    instance_id: Annotated[str, typer.Option("--instance-id", "-i", metavar="I", help="Instance id.")],
    ip: Annotated[str, typer.Option("--ip", metavar="IP", help="Instance IP.")],
    port: Annotated[int, typer.Option("--port", "-p", metavar="P", min=0, max=65535, help="Instance port.")],
    url: Annotated[str | None, typer.Option("--url", metavar="U", help="Default http://IP:PORT.")] = None,
    region: RegionOpt = None,
    zone: ZoneOpt = None,
    group: Annotated[str | None, typer.Option("--group", metavar="G", help="Group id.")] = None,
    metadata: Annotated[
        list[str] | None,
        typer.Option("--metadata", "-m", metavar="K=V", help="Metadata entry; repeat for several."),
    ] = None,
    keep_alive: Annotated[
        bool, typer.Option("--keep-alive", help="Keep heartbeating until Ctrl-C, then unregister.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", metavar="SECONDS", min=0.05, help="Heartbeat period with --keep-alive."),
    ] = 5.0,
) -> None:
    """Register one instance (with --keep-alive: heartbeat until Ctrl-C / SIGTERM, then unregister)."""
    st = state(ctx)
    if not service.strip():
        raise BadInput("invalid value for '--service': must not be empty")
    if not instance_id.strip():
        raise BadInput("invalid value for '--instance-id': must not be empty")
    inst: dict[str, Any] = {
        "serviceId": service,
        "instanceId": instance_id,
        "ip": ip,
        "port": port,
        "url": url or f"http://{ip}:{port}",
        "status": "up",
    }
    for k, v in (("regionId", st.region(region)), ("zoneId", st.zone(zone)), ("groupId", group)):
        if v:
            inst[k] = v
    md = parse_kv(metadata, "--metadata")
    if md:
        inst["metadata"] = md
    st.client.register([inst])
    if not keep_alive:
        st.out.done({"registered": inst}, f"registered {service}/{instance_id}")
        return
    _keep_alive(st, inst, interval)


def _keep_alive(st: Any, inst: dict[str, Any], interval: float) -> None:
    key = _key(inst)
    name = f"{inst['serviceId']}/{inst['instanceId']}"
    st.out.message(f"registered {name}; heartbeating every {interval:g}s until Ctrl-C")

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, on_term)
    beats = 0
    try:
        while True:
            deadline = time.monotonic() + interval
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, 0.2))
            try:
                doc = st.client.heartbeat([key])
                if doc.get("failedInstanceKeys") or doc.get("failedInstances"):
                    st.out.warn(f"the server lost {name} (lease expired?); registering again")
                    st.client.register([inst])
                beats += 1
            except (Unreachable, Refused) as exc:
                st.out.warn(f"heartbeat failed, will retry: {exc}")
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, old)
    try:
        st.client.unregister([key])
        st.out.done({"unregistered": key, "heartbeats": beats}, f"unregistered {name}")
    except (Unreachable, Refused) as exc:
        st.out.warn(f"could not unregister {name}: {exc}")
        raise typer.Exit(4 if isinstance(exc, Unreachable) else 1) from None


@app.command("unregister")
def unregister(
    ctx: typer.Context,
    service_id: ServiceArg,
    instance_id: InstanceArg,
    region: RegionOpt = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Remove an instance from the registry (it re-appears if it keeps heartbeating/registering)."""
    st = state(ctx)
    region = st.region(region)
    inst, serving = blast.find_instance(st.client, service_id, instance_id, region)
    if inst is None:
        raise NotFound(f"instance {instance_id} of service {service_id} not found")
    total = len(blast.service_instances(st.client, service_id))
    affected = 1 if serving else 0
    plan = {
        "operation": "unregister",
        "serviceId": service_id,
        "instanceId": inst.get("instanceId"),
        "regionId": inst.get("regionId"),
        "instancesAffected": affected,
        "serviceInstances": total,
        "share": percent(affected, total),
    }
    lines = [
        f"unregister {service_id}/{inst.get('instanceId')}: {affected} of {total} serving instances "
        f"({plan['share']})" + ("  <- the last one" if serving and total == 1 else "")
    ]
    if not confirm(
        st, action=f"unregister {service_id}/{instance_id}", lines=lines, plan=plan, yes=yes, dry_run=dry_run
    ):
        return
    st.client.unregister([_key(inst)])
    st.out.done({**plan, "dryRun": False}, f"unregistered {service_id}/{inst.get('instanceId')}")


def _resolve_targets(
    st: Any, service_id: str, ids: list[str], region: str | None
) -> tuple[list[dict[str, Any]], int, list[str]]:
    """(instances to act on with their region, serving total, ids currently serving)."""
    serving = blast.service_instances(st.client, service_id)
    targets: list[dict[str, Any]] = []
    hit: list[str] = []
    for iid in ids:
        found = next(
            (
                i
                for i in serving
                if _ieq(i.get("instanceId"), iid) and (region is None or _ieq(i.get("regionId"), region))
            ),
            None,
        )
        if found is not None:
            hit.append(str(found.get("instanceId")))
            targets.append(
                {"instanceId": found.get("instanceId"), "regionId": region or found.get("regionId")}
            )
        else:
            targets.append({"instanceId": iid, "regionId": region})
    return targets, len(serving), hit


@app.command("pull-out")
def pull_out(
    ctx: typer.Context,
    service_id: ServiceArg,
    instance_ids: InstancesArg,
    region: RegionOpt = None,
    operator: Operator = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Take instances out of traffic (they stay registered)."""
    st = state(ctx)
    region = st.region(region)
    op = st.operator(operator)
    with st.out.spinner("computing blast radius"):
        targets, total, hit = _resolve_targets(st, service_id, instance_ids, region)
    plan = {
        "operation": "pullout",
        "serviceId": service_id,
        "instanceIds": [t["instanceId"] for t in targets],
        "operatorId": op,
        "instancesAffected": len(hit),
        "serviceInstances": total,
        "share": percent(len(hit), total),
    }
    lines = [
        f"pull out {len(targets)} instance(s) of {service_id}: {len(hit)} of {total} serving instances "
        f"({plan['share']})" + ("  <- the whole service" if total and len(hit) == total else "")
    ]
    quiet = [t["instanceId"] for t in targets if t["instanceId"] not in hit]
    if quiet:
        lines.append(f"  not serving now (already out or not registered): {', '.join(map(str, quiet))}")
    if not confirm(
        st,
        action=f"pull out {len(targets)} instance(s) of {service_id}",
        lines=lines,
        plan=plan,
        yes=yes,
        dry_run=dry_run,
    ):
        return
    for t in targets:
        st.client.operate_instance(
            service_id, str(t["instanceId"]), "pullout", operator=op, region=t["regionId"]
        )
    st.out.done({**plan, "dryRun": False}, f"pulled out {len(targets)} instance(s) of {service_id}")


@app.command("pull-in")
def pull_in(
    ctx: typer.Context,
    service_id: ServiceArg,
    instance_ids: InstancesArg,
    region: RegionOpt = None,
    operator: Operator = None,
) -> None:
    """Put pulled-out instances back into traffic."""
    st = state(ctx)
    region = st.region(region)
    op = st.operator(operator)
    regions: dict[str, str | None] = {}
    every = blast.admin_instances(st.client, service_id) if region is None else None
    for iid in instance_ids:
        found = next((i for i in every or [] if _ieq(i.get("instanceId"), iid)), None)
        regions[iid] = region or (found.get("regionId") if found else None)
    for iid in instance_ids:
        st.client.operate_instance(service_id, iid, "pullin", operator=op, region=regions[iid])
    st.out.done(
        {"operation": "pullin", "serviceId": service_id, "instanceIds": list(instance_ids), "operatorId": op},
        f"pulled in {len(instance_ids)} instance(s) of {service_id}",
    )


@app.command("operations")
def operations(
    ctx: typer.Context,
    service_id: Annotated[
        str | None, typer.Argument(metavar="[SERVICE_ID]", autocompletion=complete_service)
    ] = None,
    region: RegionOpt = None,
) -> None:
    """Instance operations in force (pulled-out instances), optionally of one service."""
    st = state(ctx)
    rows = st.client.all_instance_operations(st.region(region))
    if service_id:
        rows = [r for r in rows if _ieq((r.get("instanceKey") or {}).get("serviceId"), service_id)]
    st.out.table(
        rows,
        [
            Col("SERVICE", "instanceKey.serviceId"),
            Col("INSTANCE", "instanceKey.instanceId"),
            Col("REGION", "instanceKey.regionId"),
            Col("OPERATION", "operation"),
            Col("COMPLETE", "operationComplete"),
            Col("OPERATOR", "operatorId"),
        ],
        empty="no instance operations",
    )


# -- watch -----------------------------------------------------------------------------------------------


def _rfc3339(v: Any) -> Any:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return (
            datetime.fromtimestamp(v / 1000.0, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
    return v


def normalize_change(change: dict[str, Any], service_id: str | None = None) -> dict[str, Any]:
    inst = change.get("instance") or {}
    return {
        "serviceId": inst.get("serviceId") or service_id,
        "changeType": change.get("changeType"),
        "changeTime": _rfc3339(change.get("changeTime")),
        "instance": inst,
    }


@app.command("watch")
def watch(
    ctx: typer.Context,
    service_ids: Annotated[
        list[str] | None, typer.Argument(metavar="[SERVICE_ID]...", autocompletion=complete_service)
    ] = None,
    max_events: Annotated[
        int | None, typer.Option("--max-events", metavar="N", min=1, help="Stop after N changes.")
    ] = None,
) -> None:
    """Live change stream over WebSocket until Ctrl-C (no id: every service). -o json: one JSON line each."""
    from artemis_cli.watch import Watcher

    st = state(ctx)
    w = Watcher(
        st.settings.servers,
        list(service_ids or []),
        timeout=st.timeout,
        message=st.out.message,
        warn=st.out.warn,
    )
    seen = 0
    try:
        for change in w.changes():
            if st.out.structured:
                st.out.json_line(change)
            else:
                i = change["instance"]
                st.out.line(
                    f"{change['changeTime']}  {change['changeType']!s:<7} "
                    f"{change['serviceId']}/{i.get('instanceId')}  {i.get('url') or ''}"
                )
            seen += 1
            if max_events is not None and seen >= max_events:
                break
    except KeyboardInterrupt:
        pass
    finally:
        w.close()
    sys.stdout.flush()
