"""Leases and the self-preservation checker (S3).

Each lease pool is an OrderedDict in renewal order: a renewal moves its key to the end, so the sweeper only
looks at the front and its cost is the number of expired leases, not the number of instances.
"""

from __future__ import annotations

from collections import OrderedDict

import msgspec

from artemis_server.registry.model import Instance


class Lease(msgspec.Struct, gc=False):
    """One lease per registered instance: ``Lease(instance, now, now)`` on registration.

    ``gc=False``: a node holds up to a million leases, and tracked objects make every full collection of
    the cyclic garbage collector walk them all (~50 ms per 100,000 on a 2-core VM, a pause every request
    in flight waits out). A lease refers only to a frozen, untracked Instance and two floats, so it can
    never be part of a reference cycle.
    """

    instance: Instance
    creation: float
    renewal: float


class LeasePool:
    """Leases with one TTL, kept in renewal order."""

    __slots__ = ("leases", "ttl")

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.leases: OrderedDict[str, Lease] = OrderedDict()

    def __len__(self) -> int:
        return len(self.leases)

    def expired_keys(self, now: float) -> list[str]:
        """Keys whose lease expired (S3.1: now - renewal > ttl), oldest first."""
        out: list[str] = []
        limit = now - self.ttl
        for key, lease in self.leases.items():
            if lease.renewal >= limit:
                break
            out.append(key)
        return out


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
