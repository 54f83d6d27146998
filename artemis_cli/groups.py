"""Naming groups and rules' groups the one way every `route` command accepts (see `commands/route.py`): a
group's integer id, its key ``SERVICE:REGION:ZONE:NAME`` or a bare name with its service; exit 3 when the
group does not exist, exit 2 when a name is ambiguous."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artemis_cli import inventory
from artemis_client.errors import InvalidArgumentError, NotFoundError

if TYPE_CHECKING:
    from artemis_client.wire.routing import RouteRule, ServiceGroup


def group_key(g: ServiceGroup) -> str:
    return g.group_key or f"{g.service_id}:{g.region_id}:{g.zone_id}:{g.name}"


def _same_key(g: ServiceGroup, parts: list[str]) -> bool:
    """Group keys: service and region case-insensitive, zone and name exact (S1.3, S1.4)."""
    service, region, zone, name = parts
    return (
        inventory.ieq(g.service_id, service)
        and inventory.ieq(g.region_id, region)
        and g.zone_id == zone
        and g.name == name
    )


def resolve_group(st: Any, ref: str, service: str | None = None) -> ServiceGroup:
    """The managed group named by ``ref`` (see the module docstring); exit 3 when there is none."""
    ref = ref.strip()
    if ref.isdigit():
        found: ServiceGroup = st.client.group_by_id(int(ref))
        return found
    parts = ref.split(":")
    if len(parts) == 4 and all(p.strip() for p in parts):
        for g in st.client.group_list(service_id=parts[0]):
            if _same_key(g, parts):
                return g
        raise NotFoundError(f"group {ref} not found")
    if ":" in ref:
        raise InvalidArgumentError(
            f"GROUP: {ref!r} is neither a groupId, nor SERVICE:REGION:ZONE:NAME, nor a group name"
        )
    if not service:
        raise InvalidArgumentError(
            f"GROUP: {ref!r} is a bare group name: give its service with -s SERVICE "
            "(or name the group by its groupId or SERVICE:REGION:ZONE:NAME)"
        )
    named: list[ServiceGroup] = [g for g in st.client.group_list(service_id=service) if g.name == ref]
    region, zone = st.settings.region, st.settings.zone
    if region:
        named = [g for g in named if inventory.ieq(g.region_id, region)]
    if zone:
        named = [g for g in named if g.zone_id == zone]
    if not named:
        where = "".join(f" {k} {x}" for k, x in (("in region", region), ("zone", zone)) if x)
        raise NotFoundError(f"group {ref} of service {service}{where} not found")
    if len(named) > 1:
        keys = ", ".join(sorted(group_key(g) for g in named))
        raise InvalidArgumentError(
            f"GROUP: {len(named)} groups of {service} are named {ref} ({keys}); give one of these keys"
        )
    return named[0]


def rule_group(st: Any, rule: RouteRule, ref: str, service: str | None) -> ServiceGroup:
    """The managed group ``ref`` names, which must belong to the rule's service."""
    g = resolve_group(st, ref, service or rule.service_id)
    if not inventory.ieq(g.service_id, rule.service_id):
        raise InvalidArgumentError(
            f"GROUP: group {group_key(g)} belongs to service {g.service_id}, rule "
            f"{rule.route_id} routes service {rule.service_id}"
        )
    return g


def in_rule(st: Any, rule: RouteRule, ref: str, service: str | None) -> str:
    """The rule group ``ref`` names, as the rule stores it (its groupId string); exit 3 when it has none."""
    rule_id = rule.route_id
    stored = [rg.group_id for rg in st.client.rule_groups(rule_id)]
    if ref.strip() in stored:
        return ref.strip()
    g = rule_group(st, rule, ref, service)
    names = {group_key(g), str(g.group_id), g.name}
    for gid in stored:
        if gid in names:
            return gid
    raise NotFoundError(f"group {group_key(g)} is not in rule {rule_id}")
