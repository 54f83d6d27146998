"""Views: the node's management and routing state rendered as the wire shapes of artemis_client.wire.

Every answer that shows a group, a rule, a rule-group, a binding, a canary config, an operation record, a
zone record or a console user, session or login is built here and nowhere else, for the R paths, the J
paths and the management commands' answers alike. The J and R views of one object read the same state:
they differ where the references differ (J addresses rows by integer id and shows a group's tags as
``metadata``; R shows group keys and tag lists).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artemis_client.wire.auth import LoginHistory, Session, User
from artemis_client.wire.management import (
    CanaryConfig,
    InstanceOperationRecord,
    InstanceOperations,
    KeyIn,
    ServerKey,
    ServerOperationInfo,
    ServerOperations,
    ZoneKey,
    ZoneOperationRecord,
    ZoneOperations,
    ZoneStatus,
)
from artemis_client.wire.registry import InstanceKey, RouteGroup, RouteRuleView
from artemis_client.wire.routing import (
    GroupInstance,
    GroupTag,
    JGroup,
    JGroupInstance,
    JGroupOps,
    JGroupTags,
    JRule,
    JRuleGroup,
    JServiceInstance,
    RouteRule,
    RouteRuleGroup,
    ServiceGroup,
)
from artemis_server.registry.model import identity

if TYPE_CHECKING:
    from artemis_server.registry.routing import Binding, Group, RoutingTable, Rule, RuleGroup
    from artemis_server.registry.visibility import CanaryConfig as CanaryState
    from artemis_server.registry.visibility import ManagementState


# -- routing, R (api.md 1.5) ---------------------------------------------------------------------------------


def group_tags(g: Group) -> list[GroupTag]:
    return [GroupTag(k, v) for k, v in g.tags.items()]


def group_view(g: Group) -> ServiceGroup:
    return ServiceGroup(
        group_id=g.group_id,
        service_id=g.service_id,
        region_id=g.region_id,
        zone_id=g.zone_id,
        name=g.name,
        group_type=g.group_type,
        status=g.status,
        group_key=g.key,
        created_at=g.created_at,
        updated_at=g.updated_at,
        description=g.description,
        tags=group_tags(g) or None,
    )


def service_groups(table: RoutingTable, service_id: str) -> list[ServiceGroup]:
    """The managed groups of a service, by row id (J admin service.json)."""
    sid = service_id.casefold()
    groups = sorted(table.groups.values(), key=lambda g: g.group_id)
    return [group_view(g) for g in groups if g.service_id.casefold() == sid]


def rule_view(r: Rule) -> RouteRule:
    return RouteRule(
        route_rule_id=r.rule_id,
        route_id=r.route_id,
        service_id=r.service_id,
        name=r.name,
        status=r.status,
        strategy=r.strategy,
        groups=[RouteGroup(rg.group_ref, rg.weight) for rg in r.groups],
        created_at=r.created_at,
        updated_at=r.updated_at,
        description=r.description,
    )


def route_rule_view(r: Rule) -> RouteRuleView:
    """The active rule as a discovery answer carries it for Java clients that route themselves (S9.9)."""
    return RouteRuleView(r.route_id, r.strategy, [RouteGroup(rg.group_ref, rg.weight) for rg in r.groups])


def client_rule_view(r: Rule, table: RoutingTable) -> RouteRuleView:
    """The active rule for a client that asked for ``clientRouting`` (docs/sdk.md): besides the reference
    and weight of each group, what the client needs to route exactly as F6 does: the group's location
    (close-by) and managed name in ``metadata``, the instances bound to it in ``instanceIds``."""
    from artemis_client.routing import META_NAME, META_REGION, META_ZONE  # the keys the SDK reads

    groups = []
    for rg in r.groups:
        region, zone = table.place(rg)
        managed = table.groups.get(rg.managed_id) if rg.managed_id is not None else None
        named = ((META_REGION, region), (META_ZONE, zone), (META_NAME, managed.name if managed else None))
        meta = {k: v for k, v in named if v}
        bound = sorted(table.bound_instance_ids(managed.group_id)) if managed is not None else []
        groups.append(RouteGroup(rg.group_ref, rg.weight, instance_ids=bound or None, metadata=meta or None))
    return RouteRuleView(r.route_id, r.strategy, groups)


def rule_group_view(rg: RuleGroup) -> RouteRuleGroup:
    return RouteRuleGroup(
        route_rule_id=rg.route_id,
        group_id=rg.group_ref,
        weight=rg.weight,
        unreleasable=False,
        region_id=rg.region_id or None,
        zone_id=rg.zone_id or None,
    )


def binding_view(b: Binding) -> GroupInstance:
    return GroupInstance(
        id=b.binding_id,
        group_id=b.group_id,
        instance_id=b.instance_id,
        region_id=b.region_id,
        zone_id=b.zone_id,
        service_id=b.service_id,
        binding_type=b.binding_type,
        operator_id=b.operator_id,
        created_at=b.created_at,
    )


# -- routing, J (/api/management/group/*.json) ---------------------------------------------------------------


def group_j(g: Group) -> JGroup:
    return JGroup(
        group_id=g.group_id,
        service_id=g.service_id,
        region_id=g.region_id,
        zone_id=g.zone_id,
        name=g.name,
        app_id=g.app_id or g.service_id,
        status=g.status,
        group_key=g.key,
        description=g.description,
        metadata=dict(g.tags) if g.tags else None,
    )


def rule_j(r: Rule) -> JRule:
    return JRule(
        route_rule_id=r.rule_id,
        service_id=r.service_id,
        name=r.route_id,
        status=r.status,
        strategy=r.strategy,
        description=r.description,
    )


def rule_group_j(r: Rule, rg: RuleGroup) -> JRuleGroup:
    return JRuleGroup(
        route_rule_group_id=rg.row_id,
        route_rule_id=r.rule_id,
        group_id=rg.managed_id if rg.managed_id is not None else rg.group_ref,
        weight=rg.weight,
        unreleased_weight=rg.unreleased_weight,
    )


def group_tags_j(g: Group, tags: dict[str, str] | None = None) -> JGroupTags:
    return JGroupTags(g.group_id, dict(g.tags) if tags is None else tags)


def group_ops_j(table: RoutingTable, g: Group) -> JGroupOps:
    return JGroupOps(g.group_id, sorted(table.group_ops.get(g.group_id, ())))


def binding_j(b: Binding) -> JGroupInstance:
    return JGroupInstance(b.binding_id, b.group_id, b.instance_id)


def service_instance_j(doc: dict[str, Any], metadata: Any) -> JServiceInstance:
    """A static service instance as loaded (``doc``: its non-null columns by J name), ``metadata`` parsed."""
    return JServiceInstance(
        id=doc.get("id"),
        service_id=doc.get("serviceId"),
        instance_id=doc.get("instanceId"),
        ip=doc.get("ip"),
        machine_name=doc.get("machineName"),
        metadata=metadata,
        port=doc.get("port"),
        protocol=doc.get("protocol"),
        region_id=doc.get("regionId"),
        zone_id=doc.get("zoneId"),
        group_id=doc.get("groupId"),
        health_check_url=doc.get("healthCheckUrl"),
        url=doc.get("url"),
        description=doc.get("description"),
    )


# -- canary (S11) ------------------------------------------------------------------------------------------


def canary_view(c: CanaryState) -> CanaryConfig:
    return CanaryConfig(c.service_id, list(c.ip_whitelist), c.enabled)


# -- operation records (S10) ---------------------------------------------------------------------------------


def _in_region(region: str | None, value: str) -> bool:
    return not region or value.casefold() == region.casefold()


def instance_records(
    mgmt: ManagementState, region: str | None
) -> tuple[list[InstanceOperationRecord], list[InstanceOperations]]:
    """Every instance operation record (R) and the operations per instance (J ``allInstanceOperations``)."""
    records: list[InstanceOperationRecord] = []
    grouped: list[InstanceOperations] = []
    for key, ops in mgmt.instance_ops.items():
        r, s, i = mgmt.instance_keys[key]
        if not _in_region(region, r):
            continue
        for rec in ops.values():
            out_key = InstanceKey(r, "", s, "", i)
            records.append(
                InstanceOperationRecord(
                    out_key, rec.operation, rec.effective, rec.operator_id, rec.token or None
                )
            )
        grouped.append(InstanceOperations(KeyIn(r, s, i), sorted(ops)))
    return records, grouped


def instance_operations(mgmt: ManagementState, names: tuple[str, str, str]) -> InstanceOperations:
    """The operations of one instance; ``names``: (region, service, instance) as the caller spelled them."""
    ops = mgmt.instance_ops.get(identity(*names), {})
    return InstanceOperations(KeyIn(names[0], names[1], names[2]), sorted(ops))


def server_records(
    mgmt: ManagementState, region: str | None
) -> tuple[list[ServerOperationInfo], list[ServerOperations]]:
    """Every server operation record (R) and the operations per server (J ``allServerOperations``)."""
    records: list[ServerOperationInfo] = []
    grouped: list[ServerOperations] = []
    for key, ops in mgmt.server_ops.items():
        r = mgmt.server_regions[key]
        if not _in_region(region, r):
            continue
        server_id = key[1]
        records += [ServerOperationInfo(server_id, r, rec.operation) for rec in ops.values()]
        grouped.append(ServerOperations(ServerKey(r, server_id), sorted(ops)))
    return records, grouped


def server_operations(mgmt: ManagementState, region: str, server_id: str) -> ServerOperations:
    ops = mgmt.server_ops.get((region.casefold(), server_id), {})
    return ServerOperations(ServerKey(region, server_id), sorted(ops))


# -- zones (S10.8) -------------------------------------------------------------------------------------------


def zone_status(mgmt: ManagementState, region: str, zone: str) -> ZoneStatus:
    ops = mgmt.zone_ops.get((region.casefold(), zone, ""), {})
    rec = ops.get("pullout") or next(iter(ops.values()), None)
    return ZoneStatus(
        zone,
        region,
        mgmt.is_zone_down(region, zone),
        rec.operation if rec is not None else None,
        rec.operator_id if rec is not None else None,
    )


def zone_records(mgmt: ManagementState, region: str | None) -> list[ZoneOperationRecord]:
    """The current zone operations (R), sorted by region, zone and service."""
    out: list[ZoneOperationRecord] = []
    for key, ops in mgmt.zone_ops.items():
        r, z, s = mgmt.zone_keys[key]
        if not _in_region(region, r):
            continue
        for rec in ops.values():
            out.append(ZoneOperationRecord(z, r, rec.operation, rec.operator_id, int(rec.time), s or None))
    out.sort(key=lambda d: (d.region_id, d.zone_id, d.service_id or ""))
    return out


def zone_operations(
    mgmt: ManagementState, region: str | None, service: str | None, zone: str | None
) -> list[ZoneOperations]:
    """The operations per zone key (J), filtered by region, service (``""``: every service) and zone."""
    out: list[ZoneOperations] = []
    for key, ops in mgmt.zone_ops.items():
        r, z, s = mgmt.zone_keys[key]
        if not _in_region(region, r):
            continue
        if service is not None and s.casefold() != service.casefold():
            continue
        if zone and z != zone:
            continue
        out.append(ZoneOperations(ZoneKey(r, s, z), sorted(ops)))
    return out


def zone_key_operations(mgmt: ManagementState, region: str, zone: str, service: str) -> ZoneOperations:
    ops = mgmt.zone_ops.get((region.casefold(), zone, service.casefold()), {})
    return ZoneOperations(ZoneKey(region, service, zone), sorted(ops))


# -- console users (S19, api.md 1.6) ----------------------------------------------------------------------


def user_view(u: dict[str, Any]) -> User:
    """User (api.md 1.6) from its row; the password hash is never written."""
    return User(
        user_id=u["user_id"],
        username=u["username"],
        email=u.get("email") or None,
        description=u.get("description") or None,
        role=u["role"],
        status=u["status"],
        created_at=u["created_at"],
        updated_at=u["updated_at"],
    )


def session_view(s: dict[str, Any]) -> Session:
    """Session (api.md 1.6) from its row; the token fingerprint is never written."""
    return Session(
        session_id=s["session_id"],
        user_id=s["user_id"],
        ip_address=s.get("ip_address") or None,
        user_agent=s.get("user_agent") or None,
        created_at=s["created_at"],
        expires_at=s["expires_at"],
        last_activity=s["last_activity"],
    )


def history_view(h: dict[str, Any]) -> LoginHistory:
    """LoginHistory (api.md 1.6) from its row."""
    return LoginHistory(
        h["id"],
        h["user_id"],
        h["login_time"],
        h.get("ip_address") or "",
        h.get("user_agent") or "",
        h["status"],
    )
