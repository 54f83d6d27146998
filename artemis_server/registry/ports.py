"""What the core needs from outside: a clock (tests pass a FakeClock and never sleep), a place to count
(metrics) and a way to send writes on to the peers (replication)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from artemis_client.wire.registry import Instance


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock seconds since the epoch."""
        ...


class SystemClock:
    __slots__ = ()

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class RegistryMetrics(Protocol):
    """What the registry service counts (artemis_server.metrics.Metrics implements it for Prometheus)."""

    def count_register(self) -> None: ...
    def count_heartbeat(self) -> None: ...
    def count_unregister(self) -> None: ...
    def count_renewed(self, keys: int) -> None: ...
    def count_renewed_again(self, keys: int) -> None:
        """One heartbeat renewed from the renewal cache, ``keys`` leases."""
        ...

    def count_unknown(self, keys: int) -> None: ...
    def count_rate_limited(self, operation: str) -> None: ...


class Replication(Protocol):
    """Sends client writes on to the peers (artemis_server.replication.Replicator). Never blocks."""

    def register(self, instances: list[Instance]) -> None: ...
    def heartbeat(self, instances: list[Instance]) -> None: ...
    def unregister(self, instances: list[Instance]) -> None: ...
