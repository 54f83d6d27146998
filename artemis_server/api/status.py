"""Health, metrics (2.1), cluster (2.5) and status (2.6) endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artemis_client.wire import codec
from artemis_client.wire.envelope import OK, fail_status
from artemis_client.wire.registry import ServicesRequest
from artemis_client.wire.status import (
    ClusterStatusResponse,
    ConfigResponse,
    Connections,
    DeploymentResponse,
    Exposure,
    LeasesRequest,
    LeasesResponse,
    LeaseStatus,
    NodesResponse,
    NodeStatusResponse,
    ServiceNode,
    ServiceNodeStatus,
    StatusRequest,
    Zone,
)
from artemis_server.api.endpoints import Call, Reply, Routes
from artemis_server.exposure import exposures
from artemis_server.registry.leases import LeasePool

if TYPE_CHECKING:
    from artemis_server.node import Node

routes = Routes()


@routes.get("/health", family="raw")
async def health(call: Call) -> Reply:
    return Reply(b"OK", media_type="text/plain")


@routes.get("/metrics", family="raw")
async def metrics(call: Call) -> Reply:
    return Reply(call.node.metrics.render(), media_type="text/plain; version=0.0.4")


# -- nodes --------------------------------------------------------------------------------------------


def self_node(node: Node) -> ServiceNode:
    s = node.settings.server
    return ServiceNode(node.node_id, node.url, s.region, s.zone, Zone(s.region, s.zone))


def node_status(node: Node, sn: ServiceNode, status: str) -> ServiceNodeStatus:
    up = status == "up"
    return ServiceNodeStatus(
        node=sn,
        status=status,
        can_service_discovery=up,
        can_service_registry=up,
        allow_registry_from_other_zone=node.settings.registry.allow_from_other_zone,
        allow_discovery_from_other_zone=node.settings.discovery.allow_from_other_zone,
    )


def up_peer_nodes(node: Node) -> list[ServiceNode]:
    """Peers currently up (S14.6); they are written with this node's region and zone (S16.2)."""
    if node.peers is None:
        return []
    s = node.settings.server
    out = []
    for peer in node.peers.up_peers():
        out.append(ServiceNode(peer.node_id or peer.url, peer.url, s.region, s.zone, Zone(s.region, s.zone)))
    return out


@routes.add(
    ("GET", "POST"), "/api/status/node.json", family="A", body=StatusRequest, response=NodeStatusResponse
)
async def status_node(call: Call) -> Any:
    node = call.node
    # `exposure` is ours (Java readers ignore unknown keys): what this node opens beyond loopback and the
    # settings that close it; `artemis server status` shows it.
    exposure = [Exposure(e["risk"], e["fix"]) for e in exposures(node.settings)]
    return NodeStatusResponse(
        node_status=node_status(node, self_node(node), node.status), exposure=exposure, response_status=OK
    )


def peer_status(node: Node, sn: ServiceNode) -> ServiceNodeStatus:
    """An up peer, with what this node still owes it (extra keys: docs/decisions.md, issue 14)."""
    st = node_status(node, sn, "up")
    rep = node.replicator
    link = rep.links.get(sn.url) if rep is not None else None
    if link is not None:
        st.replication_pending = link.queued + len(link.retries)
    sync = node.mgmt_sync
    if sync is not None:
        pending = sync.pending().get(sn.url)
        if pending is not None:
            st.management_pending = pending
    return st


@routes.add(
    ("GET", "POST"),
    "/api/status/cluster.json",
    family="A",
    body=StatusRequest,
    response=ClusterStatusResponse,
)
async def status_cluster(call: Call) -> Any:
    node = call.node
    nodes = [node_status(node, self_node(node), node.status)]
    nodes += [peer_status(node, p) for p in up_peer_nodes(node)]
    return ClusterStatusResponse(nodes_status=nodes, node_count=len(nodes), response_status=OK)


async def _cluster_nodes(call: Call) -> Any:
    node = call.node
    node.service.check_rate("cluster-nodes")
    nodes = ([self_node(node)] if node.status == "up" else []) + up_peer_nodes(node)
    if not nodes:
        return NodesResponse(response_status=fail_status("data-not-found", "No available service nodes."))
    return NodesResponse(nodes=nodes, response_status=OK)


@routes.post("/api/cluster/up-registry-nodes.json", family="A", body=ServicesRequest, response=NodesResponse)
async def up_registry_nodes_post(call: Call) -> Any:
    return await _cluster_nodes(call)


