"""Endpoints of the registry, discovery, status and cluster paths (api.md 2.2, 2.3, 2.5, 2.6).

Each function builds the :class:`~artemis_client._core.Request` of one call; :mod:`artemis_cli.client` makes
them methods of the sync and async clients. Registry calls are idempotent by design: safe to send to another
node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from artemis_client._core import Request, drop_none, need
from artemis_client.wire.registry import HeartbeatResponse, Instance, RawKey, RegisterResponse, Service
from artemis_client.wire.status import (
    ClusterStatusResponse,
    ConfigResponse,
    LeasesResponse,
    NodeStatusResponse,
    ServiceNode,
    ServiceNodeStatus,
)


def register(instances: Sequence[Instance]) -> Request[RegisterResponse]:
    """Register (or re-register) instances; any item refused fails the call (the class of its code)."""
    return Request(
        "POST",
        "/api/registry/register.json",
        json={"instances": list(instances)},
        safe=True,
        shape=RegisterResponse,
    )


def heartbeat(keys: Sequence[RawKey]) -> Request[HeartbeatResponse]:
    """``failedInstanceKeys`` lists keys the server does not know."""
    return Request(
        "POST",
        "/api/registry/heartbeat.json",
        json={"instanceKeys": list(keys)},
        safe=True,
        partial_ok=True,
        shape=HeartbeatResponse,
    )


def unregister(keys: Sequence[RawKey]) -> Request[HeartbeatResponse]:
    return Request(
        "POST",
        "/api/registry/unregister.json",
        json={"instanceKeys": list(keys)},
        safe=True,
        shape=HeartbeatResponse,
    )


def service(service_id: str, region: str | None = None, zone: str | None = None) -> Request[Service | None]:
    """What discovery serves of one service (None: nobody registered it)."""
    sid = need(service_id, "service id")
    return Request(
        "GET",
        "/api/discovery/service.json",
        params=drop_none({"serviceId": sid, "regionId": region, "zoneId": zone}),
        safe=True,
        pick="service",
        shape=Service,
        what=f"service {sid}",
    )


def service_for_client(service_id: str, client_ip: str) -> Request[Service | None]:
    """What discovery serves of one service to a client at ``client_ip``: ``discoveryData.clientIp`` (S7.5)
    is what the canary filter (F5) matches against the whitelist, so this is exactly that client's view."""
    sid = need(service_id, "service id")
    body = {"serviceId": sid, "discoveryData": {"clientIp": need(client_ip, "client ip")}}
    return Request(
        "POST",
        "/api/discovery/service.json",
        json={"discoveryConfig": body},
        safe=True,
        pick="service",
        shape=Service,
        what=f"service {sid}",
    )


def services(region: str | None = None, zone: str | None = None) -> Request[list[Service]]:
    return Request(
        "GET",
        "/api/discovery/services.json",
        params=drop_none({"regionId": region, "zoneId": zone}),
        safe=True,
        pick="services",
        shape=Service,
        many=True,
    )


def lookup(
    service_id: str, strategy: str | None = None, region: str | None = None, zone: str | None = None
) -> Request[Instance]:
    """One instance picked by the server's load balancer (R lookup)."""
    dc = drop_none({"serviceId": need(service_id, "service id"), "regionId": region, "zoneId": zone})
    return Request(
        "POST",
        "/api/discovery/lookup.json",
        json=drop_none({"discoveryConfig": dc, "strategy": strategy}),
        safe=True,
        family="lookup",
        shape=Instance,
    )


def lookup_many(
    service_ids: Iterable[str], region: str | None = None, zone: str | None = None
) -> Request[list[Service]]:
    cfgs = [drop_none({"serviceId": s, "regionId": region, "zoneId": zone}) for s in service_ids]
    return Request(
        "POST",
        "/api/discovery/lookup.json",
        json={"discoveryConfigs": cfgs},
        safe=True,
        pick="services",
        shape=Service,
        many=True,
    )


def health() -> Request[str]:
    return Request("GET", "/health", family="raw", safe=True)


def metrics() -> Request[str]:
    """Prometheus text of the node (per-peer replication gauges live there)."""
    return Request("GET", "/metrics", family="raw", safe=True)


def node_status() -> Request[ServiceNodeStatus | None]:
    return Request("GET", "/api/status/node.json", safe=True, pick="nodeStatus", shape=ServiceNodeStatus)


def node_document() -> Request[NodeStatusResponse]:
    """All of node.json: ``nodeStatus`` and ``exposure`` (what the node opens beyond loopback)."""
    return Request("GET", "/api/status/node.json", safe=True, shape=NodeStatusResponse)


def cluster_status() -> Request[ClusterStatusResponse]:
    return Request("GET", "/api/status/cluster.json", safe=True, shape=ClusterStatusResponse)


def leases(service_ids: Sequence[str] | None = None) -> Request[LeasesResponse]:
    body = {"serviceIds": list(service_ids)} if service_ids else {}
    return Request("POST", "/api/status/leases.json", json=body, safe=True, shape=LeasesResponse)


def config_status() -> Request[ConfigResponse]:
    return Request("GET", "/api/status/config.json", safe=True, shape=ConfigResponse)


def up_registry_nodes(region: str | None = None, zone: str | None = None) -> Request[list[ServiceNode]]:
    return Request(
        "GET",
        "/api/cluster/up-registry-nodes.json",
        params=drop_none({"regionId": region, "zoneId": zone}),
        safe=True,
        pick="nodes",
        shape=ServiceNode,
        many=True,
    )
