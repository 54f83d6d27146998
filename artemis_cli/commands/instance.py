"""`artemis instance ...`: list, inspect, register (with keep-alive), pull in/out, watch instances."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from artemis_cli import inventory
from artemis_cli import validate as v
from artemis_cli.cmdline import group_app
from artemis_cli.columns import INSTANCE_COLS, lease_text
from artemis_cli.common import complete_service, percent, state
from artemis_cli.destructive import Plan, carry_out
from artemis_cli.errors import Interrupted
from artemis_cli.options import (
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
from artemis_cli.output import Col
from artemis_client.errors import ArtemisError, InvalidArgumentError, NotFoundError, TransportError

if TYPE_CHECKING:
    from artemis_cli.views import InstanceView, ServiceView
    from artemis_client.wire.registry import Instance, RawKey

app = group_app("List, register, pull in/out and watch service instances.")

RegionOpt = Annotated[str | None, region_opt("Region of the instance(s).")]


def _ieq(a: Any, b: Any) -> bool:
    return str(a or "").lower() == str(b or "").lower()


def _registered(st: Any, service_id: str, region: str | None = None, zone: str | None = None) -> ServiceView:
    """The service's inventory row; exit 3 when no instance of it is registered."""
    svc = inventory.service(st.client, service_id, region, zone, warn=st.warn)
    if svc is None:
        where = "".join(f" in {k} {x}" for k, x in (("region", region), ("zone", zone)) if x)
        raise NotFoundError(f"service {service_id} not found: no instance of it is registered{where}")
    return svc


