"""`artemis instance ...`: list, inspect, register (with keep-alive), pull in/out, watch instances."""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from artemis_cli import inventory
from artemis_cli import validate as v
from artemis_cli.cmdline import group_app
from artemis_cli.commands._opts import (
    DryRun,
    Force,
    InstanceArg,
    InstancesArg,
    Operator,
    OptServiceArg,
    ServiceArg,
    Yes,
    ZoneOpt,
    id_argument,
    id_option,
    region_opt,
    service_opt,
    zone_opt,
)
from artemis_cli.commands.service import INSTANCE_COLS, lease_text
from artemis_cli.common import complete_service, confirm, percent, state
from artemis_cli.errors import BadInput, ClientError, NotFound, Refused, Unreachable
from artemis_cli.output import Col

app = group_app("List, register, pull in/out and watch service instances.")

RegionOpt = Annotated[str | None, region_opt("Region of the instance(s).")]


def _ieq(a: Any, b: Any) -> bool:
    return str(a or "").lower() == str(b or "").lower()


def _registered(
    st: Any, service_id: str, region: str | None = None, zone: str | None = None
) -> dict[str, Any]:
    """The service's inventory row; exit 3 when no instance of it is registered."""
    svc = inventory.service(st.client, service_id, region, zone, warn=st.warn)
    if svc is None:
        where = "".join(f" in {k} {x}" for k, x in (("region", region), ("zone", zone)) if x)
        raise NotFound(f"service {service_id} not found: no instance of it is registered{where}")
    return svc


def _summary(svc: dict[str, Any]) -> str:
    parts = [
        f"{svc[k]} {k.replace('pulledOut', 'pulled out')}"
        for k in ("pulledOut", "starting", "down")
        if svc[k]
    ]
    return ", ".join(parts)


@app.command("list")
def list_instances(
    ctx: typer.Context,
    service_id: ServiceArg,
    region: RegionOpt = None,
    zone: ZoneOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Every registered instance: pulled-out and not-up ones too.")
    ] = False,
) -> None:
    """Serving instances of a service (--all: every registered one, each with its STATE); exits 3 when no
    instance of the service is registered."""
    st = state(ctx)
    region, zone = st.region(region), st.zone(zone)
    with st.out.spinner(f"listing {service_id}"):
        svc = _registered(st, service_id, region, zone)
    rows = svc["instances"] if all_ else [i for i in svc["instances"] if i["serving"]]
    rows.sort(key=lambda i: (str(i.get("regionId", "")), str(i.get("instanceId", ""))))
    empty = None
    if not rows:
        empty = (
            f"no serving instance of {svc['serviceId']} ({svc['instanceCount']} registered: "
            f"{_summary(svc)}); --all lists them"
        )
    st.out.table(rows, INSTANCE_COLS, empty=empty)


