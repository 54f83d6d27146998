"""Leases and the self-preservation checker (S3).

A renewal only writes the lease's ``renewal`` time: it moves nothing, so renewing a batch of 100 keys is 100
attribute writes. Expiry is found by a timing wheel: every lease sits in the one-second bucket of its expiry
time as it was when the lease was (re)queued. The sweeper visits the buckets that came due; a lease renewed
since it was queued goes to the bucket of its new expiry, a lease that was not is expired. Each lease is
visited about once per TTL, however often it is renewed, and the sweep's cost is the number of leases that
came due, not the number of instances.
"""

from __future__ import annotations

import math

import msgspec

from artemis_client.wire.registry import Instance


class RenewalGroup(msgspec.Struct, gc=False):
    """One renewal time shared by the leases of one remembered heartbeat (:class:`RenewalCache`).

    ``broken`` turns True when one of its leases leaves the group (the lease left its pool, or another
    remembered heartbeat took it over): from then on the group's stamp no longer stands for all of them.
    """

    stamp: float
    broken: bool = False


class Lease(msgspec.Struct, gc=False):
    """One lease per registered instance: ``Lease(instance, now, now)`` on registration.

    ``gc=False``: a node holds up to a million leases, and tracked objects make every full collection of
    the cyclic garbage collector walk them all (~50 ms per 100,000 on a 2-core VM, a pause every request
    in flight waits out). A lease refers only to a frozen, untracked Instance, floats, a bool and an
    untracked group, so it can never be part of a reference cycle.

    The lease was last renewed at :meth:`last_renewal`: its own ``renewal`` time, or the stamp of its
    :class:`RenewalGroup` when the group was renewed later (a remembered heartbeat renews the group, one
    write for all its leases).

    ``alive`` turns False when the lease leaves its pool (unregister, eviction, replacement by a new
    registration): holders of a lease (the wheel, the renewal cache) check it instead of looking the key up.
    """

    instance: Instance
    creation: float
    renewal: float
    alive: bool = True
    group: RenewalGroup | None = None

    def last_renewal(self) -> float:
        g = self.group
        if g is not None and g.stamp > self.renewal:
            return g.stamp
        return self.renewal

    def leave_group(self) -> None:
        g = self.group
        if g is not None:
            if g.stamp > self.renewal:
                self.renewal = g.stamp
            g.broken = True
            self.group = None


class LeasePool:
    """Leases with one TTL: ``leases`` maps identity to lease; the wheel finds the expired ones."""

    __slots__ = ("_next", "leases", "ttl", "wheel")

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.leases: dict[str, Lease] = {}
        self.wheel: dict[int, list[Lease]] = {}
        self._next: int | None = None  # the lowest bucket not yet visited

    def __len__(self) -> int:
        return len(self.leases)

    def add(self, key: str, lease: Lease) -> None:
        """Store a new lease (the caller dropped any previous lease of ``key``)."""
        self.leases[key] = lease
        b = math.floor(lease.renewal + self.ttl)
        bucket = self.wheel.get(b)
        if bucket is None:
            self.wheel[b] = [lease]
        else:
            bucket.append(lease)
        if self._next is None or b < self._next:
            self._next = b

    def add_many(self, leases: list[Lease], renewal: float) -> None:
        """Queue new leases on the wheel that were stored in :attr:`leases` by the caller, all renewed at
        ``renewal``: one bucket for all of them (a registration batch), instead of one :meth:`add` each."""
        if not leases:
            return
        b = math.floor(renewal + self.ttl)
        bucket = self.wheel.get(b)
        if bucket is None:
            self.wheel[b] = leases
        else:
            bucket.extend(leases)
        if self._next is None or b < self._next:
            self._next = b

    def drop(self, key: str) -> Lease | None:
        lease = self.leases.pop(key, None)
        if lease is not None:
            lease.alive = False  # its wheel entry is skipped when its bucket comes due
            lease.leave_group()
        return lease

    def due(self, now: float) -> list[Lease]:
        """Leases expired at ``now`` (S3.1: now - renewal > ttl), about oldest first. They stay in the pool
        and must be dropped or handed back with :meth:`requeue`."""
        out: list[Lease] = []
        if self._next is None:
            return out
        cur = math.floor(now)
        wheel, ttl = self.wheel, self.ttl
        if cur - self._next > len(wheel):  # a long gap (a paused clock): visit only buckets that exist
            buckets = sorted(b for b in wheel if b <= cur)
        else:
            buckets = list(range(self._next, cur + 1))
        for b in buckets:
            items = wheel.pop(b, None)
            if not items:
                continue
            keep: list[Lease] = []
            for lease in items:
                if not lease.alive:
                    continue
                expiry = lease.last_renewal() + ttl
                if expiry < now:
                    out.append(lease)
                    continue
                nb = math.floor(expiry)
                if nb == b:
                    keep.append(lease)  # due later in the current second
                else:
                    bucket = wheel.get(nb)
                    if bucket is None:
                        wheel[nb] = [lease]
                    else:
                        bucket.append(lease)
            if keep:
                wheel[b] = keep
        self._next = cur
        return out

    def requeue(self, leases: list[Lease], now: float) -> None:
        """Expired leases that were not evicted (self-preservation): looked at again on the next sweep."""
        if leases:
            cur = math.floor(now)
            self.wheel.setdefault(cur, []).extend(leases)
            if self._next is None or cur < self._next:
                self._next = cur


