"""Node: the composition root of one registry node, free of web-framework imports.

It owns the registry core, the management view, rate limiter, metrics and background tasks (lease sweeper,
J delta snapshots). The HTTP layer (api/) and other adapters (store, replication, push) get everything from
here. The parts adapters attach (peers, replicator, push hub, request hooks) are declared here, typed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec

from artemis_client.wire.registry import Instance, Service
from artemis_server.registry.answers import AnswerCache
from artemis_server.registry.changes import ChangeBus
from artemis_server.registry.discovery import ClientContext, LoadBalancer, Router, filter_service
from artemis_server.registry.leases import RenewalCache
from artemis_server.registry.ports import Clock, SystemClock
from artemis_server.registry.ratelimit import RateLimiter
from artemis_server.registry.registry import LeaseSettings, Registry
from artemis_server.registry.routing import RoutingTable
from artemis_server.registry.service import RegistryService, WriteRules
from artemis_server.registry.snapshots import SnapshotRing
from artemis_server.registry.visibility import ManagementState
from artemis_server.settings import Settings
from artemis_server.tracing import Tracing
from artemis_server.tracing import setup as setup_tracing

if TYPE_CHECKING:
    from artemis_server.api.cors import OriginPolicy
    from artemis_server.api.endpoints import RequestHook
    from artemis_server.api.push import PushHub
    from artemis_server.auth import AuthService
    from artemis_server.replication.mgmt_sync import ManagementSync
    from artemis_server.replication.peers import PeerSet
    from artemis_server.replication.replicator import Replicator

log = logging.getLogger(__name__)


def _stable_node_id(settings: Settings) -> str:
    """No ``server.node_id``: the id kept in the data directory (generated on first start)."""
    import uuid

    from artemis_server.store.datadir import stable_node_id

    try:
        return stable_node_id(settings.data_dir())
    except OSError as exc:
        log.warning(
            "cannot keep a node id in %s (%s); using a new one for this run", settings.data_dir(), exc
        )
        return str(uuid.uuid4())


class Node:
    auth: AuthService  # console users and sessions (auth.attach, always)

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        if not settings.server.node_id:
            settings.server.node_id = _stable_node_id(settings)
        from artemis_server.store.datadir import DataDirLock

        self.dir_lock = DataDirLock(settings.data_dir())
        self.clock: Clock = clock or SystemClock()
        self.bus = ChangeBus()
        s = settings
        self.registry = Registry(
            clock=self.clock,
            bus=self.bus,
            region=s.server.region,
            zone=s.server.zone,
            leases=LeaseSettings(s.lease.ttl_secs, s.lease.legacy_ttl_secs, s.lease.safe_check_enabled),
        )
        self.mgmt = ManagementState()
        self.registry.is_down = self.mgmt.is_down
        self.router: Router = RoutingTable()
        self.lb = LoadBalancer()
        self.limiter = RateLimiter(
            enabled=s.ratelimit.enabled,
            rate=s.ratelimit.requests_per_second,
            burst=s.ratelimit.burst_size,
            clock=self.clock,
        )
        self.snapshots = SnapshotRing(s.cache.snapshot_count)
        self.renewals = RenewalCache(s.cache.heartbeat_cache_bytes)
        # Encoded service.json answers per service version, for callers the answer does not depend on.
        self.answers = AnswerCache(self.registry, s.cache.discovery_cache_bytes)
        # OpenTelemetry spans (the otel extra); tracing.OFF, one attribute read on each path, unless enabled.
        self.tracing: Tracing = setup_tracing(
            s.tracing, node_id=s.server.node_id, region=s.server.region, zone=s.server.zone
        )
        self.status = "up"
        self.started_at = self.clock.now()
        self.bound_port: int | None = None
        self.ws_counts: dict[str, int] = {"registry": 0, "discovery": 0}
        # Attached by the adapters; None means "not configured in this node".
        self.peers: PeerSet | None = None  # replication.attach, when the cluster has peers
        self.mgmt_sync: ManagementSync | None = None  # replication.attach: management changes between peers
        self.push: PushHub | None = None  # api.push: the WebSocket sessions of this node
        self.origin_policy: OriginPolicy | None = None  # api.cors: built on the first private call
        # Run by every path to an endpoint before dispatch (auth guard, peer token): api.endpoints.dispatch.
        # (add_request_hook; a tuple, so that nothing appends behind the per-endpoint table's back)
        self.request_hooks: tuple[RequestHook, ...] = ()
        # id(endpoint) -> the hooks that apply to it (api.endpoints.hooks_for); emptied by add_request_hook
        self.hooks_by_endpoint: dict[int, tuple[RequestHook, ...]] = {}
        self._replicator: Replicator | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._on_start: list[Callable[[], Awaitable[None]]] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self.on_start(self._claim)  # first: a node on a data directory in use stops before touching it
        self.on_stop(self._release)  # last (stop hooks run in reverse)
        from artemis_server.management.service import ManagementService

        self.management: ManagementService = ManagementService(self)
        self.on_start(self.management.open)
        self.on_stop(self.management.close)
        from artemis_server.metrics import Metrics

        self.metrics = Metrics(self._gauges)
        lim, reg = s.limits, s.registry
        # Every registry write goes through the service (rules, rate limits, metrics, replication).
        self.service = RegistryService(
            self.registry,
            rules=WriteRules(
                max_batch_instances=lim.max_batch_instances,
                max_metadata_entries=lim.max_metadata_entries,
                max_metadata_bytes=lim.max_metadata_bytes,
                enforce_same_region=reg.enforce_same_region,
                allow_from_other_zone=reg.allow_from_other_zone,
                region=s.server.region,
                zone=s.server.zone,
            ),
            limiter=self.limiter,
            renewals=self.renewals,
            metrics=self.metrics,
            clock=self.clock,
        )
        from artemis_server.auth import attach as attach_auth

        # Before replication: the first-admin bootstrap finishes before this node announces itself to peers.
        attach_auth(self)  # node.auth, console users (S19) and the management guard hook (api.md A1-A3)
        from artemis_server.replication import attach as attach_replication

        attach_replication(self)  # peers, replicator, peer-token hook, start-up sync (inert without peers)

    @property
    def replicator(self) -> Replicator | None:
        """The sender of client writes to the peers (replication.attach, when replication is enabled)."""
        return self._replicator

    @replicator.setter
    def replicator(self, rep: Replicator | None) -> None:
        self._replicator = rep
        self.service.replication = rep

    # -- identity ----------------------------------------------------------------------------------
    def claim_data_dir(self) -> None:
        """Hold the data directory's lock (raises DataDirInUseError naming the node that holds it)."""
        self.dir_lock.acquire(self.node_id, self.url)

    async def _claim(self) -> None:
        self.claim_data_dir()

    async def _release(self) -> None:
        self.dir_lock.release()

    @property
    def node_id(self) -> str:
        return self.settings.server.node_id

    @property
    def url(self) -> str:
        return self.settings.node_url(self.bound_port)

    @property
    def machine_name(self) -> str:
        return socket.gethostname()

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # -- discovery helpers -------------------------------------------------------------------------
    def discover(
        self, service_id: str, ctx: ClientContext, *, route: bool = True
    ) -> tuple[str, list[Instance]] | None:
        """The filtered instances of a service (S7.1), or None when no instance is registered."""
        entry = self.registry.get_service(service_id)
        if entry is None:
            return None
        insts = filter_service(
            entry.service_id,
            list(entry.instances.values()),
            self.mgmt,
            self.router,
            ctx,
            only_up=self.settings.discovery.only_up,
            route=route and not self.settings.discovery.emit_route_rules,
        )
        return entry.service_id, insts

    def service_extras(self, svc: Service, ctx: ClientContext) -> Service:
        """S9.9: with `discovery.emit_route_rules`, J clients get the active rule and route themselves."""
        if not self.settings.discovery.emit_route_rules or not isinstance(self.router, RoutingTable):
            return svc
        rule = self.router.active_rule(svc.service_id)
        if rule is None or not rule.groups:
            return svc
        from artemis_server.views import route_rule_view

        return msgspec.structs.replace(svc, route_rules=[route_rule_view(rule)])

    def services_view(self) -> list[tuple[str, list[Instance]]]:
        """services.json: every service with F2-F4 applied, empty services omitted (S7.3)."""
        out: list[tuple[str, list[Instance]]] = []
        mgmt = self.mgmt
        for entry in self.registry.iter_services():
            insts = list(entry.instances.values())
            if mgmt.any_down:
                insts = [i for i in insts if not mgmt.is_down(i)]
            if insts:
                out.append((entry.service_id, insts))
        return out

    # -- lifecycle ---------------------------------------------------------------------------------
    def add_request_hook(self, hook: RequestHook) -> None:
        """Run ``hook`` on every call of the endpoints it applies to, after the hooks added before it."""
        self.request_hooks += (hook,)
        self.hooks_by_endpoint.clear()

    def on_start(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._on_start.append(fn)

    def on_stop(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._on_stop.append(fn)

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.append(task)

    async def start(self) -> None:
        for fn in self._on_start:
            await fn()
        self.spawn(self._sweeper(), "lease-sweeper")
        self.spawn(self._snapshotter(), "delta-snapshots")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for fn in reversed(self._on_stop):
            try:
                await fn()
            except Exception:
                log.exception("error while stopping")
        if self.tracing.on:
            # the spans still queued go out (the exporter may wait for its endpoint: not on the loop)
            await asyncio.to_thread(self.tracing.shutdown)

    async def _sweeper(self) -> None:
        interval = self.settings.lease.cleanup_interval_secs
        while True:
            await asyncio.sleep(interval)
            try:
                removed = self.registry.sweep()
                if removed:
                    self.metrics.evictions.inc(len(removed))
                    log.info("evicted %d expired instance(s)", len(removed))
            except Exception:
                log.exception("lease sweep failed")

    def take_snapshot(self) -> None:
        self.snapshots.take(self.registry.version, self.registry.iter_services(), self.mgmt)

    async def _snapshotter(self) -> None:
        c = self.settings.cache
        await asyncio.sleep(c.snapshot_initial_delay_secs)
        while True:
            try:
                self.take_snapshot()
            except Exception:
                log.exception("delta snapshot failed")
            await asyncio.sleep(c.snapshot_interval_secs)

    # -- metrics -----------------------------------------------------------------------------------
    def _gauges(self) -> dict[str, float]:
        r = self.registry
        return {
            "artemis_active_instances": float(len(r)),
            "artemis_services": float(len(r.services)),
            "artemis_leases": float(len(r.pool)),
            "artemis_legacy_leases": float(len(r.legacy_pool)),
            "artemis_lease_renewals_last_window": float(r.safe.window_count),
            "artemis_lease_renewals_max_window": float(r.safe.max_count),
            "artemis_lease_safe": 1.0 if r.safe.is_safe else 0.0,
            "artemis_ws_sessions": float(sum(self.ws_counts.values())),
            "artemis_uptime_seconds": time.time() - self.started_at,
        }
