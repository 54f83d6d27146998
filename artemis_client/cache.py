"""The SDK's discovery cache: one immutable snapshot per service, replaced whole on every change.

Sans-I/O: the client's runner feeds it what the network brought (a fetched :class:`~artemis_client.wire.
registry.Service`, pushed :class:`~artemis_client.wire.registry.InstanceChange`\\ s, an outage) and reads
back which services need a re-fetch. Picks read :meth:`ServiceCache.get` and the snapshot's pools from any
thread without a lock: a snapshot never changes after it is built, and publishing a new one is a single
dict assignment.

What a snapshot promises:

* ``instances`` are what the node's discovery filter chain left for this client (S7.1) before group
  routing, in the node's order (first registration first, S7.6); pushes are applied in arrival order.
* ``rule`` is the service's active route rule when the node sent one; :meth:`Snapshot.route` evaluates it
  per pick with the server's own functions (``artemis_client.routing``), so weighted routing does not
  freeze into one answer.
* ``revision`` increases with every change applied; ``confirmed_at`` is the monotonic time a server last
  vouched for the list (fetch, push, or a quiet but healthy change stream); ``stale`` is set when the
  client lost its servers and cleared by the next successful fetch. The last good list keeps serving
  while stale: an outage of the registry never empties a caller's pool.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import msgspec

from artemis_client.balance import Pool
from artemis_client.registration import identity as _identity
from artemis_client.routing import RouteRule, rule_from_view
from artemis_client.wire.registry import Instance, InstanceChange, Service

_intern = sys.intern


def compact(inst: Instance) -> Instance:
    """The instance with its repetitive strings interned (service, region, zone, group, protocol, status,
    metadata keys and values): thousands of instances of one service share them, which about halves the
    memory of a large cache (benchmarks/sdk.py)."""
    meta = inst.metadata
    return msgspec.structs.replace(
        inst,
        service_id=_intern(inst.service_id),
        region_id=_intern(inst.region_id) if inst.region_id else inst.region_id,
        zone_id=_intern(inst.zone_id) if inst.zone_id else inst.zone_id,
        group_id=_intern(inst.group_id) if inst.group_id else inst.group_id,
        protocol=_intern(inst.protocol) if inst.protocol else inst.protocol,
        status=_intern(inst.status) if inst.status else inst.status,
        metadata={_intern(k): _intern(v) for k, v in meta.items()} if meta else meta,
    )


__all__ = ["Applied", "ServiceCache", "Snapshot", "is_canary", "service_key"]


def service_key(service_id: str) -> str:
    """Service ids compare case-insensitively (S1.3)."""
    return service_id.casefold()


def is_canary(inst: Instance) -> bool:
    """S11.2: a canary instance (the node keeps it from clients outside the canary's whitelist)."""
    return (inst.group_id or "").casefold() == "canary" or (inst.metadata or {}).get(
        "canary", ""
    ).casefold() == "true"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the client knows of one service at one moment."""

    service_id: str
    instances: tuple[Instance, ...]
    rule: RouteRule | None = None
    revision: int = 0
    confirmed_at: float = 0.0
    stale: bool = False
    # Built from ``instances`` and ``rule`` when not given; ``dataclasses.replace`` of the flags passes them
    # on, so confirming or flagging a snapshot keeps the pools and their lazily built helpers.
    pool: Pool = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    group_pools: tuple[Pool, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pool is None:
            object.__setattr__(self, "pool", Pool(self.instances))
            rule = self.rule
            if rule is not None:
                pools = tuple(Pool(g.members(self.instances)) for g in rule.groups)
                object.__setattr__(self, "group_pools", pools)

    def route(self, region: str | None = None, zone: str | None = None) -> Pool:
        """The pool one pick draws from: the chosen route group's members (S9), every instance when there
        is no rule or the chosen group is empty (S9.8)."""
        rule = self.rule
        if rule is None or not self.instances:
            return self.pool
        chosen = self.group_pools[rule.choose_index(region, zone)]
        return chosen if chosen.instances else self.pool

    def age(self, now: float | None = None) -> float:
        """Seconds since a server last confirmed this list."""
        return (time.monotonic() if now is None else now) - self.confirmed_at


@dataclass(frozen=True, slots=True)
class Applied:
    """The result of applying pushed changes: the new snapshot, and whether a fetch must confirm it."""

    snapshot: Snapshot | None
    changed: bool
    refetch: bool


class ServiceCache:
    """Snapshots by service id. One writer (the client's own loop or thread), any number of readers."""

    def __init__(self, *, only_up: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.only_up = only_up
        self._clock = clock
        self._snapshots: dict[str, Snapshot] = {}

    def __contains__(self, service_id: str) -> bool:
        return service_key(service_id) in self._snapshots

    def __len__(self) -> int:
        return len(self._snapshots)

    def get(self, service_id: str) -> Snapshot | None:
        """The current snapshot of a service, or None before its first fetch."""
        return self._snapshots.get(service_key(service_id))

    def service_ids(self) -> list[str]:
        """The ids (as first fetched) of every cached service."""
        return [s.service_id for s in self._snapshots.values()]

    def drop(self, service_id: str) -> None:
        """Forget a service."""
        self._snapshots.pop(service_key(service_id), None)

    def _publish(self, snap: Snapshot) -> Snapshot:
        self._snapshots[service_key(snap.service_id)] = snap
        return snap

    def put_service(self, service: Service) -> Snapshot:
        """A fetched service replaces what was cached (the node's answer is the truth at its time)."""
        old = self._snapshots.get(service_key(service.service_id))
        rule = None
        for view in service.route_rules or ():
            rule = rule_from_view(view)
            if rule is not None:
                break
        if rule is not None and old is not None and old.rule == rule:
            rule = old.rule  # unchanged rule: keep its weighted-round-robin counter going (S9.4)
        instances = tuple(compact(i) for i in service.instances if self._visible(i))
        return self._publish(
            Snapshot(
                service_id=service.service_id,
                instances=instances,
                rule=rule,
                revision=(old.revision + 1) if old is not None else 1,
                confirmed_at=self._clock(),
            )
        )

    def apply_changes(self, service_id: str, changes: Iterable[InstanceChange]) -> Applied:
        """Apply pushed changes of one service in order (S13).

        ``new`` / ``change`` add or replace the instance (an instance that is not ``up`` leaves the list,
        as the node's F1 step would drop it); ``delete`` removes it. A ``reload`` (routing, canary or group
        change) and any change of a canary instance ask for a re-fetch, because what this client may see
        then depends on filters only the node evaluates (canary whitelist, rules).
        """
        old = self._snapshots.get(service_key(service_id))
        if old is None:
            return Applied(None, changed=False, refetch=True)
        current = list(old.instances)
        index = {_identity(i): n for n, i in enumerate(current)}
        changed = refetch = False
        for ch in changes:
            kind = ch.change_type.lower()
            inst = compact(ch.instance)
            if kind == "reload":
                refetch = True
                continue
            if is_canary(inst):
                refetch = True
            ident = _identity(inst)
            pos = index.get(ident)
            if kind in ("new", "change") and self._visible(inst):
                if pos is None:
                    index[ident] = len(current)
                    current.append(inst)
                    changed = True
                elif current[pos] != inst:
                    current[pos] = inst
                    changed = True
            elif kind in ("new", "change", "delete") and pos is not None:
                del current[pos]
                index = {_identity(i): n for n, i in enumerate(current)}
                changed = True
        now = self._clock()
        if not changed:
            snap = self._publish(replace(old, confirmed_at=now))
            return Applied(snap, changed=False, refetch=refetch)
        snap = self._publish(
            Snapshot(
                old.service_id, tuple(current), old.rule, old.revision + 1, confirmed_at=now, stale=old.stale
            )
        )
        return Applied(snap, changed=True, refetch=refetch)

    def confirm(self, service_ids: Iterable[str] | None = None) -> None:
        """The change stream is healthy: the lists are still current (no change is a confirmation too)."""
        now = self._clock()
        keys = self._snapshots.keys() if service_ids is None else [service_key(s) for s in service_ids]
        for key in list(keys):
            snap = self._snapshots.get(key)
            if snap is not None and not snap.stale:
                self._snapshots[key] = replace(snap, confirmed_at=now)

    def mark_stale(self, service_ids: Iterable[str] | None = None) -> list[str]:
        """No server can vouch for these lists any more (default: all); they keep serving, flagged stale.
        Returns the ids that became stale now."""
        keys = list(self._snapshots) if service_ids is None else [service_key(s) for s in service_ids]
        out = []
        for key in keys:
            snap = self._snapshots.get(key)
            if snap is not None and not snap.stale:
                self._snapshots[key] = replace(snap, stale=True)
                out.append(snap.service_id)
        return out

    def _visible(self, inst: Instance) -> bool:
        return not self.only_up or (inst.status or "up") == "up"