class SafeChecker:
    """J LeaseUpdateSafeChecker (S3.7): renewals in a 10 s sliding window against the max window seen.

    Renewals are counted in 1 s buckets. ``tick`` (called by the sweeper) closes the windows: the count of the
    last complete 10 s is compared with the largest such count seen (that maximum restarts every 10 minutes).
    """

    WINDOW = 10
    MAX_RESET_SECS = 600
    MIN_MAX = 50
    THRESHOLD_PCT = 85

    def __init__(self, enabled: bool, now: float) -> None:
        self.enabled = enabled
        self._buckets = [0] * (self.WINDOW + 1)  # 10 complete seconds + the current one
        self._current_sec = int(now)
        self.window_count = 0
        self.max_count = 0
        self.max_updated = now

    def renewed(self, now: float, n: int = 1) -> None:
        sec = int(now)
        if sec != self._current_sec:
            self._roll(sec)
        self._buckets[sec % len(self._buckets)] += n

    def _roll(self, sec: int) -> None:
        gap = sec - self._current_sec
        if gap <= 0:
            return
        size = len(self._buckets)
        for s in range(self._current_sec + 1, self._current_sec + 1 + min(gap, size)):
            self._buckets[s % size] = 0
        self._current_sec = sec

    def tick(self, now: float) -> None:
        sec = int(now)
        self._roll(sec)
        # The last complete window: the 10 buckets before the current (still filling) second.
        self.window_count = sum(self._buckets) - self._buckets[sec % len(self._buckets)]
        if now - self.max_updated >= self.MAX_RESET_SECS or self.window_count > self.max_count:
            self.max_count = self.window_count
            self.max_updated = now

    @property
    def is_safe(self) -> bool:
        if not self.enabled or self.max_count < self.MIN_MAX:
            return True
        return self.window_count * 100 / self.max_count >= self.THRESHOLD_PCT


class RenewalEntry(msgspec.Struct, gc=False):
    """The leases one heartbeat body renewed, and the group that renews them with one write.

    Untracked by the cyclic GC like the leases (a node may remember a hundred thousand client bodies); it
    refers only to untracked leases and an untracked group.
    """

    leases: tuple[Lease, ...]
    group: RenewalGroup

    @classmethod
    def of(cls, leases: list[Lease], now: float) -> RenewalEntry:
        entry = cls(tuple(leases), RenewalGroup(now))
        entry.regroup(now)
        return entry

    def regroup(self, now: float) -> None:
        """Put every lease of the entry (all alive) in a fresh group stamped ``now``."""
        group = RenewalGroup(now)
        for lease in self.leases:
            if lease.group is not group:  # a key sent twice in one body must not break its own group
                lease.leave_group()
                lease.group = group
        self.group = group


class RenewalCache:
    """Heartbeat requests seen before, mapped to the leases they renewed, bounded by ``budget`` bytes.

    A client heartbeats the same set of instances every few seconds, so its request body repeats byte for
    byte. Once a body renewed every one of its keys, the next identical body renews the same leases without
    being decoded or its keys looked up (:meth:`Registry.renew_entry`): one write of the entry's group stamp
    while the group is intact, else a renewal per lease that refuses the list when a lease has left its pool
    since (the caller then takes the full path and drops the entry). Oldest entries go first when the
    budget is exceeded. The fingerprint is the request body itself (exact; the dict compares bytes on a hit),
    so nothing but an identical request can reuse an entry.
    """

    __slots__ = ("budget", "entries", "size")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.entries: dict[bytes, RenewalEntry] = {}
        self.size = 0

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, body: bytes) -> RenewalEntry | None:
        return self.entries.get(body)

    def put(self, body: bytes, leases: list[Lease], now: float) -> None:
        """Remember ``leases`` (all alive, just renewed at ``now``) under ``body``."""
        cost = self._cost(body, len(leases))
        if cost > self.budget or body in self.entries:
            return
        entries = self.entries
        while self.size + cost > self.budget and entries:
            old = next(iter(entries))
            self.size -= self._cost(old, len(entries.pop(old).leases))
        entries[body] = RenewalEntry.of(leases, now)
        self.size += cost

    def discard(self, body: bytes) -> None:
        entry = self.entries.pop(body, None)
        if entry is not None:
            self.size -= self._cost(body, len(entry.leases))

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    @staticmethod
    def _cost(body: bytes, n: int) -> int:
        # the body, the tuple of lease pointers, the entry, its group and the dict slot
        return len(body) + 8 * n + 240
