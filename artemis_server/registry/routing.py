"""Group routing (S9, S12): managed groups, tags, bindings, route rules and the F6 router over them.

Pure in-memory state, rebuilt from the store on start and updated after each committed write (the management
plane owns the writes). ``RoutingTable.route`` is the F6 step of the discovery chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from artemis_client.routing import CLOSE_BY, belongs, close_by_index, weighted_index
from artemis_client.routing import STRATEGIES as STRATEGIES
from artemis_client.routing import WEIGHT_MAX as WEIGHT_MAX
from artemis_client.routing import WEIGHT_MIN as WEIGHT_MIN
from artemis_client.routing import clamp_weight as clamp_weight
from artemis_client.routing import norm_strategy as norm_strategy
from artemis_client.wire.registry import Instance
from artemis_server.registry.discovery import ClientContext

# The rule evaluation itself (weights, close-by, membership) lives in artemis_client.routing, shared with
# the SDK so that a client routing from its cache picks exactly as this F6 step does; the names above are
# re-exported for the command builders.


def group_key(service_id: str, region_id: str, zone_id: str, name: str) -> str:
    return f"{service_id}:{region_id}:{zone_id}:{name}"


@dataclass(slots=True)
class Group:
    group_id: int
    service_id: str
    region_id: str
    zone_id: str
    name: str
    group_type: str = "physical"
    status: str = "active"
    description: str | None = None
    app_id: str | None = None
    created_at: int = 0
    updated_at: int = 0
    tags: dict[str, str] = field(default_factory=dict)  # insertion ordered

    @property
    def key(self) -> str:
        return group_key(self.service_id, self.region_id, self.zone_id, self.name)


@dataclass(slots=True)
class Binding:
    binding_id: int
    group_id: int
    instance_id: str
    service_id: str = ""
    region_id: str = ""
    zone_id: str = ""
    binding_type: str = "manual"
    operator_id: str = ""
    created_at: int = 0


@dataclass(slots=True)
class RuleGroup:
    row_id: int
    route_id: str
    group_ref: str  # as given: a free group name, an integer id or a group key
    weight: int
    region_id: str | None = None
    zone_id: str | None = None
    managed_id: int | None = None  # the managed group it resolves to, if any
    unreleased_weight: int | None = None
    order: tuple[Any, ...] = ()  # its place in the rule, the same on every node (store/routing_repo.py)


@dataclass(slots=True)
class Rule:
    rule_id: int
    route_id: str
    service_id: str
    name: str
    strategy: str = "weighted-round-robin"
    status: str = "inactive"
    description: str | None = None
    created_at: int = 0
    updated_at: int = 0
    groups: list[RuleGroup] = field(default_factory=list)  # order of addition (S9.2)
    # creation order, the same on every node (the stamp of the creating change; rows of other writers first)
    order: tuple[Any, ...] = ()


class RoutingTable:
    """All routing state plus the per-rule weighted-round-robin counters (S9.4)."""

    def __init__(self) -> None:
        self.groups: dict[int, Group] = {}
        self.group_by_key: dict[str, int] = {}
        self.bindings: dict[tuple[int, str], Binding] = {}
        self.rules: dict[str, Rule] = {}  # routeId -> rule
        self.counters: dict[str, int] = {}
        self._active: dict[str, Rule] = {}  # service id lower -> active rule
        # J admin surface: group operations (stored, no effect on discovery) and static service instances
        self.group_ops: dict[int, set[str]] = {}
        self.service_instances: dict[tuple[str, str], dict[str, Any]] = {}  # (service lower, instance id)

    # -- maintenance -----------------------------------------------------------------------------------
    def clear(self) -> None:
        self.groups.clear()
        self.group_by_key.clear()
        self.bindings.clear()
        self.rules.clear()
        self._active.clear()
        self.group_ops.clear()
        self.service_instances.clear()

    def put_group(self, g: Group) -> None:
        old = self.groups.get(g.group_id)
        if old is not None:
            self.group_by_key.pop(old.key, None)
        self.groups[g.group_id] = g
        self.group_by_key[g.key] = g.group_id

    def rebuild(self) -> None:
        """Recompute the active rule per service and the managed group each rule-group resolves to."""
        active: dict[str, Rule] = {}
        for rule in sorted(self.rules.values(), key=lambda r: r.order or (0, r.rule_id, "", 0)):
            for rg in rule.groups:
                rg.managed_id = self.resolve_group(rg.group_ref, rule.service_id)
            if rule.status == "active":
                active.setdefault(rule.service_id.casefold(), rule)
        self._active = active

    # -- lookups ------------------------------------------------------------------------------------------
    def group_by_ref(self, ref: str) -> Group | None:
        """A managed group by integer id or group key."""
        ref = ref.strip()
        if ref.isdigit():
            return self.groups.get(int(ref))
        gid = self.group_by_key.get(ref)
        return self.groups.get(gid) if gid is not None else None

    def resolve_group(self, ref: str, service_id: str) -> int | None:
        g = self.group_by_ref(ref)
        if g is not None:
            return g.group_id
        sid = service_id.casefold()
        for g in self.groups.values():
            if g.name == ref and g.service_id.casefold() == sid:
                return g.group_id
        return None

    def active_rule(self, service_id: str) -> Rule | None:
        return self._active.get(service_id.casefold())

    def bound_instance_ids(self, group_id: int) -> set[str]:
        return {b.instance_id for (gid, _), b in self.bindings.items() if gid == group_id}

    # -- F6 (S9) ---------------------------------------------------------------------------------------------
    def choose(self, rule: Rule, ctx: ClientContext) -> RuleGroup:
        groups = rule.groups
        if rule.strategy == CLOSE_BY:
            return groups[close_by_index([self.place(rg) for rg in groups], ctx.region_id, ctx.zone_id)]
        n = self.counters.get(rule.route_id, 0)
        self.counters[rule.route_id] = n + 1
        return groups[weighted_index([rg.weight for rg in groups], n)]

    def place(self, rg: RuleGroup) -> tuple[str | None, str | None]:
        """The (region, zone) a rule-group stands for: its own, else its managed group's (S9.6)."""
        return self._rg_region(rg), self._rg_zone(rg)

    def _rg_region(self, rg: RuleGroup) -> str | None:
        if rg.region_id:
            return rg.region_id
        g = self.groups.get(rg.managed_id) if rg.managed_id is not None else None
        return g.region_id if g else None

    def _rg_zone(self, rg: RuleGroup) -> str | None:
        if rg.zone_id:
            return rg.zone_id
        g = self.groups.get(rg.managed_id) if rg.managed_id is not None else None
        return g.zone_id if g else None

    def members(self, rg: RuleGroup, instances: list[Instance]) -> list[Instance]:
        """S9.7: by groupId equal to the reference, by the managed group's name, or by binding."""
        ref = rg.group_ref.casefold()
        managed = self.groups.get(rg.managed_id) if rg.managed_id is not None else None
        if managed is None:
            return [i for i in instances if belongs(i, ref, None, ())]
        bound = self.bound_instance_ids(managed.group_id)
        return [i for i in instances if belongs(i, ref, managed.name, bound)]

    def route(self, service_id: str, instances: list[Instance], ctx: ClientContext) -> list[Instance]:
        rule = self._active.get(service_id.casefold())
        if rule is None or not rule.groups:
            return instances
        chosen = self.choose(rule, ctx)
        members = self.members(chosen, instances)
        return members or instances  # S9.8 fallback