@routes.get("/api/cluster/up-registry-nodes.json", family="A", query=ServicesRequest, response=NodesResponse)
async def up_registry_nodes_get(call: Call) -> Any:
    return await _cluster_nodes(call)


@routes.post("/api/cluster/up-discovery-nodes.json", family="A", body=ServicesRequest, response=NodesResponse)
async def up_discovery_nodes_post(call: Call) -> Any:
    return await _cluster_nodes(call)


@routes.get("/api/cluster/up-discovery-nodes.json", family="A", query=ServicesRequest, response=NodesResponse)
async def up_discovery_nodes_get(call: Call) -> Any:
    return await _cluster_nodes(call)


# -- leases -------------------------------------------------------------------------------------------


def _ago(seconds: float) -> str:
    return f"{max(0, int(seconds))} seconds ago"


def _lease_filter(call: Call) -> set[str] | None:
    ids: list[str] = []
    if call.method == "GET":
        for k, values in call.query.items():
            if codec.normkey(k) in ("appids", "serviceids"):
                for v in values:
                    ids.extend(x for x in v.split(",") if x)
    else:
        req = call.decode(LeasesRequest)
        ids = list(req.service_ids or []) + list(req.app_ids or [])
    return {i.casefold() for i in ids} if ids else None


def leases_doc(call: Call, pool: LeasePool) -> LeasesResponse:
    node = call.node
    wanted = _lease_filter(call)
    now = node.clock.now()
    by_service: dict[str, list[LeaseStatus]] = {}
    names: dict[str, str] = {}
    count = 0
    ttl = pool.ttl
    for lease in list(pool.leases.values()):
        inst = lease.instance
        sk = inst.service_id.casefold()
        if wanted is not None and sk not in wanted:
            continue
        renewed = lease.last_renewal()
        left = renewed + ttl - now
        evict = f"in {int(left)} seconds" if left >= 0 else "expired"
        name = names.setdefault(sk, inst.service_id)
        by_service.setdefault(name, []).append(
            LeaseStatus(inst.instance_id, _ago(now - lease.creation), _ago(now - renewed), evict, int(ttl))
        )
        count += 1
    safe = node.registry.safe
    return LeasesResponse(
        lease_update_max_count=safe.max_count,
        lease_update_max_count_last_update_time=int(safe.max_updated * 1000),
        lease_update_count_last_time_window=safe.window_count,
        is_safe=safe.is_safe,
        is_safe_check_enabled=safe.enabled,
        lease_count=count,
        leases_status=by_service,
        leases=by_service,
        response_status=OK,
    )


@routes.add(("GET", "POST"), "/api/status/leases.json", family="A", response=LeasesResponse)
async def status_leases(call: Call) -> Any:
    return leases_doc(call, call.node.registry.pool)


@routes.add(("GET", "POST"), "/api/status/legacy-leases.json", family="A", response=LeasesResponse)
async def status_legacy_leases(call: Call) -> Any:
    return leases_doc(call, call.node.registry.legacy_pool)


# -- config / deployment ---------------------------------------------------------------------------


def _properties(node: Node) -> dict[str, str]:
    s = node.settings.server
    return {"node_id": node.node_id, "region_id": s.region, "zone_id": s.zone, "app_id": "artemis"}


@routes.add(
    ("GET", "POST"), "/api/status/config.json", family="A", body=StatusRequest, response=ConfigResponse
)
async def status_config(call: Call) -> Any:
    return ConfigResponse(sources={"default": 1}, properties=_properties(call.node), response_status=OK)


@routes.add(
    ("GET", "POST"),
    "/api/status/deployment.json",
    family="A",
    body=StatusRequest,
    response=DeploymentResponse,
)
async def status_deployment(call: Call) -> Any:
    from urllib.parse import urlsplit

    node = call.node
    s = node.settings.server
    url = node.url
    parts = urlsplit(url)
    props = _properties(node)
    props["server_url"] = url
    return DeploymentResponse(
        region_id=s.region,
        zone_id=s.zone,
        app_id="artemis",
        machine_name=node.machine_name,
        ip=parts.hostname or "",
        port=parts.port or (443 if parts.scheme == "https" else 80),
        protocol=parts.scheme,
        path=parts.path or "/",
        sources={"default": 1},
        properties=props,
        response_status=OK,
    )


@routes.get("/api/status/message/connections.json", family="raw")
async def status_connections(call: Call) -> Any:
    c = call.node.ws_counts
    return Connections(str(c.get("registry", 0)), str(c.get("discovery", 0)))