@app.command("show")
def show(
    ctx: typer.Context, service_id: ServiceArg, instance_id: InstanceArg, region: RegionOpt = None
) -> None:
    """One instance in any state (its metadata as registered, state and lease apart); exits 3 when it is not
    registered."""
    st = state(ctx)
    inst = inventory.find(st.client, service_id, instance_id, st.region(region), warn=st.warn)
    if inst is None:
        raise NotFound(f"instance {instance_id} of service {service_id} not found: it is not registered")
    doc = dict(inst)
    try:
        doc["operations"] = st.client.instance_operations(
            str(inst.get("serviceId") or service_id), str(inst.get("instanceId")), inst.get("regionId")
        )
    except (NotFound, Refused):
        pass
    st.out.record(
        doc,
        [
            Col("service", "serviceId"),
            Col("instance", "instanceId"),
            Col("state", "state"),
            Col("status", "status"),
            Col("url", "url"),
            Col("ip", "ip"),
            Col("port", "port"),
            Col("region", "regionId"),
            Col("zone", "zoneId"),
            Col("group", "groupId"),
            Col("operations", "operations"),
            Col("metadata", "metadata"),
            Col("lease", lease_text),
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
    service: Annotated[str, service_opt()],
    instance_id: Annotated[
        str, id_option("--instance-id", "-i", metavar="I", help="Instance id.", what="an instance id")
    ],
    ip: Annotated[
        str, typer.Option("--ip", metavar="IP", help="Instance IP address.", parser=v.ip_parser("--ip"))
    ],
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", metavar="PORT", help="Instance port (1..65535).", parser=v.port_parser("--port")
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option("--url", metavar="URL", help="Default http://IP:PORT.", parser=v.url_parser("--url")),
    ] = None,
    region: RegionOpt = None,
    zone: Annotated[str | None, zone_opt("Zone of the instance.")] = None,
    group: Annotated[
        str | None, id_option("--group", metavar="G", help="Group id.", what="a group id")
    ] = None,
    metadata: Annotated[
        list[str] | None,
        typer.Option(
            "--metadata",
            "-m",
            metavar="K=V",
            help="Metadata entry; repeat for several.",
            parser=v.key_value_parser("--metadata"),
        ),
    ] = None,
    keep_alive: Annotated[
        bool, typer.Option("--keep-alive", help="Keep heartbeating until Ctrl-C, then unregister.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            help="Heartbeat period with --keep-alive (at least 0.05s).",
            parser=v.seconds_parser("--interval", 0.05, 3600),
        ),
    ] = 5.0,
) -> None:
    """Register one instance (with --keep-alive: heartbeat until Ctrl-C / SIGTERM, then unregister)."""
    st = state(ctx)
    inst: dict[str, Any] = {
        "serviceId": service,
        "instanceId": instance_id,
        "ip": ip,
        "port": port,
        "url": url or f"http://{ip if ':' not in ip else f'[{ip}]'}:{port}",
        "status": "up",
    }
    for k, x in (("regionId", st.region(region)), ("zoneId", st.zone(zone)), ("groupId", group)):
        if x:
            inst[k] = x
    md = v.pairs("--metadata", metadata)
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
    try:
        st.client.unregister([key])
    except ClientError as exc:
        # the instance stays registered until its lease runs out: the caller must know (exit 1 or 4)
        raise type(exc)(f"could not unregister {name} (it stays until its lease expires): {exc}") from None
    except KeyboardInterrupt:
        err = ClientError(f"interrupted before {name} was unregistered (it stays until its lease expires)")
        err.exit_code = 130
        raise err from None
    finally:
        signal.signal(signal.SIGTERM, old)
    st.out.done({"unregistered": key, "heartbeats": beats}, f"unregistered {name}")


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
    svc = inventory.service(st.client, service_id, region, warn=st.warn) or {"instances": [], "serving": 0}
    inst = next((i for i in svc["instances"] if _ieq(i.get("instanceId"), instance_id)), None)
    if inst is None:
        raise NotFound(f"instance {instance_id} of service {service_id} not found: it is not registered")
    total = svc["serving"]
    affected = 1 if inst["serving"] else 0
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
        f"({plan['share']})" + ("  <- the last one" if affected and total == 1 else "")
    ]
    if not confirm(
        st, action=f"unregister {service_id}/{instance_id}", lines=lines, plan=plan, yes=yes, dry_run=dry_run
    ):
        return
    st.client.unregister([_key(inst)])
    st.out.done({**plan, "dryRun": False}, f"unregistered {service_id}/{inst.get('instanceId')}")


