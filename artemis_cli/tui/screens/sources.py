"""What the console's screens read and write, as ``artemis_client.wire`` Structs or small typed views.

Every new screen (Overview, Cluster, Routing, Zones, Canary, Audit, Users) reads through this one module, so
moving them onto a typed client is a change here only. Calls go through ``ArtemisDashboard.call`` (shared
client, failover, connection state), user administration and the discovery call on behalf of a client IP
included (``artemis_cli.client``: one client core for the CLI, the console and the SDK).

The nodes and their metrics over time are read by ``screens/nodes.py``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from artemis_cli.tui import data
from artemis_client.errors import ArtemisError, NotFoundError, TransportError
from artemis_client.wire import codec
from artemis_client.wire.audit import AuditLog
from artemis_client.wire.auth import LoginHistory, Session, User
from artemis_client.wire.management import CanaryConfig
from artemis_client.wire.registry import Instance
from artemis_client.wire.routing import RouteRule, ServiceGroup

if TYPE_CHECKING:
    from artemis_cli.tui.app import ArtemisDashboard

T = TypeVar("T")


def typed(items: Iterable[Any] | None, tp: type[T]) -> list[T]:
    """Decode JSON objects of an answer into wire Structs (tolerant keys, as every reader of ours)."""
    return [codec.convert(x, tp) for x in items or [] if isinstance(x, dict)]


# -- services and instances --------------------------------------------------------------------------------


@dataclass(slots=True)
class Inventory:
    """Every registered instance (admin view when allowed) with the pull-outs in force, and the counts per
    service. ``raw`` stays JSON and the counts are made in the reader thread (``admin_or_discovery``):
    decoding 10,000 instances into Structs on the event loop cost 300 ms frames for counts only."""

    pulls: data.PullOuts
    canaries: list[CanaryConfig]
    raw: list[dict[str, Any]]
    counts: list[data.ServiceCounts]


async def inventory(dash: ArtemisDashboard) -> Inventory:
    from artemis_cli.tui.screens.services import admin_or_discovery, load_canaries, load_pullouts

    pulls = await load_pullouts(dash)
    canary_json = await load_canaries(dash)

    def digest(services: Any) -> tuple[list[dict[str, Any]], list[data.ServiceCounts]]:
        raw = list(services or [])
        return raw, data.service_counts(raw, pulls, canary_json)

    raw, counts = await admin_or_discovery(dash, digest=digest)
    return Inventory(pulls, typed(canary_json, CanaryConfig), raw, counts)


# -- zones ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ZoneView:
    """A zone of a region: its registered instances, how many serve, and the zone pull-outs in force."""

    region: str
    zone: str
    instances: int = 0
    serving: int = 0
    services: set[str] = field(default_factory=set)
    pulled_out: bool = False  # the whole zone (every service)
    pulled_services: list[str] = field(default_factory=list)  # zone pull-outs scoped to one service (J)
    operator: str = ""

    @property
    def key(self) -> str:
        return f"{self.region.lower()}|{self.zone.lower()}"

    @property
    def state(self) -> str:
        if self.pulled_out:
            return "pulled out"
        if self.pulled_services:
            return f"pulled out for {len(self.pulled_services)} service(s)"
        return "serving"


async def zones(dash: ArtemisDashboard) -> tuple[list[ZoneView], data.PullOuts]:
    """Every zone that has instances or a pull-out, and the pull-outs in force (for the modal)."""
    inv = await inventory(dash)
    try:
        ops = await dash.call(dash.api.zone_operations())
    except TransportError:
        raise
    except ArtemisError:
        ops = []
    out: dict[str, ZoneView] = {}

    def view(region: str | None, zone: str | None) -> ZoneView:
        z = ZoneView(region or "default", zone or "")
        return out.setdefault(z.key, z)

    for svc in inv.raw:
        for inst in svc.get("instances") or []:
            z = view(inst.get("regionId"), inst.get("zoneId"))
            z.instances += 1
            z.services.add(str(svc.get("serviceId") or ""))
            if not inv.pulls.reason(inst):
                z.serving += 1
    for op in ops:
        if op.operation.lower() != "pullout":
            continue
        z = view(op.region_id, op.zone_id)
        if op.service_id:
            z.pulled_services.append(op.service_id)
        else:
            z.pulled_out = True
            z.operator = op.operator_id
    return sorted(out.values(), key=lambda z: z.key), inv.pulls


# -- canary --------------------------------------------------------------------------------------------------


def check_ip_entry(text: str) -> str:
    """One whitelist entry: an IP address or a CIDR block (normalised). Raises ValueError naming it."""
    entry = text.strip()
    try:
        if "/" in entry:
            return str(ipaddress.ip_network(entry, strict=False))
        return str(ipaddress.ip_address(entry))
    except ValueError:
        raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None


def parse_whitelist(text: str) -> list[str]:
    """Comma- or space-separated IPs / CIDR blocks; every entry validated, duplicates dropped."""
    out: list[str] = []
    for part in text.replace(",", " ").split():
        e = check_ip_entry(part)
        if e not in out:
            out.append(e)
    return out


async def canaries(dash: ArtemisDashboard) -> list[CanaryConfig]:
    return sorted(await dash.call(dash.api.canary_list()), key=lambda c: c.service_id.lower())


async def canary(dash: ArtemisDashboard, service_id: str) -> CanaryConfig | None:
    try:
        return await dash.call(dash.api.canary_get(service_id))
    except NotFoundError:
        return None


async def seen_by(dash: ArtemisDashboard, service_id: str, client_ip: str) -> list[Instance]:
    """The instances discovery gives a client at ``client_ip`` (the server applies the canary filter, F5,
    to ``discoveryData.clientIp``, S7.5)."""
    svc = await dash.call(dash.api.service_for_client(service_id, client_ip))
    return list(svc.instances) if svc is not None else []


async def served_by_service(dash: ArtemisDashboard) -> dict[str, list[dict[str, Any]]]:
    """Instances discovery serves now, by lower-cased service id (what a canary change acts on)."""
    services = data.plain(await dash.call(dash.api.services()))
    return {data.low(s.get("serviceId")): list(s.get("instances") or []) for s in services or []}


async def registered_status(dash: ArtemisDashboard, service_id: str) -> dict[str, str]:
    """The status each instance of the service is registered with (``region|instance`` -> status), pulled out
    or not (the admin view reports ``down`` for a pulled-out one); {} when the server does not serve it."""
    try:
        services = await dash.call(dash.api.instances(service_id))
    except TransportError:
        raise
    except ArtemisError:
        return {}
    return {
        f"{data.low(r.instance.region_id)}|{r.instance.instance_id.lower()}": r.instance.status or "unknown"
        for s in services
        for r in s.instances
    }


async def pullout_radius(dash: ArtemisDashboard, service_id: str, keys: set[str], what: str) -> list[str]:
    """The blast radius of pulling out the instances ``keys`` (``region|instance``, lower case) of one
    service: what its clients stop receiving, from the discovery view."""
    from artemis_cli.blast import by_service, lines_for

    served = [s for s in await dash.call(dash.api.services()) if s.service_id.lower() == service_id.lower()]
    return lines_for(
        by_service(served, lambda i: f"{data.low(i.region_id)}|{i.instance_id.lower()}" in keys), what
    )


async def operate_instances(
    dash: ArtemisDashboard, instances: list[dict[str, Any]], op: str
) -> list[tuple[str, ArtemisError]]:
    """Pull each instance out or in (effective at once, one R operation each); returns the failures as
    (instance id, error), the others are done. A single instance is a bulk of one (``confirm_pull``)."""
    failed = []
    for inst in instances:
        try:
            await dash.call(
                dash.api.operate_instance(
                    str(inst.get("serviceId")),
                    str(inst.get("instanceId")),
                    op,
                    operator=dash.operator,
                    region=inst.get("regionId") or None,
                    complete=True,
                )
            )
        except TransportError:
            raise
        except ArtemisError as exc:
            failed.append((str(inst.get("instanceId")), exc))
    return failed


async def save_canary(dash: ArtemisDashboard, service_id: str, ips: list[str], enabled: bool) -> None:
    await dash.call(dash.api.canary_set(service_id, ips, operator=dash.operator, enabled=enabled))


async def delete_canary(dash: ArtemisDashboard, service_id: str) -> None:
    await dash.call(dash.api.canary_delete(service_id, operator=dash.operator))


# -- routing -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Routing:
    """Groups and rules of one service, and the instances bound to each group."""

    service_id: str
    groups: list[ServiceGroup]
    rules: list[RouteRule]
    bound: dict[str, list[str]]  # group key -> instance ids of the group (S12.8)


async def routing(dash: ArtemisDashboard, service_id: str) -> Routing:
    groups = await dash.call(dash.api.group_list(service_id))
    rules = await dash.call(dash.api.rule_list(service_id))
    bound_lists = await asyncio.gather(*(dash.call(dash.api.group_instances(g.group_key)) for g in groups))
    bound = {g.group_key: [i.instance_id for i in b] for g, b in zip(groups, bound_lists, strict=True)}
    return Routing(service_id, groups, rules, bound)


async def routed_services(dash: ArtemisDashboard) -> list[str]:
    """Services that have groups or rules (and every registered service, to create the first one)."""
    names = {s.service_id for s in await dash.call(dash.api.services())}
    for g in await dash.call(dash.api.group_list()):
        names.add(g.service_id)
    for r in await dash.call(dash.api.rule_list()):
        names.add(r.service_id)
    return sorted((n for n in names if n), key=str.lower)


def weight_shares(weights: dict[str, int]) -> dict[str, float]:
    """Configured share of each group (weights over their sum)."""
    total = sum(max(w, 0) for w in weights.values())
    return {k: (max(w, 0) / total if total else 0.0) for k, w in weights.items()}


async def observed_split(
    dash: ArtemisDashboard, service_id: str, groups: dict[str, set[str]], samples: int = 100
) -> tuple[dict[str, float], int]:
    """Share of single-instance lookups (S8) answered by each group's instances, over ``samples`` lookups:
    the split clients really get. ``groups`` maps a group key to its bound instance ids (lower case)."""
    hits: dict[str, int] = dict.fromkeys(groups, 0)
    done = 0
    for _ in range(samples):
        try:
            inst = await dash.call(dash.api.lookup(service_id))
        except NotFoundError:
            break
        done += 1
        iid = inst.instance_id.lower()
        for key, ids in groups.items():
            if iid in ids:
                hits[key] += 1
    return ({k: (v / done if done else 0.0) for k, v in hits.items()}, done)


async def publish_rule(dash: ArtemisDashboard, route_id: str, publish: bool) -> None:
    await dash.call(dash.api.rule_publish(route_id, publish=publish, operator=dash.operator))


async def update_rule(dash: ArtemisDashboard, route_id: str, name: str, strategy: str) -> None:
    await dash.call(dash.api.rule_update(route_id, operator=dash.operator, name=name, strategy=strategy))


async def set_weight(dash: ArtemisDashboard, route_id: str, group_key: str, weight: int) -> None:
    await dash.call(dash.api.rule_group_update(route_id, group_key, weight, operator=dash.operator))


async def add_rule_group(dash: ArtemisDashboard, route_id: str, group_key: str, weight: int) -> None:
    await dash.call(dash.api.rule_group_add(route_id, group_key, weight, operator=dash.operator))


async def create_rule(
    dash: ArtemisDashboard, service_id: str, route_id: str, name: str, strategy: str
) -> None:
    await dash.call(
        dash.api.rule_create(
            route_id=route_id, service_id=service_id, name=name, strategy=strategy, operator=dash.operator
        )
    )


async def create_group(
    dash: ArtemisDashboard, service_id: str, region: str, zone: str, name: str, group_type: str
) -> None:
    await dash.call(
        dash.api.group_create(
            service_id=service_id,
            region=region,
            zone=zone,
            name=name,
            group_type=group_type,
            operator=dash.operator,
        )
    )


async def bind(dash: ArtemisDashboard, group: ServiceGroup, instance_id: str) -> None:
    await dash.call(
        dash.api.group_bind(
            group.group_key,
            instance_id=instance_id,
            service_id=group.service_id,
            region=group.region_id,
            zone=group.zone_id,
            operator=dash.operator,
        )
    )


# -- audit ---------------------------------------------------------------------------------------------------

SINCE = {"15m": 900, "1h": 3600, "24h": 86400, "7d": 7 * 86400}


async def audit(
    dash: ArtemisDashboard,
    *,
    operator: str = "",
    operation: str = "",
    service: str = "",
    since: str = "",
    limit: int = 500,
) -> list[AuditLog]:
    """Audit records newest first; operator / operation / time range are filtered by the server, the
    service by target (a record's target names its service as ``service...`` or ``...:service:...``)."""
    secs = SINCE.get(since)
    logs = await dash.call(
        dash.api.audit_logs(
            operator=operator or None,
            operation=operation or None,
            since=int(time.time()) - secs if secs else None,
            limit=limit,
        )
    )
    s = service.lower()
    if s:
        logs = [x for x in logs if _targets_service(x.target_id.lower(), s)]
    return sorted(logs, key=lambda x: -x.log_id)


def _targets_service(target: str, service: str) -> bool:
    parts = target.replace("/", ":").split(":")
    return service in parts or target.startswith(service)


# -- users (auth 2.12) ---------------------------------------------------------------------------------------


async def users(dash: ArtemisDashboard) -> list[User]:
    return sorted(await dash.call(dash.api.users()), key=lambda u: u.username.lower())


async def sessions(dash: ArtemisDashboard) -> list[Session]:
    return await dash.call(dash.api.sessions())


async def login_history(dash: ArtemisDashboard, user_id: str) -> list[LoginHistory]:
    return sorted(await dash.call(dash.api.login_history(user_id)), key=lambda h: -h.login_time)


async def roles(dash: ArtemisDashboard) -> list[str]:
    return [str(r) for r in await dash.call(dash.api.roles()) or []]


async def create_user(dash: ArtemisDashboard, username: str, password: str, role: str, email: str) -> User:
    return await dash.call(dash.api.user_create(username, password, role, email=email or None))


async def update_user(dash: ArtemisDashboard, user_id: str, *, role: str) -> User:
    return await dash.call(dash.api.user_update(user_id, role=role))


async def set_user_status(dash: ArtemisDashboard, user_id: str, status: str) -> User:
    return await dash.call(dash.api.user_set_status(user_id, status))


async def reset_password(dash: ArtemisDashboard, user_id: str, new_password: str) -> None:
    await dash.call(dash.api.password_reset(user_id, new_password))
