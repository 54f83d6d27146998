"""Registry: register / heartbeat / unregister / query / sweep. Holds the invariants of S1-S6.

Single-threaded by design: every method is called from the event loop thread, so there are no locks. Every
method is synchronous and does no I/O; replication and push are driven by callers and the ChangeBus.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from artemis_client.wire.registry import FailedInstance, Instance, RawKey
from artemis_server.registry.changes import ChangeBus
from artemis_server.registry.leases import Lease, LeasePool, RenewalEntry, SafeChecker
from artemis_server.registry.model import (
    identity,
    instance_from_key,
    instance_identity,
    normalize_instance,
)
from artemis_server.registry.ports import Clock

NOT_EXISTING = "Instance is not existing! Need re-register."
_NO_LEASES: dict[str, Lease] = {}  # the spelled leases of a service nobody registered (never written)


@dataclass(slots=True)
class LeaseSettings:
    ttl_secs: float = 20.0
    legacy_ttl_secs: float = 90.0
    safe_check_enabled: bool = True


class ServiceEntry:
    """All instances of one service, in order of first registration (S7.6).

    ``spelled`` holds the leases of the service's instances in the node's own region by instance id exactly
    as registered: a client heartbeats the keys it registered, spelled the same, so
    :meth:`Registry.renew_keys` finds each of them with one probe of the instance id, without building and
    folding its identity. It is written and emptied with ``instances`` (:meth:`Registry.register`,
    :meth:`Registry._remove`).
    """

    __slots__ = ("instances", "service_id", "spelled", "version")

    def __init__(self, service_id: str) -> None:
        self.service_id = service_id
        self.instances: dict[str, Instance] = {}
        self.spelled: dict[str, Lease] = {}
        self.version = 0


class Registry:
    def __init__(
        self,
        *,
        clock: Clock,
        bus: ChangeBus | None = None,
        region: str = "default",
        zone: str = "default",
        leases: LeaseSettings | None = None,
    ) -> None:
        self.clock = clock
        self.bus = bus or ChangeBus()
        self.region = sys.intern(region)
        self.region_key = self.region.casefold()  # the region part of this node's identities
        self.zone = sys.intern(zone)
        cfg = leases or LeaseSettings()
        self.pool = LeasePool(cfg.ttl_secs)
        self.legacy_pool = LeasePool(cfg.legacy_ttl_secs)
        self.safe = SafeChecker(cfg.safe_check_enabled, clock.now())
        self.touched = 0  # management changes (touch()): part of every cached discovery answer's version
        self.services: dict[str, ServiceEntry] = {}
        self.version = 0
        # Set by the management plane: events of down instances are not published (S10.10).
        self.is_down: Callable[[Instance], bool] = lambda _inst: False

    # -- versions ---------------------------------------------------------------------------------
    def _bump(self, entry: ServiceEntry | None = None, now_ms: int | None = None) -> int:
        if now_ms is None:
            now_ms = int(self.clock.now() * 1000)
        self.version = now_ms if now_ms > self.version else self.version + 1
        if entry is not None:
            entry.version = self.version
        return now_ms

    def touch(self) -> int:
        """A visibility change made outside the registry (management): a new version, so deltas see it, and
        a new ``touched`` count, so no discovery answer made before it is served again (answers.py)."""
        self.touched += 1
        return self._bump()

    # -- reads ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.pool) + len(self.legacy_pool)

    def lease_of(self, key: str) -> Lease | None:
        return self.pool.leases.get(key) or self.legacy_pool.leases.get(key)

    def get_service(self, service_id: str) -> ServiceEntry | None:
        return self.services.get(service_id.casefold())

    def iter_services(self) -> Iterator[ServiceEntry]:
        return iter(list(self.services.values()))

    def get_instance(self, region_id: str, service_id: str, instance_id: str) -> Instance | None:
        lease = self.lease_of(identity(region_id, service_id, instance_id))
        return lease.instance if lease else None

    # -- writes -----------------------------------------------------------------------------------
    def register(self, items: Iterable[Instance]) -> tuple[list[Instance], list[FailedInstance]]:
        """Register or replace instances (S2). Returns (stored instances, failed items)."""
        now = self.clock.now()
        stored: list[Instance] = []
        failed: list[FailedInstance] = []
        new: list[Instance] = []
        changed: list[Instance] = []
        touched: dict[int, ServiceEntry] = {}  # entries whose instances changed: one version bump each
        services = self.services
        region, zone = self.region, self.zone
        region_key = self.region_key
        pool, legacy_pool = self.pool, self.legacy_pool
        held, legacy_held = pool.leases, legacy_pool.leases
        fresh: list[Lease] = []  # new leases of the main pool, queued on its wheel at once (one bucket)
        last_sid: str | None = None
        entry: ServiceEntry | None = None
        last_touched: ServiceEntry | None = None
        for raw in items:
            try:
                inst = normalize_instance(raw, region, zone)
            except ValueError as exc:
                failed.append(FailedInstance(raw, "bad-request", str(exc)))
                continue
            sid = inst.service_id  # interned: a batch of one service finds its entry once
            if sid is not last_sid or entry is None:
                svc_key = sid.casefold()
                entry = services.get(svc_key)
                if entry is None:
                    entry = services[svc_key] = ServiceEntry(sid)
                entry.service_id = sid  # echo the most recent spelling (S1.3)
                last_sid = sid
            # instance_identity() inlined (normalize_instance set the region)
            key = f"{inst.region_id}\x1f{sid}\x1f{inst.instance_id}".casefold()
            # The lease this registration replaces, if any: its instance is the one the entry holds (both
            # are written together here and removed together by _remove), so one probe per pool finds it.
            prev = held.get(key)
            in_main = prev is not None
            if prev is None:
                prev = legacy_held.get(key)
            old: Instance | None = None
            spelled = entry.spelled
            iid = inst.instance_id
            if prev is not None:  # LeasePool.drop() inlined; the key is overwritten below or deleted
                prev.alive = False
                prev.leave_group()
                old = prev.instance
                if old.instance_id != iid and spelled.get(old.instance_id) is prev:
                    del spelled[old.instance_id]  # registered again under another spelling
            md = inst.metadata
            lease = Lease(inst, now, now)
            # is_legacy() inlined: metadata java_registry puts the lease in the legacy pool (S2.6)
            if md and (md.get("java_registry") or "").strip():
                if in_main:
                    del held[key]
                legacy_pool.add(key, lease)
            else:
                if prev is not None and not in_main:
                    del legacy_held[key]
                held[key] = lease
                fresh.append(lease)
            entry.instances[key] = inst
            r = inst.region_id
            if r is region or (r is not None and r.casefold() == region_key):
                spelled[iid] = lease
            stored.append(inst)
            if old is None:
                new.append(inst)
            elif old != inst:
                changed.append(inst)
            else:
                continue
            if entry is not last_touched:
                touched[id(entry)] = last_touched = entry
        pool.add_many(fresh, now)
        if touched:
            now_ms = int(now * 1000)
            for bumped in touched.values():
                self._bump(bumped, now_ms)
        if self.bus.has_listeners:
            now_ms = int(now * 1000)
            is_down = self.is_down
            self.bus.emit("new", [i for i in new if not is_down(i)], now_ms)
            self.bus.emit("change", [i for i in changed if not is_down(i)], now_ms)
        return stored, failed

    def heartbeat(self, keys: Iterable[RawKey]) -> tuple[list[Instance], list[RawKey]]:
        """Renew leases (S4). Returns (renewed instances, keys that are not registered)."""
        leases, failed = self.renew_keys(keys)
        return [lease.instance for lease in leases], failed

    def renew_keys(self, keys: Iterable[RawKey]) -> tuple[list[Lease], list[RawKey]]:
        """Renew the current leases of ``keys`` (S4): the leases renewed (in the keys' order) and the keys
        that are not registered. Each lease is renewed as it is found (one pass, one clock read).

        A key of this node's region spelled as its instance was registered is found in its service's
        ``spelled`` leases: one probe, looked up once per run of keys of one service (a client's heartbeat
        names its own instances). Any other key (another region, another spelling, not registered) is
        looked up by its identity, folded (S1.1). A lease found by spelling is taken only while it is
        alive, so that index can never renew a lease that left its pool.
        """
        now = self.clock.now()
        found: list[Lease] = []
        failed: list[RawKey] = []
        pool = self.pool.leases
        legacy = self.legacy_pool.leases
        services = self.services
        region = self.region
        region_key = self.region_key
        last_sid: str | None = None
        spelled: dict[str, Lease] = _NO_LEASES
        # The loop's first branch is the path of nearly every key: kept to as few steps as it can be.
        for k in keys:
            r = k.region_id
            if r is None or r == region or r.casefold() == region_key:
                if k.service_id != last_sid:
                    last_sid = k.service_id
                    entry = services.get(last_sid.casefold())
                    spelled = entry.spelled if entry is not None else _NO_LEASES
                try:  # a subscript is cheaper than .get(): a miss (rare, dearer) leaves the branch
                    lease = spelled[k.instance_id]
                except KeyError:
                    pass
                else:
                    if lease.alive:
                        lease.renewal = now
                        found.append(lease)
                        continue
            # identity() inlined: a function call per key is a fifth of this loop
            key = f"{r or region}\x1f{k.service_id}\x1f{k.instance_id}".casefold()
            held = pool.get(key) or legacy.get(key)
            if held is None:
                failed.append(k)
            else:
                held.renewal = now
                found.append(held)
        if found:
            self.safe.renewed(now, len(found))
        return found, failed

    def resolve_identities(self, ids: Iterable[str]) -> tuple[list[Lease], list[str]]:
        """The current leases of identity keys (:func:`model.identity`, as a peer of this version sends
        them: already case-folded, the region filled in) and the ones that are not registered."""
        ids = ids if isinstance(ids, list) else list(ids)
        got = list(map(self.pool.leases.get, ids))  # the loop in C: this is a peer's whole capacity
        if all(got):  # a Lease is always true: faster than ``None not in got`` (no == per item)
            return got, []  # type: ignore[return-value]  # no None in it
        found: list[Lease] = []
        failed: list[str] = []
        legacy = self.legacy_pool.leases.get
        for key, lease in zip(ids, got, strict=True):
            if lease is None:
                lease = legacy(key)
            if lease is None:
                failed.append(key)
            else:
                found.append(lease)
        return found, failed

    def renew(self, leases: Sequence[Lease]) -> bool:
        """Renew leases resolved earlier, all or none: False (nothing renewed) when one of them has left
        its pool since (unregistered, evicted or replaced), so the caller resolves the keys again."""
        for lease in leases:
            if not lease.alive:
                return False
        if leases:
            now = self.clock.now()
            for lease in leases:
                lease.renewal = now
            self.safe.renewed(now, len(leases))
        return True

    def renew_resolved(self, leases: Sequence[Lease]) -> None:
        """Renew leases resolved just now (:meth:`resolve_identities`): a pool holds only
        live leases, so there is nothing to check, and one pass with one clock read renews them all (a
        peer's whole work per key, with the lookup)."""
        if leases:
            now = self.clock.now()
            for lease in leases:
                lease.renewal = now
            self.safe.renewed(now, len(leases))

    def renew_entry(self, entry: RenewalEntry) -> bool:
        """Renew the leases of a remembered heartbeat (:class:`RenewalCache`), all or none.

        While the entry's group is intact (none of its leases left it) one stamp renews them all; a broken
        group renews lease by lease and, when all are still alive, regroups them for the next time.
        """
        group = entry.group
        if group.broken:
            if not self.renew(entry.leases):
                return False
            entry.regroup(self.clock.now())
            return True
        now = self.clock.now()
        group.stamp = now
        self.safe.renewed(now, len(entry.leases))
        return True

    def unregister(self, keys: Iterable[RawKey]) -> list[Instance]:
        """Remove instances and leases at once (S5). Unknown keys are ignored."""
        removed: list[Instance] = []
        for k in keys:
            inst = self._remove(identity(k.region_id or self.region, k.service_id, k.instance_id))
            if inst is not None:
                removed.append(inst)
        if removed:
            self._publish_delete(removed)
        return removed

    def _remove(self, key: str) -> Instance | None:
        lease = self.pool.drop(key) or self.legacy_pool.drop(key)
        if lease is None:
            return None
        inst = lease.instance
        svc_key = inst.service_id.casefold()
        entry = self.services.get(svc_key)
        if entry is not None:
            entry.instances.pop(key, None)
            spelled = entry.spelled
            if spelled.get(inst.instance_id) is lease:
                del spelled[inst.instance_id]
            self._bump(entry)
            if not entry.instances:
                del self.services[svc_key]
        return inst

    def _publish_delete(self, removed: list[Instance]) -> None:
        if self.bus.has_listeners:
            self.bus.emit("delete", [i for i in removed if not self.is_down(i)], int(self.clock.now() * 1000))

    def sweep(self) -> list[Instance]:
        """Evict expired leases unless self-preservation says the node is unsafe (S3.2, S3.7)."""
        now = self.clock.now()
        self.safe.tick(now)
        expired = self.pool.due(now)
        expired_legacy = self.legacy_pool.due(now)
        if not expired and not expired_legacy:
            return []
        if not self.safe.is_safe:
            self.pool.requeue(expired, now)
            self.legacy_pool.requeue(expired_legacy, now)
            return []
        removed = [
            inst
            for inst in (
                self._remove(instance_identity(lease.instance)) for lease in expired + expired_legacy
            )
            if inst is not None
        ]
        if removed:
            self._publish_delete(removed)
        return removed

    def failed_heartbeat(self, k: RawKey) -> FailedInstance:
        return FailedInstance(instance_from_key(k), "data-not-found", NOT_EXISTING)
