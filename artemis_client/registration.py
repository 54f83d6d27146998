"""Keeping a process's instances registered: the sans-I/O state machine behind ``register()``.

The runner (asyncio task or the sync client's thread) loops: ``send = reg.next_send(now)``; perform it over
HTTP; hand the answer to :meth:`Registrar.answered` or the error to :meth:`Registrar.failed`; sleep
``reg.wakeup(now)``. Everything time-dependent takes ``now`` (monotonic seconds), so tests drive it with
numbers instead of sleeping.

Rules (S2-S5, and what Java's ``InstanceRegistry`` does, minus its defects):

* ``register()`` is a real register call, sent at once (Java sends an *unregister* and waits for the next
  heartbeat to fail with ``data-not-found``).
* One heartbeat per interval carries every local instance (J body ``{"instances": [...]}``), however many
  there are; a failed heartbeat is retried after a short jittered delay on the next server instead of a
  whole interval.
* ``data-not-found`` for an item of a heartbeat answer (the node lost it: restart, eviction, a partition
  healed after the lease expired) queues that instance for an immediate re-register.
* Watchdog: when no heartbeat succeeded for 2/3 of the lease TTL, one ``watchdog`` event is raised (the
  runner moves to another server and counts it); the next success raises ``recovered``.
* Registry filters (Java ``RegistryFilter``): callables applied to the list before every register and
  heartbeat; one that raises is skipped and reported, never stopping the heartbeat.
* Events are raised on state changes only (first failure, recovery), not per retry, so logs stay quiet
  during a long outage.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from artemis_client.servers import full_jitter
from artemis_client.wire.registry import FailedInstance, HeartbeatResponse, Instance, RegisterResponse

__all__ = ["Event", "Registrar", "RegistryFilter", "Send", "identity"]

RegistryFilter = Callable[[list[Instance]], list[Instance]]
Kind = Literal["register", "heartbeat", "unregister"]


def identity(inst: Instance) -> tuple[str, str, str]:
    """S1.1: (region, service, instance), compared lower-cased."""
    return ((inst.region_id or "").casefold(), inst.service_id.casefold(), inst.instance_id.casefold())


@dataclass(frozen=True, slots=True)
class Send:
    """One request the runner must make: ``register`` / ``unregister`` / ``heartbeat`` of ``instances``."""

    kind: Kind
    instances: tuple[Instance, ...]


@dataclass(frozen=True, slots=True)
class Event:
    """Something worth a log line or a metric: ``registered``, ``register-failed``, ``heartbeat-failed``,
    ``re-register``, ``watchdog``, ``recovered``, ``unregistered``, ``filter-failed``, ``rejected``."""

    kind: str
    message: str
    instances: tuple[Instance, ...] = ()
    data: dict[str, object] = field(default_factory=dict)


class Registrar:
    """The local instances of one client and what must be sent for them next."""

    def __init__(
        self,
        *,
        interval: float = 5.0,
        ttl: float = 20.0,
        filters: Sequence[RegistryFilter] = (),
        retry_base: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        if interval <= 0 or ttl <= interval:
            raise ValueError("the heartbeat interval must be more than 0 and less than the lease TTL")
        self.interval = interval
        self.ttl = ttl
        self.filters = list(filters)
        self.retry_base = retry_base
        self._rng = rng or random.Random()
        self._local: dict[tuple[str, str, str], Instance] = {}
        self._to_register: dict[tuple[str, str, str], Instance] = {}
        self._to_unregister: dict[tuple[str, str, str], Instance] = {}
        self._register_at = 0.0  # a failed register waits for this time
        self._register_failures = 0
        self._beat_at: float | None = None
        self._beat_failures = 0
        self._last_ok: float | None = None  # last successful heartbeat or register
        self._alarm = False  # watchdog raised and not yet recovered
        self._failing = False  # heartbeats failing (event raised once)
        self._in_flight: Send | None = None
        self._events: list[Event] = []  # raised outside answered()/failed(), handed out by check()

    # -- what the application asks for -----------------------------------------------------------------
    @property
    def instances(self) -> list[Instance]:
        """The instances this client keeps registered."""
        return list(self._local.values())

    def add(self, instances: Iterable[Instance], now: float) -> None:
        """Keep these registered (a known identity replaces its old data); the register is due at once."""
        for inst in instances:
            key = identity(inst)
            self._local[key] = inst
            self._to_register[key] = inst
            self._to_unregister.pop(key, None)
        self._register_at = now
        if self._beat_at is None:
            self._beat_at = now + self.interval
            self._last_ok = now

    def remove(self, instances: Iterable[Instance]) -> None:
        """Stop keeping these; an unregister is due at once."""
        for inst in instances:
            key = identity(inst)
            known = self._local.pop(key, None)
            self._to_register.pop(key, None)
            self._to_unregister[key] = known or inst

    def remove_all(self) -> None:
        """Unregister everything (shutdown)."""
        self.remove(list(self._local.values()))

    def mark_down(self, now: float) -> None:
        """Re-register every local instance with status ``down`` (the first step of a drain: discovery drops
        them and watchers get a change, while the leases stay alive until the unregister)."""
        self.add([replace_status(i, "down") for i in self._local.values()], now)

    # -- the loop --------------------------------------------------------------------------------------
    def next_send(self, now: float) -> Send | None:
        """The request to make now, or None when nothing is due."""
        if self._in_flight is not None:
            return None
        send: Send | None = None
        if self._to_unregister:
            send = Send("unregister", tuple(self._to_unregister.values()))
        elif self._to_register and now >= self._register_at:
            send = Send("register", tuple(self._to_register.values()))
        elif self._local and self._beat_at is not None and now >= self._beat_at:
            send = Send("heartbeat", tuple(self._local.values()))
        if send is not None and send.kind != "unregister":
            filtered = self._filter(list(send.instances))
            send = Send(send.kind, tuple(filtered)) if filtered is not None else send
        self._in_flight = send
        return send

    def abandon(self) -> None:
        """The request handed out by :meth:`next_send` will never be answered (its runner was cancelled,
        e.g. by ``close()`` in the middle of a heartbeat): nothing is known about it, and what it carried
        stays due. Without this the client could not send the unregister of its shutdown."""
        self._in_flight = None

    def wakeup(self, now: float) -> float:
        """Seconds until something may be due (the runner sleeps at most this long)."""
        if self._to_unregister:
            return 0.0
        times = []
        if self._to_register:
            times.append(self._register_at)
        if self._local and self._beat_at is not None:
            times.append(self._beat_at)
            if self._last_ok is not None and not self._alarm:
                times.append(self._last_ok + self.watchdog_after)
        return max(0.0, min(times) - now) if times else self.interval

    @property
    def watchdog_after(self) -> float:
        """No successful heartbeat for this long (2/3 of the TTL) raises the watchdog."""
        return self.ttl * 2 / 3

    def settled(self, instances: Iterable[Instance], kind: Kind) -> bool:
        """Whether nothing of ``kind`` (``register`` / ``unregister``) is still due for these instances."""
        pending = self._to_register if kind == "register" else self._to_unregister
        return not any(identity(i) in pending for i in instances)

    def check(self, now: float) -> list[Event]:
        """The watchdog (one ``watchdog`` event when heartbeats have failed for 2/3 of the TTL), plus events
        raised while preparing requests (a registry filter that raised)."""
        events, self._events = self._events, []
        if self._alarm or not self._local or self._last_ok is None:
            return events
        silent = now - self._last_ok
        if silent < self.watchdog_after:
            return events
        self._alarm = True
        return [
            *events,
            Event(
                "watchdog",
                f"no heartbeat succeeded for {silent:.1f}s (lease TTL {self.ttl:g}s); "
                "moving to another server",
                tuple(self._local.values()),
                {"silent_secs": silent},
            ),
        ]

    def answered(
        self, send: Send, answer: RegisterResponse | HeartbeatResponse | None, now: float
    ) -> list[Event]:
        """A server answered ``send`` with success or partial success (``answer`` may be None for an
        unregister). Returns the events to log."""
        self._in_flight = None
        events: list[Event] = []
        failed = list(answer.failed_instances or ()) if answer is not None else []
        if send.kind == "unregister":
            for inst in send.instances:
                self._to_unregister.pop(identity(inst), None)
            return [Event("unregistered", f"unregistered {len(send.instances)} instance(s)", send.instances)]
        self._ok(now, events)
        if send.kind == "register":
            sent = {identity(i) for i in send.instances}
            bad = {identity(f.instance): f for f in failed if f.error_code != "data-not-found"}
            for key in sent:
                # Only what was sent is settled: add() may have queued newer data meanwhile.
                if key not in bad and self._to_register.get(key) in send.instances:
                    self._to_register.pop(key, None)
            self._register_failures = 0
            done = tuple(i for i in send.instances if identity(i) not in bad)
            if done:
                events.append(Event("registered", f"registered {len(done)} instance(s)", done))
            if bad:
                events.append(_rejected(list(bad.values()), self._local, self._to_register))
            return events
        # heartbeat
        self._beat_failures = 0
        self._beat_at = now + self.interval
        lost = [f for f in failed if f.error_code in ("data-not-found", "unknown")]
        again = []
        for f in lost:
            local = self._local.get(identity(f.instance))
            if local is not None:
                self._to_register[identity(local)] = local
                again.append(local)
        if again:
            self._register_at = now
            events.append(
                Event(
                    "re-register",
                    f"the server lost {len(again)} instance(s); registering again",
                    tuple(again),
                )
            )
        return events

    def failed(self, send: Send, error: Exception, now: float, *, rate_limited: bool = False) -> list[Event]:
        """No server could take ``send``. A register and a heartbeat are retried after a jittered delay
        (longer when rate-limited); an unregister is given up (the lease ends by itself). Returns the
        events to log (first failure only)."""
        self._in_flight = None
        events: list[Event] = []
        base = self.retry_base * (4 if rate_limited else 1)
        if send.kind == "register":
            self._register_failures += 1
            self._register_at = now + full_jitter(self._register_failures, base, self.interval, self._rng)
            if self._register_failures == 1:
                events.append(Event("register-failed", f"register failed: {error}", send.instances))
        elif send.kind == "unregister":
            # No server took it: give up rather than hold the loop; the lease ends by itself within the TTL.
            for inst in send.instances:
                self._to_unregister.pop(identity(inst), None)
            events.append(
                Event(
                    "unregister-failed",
                    f"unregister failed ({error}); the lease ends by itself",
                    send.instances,
                )
            )
        elif send.kind == "heartbeat":
            self._beat_failures += 1
            self._beat_at = now + max(
                full_jitter(self._beat_failures, base, self.interval, self._rng), self.retry_base / 2
            )
            if not self._failing:
                self._failing = True
                events.append(Event("heartbeat-failed", f"heartbeat failed: {error}", send.instances))
        return events

    def _ok(self, now: float, events: list[Event]) -> None:
        self._last_ok = now
        if self._alarm or self._failing:
            events.append(Event("recovered", "heartbeats go through again", tuple(self._local.values())))
        self._alarm = False
        self._failing = False

    def _filter(self, instances: list[Instance]) -> list[Instance] | None:
        if not self.filters:
            return None
        out = instances
        for f in self.filters:
            try:
                out = list(f(list(out)))
            except Exception as exc:  # a broken filter must not stop the heartbeat (Java skips it too)
                name = getattr(f, "__name__", type(f).__name__)
                self._events.append(Event("filter-failed", f"registry filter {name} failed: {exc!r}"))
        return out


def replace_status(inst: Instance, status: str) -> Instance:
    """``inst`` with another status."""
    return msgspec.structs.replace(inst, status=status)


def _rejected(
    failed: list[FailedInstance],
    local: dict[tuple[str, str, str], Instance],
    pending: dict[tuple[str, str, str], Instance],
) -> Event:
    # The node refused these items for good (bad-request, no-permission): retrying cannot help, so they
    # leave the local set instead of failing every register and heartbeat after.
    for f in failed:
        local.pop(identity(f.instance), None)
        pending.pop(identity(f.instance), None)
    text = "; ".join(f"{f.instance.service_id}/{f.instance.instance_id}: {f.error_message}" for f in failed)
    return Event(
        "rejected", f"the server refused {len(failed)} instance(s): {text}", tuple(f.instance for f in failed)
    )
