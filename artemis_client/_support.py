"""What both sides of the SDK's clients share: the knobs, logging, completions, fork tracking.

Internal to :mod:`artemis_client.client` and :mod:`artemis_client.following`; nothing here does I/O.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from artemis_client._core import USER_AGENT
from artemis_client.cache import Snapshot
from artemis_client.errors import TransportError
from artemis_client.registration import Event, RegistryFilter
from artemis_client.wire.registry import Instance, InstanceChange

log = logging.getLogger("artemis.client")

ChangeCallback = Callable[[InstanceChange], Any]
CLOSED: Any = object()  # put in a watcher's queue when the client closes


@dataclass(slots=True)
class ClientConfig:
    """Every knob of the SDK with its default (docs/sdk.md has the table)."""

    servers: list[str]
    region: str | None = None
    zone: str | None = None
    client_ip: str | None = None
    heartbeat_interval: float = 5.0
    heartbeat_transport: str = "http"  # "websocket": the Java heartbeat socket (/ws/registry/heartbeat)
    lease_ttl: float = 20.0
    strategy: str = "random"
    zone_affinity: bool = True
    routing: str = "client"  # "client": route rules evaluated per pick from the cache; "server": ask per pick
    registry_filters: Sequence[RegistryFilter] = ()
    close_timeout: float = 3.0
    request_timeout: float = 5.0
    poll_interval: float = 60.0
    degraded_poll: float = 5.0
    refresh_interval: float = 300.0
    eject_secs: float = 30.0
    user_agent: str = USER_AGENT
    extra: dict[str, Any] = field(default_factory=dict)


def monotonic() -> float:
    return time.monotonic()


def log_event(ev: Event, **extra: Any) -> None:
    level = (
        logging.WARNING
        if ev.kind in ("watchdog", "heartbeat-failed", "register-failed", "stale")
        else (logging.ERROR if ev.kind in ("rejected", "filter-failed") else logging.INFO)
    )
    log.log(level, ev.message, extra={"artemis_event": ev.kind, **extra})


def diff(old: Snapshot | None, new: Snapshot) -> list[InstanceChange]:
    """The changes between two snapshots of one service, as watchers see them after a re-fetch."""
    when = int(time.time() * 1000)
    before = {i.instance_id.casefold(): i for i in (old.instances if old else ())}
    after = {i.instance_id.casefold(): i for i in new.instances}
    out = [InstanceChange(i, "delete", when) for k, i in before.items() if k not in after]
    for k, i in after.items():
        if k not in before:
            out.append(InstanceChange(i, "new", when))
        elif before[k] != i:
            out.append(InstanceChange(i, "change", when))
    return out


class Outcome:
    """Completion of one register/unregister the caller waits for."""

    def __init__(self, kind: str, instances: tuple[Instance, ...], timeout: float) -> None:
        self.kind = kind
        self.instances = instances
        self.timeout = timeout
        self._event = asyncio.Event()
        self._error: BaseException | None = None

    def set(self, error: BaseException | None) -> None:
        self._error = error
        self._event.set()

    async def wait_for(self) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                await self._event.wait()
        except TimeoutError:
            raise TransportError(f"no server confirmed the {self.kind} within {self.timeout:g}s") from None
        if self._error is not None:
            raise self._error


def log_callback_error(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error(
            "change callback failed", exc_info=fut.exception(), extra={"artemis_event": "callback-error"}
        )


_clients: weakref.WeakSet[Any] = weakref.WeakSet()


def track_fork(client: Any) -> None:
    _clients.add(client)


def _reset_after_fork() -> None:
    for client in list(_clients):
        client._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


async def sleep_until_poked(wake: asyncio.Event, secs: float) -> None:
    """Sleep ``secs`` seconds or until ``wake`` is set, then clear it."""
    try:
        async with asyncio.timeout(secs):
            await wake.wait()
    except TimeoutError:
        pass
    wake.clear()