def _summary(svc: ServiceView) -> str:
    counts = (("pulled out", svc.pulled_out), ("starting", svc.starting), ("down", svc.down))
    return ", ".join(f"{n} {label}" for label, n in counts if n)


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
    rows = list(svc.instances) if all_ else [i for i in svc.instances if i.serving]
    rows.sort(key=lambda i: (i.region_id or "", i.instance_id))
    empty = None
    if not rows:
        empty = (
            f"no serving instance of {svc.service_id} ({svc.instance_count} registered: "
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
        raise NotFoundError(f"instance {instance_id} of service {service_id} not found: it is not registered")
    operations: list[str] | None = None
    try:
        operations = st.client.instance_operations(
            inst.service_id or service_id, inst.instance_id, inst.region_id
        )
    except TransportError:
        raise
    except ArtemisError:
        pass
    from artemis_cli.views import InstanceDetail

    doc = InstanceDetail(**{f: getattr(inst, f) for f in inst.__struct_fields__}, operations=operations)
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


def _key(inst: Instance) -> RawKey:
    from artemis_client.wire.registry import RawKey

    return RawKey(
        inst.service_id, inst.instance_id, inst.region_id or None, inst.zone_id or None, inst.group_id or None
    )


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
    import msgspec

    from artemis_client.wire.registry import Instance

    registered = msgspec.convert(inst, Instance)
    if keep_alive:
        _keep_alive(st, registered, interval)  # the SDK registers it
        return
    st.client.register([registered])
    st.out.done({"registered": inst}, f"registered {service}/{instance_id}")


# what the SDK logs that a keep-alive user must see on stderr (state changes, each once)
_SURFACED = ("re-register", "heartbeat-failed", "watchdog", "recovered")


def _keep_alive(st: Any, inst: Instance, interval: float) -> None:
    """Keep ``inst`` registered with the SDK (one heartbeat per interval, re-register when the node lost it,
    failover across the configured servers) until Ctrl-C / SIGTERM, then unregister it."""
    import logging

    from artemis_client.sync import ArtemisClient

    key = _key(inst)
    name = f"{inst.service_id}/{inst.instance_id}"

    class _ToStderr(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if getattr(record, "artemis_event", "") in (
                "re-register",
                "heartbeat-failed",
                "watchdog",
                "recovered",
            ):
                st.out.warn(record.getMessage())

    sdk_log = logging.getLogger("artemis.client")
    handler = _ToStderr()
    sdk_log.addHandler(handler)
    old_propagate, sdk_log.propagate = sdk_log.propagate, False
    old_level = sdk_log.level
    sdk_log.setLevel(logging.INFO)

    # Ctrl-C / SIGTERM only ask to stop: no exception lands inside the SDK's calls; a second one
    # interrupts at once (the instance then stays until its lease expires).
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    client = ArtemisClient(st.client.servers, heartbeat_interval=interval, lease_ttl=max(20.0, interval * 4))
    try:
        try:
            client.register(inst)
            st.out.message(f"registered {name}; heartbeating every {interval:g}s until Ctrl-C")
            while not stop.wait(0.2):
                pass
            beats = client.stats()["counters"].get("heartbeat_ok", 0)
            client.unregister(inst)
        except ArtemisError as exc:
            if not stop.is_set():
                raise  # the registration itself failed
            # the instance stays registered until its lease runs out: the caller must know (exit 1 or 4)
            raise type(exc)(
                f"could not unregister {name} (it stays until its lease expires): {exc}"
            ) from None
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted before {name} was unregistered (it stays until its lease expires)"
            ) from None
    finally:
        client.close(timeout=1.0)
        for sig, handler_before in old.items():
            signal.signal(sig, handler_before)
        sdk_log.removeHandler(handler)
        sdk_log.propagate = old_propagate
        sdk_log.setLevel(old_level)
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
    svc = inventory.service(st.client, service_id, region, warn=st.warn)
    insts = svc.instances if svc is not None else []
    inst = next((i for i in insts if _ieq(i.instance_id, instance_id)), None)
    if svc is None or inst is None:
        raise NotFoundError(f"instance {instance_id} of service {service_id} not found: it is not registered")
    total = svc.serving
    affected = 1 if inst.serving else 0
    plan = {
        "operation": "unregister",
        "serviceId": service_id,
        "instanceId": inst.instance_id,
        "regionId": inst.region_id,
        "instancesAffected": affected,
        "serviceInstances": total,
        "share": percent(affected, total),
    }
    line = f"unregister {service_id}/{inst.instance_id}: {affected} of {total} serving instances " + (
        f"({plan['share']})" + ("  <- the last one" if affected and total == 1 else "")
    )
    carry_out(
        st,
        Plan(f"unregister {service_id}/{instance_id}", plan, [line]),
        yes=yes,
        dry_run=dry_run,
        run=lambda: st.client.unregister([_key(inst)]),
        done=f"unregistered {service_id}/{inst.instance_id}",
    )


def _unique(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i in ids:
        if i.lower() not in seen:
            seen.add(i.lower())
            out.append(i)
    return out


def _targets(
    svc: ServiceView | None, ids: list[str], region: str | None
) -> tuple[list[InstanceView], list[str]]:
    """(registered instances named by ``ids``, ids not registered now). An id registered in several regions
    needs --region."""
    insts = svc.instances if svc is not None else []
    found: list[InstanceView] = []
    unknown: list[str] = []
    for iid in ids:
        hits = [
            i for i in insts if _ieq(i.instance_id, iid) and (region is None or _ieq(i.region_id, region))
        ]
        if not hits:
            unknown.append(iid)
        elif len(hits) > 1:
            regions = ", ".join(sorted(str(h.region_id) for h in hits))
            raise InvalidArgumentError(
                f"--region: instance {iid} is registered in several regions ({regions}); name one"
            )
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
        raise NotFoundError(
            f"{what}; nothing was recorded (check the ids, or pass --force to record the pull-out ahead of "
            "registration)"
        )
    serving_total = svc.serving if svc is not None else 0
    hit = [i.instance_id for i in found if i.serving]
    already = [f"{i.instance_id} ({i.state})" for i in found if not i.serving]
    targets: list[tuple[str, str | None]] = [(i.instance_id, i.region_id) for i in found]
    targets += [(iid, region) for iid in unknown]
    plan: dict[str, Any] = {
        "operation": "pullout",
        "serviceId": svc.service_id if svc is not None else service_id,
        "instanceIds": [iid for iid, _ in targets],
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

    def run() -> None:
        for iid, in_region in targets:
            st.client.operate_instance(service_id, iid, "pullout", operator=op, region=in_region)

    carry_out(
        st,
        Plan(f"pull out {len(targets)} instance(s) of {service_id}", plan, lines),
        yes=yes,
        dry_run=dry_run,
        run=run,
        done=f"pulled out {len(targets)} instance(s) of {service_id} ({len(hit)} were serving)",
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
        found = next((i for i in svc.instances if _ieq(i.instance_id, iid)), None) if svc else None
        regions[iid] = region or (found.region_id if found else None)
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
        rows = [r for r in rows if _ieq(r.instance_key.service_id, service_id)]
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


def _rfc3339(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000.0, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


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
    from artemis_cli.views import ChangeLine
    from artemis_client.changes import Connected, Disconnected, ServerNotice
    from artemis_client.stream import SyncChangeStream

    st = state(ctx)
    ids = list(service_ids or [])
    stream = SyncChangeStream(st.settings.servers, ids, open_timeout=st.timeout)
    seen = 0
    try:
        for event in stream:
            if isinstance(event, Connected):
                st.out.message(f"watching {', '.join(ids) or 'every service'} on {event.server}")
                continue
            if isinstance(event, Disconnected):
                st.out.warn(f"change stream down ({event.reason}); reconnecting in {event.retry_in:g}s")
                continue
            if isinstance(event, ServerNotice):
                st.out.warn(f"server: {event.message}")
                continue
            line = ChangeLine(
                event.instance.service_id, event.change_type, _rfc3339(event.change_time), event.instance
            )
            if st.out.structured:
                st.out.json_line(line)
            else:
                st.out.line(
                    f"{line.change_time}  {line.change_type:<7} "
                    f"{line.service_id}/{event.instance.instance_id}  {event.instance.url or ''}"
                )
            seen += 1
            if max_events is not None and seen >= max_events:
                break
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()
    sys.stdout.flush()
