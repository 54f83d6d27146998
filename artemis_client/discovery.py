"""Following services: when each must be fetched, and the live handle that picks from the cache.

Sans-I/O like :mod:`artemis_client.registration`: the runner asks :meth:`Discovery.due` which services to
fetch now (one batched ``lookup.json`` for all of them), reports the answer with :meth:`Discovery.fetched`
or the failure with :meth:`Discovery.fetch_failed`, hands pushed changes to :meth:`Discovery.pushed` and the
change stream's state to :meth:`Discovery.stream_up` / :meth:`Discovery.stream_down`.

When a service is fetched:

* at once when it is first followed, when a push says only the node can tell what changed (``reload``,
  canary), and for every followed service after the change stream (re)connects: push has no replay, so
  whatever changed while it was down is only known by asking;
* every ``poll_interval`` (60 s) as a safety net while the stream is up, every ``degraded_poll`` (5 s)
  while it is down, so the cache follows the registry over plain HTTP during a push outage;
* after a failed fetch, with jittered backoff; the snapshots are then flagged stale and keep serving.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from artemis_client.balance import Balancer
from artemis_client.cache import ServiceCache, Snapshot, service_key
from artemis_client.errors import NotFoundError
from artemis_client.registration import Event
from artemis_client.servers import full_jitter
from artemis_client.wire.registry import DiscoveryConfig, Instance, InstanceChange, Service

__all__ = ["Discovery", "ServiceHandle"]


class Discovery:
    """The services one client follows and the next time each must be fetched."""

    def __init__(
        self,
        cache: ServiceCache,
        *,
        region: str | None = None,
        zone: str | None = None,
        client_ip: str | None = None,
        poll_interval: float = 60.0,
        degraded_poll: float = 5.0,
        retry_base: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        self.cache = cache
        self.region = region
        self.zone = zone
        self.client_ip = client_ip
        self.poll_interval = poll_interval
        self.degraded_poll = degraded_poll
        self.retry_base = retry_base
        self._rng = rng or random.Random()
        self._followed: dict[str, str] = {}  # key -> service id as the caller spelt it
        self._due: dict[str, float] = {}  # key -> when to fetch next
        self._failures = 0
        self._stream_up = False
        # pushes that arrived while a fetch of their service was in flight, replayed on its answer
        self._during: dict[str, list[InstanceChange]] = {}

    @property
    def followed(self) -> list[str]:
        """The ids of every followed service."""
        return list(self._followed.values())

    @property
    def stream_is_up(self) -> bool:
        """Whether pushes are arriving (the change stream is connected and subscribed)."""
        return self._stream_up

    def follow(self, service_id: str, now: float) -> bool:
        """Follow a service (fetched at once). Returns False when it was followed already."""
        key = service_key(service_id)
        if key in self._followed:
            return False
        self._followed[key] = service_id
        self._due[key] = now
        return True

    def unfollow(self, service_id: str) -> None:
        """Stop following a service and forget its snapshot."""
        key = service_key(service_id)
        self._followed.pop(key, None)
        self._due.pop(key, None)
        self.cache.drop(service_id)

    def due(self, now: float) -> list[str]:
        """The services to fetch now, in one batch."""
        return [self._followed[k] for k, at in self._due.items() if at <= now]

    def wakeup(self, now: float) -> float:
        """Seconds until the next fetch is due."""
        if not self._due:
            return self.poll_interval
        return max(0.0, min(self._due.values()) - now)

    def configs(self, service_ids: Iterable[str]) -> list[DiscoveryConfig]:
        """The discovery configs of a batched lookup: the client's location for routing and its real IP for
        canary filtering (S7.5: ``discoveryData.clientIp``; behind NAT or a proxy the socket address the
        node sees is not the client's)."""
        data = {"clientIp": self.client_ip} if self.client_ip else None
        return [
            DiscoveryConfig(service_id=s, region_id=self.region, zone_id=self.zone, discovery_data=data)
            for s in service_ids
        ]

    def fetching(self, service_ids: Iterable[str]) -> None:
        """A lookup of these services is being sent: pushes for them from now on are kept, because its
        answer may have been read before they happened and must not undo them."""
        for sid in service_ids:
            self._during[service_key(sid)] = []

    def fetched(self, services: Iterable[Service], asked: Iterable[str], now: float) -> list[Event]:
        """A lookup answered: cache every service (with the pushes that arrived meanwhile replayed on top)
        and plan its next poll."""
        self._failures = 0
        next_poll = now + (self.poll_interval if self._stream_up else self.degraded_poll)
        events: list[Event] = []
        got = set()
        for svc in services:
            key = service_key(svc.service_id)
            if key not in self._followed:
                continue
            got.add(key)
            old = self.cache.get(svc.service_id)
            snap = self.cache.put_service(svc)
            later = self._during.pop(key, None)
            if later:  # newer than the answer, or already in it: applying them again is harmless
                snap = self.cache.apply_changes(svc.service_id, later).snapshot or snap
            self._due[key] = next_poll
            if old is not None and old.stale:
                events.append(Event("fresh", f"{svc.service_id}: the cache is current again", snap.instances))
        for sid in asked:  # asked but not in the answer (a server that skips unknown ids): poll again later
            key = service_key(sid)
            self._during.pop(key, None)
            if key in self._followed and key not in got:
                self._due[key] = next_poll
        return events

    def fetch_failed(self, asked: Iterable[str], error: Exception, now: float) -> list[Event]:
        """No server answered the lookup: retry with backoff; the snapshots go stale but keep serving."""
        self._failures += 1
        for sid in asked:
            self._during.pop(service_key(sid), None)
        retry = now + max(full_jitter(self._failures, self.retry_base, self.degraded_poll, self._rng), 0.1)
        keys = [service_key(s) for s in asked]
        for key in keys:
            if key in self._followed:
                self._due[key] = retry
        stale = self.cache.mark_stale([self._followed[k] for k in keys if k in self._followed])
        if not stale:
            return []
        return [
            Event("stale", f"cannot refresh {', '.join(stale)}: {error}; serving the last known instances")
        ]

    def pushed(self, service_id: str, changes: Iterable[InstanceChange], now: float) -> Snapshot | None:
        """Apply pushed changes; a change only the node can judge makes the service due at once. Returns
        the new snapshot when the instance list changed."""
        key = service_key(service_id)
        if key not in self._followed:
            return None
        changes = list(changes)
        during = self._during.get(key)
        if during is not None:
            during.extend(changes)
        applied = self.cache.apply_changes(service_id, changes)
        if applied.refetch:
            self._due[key] = now
        return applied.snapshot if applied.changed else None

    def stream_up(self, now: float) -> None:
        """The change stream (re)connected and every followed service is subscribed: fetch them all now
        (what changed while it was down was never pushed)."""
        self._stream_up = True
        for key in self._followed:
            self._due[key] = now

    def stream_down(self, now: float) -> None:
        """The change stream is gone: poll every ``degraded_poll`` until it is back."""
        self._stream_up = False
        soon = now + self.degraded_poll
        for key, at in self._due.items():
            self._due[key] = min(at, soon)


class ServiceHandle:
    """A live view of one service: reads the newest snapshot on every call, picks without I/O or lock."""

    def __init__(
        self,
        service_id: str,
        cache: ServiceCache,
        balancer: Balancer,
        *,
        region: str | None = None,
        zone: str | None = None,
    ) -> None:
        self.service_id = service_id
        self._cache = cache
        self.balancer = balancer
        self._region = region  # the client's location, for close-by route rules (S9.6)
        self._zone = zone
        # Picks made, for metrics: a plain int (one add per pick, no lock); two threads picking at the same
        # instant may rarely lose one increment.
        self.picks = 0

    @property
    def snapshot(self) -> Snapshot | None:
        """The newest snapshot (None before the first fetch answered)."""
        return self._cache.get(self.service_id)

    @property
    def instances(self) -> tuple[Instance, ...]:
        """Every instance this client may use (before group routing), in the node's order."""
        snap = self._cache.get(self.service_id)
        return snap.instances if snap is not None else ()

    @property
    def stale(self) -> bool:
        """True while no server can confirm the list (it keeps serving the last one known)."""
        snap = self._cache.get(self.service_id)
        return snap is not None and snap.stale

    def try_pick(self, key: str | None = None) -> Instance | None:
        """One instance (route rule, zone affinity, strategy and ejections applied), or None if none."""
        snap = self._cache.get(self.service_id)
        if snap is None:
            return None
        self.picks += 1
        return self.balancer.pick(snap.route(self._region, self._zone), key)

    def pick(self, key: str | None = None) -> Instance:
        """One instance; :class:`~artemis_client.errors.NotFoundError` when the service has none (or was
        never fetched)."""
        inst = self.try_pick(key)
        if inst is None:
            state = "has no instance" if self._cache.get(self.service_id) is not None else "is not loaded yet"
            raise NotFoundError(f"service {self.service_id} {state}")
        return inst

    def report_failure(self, inst: Instance, secs: float | None = None) -> None:
        """A call to ``inst`` failed: leave it out of picks for a while (outlier ejection)."""
        self.balancer.report_failure(inst, secs)

    def report_success(self, inst: Instance) -> None:
        """A call to ``inst`` went through: end its ejection, if any."""
        self.balancer.report_success(inst)

    @contextmanager
    def track(self, inst: Instance) -> Iterator[Instance]:
        """Count a call to ``inst`` as in flight (for the ``least-loaded`` strategy)."""
        with self.balancer.track(inst) as tracked:
            yield tracked
