"""Replication endpoints (api.md 2.4, family A) and the management relay between peers.

Writes received here are applied locally and never forwarded again (S14.3 anti-loop), with or without the
``X-Artemis-Replication`` header, and are not rate limited (S15.3). Every endpoint is flagged ``peer=True``:
when ``cluster.peer_token`` is set the peer-token request hook refuses calls without it (HTTP 401). The
six write endpoints are ``hot``: peers call them at the rate clients write, so the fast lane serves them
(with the same hooks, the peer token included).
"""

from __future__ import annotations

from typing import Any

from artemis_server import wire
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.registry import do_heartbeat, do_register, do_unregister
from artemis_server.errors import UnavailableError
from artemis_server.wire.registry import KeysRequest, RegisterRequest, Service, ServicesRequest
from artemis_server.wire.replication import DeltaRequest, ManagementApply, ServicesQuery, SyncFullRequest

routes = Routes()

R = "/api/replication/registry/"


@routes.post(R + "register.json", family="A", body=RegisterRequest, peer=True, hot=True)
async def register(call: Call) -> Any:
    return do_register(call, replicated=True)


@routes.post(R + "batch-register.json", family="A", body=RegisterRequest, peer=True, hot=True)
async def batch_register(call: Call) -> Any:
    return do_register(call, replicated=True)


@routes.post(R + "heartbeat.json", family="A", body=KeysRequest, peer=True, hot=True)
async def heartbeat(call: Call) -> Any:
    return do_heartbeat(call, replicated=True)


@routes.post(R + "batch-heartbeat.json", family="A", body=KeysRequest, peer=True, hot=True)
async def batch_heartbeat(call: Call) -> Any:
    return do_heartbeat(call, replicated=True, failed_instances=False)


@routes.post(R + "unregister.json", family="A", body=KeysRequest, peer=True, hot=True)
async def unregister(call: Call) -> Any:
    return do_unregister(call, replicated=True)


@routes.post(R + "batch-unregister.json", family="A", body=KeysRequest, peer=True, hot=True)
async def batch_unregister(call: Call) -> Any:
    return do_unregister(call, replicated=True, report_unknown=True)


def raw_services(call: Call) -> list[Service]:
    """Every service with every registered instance, unfiltered (peers apply their own filters)."""
    return [
        Service(service_id=e.service_id, instances=list(e.instances.values()))
        for e in call.node.registry.iter_services()
        if e.instances
    ]


@routes.post(R + "services.json", family="A", body=ServicesRequest, peer=True)
async def services_post(call: Call) -> Any:
    return wire.ok_a(services=raw_services(call))


@routes.get(R + "services.json", family="A", query=ServicesQuery, peer=True)
async def services_get(call: Call) -> Any:
    return wire.ok_a(services=raw_services(call))


@routes.post(R + "services-delta.json", family="A", body=DeltaRequest, peer=True)
async def services_delta(call: Call) -> Any:
    """S6.4: nothing when the caller is up to date, else every service (R)."""
    req: DeltaRequest = call.data
    node = call.node
    services = [] if req.since_timestamp >= node.registry.version else raw_services(call)
    return wire.ok_a(services=services, currentTimestamp=node.now_ms())


@routes.post(R + "sync-full.json", family="A", body=SyncFullRequest, peer=True)
async def sync_full(call: Call) -> Any:
    return wire.ok_a(services=raw_services(call), syncTimestamp=call.node.now_ms())


@routes.post("/api/replication/cluster/hello.json", family="A", peer=True)
async def hello(call: Call) -> Any:
    """A peer announces it is up (after its start-up sync); the peer-token hook marks it up (P)."""
    return wire.ok_a(nodeId=call.node.node_id)


@routes.post("/api/replication/management/apply.json", family="A", body=ManagementApply, peer=True)
async def management_apply(call: Call) -> Any:
    """A management command made on a peer (S14.2).

    A peer that shares this node's database already wrote it: only reload the in-memory view. A peer with
    its own database: run the command here, marked with its origin so it is not relayed again.
    """
    node = call.node
    mgmt = node.management
    if mgmt is None:
        raise UnavailableError("the management plane is not available on this node")
    req: ManagementApply = call.data
    own_db = getattr(mgmt, "database_id", None)
    if own_db and req.database_id == own_db:
        before = routing_signature(node)
        await mgmt.reload()
        after = routing_signature(node)
        changed = sorted(
            after[k][0] if k in after else before[k][0]
            for k in before.keys() | after.keys()
            if before.get(k) != after.get(k)
        )
        if changed:  # S13.1: canary/routing changes raise `reload` here too (reload() emits only delete/new)
            node.bus.reload(changed, node.now_ms())
        return wire.ok_a(applied="reload")
    await mgmt.execute(
        req.command, dict(req.args or {}), operator=req.operator, origin=req.origin_node_id or "peer"
    )
    return wire.ok_a(applied="execute")


def routing_signature(node: Any) -> dict[str, tuple[str, str]]:
    """Per service (lower-cased): (spelling, a digest of its canary config, groups, bindings and rules)."""
    parts: dict[str, list[str]] = {}
    names: dict[str, str] = {}

    def add(service_id: str, what: str) -> None:
        key = service_id.lower()
        names.setdefault(key, service_id)
        parts.setdefault(key, []).append(what)

    for cfg in list(getattr(node.mgmt, "canary", {}).values()):
        add(cfg.service_id, f"canary:{cfg!r}")
    router = node.router
    for g in list(getattr(router, "groups", {}).values()):
        add(g.service_id, f"group:{g!r}")
    for b in list(getattr(router, "bindings", {}).values()):
        if b.service_id:
            add(b.service_id, f"binding:{b!r}")
    for r in list(getattr(router, "rules", {}).values()):
        add(r.service_id, f"rule:{r!r}")
    return {k: (names[k], "\n".join(sorted(v))) for k, v in parts.items()}