def _unique(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i in ids:
        if i.lower() not in seen:
            seen.add(i.lower())
            out.append(i)
    return out


def _targets(
    svc: dict[str, Any] | None, ids: list[str], region: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """(registered instances named by ``ids``, ids not registered now). An id registered in several regions
    needs --region."""
    insts = (svc or {}).get("instances", [])
    found: list[dict[str, Any]] = []
    unknown: list[str] = []
    for iid in ids:
        hits = [
            i
            for i in insts
            if _ieq(i.get("instanceId"), iid) and (region is None or _ieq(i.get("regionId"), region))
        ]
        if not hits:
            unknown.append(iid)
        elif len(hits) > 1:
            regions = ", ".join(sorted(str(h.get("regionId")) for h in hits))
            raise BadInput(f"--region: instance {iid} is registered in several regions ({regions}); name one")
        else:
            found.append(hits[0])
    return found, unknown


@app.command("pull-out")
def pull_out(
    ctx: typer.Context,
    service_id: ServiceArg,
    instance_ids: InstancesArg,
    region: RegionOpt = None,
    operator: Operator = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    force: Force = False,
) -> None:
    """Take instances out of traffic (they stay registered). Ids not registered now are refused (exit 3,
    nothing recorded) unless --force records them ahead of registration."""
    st = state(ctx)
    region = st.region(region)
    op = st.operator(operator)
    ids = _unique(instance_ids)
    with st.out.spinner("computing blast radius"):
        svc = inventory.service(st.client, service_id, warn=st.warn)
    found, unknown = _targets(svc, ids, region)
    if unknown and not force:
        what = (
            f"service {service_id} has no registered instance"
            if svc is None
            else f"not registered now in service {service_id}: {', '.join(unknown)}"
        )
        raise NotFound(
            f"{what}; nothing was recorded (check the ids, or pass --force to record the pull-out ahead of "
            "registration)"
        )
    serving_total = (svc or {}).get("serving", 0)
    hit = [str(i.get("instanceId")) for i in found if i["serving"]]
    already = [f"{i.get('instanceId')} ({i['state']})" for i in found if not i["serving"]]
    targets = [{"instanceId": i.get("instanceId"), "regionId": i.get("regionId")} for i in found]
    targets += [{"instanceId": iid, "regionId": region} for iid in unknown]
    plan: dict[str, Any] = {
        "operation": "pullout",
        "serviceId": str((svc or {}).get("serviceId") or service_id),
        "instanceIds": [t["instanceId"] for t in targets],
        "operatorId": op,
        "instancesAffected": len(hit),
        "serviceInstances": serving_total,
        "share": percent(len(hit), serving_total),
    }
    if unknown:
        plan["notRegistered"] = unknown
    lines = [
        f"pull out {len(targets)} instance(s) of {service_id}: {len(hit)} of {serving_total} serving "
        f"instances ({plan['share']})"
        + ("  <- the whole service" if serving_total and len(hit) == serving_total else "")
    ]
    if already:
        lines.append(f"  not serving now: {', '.join(already)}")
    if unknown:
        lines.append(f"  not registered now, recorded ahead of registration (--force): {', '.join(unknown)}")
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
    st.out.done(
        {**plan, "dryRun": False},
        f"pulled out {len(targets)} instance(s) of {service_id} ({len(hit)} were serving)",
    )


@app.command("pull-in")
def pull_in(
    ctx: typer.Context,
    service_id: ServiceArg,
    instance_ids: InstancesArg,
    region: RegionOpt = None,
    operator: Operator = None,
) -> None:
    """Put pulled-out instances back into traffic (also ids recorded with pull-out --force)."""
    st = state(ctx)
    region = st.region(region)
    op = st.operator(operator)
    ids = _unique(instance_ids)
    regions: dict[str, str | None] = {}
    svc = inventory.service(st.client, service_id, warn=st.warn) if region is None else None
    for iid in ids:
        found = next((i for i in (svc or {}).get("instances", []) if _ieq(i.get("instanceId"), iid)), None)
        regions[iid] = region or (found.get("regionId") if found else None)
    for iid in ids:
        st.client.operate_instance(service_id, iid, "pullin", operator=op, region=regions[iid])
    st.out.done(
        {"operation": "pullin", "serviceId": service_id, "instanceIds": ids, "operatorId": op},
        f"pulled in {len(ids)} instance(s) of {service_id}",
    )


@app.command("operations")
def operations(ctx: typer.Context, service_id: OptServiceArg = None, region: RegionOpt = None) -> None:
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
        list[str] | None,
        id_argument(
            "SERVICE_ID", "Services to watch (none: every service).", "a service id", complete_service
        ),
    ] = None,
    max_events: Annotated[
        int | None,
        typer.Option(
            "--max-events", metavar="N", help="Stop after N changes.", parser=v.count_parser("--max-events")
        ),
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
