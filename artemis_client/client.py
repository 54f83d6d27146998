"""``AsyncArtemisClient``: register, stay alive, discover and follow changes, on asyncio with zero threads.

Nothing happens on import or in the constructor: :meth:`AsyncArtemisClient.start` (or ``async with``) opens
the HTTP connection pool and starts the client's tasks, :meth:`AsyncArtemisClient.aclose` unregisters what
this process registered and stops them within a deadline (3 s by default) even when every server is down.

Tasks (all owned by the client, cancelled on close):

* ``artemis-registry``: drives :class:`~artemis_client.registration.Registrar` (register at once, one
  batched heartbeat per interval, re-register on ``data-not-found``, watchdog at 2/3 of the TTL);
* ``artemis-discovery``: drives :class:`~artemis_client.discovery.Discovery` (one batched lookup for every
  service due, safety poll, stale flag on outage);
* ``artemis-push``: the shared change stream (:class:`~artemis_client.stream.AsyncChangeStream`) for the
  followed services, restarted when the set of followed services changes;
* ``artemis-servers``: refreshes both server lists from ``up-registry-nodes`` / ``up-discovery-nodes``.

Logging goes to the ``artemis.client`` logger with structured ``extra`` fields (``artemis_event``,
``service_id``, ``server``); state changes are logged once, not on every retry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from artemis_client import calls
from artemis_client._support import (
    CLOSED,
    ChangeCallback,
    ClientConfig,
    Outcome,
    log,
    log_event,
    monotonic,
    sleep_until_poked,
    track_fork,
)
from artemis_client.balance import Balancer
from artemis_client.cache import ServiceCache, service_key
from artemis_client.discovery import Discovery, ServiceHandle
from artemis_client.errors import ArtemisError, BadRequestError, RateLimitedError
from artemis_client.following import Following
from artemis_client.heartbeat import HeartbeatSocket
from artemis_client.registration import Registrar, RegistryFilter, Send
from artemis_client.servers import ServerPool, parse_servers
from artemis_client.wire.registry import HeartbeatResponse, Instance, InstanceChange, RegisterResponse

__all__ = ["AsyncArtemisClient", "ChangeCallback", "ClientConfig"]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class AsyncArtemisClient(Following):
    """The Artemis SDK for asyncio applications. See the module docstring and docs/sdk.md."""

    def __init__(
        self,
        servers: str | Sequence[str],
        *,
        region: str | None = None,
        zone: str | None = None,
        client_ip: str | None = None,
        heartbeat_interval: float = 5.0,
        heartbeat_transport: str = "http",
        lease_ttl: float = 20.0,
        strategy: str = "random",
        zone_affinity: bool = True,
        routing: str = "client",
        registry_filters: Sequence[RegistryFilter] = (),
        close_timeout: float = 3.0,
        request_timeout: float = 5.0,
        poll_interval: float = 60.0,
        refresh_interval: float = 300.0,
        eject_secs: float = 30.0,
    ) -> None:
        if routing not in ("client", "server"):
            raise ValueError("routing must be 'client' or 'server'")
        if heartbeat_transport not in ("http", "websocket"):
            raise ValueError("heartbeat_transport must be 'http' or 'websocket'")
        self.config = ClientConfig(
            servers=parse_servers(servers),
            region=region,
            zone=zone,
            client_ip=client_ip,
            heartbeat_interval=heartbeat_interval,
            heartbeat_transport=heartbeat_transport,
            lease_ttl=lease_ttl,
            strategy=strategy,
            zone_affinity=zone_affinity,
            routing=routing,
            registry_filters=registry_filters,
            close_timeout=close_timeout,
            request_timeout=request_timeout,
            poll_interval=poll_interval,
            refresh_interval=refresh_interval,
            eject_secs=eject_secs,
        )
        Balancer(strategy)  # refuse an unknown strategy now, not on the first pick
        self.cache = ServiceCache()
        self._handles: dict[str, ServiceHandle] = {}
        self._fresh_state()
        track_fork(self)

    def _fresh_state(self) -> None:
        """Everything a started client owns; a forked child gets a new set (the parent keeps its own)."""
        c = self.config
        self.registrar = Registrar(interval=c.heartbeat_interval, ttl=c.lease_ttl, filters=c.registry_filters)
        self.discovery = Discovery(
            self.cache,
            region=c.region,
            zone=c.zone,
            client_ip=c.client_ip,
            poll_interval=c.poll_interval,
            degraded_poll=min(c.degraded_poll, c.poll_interval),
        )
        for handle in self._handles.values():
            self.discovery.follow(handle.service_id, monotonic())
        self.registry_servers = ServerPool(c.servers)
        self.discovery_servers = ServerPool(c.servers)
        self.counters: Counter[str] = Counter()  # see stats()
        self.heartbeat_socket = (
            HeartbeatSocket(
                self.registry_servers,
                self.counters,
                open_timeout=min(c.request_timeout, 2.0),
                answer_timeout=c.request_timeout,
                user_agent=c.user_agent,
                clock=monotonic,
            )
            if c.heartbeat_transport == "websocket"
            else None
        )
        self._http: httpx.AsyncClient | None = None
        self._app_http: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wake_registry: asyncio.Event | None = None
        self._wake_discovery: asyncio.Event | None = None
        self._restart_stream: asyncio.Event | None = None
        self._watchers: dict[str, list[asyncio.Queue[InstanceChange]]] = {}
        self._callbacks: dict[str, list[ChangeCallback]] = {}
        self._ready: dict[str, asyncio.Event] = {}
        self._pending: list[Outcome] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self.stream_server: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        """Whether :meth:`start` ran (and :meth:`aclose` did not)."""
        return bool(self._tasks)

    async def start(self) -> None:
        """Open the connection pool and start the client's tasks (idempotent)."""
        if self._tasks:
            return
        if self._closed:
            raise RuntimeError("this client is closed; create a new one")
        self._loop = asyncio.get_running_loop()
        c = self.config
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(c.request_timeout, connect=min(c.request_timeout, 2.0)),
            headers={"User-Agent": c.user_agent, "Accept": "application/json"},
            follow_redirects=False,
        )
        self._wake_registry = asyncio.Event()
        self._wake_discovery = asyncio.Event()
        self._restart_stream = asyncio.Event()
        for name, coro in (
            ("artemis-registry", self._registry_loop()),
            ("artemis-discovery", self._discovery_loop()),
            ("artemis-push", self._push_loop()),
            ("artemis-servers", self._servers_loop()),
        ):
            self._tasks.append(asyncio.create_task(coro, name=name))
        log.debug("artemis client started", extra={"artemis_event": "started", "servers": c.servers})

    async def __aenter__(self) -> AsyncArtemisClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self, timeout: float | None = None) -> None:
        """Unregister this process's instances and stop, within ``timeout`` seconds (default
        ``close_timeout``) whatever state the servers are in."""
        if self._closed:
            return
        self._closed = True
        deadline = monotonic() + (self.config.close_timeout if timeout is None else timeout)
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=max(0.05, deadline - monotonic()))
        if self._http is not None and self.registrar.instances:
            self.registrar.abandon()  # a request the cancelled loop left unanswered must not block this one
            self.registrar.remove_all()
            send = self.registrar.next_send(monotonic())
            if send is not None:
                try:
                    async with asyncio.timeout(max(0.05, deadline - monotonic())):
                        await calls.call(self._http, self.registry_servers, calls.unregister(send.instances))
                    for ev in self.registrar.answered(send, None, monotonic()):
                        log_event(ev)
                except (TimeoutError, ArtemisError) as exc:
                    log.warning(
                        "could not unregister before closing: %s",
                        exc or "timed out",
                        extra={"artemis_event": "unregister-failed"},
                    )
        if self.heartbeat_socket is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.05, deadline - monotonic())):
                    await self.heartbeat_socket.aclose()
        for http in (self._http, self._app_http):
            if http is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(max(0.05, deadline - monotonic())):
                        await http.aclose()
        self._http = self._app_http = None
        for queues in self._watchers.values():
            for q in queues:
                q.put_nowait(CLOSED)
        log.debug("artemis client closed", extra={"artemis_event": "closed"})

    def _after_fork_in_child(self) -> None:
        # The parent's tasks, sockets and loop are not ours: start over with empty registrations (the parent
        # keeps heartbeating its own) and the same followed services, served from the copied cache, stale.
        closed = self._closed
        self._fresh_state()
        self._closed = closed
        self.cache.mark_stale()

    # -- registry -----------------------------------------------------------------------------------------
    async def register(self, *instances: Instance) -> None:
        """Register instances now and keep them registered until :meth:`unregister`, :meth:`drain` or
        :meth:`aclose`. Returns once a node holds them. When no node takes them the error is raised, and
        they stay queued: the client keeps trying in the background (``unregister`` drops them)."""
        await self.start()
        done = self._outcome(instances)
        self.registrar.add(instances, monotonic())
        self._poke(self._wake_registry)
        await done.wait_for()

    async def unregister(self, *instances: Instance) -> None:
        """Stop keeping these instances and unregister them now."""
        await self.start()
        done = self._outcome(instances, kind="unregister")
        self.registrar.remove(instances)
        self._poke(self._wake_registry)
        await done.wait_for()

    async def drain(self, grace: float = 5.0) -> None:
        """Graceful shutdown of this process's instances: mark them down (discovery drops them and watchers
        hear it), wait ``grace`` seconds for clients to move away, then unregister them."""
        local = self.registrar.instances
        if not local:
            return
        await self.start()
        self.registrar.mark_down(monotonic())
        done = self._outcome(self.registrar.instances)
        self._poke(self._wake_registry)
        await done.wait_for()
        await asyncio.sleep(grace)
        await self.unregister(*self.registrar.instances)

    def _outcome(self, instances: Iterable[Instance], kind: str = "register") -> Outcome:
        out = Outcome(kind, tuple(instances), self.config.request_timeout * 3)
        self._pending.append(out)
        return out

    def _settle(self, error: BaseException | None = None, sent: Iterable[Instance] = ()) -> None:
        """Wake the callers of register/unregister whose instances are settled (or whose send failed)."""
        failed = {i.instance_id.casefold() for i in sent} if error is not None else set()
        for out in list(self._pending):
            if failed and any(i.instance_id.casefold() in failed for i in out.instances):
                out.set(error)  # a given-up unregister is settled too, but it failed
            elif self.registrar.settled(out.instances, out.kind):  # type: ignore[arg-type]
                out.set(None)
            else:
                continue
            self._pending.remove(out)

    async def _registry_loop(self) -> None:
        reg = self.registrar
        assert self._http is not None
        assert self._wake_registry is not None
        while True:
            now = monotonic()
            for ev in reg.check(now):
                self.counters[f"event_{ev.kind}"] += 1
                log_event(ev, server=self.registry_servers.current)
                if ev.kind == "watchdog":
                    self.registry_servers.rotate()
            send = reg.next_send(now)
            if send is None:
                await sleep_until_poked(self._wake_registry, reg.wakeup(now))
                continue
            try:
                answer = await self._send(send)
            except asyncio.CancelledError:
                reg.abandon()
                raise
            except ArtemisError as exc:
                self.counters[f"{send.kind}_failed"] += 1
                events = reg.failed(send, exc, monotonic(), rate_limited=isinstance(exc, RateLimitedError))
                for ev in events:
                    log_event(ev, server=self.registry_servers.current)
                self._settle(exc, send.instances)
                continue
            except Exception as exc:  # a bug must not end the heartbeat
                log.exception("registry loop error", extra={"artemis_event": "error"})
                reg.failed(send, exc, monotonic())
                self._settle(exc, send.instances)
                continue
            self.counters[f"{send.kind}_ok"] += 1
            refused: BadRequestError | None = None
            for ev in reg.answered(send, answer, monotonic()):
                self.counters[f"event_{ev.kind}"] += 1
                log_event(ev, server=self.registry_servers.current)
                if ev.kind == "rejected":  # the node refused these for good: their callers hear why
                    refused = BadRequestError(ev.message)
                    self._settle(refused, ev.instances)
            if refused is None:
                self._settle()

    async def _send(self, send: Send) -> RegisterResponse | HeartbeatResponse:
        """Perform what the registrar decided: over HTTP, or a heartbeat over the heartbeat socket when it is
        enabled and up (a beat it cannot carry goes over HTTP)."""
        assert self._http is not None
        if send.kind == "heartbeat":
            beat = calls.heartbeat(send.instances)
            if self.heartbeat_socket is not None:
                answer = await self.heartbeat_socket.beat(beat)
                if answer is not None:
                    return answer
                self.counters["heartbeat_http_fallback"] += 1
            return await calls.call(self._http, self.registry_servers, beat)
        req = calls.register(send.instances) if send.kind == "register" else calls.unregister(send.instances)
        return await calls.call(self._http, self.registry_servers, req)  # type: ignore[arg-type]

    def stats(self) -> dict[str, Any]:
        """What a metrics exporter needs: counters since start (``heartbeat_ok``, ``heartbeat_failed``,
        ``register_ok``, ``event_watchdog``, ``event_re-register``, ``fetch_ok``, ``fetch_failed``,
        ``push_connected``, ``push_disconnected``, ``push_changes``, and with the heartbeat socket
        ``heartbeat_ws`` (beats answered over it), ``heartbeat_http_fallback``, ``heartbeat_ws_connects``,
        ``heartbeat_ws_drops``), the servers in use, and per followed service its instance count, cache age
        in seconds, stale flag, revision, picks made and instances ejected by ``report_failure()`` now.
        Safe to call from any thread (a metrics scrape)."""
        now = monotonic()
        services = {}
        for sid in self.discovery.followed:
            snap = self.cache.get(sid)
            handle = self._handles.get(service_key(sid))
            services[sid] = (
                {
                    "instances": len(snap.instances),
                    "age": snap.age(now),
                    "stale": snap.stale,
                    "revision": snap.revision,
                    "picks": handle.picks if handle is not None else 0,
                    "ejected": len(handle.balancer.ejected()) if handle is not None else 0,
                }
                if snap is not None
                else None
            )
        return {
            "counters": dict(self.counters),
            "registered": len(self.registrar.instances),
            "registry_server": self.registry_servers.current,
            "heartbeat_socket": self.heartbeat_socket.server if self.heartbeat_socket is not None else None,
            "push_server": self.stream_server,
            "services": services,
        }

    # -- calling a service --------------------------------------------------------------------------------
    async def request(
        self,
        service_id: str,
        method: str,
        path: str,
        *,
        key: str | None = None,
        attempts: int = 3,
        retry_unsafe: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Pick an instance, call ``<instance url><path>``, and on a transport error or a 502/503/504 report
        the instance and retry on another (idempotent methods only, unless ``retry_unsafe``)."""
        if self._app_http is None:
            self._app_http = httpx.AsyncClient(timeout=self.config.request_timeout, follow_redirects=False)
        handle = self.service(service_id)
        if handle.snapshot is None:
            handle = await self.discover(service_id)
        retry = method.upper() in _IDEMPOTENT or retry_unsafe
        last: BaseException | None = None
        for _ in range(max(1, attempts)):
            inst = handle.pick(key)
            base = (inst.url or "").rstrip("/")
            try:
                with handle.track(inst):
                    resp = await self._app_http.request(method, base + path, **kwargs)
            except httpx.TransportError as exc:
                handle.report_failure(inst)
                last = exc
                if not retry:
                    raise
                continue
            if resp.status_code in (502, 503, 504) and retry:
                handle.report_failure(inst)
                last = httpx.HTTPStatusError(f"HTTP {resp.status_code}", request=resp.request, response=resp)
                continue
            handle.report_success(inst)
            return resp
        assert last is not None
        raise last

    # -- helpers ------------------------------------------------------------------------------------------
    def _poke(self, event: asyncio.Event | None) -> None:
        if event is None or self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            event.set()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(event.set)
