"""The SDK's registry and discovery calls, and the runner that sends them through the shared failover core.

Each builder returns a :class:`~artemis_client._core.Request`; :func:`call` drives
:meth:`~artemis_client._core.Failover.attempts` (the one failover policy of the project) over an
``httpx.AsyncClient``, with the servers ordered by a :class:`~artemis_client.servers.ServerPool` and every
outcome reported back to it, so a node that fails is ejected and probed again later.

Every SDK call is idempotent (register, heartbeat and unregister by design, the rest are reads), so each is
``safe``: a timeout after sending moves on to the next node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import httpx

from artemis_client._core import Answer, Failover, Request
from artemis_client.errors import ArtemisError, TransportError, UnavailableError
from artemis_client.servers import ServerPool
from artemis_client.transport import failure, send_args
from artemis_client.wire.registry import (
    DiscoveryConfig,
    HeartbeatResponse,
    Instance,
    RegisterResponse,
    Service,
)
from artemis_client.wire.status import ServiceNode

T = TypeVar("T")


def _registry(op: str, instances: Sequence[Instance], shape: type[T]) -> Request[T]:
    # J bodies (whole instances): a J node answers failedInstances with what to re-register (S4.3).
    return Request(
        "POST",
        f"/api/registry/{op}.json",
        json={"instances": list(instances)},
        safe=True,
        partial_ok=True,
        shape=shape,
    )


def register(instances: Sequence[Instance]) -> Request[RegisterResponse]:
    """register.json; ``failedInstances`` lists items the node refused."""
    return _registry("register", instances, RegisterResponse)


def heartbeat(instances: Sequence[Instance]) -> Request[HeartbeatResponse]:
    """heartbeat.json; ``failedInstances`` lists what the node does not know (to re-register)."""
    return _registry("heartbeat", instances, HeartbeatResponse)


def unregister(instances: Sequence[Instance]) -> Request[HeartbeatResponse]:
    """unregister.json; unknown instances are not failures (S5.3)."""
    return _registry("unregister", instances, HeartbeatResponse)


def lookup(configs: Sequence[DiscoveryConfig], *, client_routing: bool) -> Request[list[Service]]:
    """One batched J lookup for several services (S7.4). ``client_routing`` asks for the unrouted instances
    plus the active route rule (docs/sdk.md); a node that does not know the flag ignores it and routes."""
    body: dict[str, Any] = {"discoveryConfigs": list(configs)}
    if client_routing:
        body["clientRouting"] = True
    return Request(
        "POST", "/api/discovery/lookup.json", json=body, safe=True, pick="services", shape=Service, many=True
    )


def lookup_one(config: DiscoveryConfig, strategy: str | None) -> Request[Instance]:
    """The node picks one instance (R single-instance lookup): ``routing="server"``."""
    body: dict[str, Any] = {"discoveryConfig": config}
    if strategy in ("random", "round-robin"):
        body["strategy"] = strategy
    return Request(
        "POST", "/api/discovery/lookup.json", json=body, safe=True, family="lookup", shape=Instance
    )


def up_nodes(kind: str, region: str | None, zone: str | None) -> Request[list[ServiceNode]]:
    """``up-registry-nodes`` / ``up-discovery-nodes`` (api.md 2.5)."""
    body = {k: v for k, v in (("regionId", region), ("zoneId", zone)) if v}
    return Request(
        "POST",
        f"/api/cluster/up-{kind}-nodes.json",
        json=body,
        safe=True,
        pick="nodes",
        shape=ServiceNode,
        many=True,
    )


class _PoolFailover(Failover):
    """The shared failover policy with the pool's order (probe, sticky choice, healthy, ejected)."""

    def __init__(self, pool: ServerPool) -> None:
        super().__init__(pool.servers)
        self.pool = pool

    def order(self) -> list[int]:
        self.servers = self.pool.order()
        return list(range(len(self.servers)))


async def call(http: httpx.AsyncClient, pool: ServerPool, req: Request[T]) -> T:
    """Send ``req`` through the failover policy; report each server's outcome to ``pool``."""
    attempts = _PoolFailover(pool).attempts(req)
    server = next(attempts)
    try:
        while True:
            try:
                resp = await http.request(**send_args(req, server))
            except httpx.TransportError as exc:
                pool.failed(server)
                server = attempts.send(failure(exc))
                continue
            got: Answer = Answer(resp.status_code, resp.content)
            try:
                nxt = attempts.send(got)
            except StopIteration as done:
                pool.succeeded(server)
                return done.value
            except (UnavailableError, TransportError):
                pool.failed(server)
                raise
            except ArtemisError:
                pool.succeeded(server)  # the node answered; the request was refused
                raise
            pool.failed(server)  # the policy moved on: this node could not serve it
            server = nxt
    finally:
        attempts.close()


def node_urls(nodes: Iterable[ServiceNode]) -> list[str]:
    """The base URLs of a node list."""
    return [n.url for n in nodes if n.url]
