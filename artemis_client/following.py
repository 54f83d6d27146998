"""The discovery side of :class:`~artemis_client.client.AsyncArtemisClient`: following services.

``service()`` / ``discover()`` / ``pick()`` and the three tasks that keep the cache fresh: the discovery
loop (one batched ``lookup.json`` for every service due, see :class:`~artemis_client.discovery.Discovery`),
the push loop (the shared change stream, :class:`~artemis_client.stream.AsyncChangeStream`, restarted when
the set of followed services changes) and the server-list refresh; ``watch()`` / ``on_change()`` hand the
changes the cache sees to the application.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import httpx

from artemis_client import calls
from artemis_client._support import (
    CLOSED,
    ChangeCallback,
    ClientConfig,
    diff,
    log,
    log_callback_error,
    log_event,
    monotonic,
    sleep_until_poked,
)
from artemis_client.balance import Balancer
from artemis_client.cache import ServiceCache, service_key
from artemis_client.changes import Connected, Disconnected, ServerNotice
from artemis_client.discovery import Discovery, ServiceHandle
from artemis_client.errors import ArtemisError, TransportError
from artemis_client.servers import ServerPool
from artemis_client.wire.registry import Instance, InstanceChange

__all__ = ["Following"]


class Following:
    """Mixin of :class:`~artemis_client.client.AsyncArtemisClient` (which owns the state declared here)."""

    config: ClientConfig
    cache: ServiceCache
    discovery: Discovery
    discovery_servers: ServerPool
    registry_servers: ServerPool
    counters: Counter[str]
    stream_server: str | None
    _http: httpx.AsyncClient | None
    _handles: dict[str, ServiceHandle]
    _ready: dict[str, asyncio.Event]
    _watchers: dict[str, list[asyncio.Queue[InstanceChange]]]
    _callbacks: dict[str, list[ChangeCallback]]
    _wake_discovery: asyncio.Event | None
    _restart_stream: asyncio.Event | None

    async def start(self) -> None:  # pragma: no cover - the client's
        raise NotImplementedError

    def _poke(self, event: asyncio.Event | None) -> None:  # pragma: no cover - the client's
        raise NotImplementedError

    def handle(self, service_id: str) -> ServiceHandle | None:
        """The handle of a service already followed (None otherwise); reads only, from any thread."""
        return self._handles.get(service_key(service_id))

    def service(self, service_id: str) -> ServiceHandle:
        """The live handle of a service (followed from now on; the first fetch starts at once)."""
        key = service_key(service_id)
        handle = self._handles.get(key)
        if handle is None:
            c = self.config
            balancer = Balancer(
                c.strategy,
                region=c.region,
                zone=c.zone,
                zone_affinity=c.zone_affinity,
                eject_secs=c.eject_secs,
            )
            handle = self._handles[key] = ServiceHandle(
                service_id, self.cache, balancer, region=c.region, zone=c.zone
            )
            self.discovery.follow(service_id, monotonic())
            self._poke(self._wake_discovery)
            self._poke(self._restart_stream)
        return handle

    async def discover(self, service_id: str, timeout: float = 5.0) -> ServiceHandle:
        """:meth:`service`, and wait (at most ``timeout``) until its first fetch answered."""
        await self.start()
        handle = self.service(service_id)
        if handle.snapshot is None:
            ready = self._ready.setdefault(service_key(service_id), asyncio.Event())
            try:
                async with asyncio.timeout(timeout):
                    await ready.wait()
            except TimeoutError:
                raise TransportError(
                    f"no server answered for service {service_id} within {timeout:g}s"
                ) from None
        return handle

    async def pick(self, service_id: str, key: str | None = None) -> Instance:
        """One instance of a service: from the cache (``routing="client"``), or chosen by a node per call
        (``routing="server"``)."""
        if self.config.routing == "server":
            await self.start()
            assert self._http is not None
            cfg = self.discovery.configs([service_id])[0]
            strategy = self.config.strategy if self.config.strategy in ("random", "round-robin") else None
            return await calls.call(self._http, self.discovery_servers, calls.lookup_one(cfg, strategy))
        handle = self.service(service_id)
        if handle.snapshot is None:
            handle = await self.discover(service_id)
        return handle.pick(key)

    async def _discovery_loop(self) -> None:
        disc = self.discovery
        assert self._http is not None
        assert self._wake_discovery is not None
        while True:
            now = monotonic()
            due = disc.due(now)
            if not due:
                await sleep_until_poked(self._wake_discovery, disc.wakeup(now))
                continue
            req = calls.lookup(disc.configs(due), client_routing=self.config.routing == "client")
            disc.fetching(due)
            try:
                services = await calls.call(self._http, self.discovery_servers, req)
            except ArtemisError as exc:
                self.counters["fetch_failed"] += 1
                for ev in disc.fetch_failed(due, exc, monotonic()):
                    log_event(ev, server=self.discovery_servers.current)
                continue
            except Exception as exc:
                log.exception("discovery loop error", extra={"artemis_event": "error"})
                disc.fetch_failed(due, exc, monotonic())
                continue
            self.counters["fetch_ok"] += 1
            before = {s: self.cache.get(s) for s in due}  # now: pushes meanwhile were notified already
            for ev in disc.fetched(services, due, monotonic()):
                log_event(ev)
            for sid in due:
                snap = self.cache.get(sid)
                if snap is None:
                    continue
                ready = self._ready.get(service_key(sid))
                if ready is not None:
                    ready.set()
                self._notify(sid, diff(before.get(sid), snap) if before.get(sid) is not None else [])

    async def _push_loop(self) -> None:
        from artemis_client.stream import AsyncChangeStream

        assert self._restart_stream is not None
        while True:
            followed = self.discovery.followed
            if not followed:
                self._restart_stream.clear()
                await self._restart_stream.wait()
                continue
            self._restart_stream.clear()
            stream = AsyncChangeStream(self.discovery_servers.order(probe=False), followed, retry_first=True)
            consume = asyncio.create_task(self._consume(stream))
            restart = asyncio.create_task(self._restart_stream.wait())
            try:
                await asyncio.wait({consume, restart}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for t in (consume, restart):
                    t.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await t
            if consume.done() and not consume.cancelled() and consume.exception() is not None:
                await asyncio.sleep(1.0)  # an unexpected error: do not spin

    async def _consume(self, stream: Any) -> None:
        was_down = False
        async for event in stream:
            now = monotonic()
            if isinstance(event, InstanceChange):
                self.counters["push_changes"] += 1
                sid = event.instance.service_id
                if self.discovery.pushed(sid, [event], now) is not None:
                    self._notify(sid, [event])
                if self.discovery.wakeup(now) == 0:  # a reload or canary change: fetch it now
                    self._poke(self._wake_discovery)
            elif isinstance(event, Connected):
                self.counters["push_connected"] += 1
                self.stream_server = event.server
                self.discovery.stream_up(now)
                self._poke(self._wake_discovery)
                if was_down:
                    log.info("change stream back on %s", event.server, extra={"artemis_event": "push-up"})
                was_down = False
            elif isinstance(event, Disconnected):
                self.counters["push_disconnected"] += 1
                self.stream_server = None
                self.discovery.stream_down(now)
                self._poke(self._wake_discovery)
                if not was_down:
                    log.warning(
                        "change stream down (%s); polling every %gs",
                        event.reason,
                        self.discovery.degraded_poll,
                        extra={"artemis_event": "push-down"},
                    )
                was_down = True
            elif isinstance(event, ServerNotice):
                log.warning(
                    "server refused a frame: %s", event.message, extra={"artemis_event": "push-notice"}
                )

    async def _servers_loop(self) -> None:
        assert self._http is not None
        c = self.config
        while True:
            await asyncio.sleep(c.refresh_interval)
            for kind, pool in (("registry", self.registry_servers), ("discovery", self.discovery_servers)):
                try:
                    nodes = await calls.call(self._http, pool, calls.up_nodes(kind, c.region, c.zone))
                except ArtemisError:
                    continue  # keep the current list; the next round tries again
                if pool.refresh(calls.node_urls(nodes)):
                    log.info("%s servers now %s", kind, pool.servers, extra={"artemis_event": "servers"})

    async def watch(self, service_id: str) -> AsyncGenerator[InstanceChange, None]:
        """Every change of a service as the cache sees it (pushed, or found by a re-fetch), until closed."""
        await self.start()
        self.service(service_id)
        q: asyncio.Queue[InstanceChange] = asyncio.Queue()
        key = service_key(service_id)
        self._watchers.setdefault(key, []).append(q)
        try:
            while True:
                change = await q.get()
                if change is CLOSED:
                    return
                yield change
        finally:
            with contextlib.suppress(ValueError, KeyError):
                self._watchers[key].remove(q)

    def on_change(self, service_id: str, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback(change)`` for every change of a service (on the client's loop; exceptions are
        logged and never stop the stream; a coroutine function is awaited as a task). Returns a function
        that removes the callback."""
        self.service(service_id)
        key = service_key(service_id)
        self._callbacks.setdefault(key, []).append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError, KeyError):
                self._callbacks[key].remove(callback)

        return remove

    def _notify(self, service_id: str, changes: list[InstanceChange]) -> None:
        key = service_key(service_id)
        for change in changes:
            for q in self._watchers.get(key, ()):
                q.put_nowait(change)
            for cb in list(self._callbacks.get(key, ())):
                try:
                    result = cb(change)
                    if isinstance(result, Awaitable):
                        asyncio.ensure_future(result).add_done_callback(log_callback_error)
                except Exception:
                    log.exception("change callback failed", extra={"artemis_event": "callback-error"})
