"""Group routing (S9) as pure functions: the one implementation the server's F6 step and the SDK both run.

The server evaluates the active route rule of a service on every discovery call (``RoutingTable.route`` in
``artemis_server/registry/routing.py``); the SDK evaluates the same rule per pick from its cache, so weighted
routing does not freeze into whatever one discovery answer happened to choose. Both call these functions,
so a client routes exactly as the server would: the same weights (clamped to 1..100, S9.3), the same
weighted-round-robin walk (S9.4), the same close-by choice (S9.6), the same membership rule (S9.7) and the
same fallback to every instance when the chosen group is empty (S9.8).

:class:`RouteRule` / :class:`RouteGroup` are the client's frozen view of an active rule (built from the
``routeRules`` a node writes when asked for unrouted instances, see docs/decisions.md "Python SDK"). The
server keeps its own mutable rule records and calls the index functions directly.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from artemis_client.wire.registry import Instance, RouteRuleView

__all__ = [
    "CLOSE_BY",
    "STRATEGIES",
    "WEIGHTED",
    "WEIGHT_MAX",
    "WEIGHT_MIN",
    "RouteGroup",
    "RouteRule",
    "belongs",
    "clamp_weight",
    "close_by_index",
    "norm_strategy",
    "rule_from_view",
    "weighted_index",
]

WEIGHT_MIN, WEIGHT_MAX = 1, 100
WEIGHTED = "weighted-round-robin"
CLOSE_BY = "close-by-visit"
STRATEGIES = (WEIGHTED, CLOSE_BY)

# Keys of a route group's ``metadata`` in the ``routeRules`` written for clients that route themselves: the
# group's location (for close-by) and the managed group's name (membership rule S9.7 b).
META_REGION = "regionId"
META_ZONE = "zoneId"
META_NAME = "groupName"


def clamp_weight(value: int) -> int:
    """S9.3: weights are clamped to 1..100 (compatibility with clients that send 0 or 1000)."""
    return max(WEIGHT_MIN, min(WEIGHT_MAX, int(value)))


def norm_strategy(value: str) -> str | None:
    """The canonical strategy name for any spelling (N6), or None when it names no strategy."""
    compact = value.strip().lower().replace("_", "").replace("-", "")
    for s in STRATEGIES:
        if compact == s.replace("-", ""):
            return s
    return None


def weighted_index(weights: Sequence[int], counter: int) -> int:
    """S9.4: the group chosen by evaluation number ``counter`` (0, 1, 2, ...) of a weighted-round-robin rule.

    ``p = counter mod sum(weights)``; the first group whose cumulative weight exceeds ``p`` wins, so weights
    70/30 give the first group for counters 0..69 and the second for 70..99, exactly 70/30 over any 100
    consecutive evaluations.
    """
    total = sum(weights)
    p = counter % total if total > 0 else 0
    acc = 0
    for i, w in enumerate(weights):
        acc += w
        if acc > p:
            return i
    return len(weights) - 1


def close_by_index(
    locations: Sequence[tuple[str | None, str | None]], region: str | None, zone: str | None
) -> int:
    """S9.6: the first group in the client's region (case-insensitive), else the first in its zone (exact),
    else the first group. ``locations`` holds each group's (region, zone)."""
    want = (region or "").casefold()
    if want:
        for i, (r, _) in enumerate(locations):
            if (r or "").casefold() == want:
                return i
    if zone:
        for i, (_, z) in enumerate(locations):
            if z == zone:
                return i
    return 0


def belongs(inst: Instance, ref_folded: str, managed_name: str | None, bound: Collection[str]) -> bool:
    """S9.7: an instance is in a rule-group when its effective ``groupId`` (blank = ``default``) equals the
    group reference (case-insensitive), or equals the managed group's name, or it is bound to that group."""
    gid = inst.group_id or "default"
    if gid.casefold() == ref_folded:
        return True
    return managed_name is not None and (gid == managed_name or inst.instance_id in bound)


@dataclass(frozen=True, slots=True)
class RouteGroup:
    """One group of an active rule, as a client routes with it."""

    ref: str  # the rule-group's reference: a free group name, a managed group id or key
    weight: int
    region_id: str | None = None
    zone_id: str | None = None
    managed_name: str | None = None  # the managed group's name when the reference resolves to one
    bound: frozenset[str] = frozenset()  # instance ids bound to that managed group

    def members(self, instances: Iterable[Instance]) -> list[Instance]:
        """The instances of this group (S9.7), in their given order."""
        ref = self.ref.casefold()
        return [i for i in instances if belongs(i, ref, self.managed_name, self.bound)]


@dataclass(frozen=True, slots=True)
class RouteRule:
    """The active rule of a service, plus this process's weighted-round-robin counter (S9.4: one counter per
    rule, kept while the rule is unchanged). ``next(counter)`` is atomic in CPython, so concurrent picks
    from several threads share the counter without a lock."""

    route_id: str
    strategy: str
    groups: tuple[RouteGroup, ...]
    _weights: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _places: tuple[tuple[str | None, str | None], ...] = field(init=False, repr=False, compare=False)
    _counter: itertools.count[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_weights", tuple(g.weight for g in self.groups))
        object.__setattr__(self, "_places", tuple((g.region_id, g.zone_id) for g in self.groups))
        object.__setattr__(self, "_counter", itertools.count())

    def choose_index(self, region: str | None = None, zone: str | None = None) -> int:
        """One evaluation of the rule: the index of the chosen group (advances the weighted counter, as the
        server does on every discovery call)."""
        if self.strategy == CLOSE_BY:
            return close_by_index(self._places, region, zone)
        return weighted_index(self._weights, next(self._counter))

    def choose(self, region: str | None = None, zone: str | None = None) -> RouteGroup:
        """One evaluation of the rule: the chosen group."""
        return self.groups[self.choose_index(region, zone)]

    def route(
        self, instances: Sequence[Instance], region: str | None = None, zone: str | None = None
    ) -> list[Instance]:
        """F6: the chosen group's members, or every instance when the group has none (S9.8)."""
        if not self.groups or not instances:
            return list(instances)
        return self.choose(region, zone).members(instances) or list(instances)


def rule_from_view(view: RouteRuleView) -> RouteRule | None:
    """The client's rule from the ``routeRules`` entry a node wrote (None when it names no usable group).

    Group ``metadata`` may carry ``regionId`` / ``zoneId`` (close-by) and ``groupName`` (the managed group's
    name), ``instanceIds`` the instances bound to it; a plain Java-style entry (``groupKey`` and ``weight``
    only) still routes by the group reference.
    """
    groups: list[RouteGroup] = []
    for g in view.groups:
        if not g.group_key:
            continue
        meta = g.metadata or {}
        groups.append(
            RouteGroup(
                ref=g.group_key,
                weight=clamp_weight(g.weight),
                region_id=meta.get(META_REGION) or None,
                zone_id=meta.get(META_ZONE) or None,
                managed_name=meta.get(META_NAME) or None,
                bound=frozenset(g.instance_ids or ()),
            )
        )
    if not groups:
        return None
    return RouteRule(view.route_id, norm_strategy(view.strategy) or WEIGHTED, tuple(groups))
