"""Replication endpoints (api.md 2.4, family A) and the management change log between peers (S14.2).

Writes received here go to the registry service as peer writes (``from_peer=True``): it applies them
locally and never forwards them again (S14.3 anti-loop), with or without the ``X-Artemis-Replication``
header, nor rate limits them (S15.3). Every endpoint is flagged ``peer=True``:
when ``cluster.peer_token`` is set the peer-token request hook refuses calls without it (HTTP 401). The
seven write endpoints are ``hot``: peers call them at the rate clients write, so the fast lane serves them
(with the same hooks, the peer token included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from artemis_client.errors import BadRequestError
from artemis_client.wire import codec
from artemis_client.wire.envelope import OK
from artemis_client.wire.registry import (
    HeartbeatResponse,
    KeysRequest,
    RegisterRequest,
    RegisterResponse,
    Service,
    ServicesRequest,
)
from artemis_client.wire.replication import (
    ChangesReply,
    ChangesRequest,
    HelloReply,
    PeerHello,
    ReplicationDeltaRequest,
    ServicesDeltaReply,
    ServicesQuery,
    ServicesReply,
    SyncFullReply,
    SyncFullRequest,
)
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.registry import answer
from artemis_server.store.changelog import Entry

routes = Routes()

R = "/api/replication/registry/"


def from_peer(call: Call, kind: str, write: Callable[[], Any]) -> Any:
    """A replicated write; in a span joined to the sender's trace when tracing is on and the peer sent
    one (its ``traceparent``), so one trace shows a change on every node."""
    tracing = call.node.tracing
    if tracing.on:
        parent = tracing.extract(call.headers)
        if parent is not None:
            with tracing.span("replication.receive", {"artemis.kind": kind}, parent=parent, kind="server"):
                return answer(write())
    return answer(write())


@routes.post(
    R + "register.json", family="A", body=RegisterRequest, peer=True, hot=True, response=RegisterResponse
)
async def register(call: Call) -> Any:
    return from_peer(call, "register", lambda: call.node.service.register(call.data, from_peer=True))


@routes.post(
    R + "batch-register.json",
    family="A",
    body=RegisterRequest,
    peer=True,
    hot=True,
    response=RegisterResponse,
)
async def batch_register(call: Call) -> Any:
    return from_peer(call, "register", lambda: call.node.service.register(call.data, from_peer=True))


@routes.post(
    R + "heartbeat.json", family="A", body=KeysRequest, peer=True, hot=True, response=HeartbeatResponse
)
async def heartbeat(call: Call) -> Any:
    return from_peer(call, "heartbeat", lambda: call.node.service.heartbeat(call.data, from_peer=True))


@routes.post(
    R + "batch-heartbeat.json", family="A", body=KeysRequest, peer=True, hot=True, response=HeartbeatResponse
)
async def batch_heartbeat(call: Call) -> Any:
    return from_peer(
        call,
        "heartbeat",
        lambda: call.node.service.heartbeat(call.data, from_peer=True, failed_instances=False),
    )


@routes.post(R + "lean-heartbeat", family="A", peer=True, hot=True, response=HeartbeatResponse)
async def lean_heartbeat(call: Call) -> Any:
    """A heartbeat batch from a peer of this version: identity keys (``region\\x1fservice\\x1finstance``,
    case-folded, as the registry stores them) one per line, UTF-8. No JSON and no key objects to build: a
    peer absorbs every renewal its peers' clients send, so this is its capacity (decisions.md, issue 20).
    The answer is the heartbeat's (``failedInstanceKeys`` for the unknown ones)."""
    try:
        text = call.body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("the body is not UTF-8 text", field="body") from None
    ids = text.split("\n") if text else []
    return from_peer(call, "heartbeat", lambda: call.node.service.heartbeat_identities(ids))


@routes.post(
    R + "unregister.json", family="A", body=KeysRequest, peer=True, hot=True, response=HeartbeatResponse
)
async def unregister(call: Call) -> Any:
    return from_peer(call, "unregister", lambda: call.node.service.unregister(call.data, from_peer=True))


@routes.post(
    R + "batch-unregister.json", family="A", body=KeysRequest, peer=True, hot=True, response=HeartbeatResponse
)
async def batch_unregister(call: Call) -> Any:
    return from_peer(
        call,
        "unregister",
        lambda: call.node.service.unregister(call.data, from_peer=True, report_unknown=True),
    )


def raw_services(call: Call) -> list[Service]:
    """Every service with every registered instance, unfiltered (peers apply their own filters)."""
    return [
        Service(service_id=e.service_id, instances=list(e.instances.values()))
        for e in call.node.registry.iter_services()
        if e.instances
    ]


@routes.post(R + "services.json", family="A", body=ServicesRequest, peer=True, response=ServicesReply)
async def services_post(call: Call) -> Any:
    tracing = call.node.tracing
    parent = tracing.extract(call.headers) if tracing.on else None
    if parent is not None:  # a joining node's start-up sync
        with tracing.span("replication.services", parent=parent, kind="server"):  # encoded in the span
            return codec.encode(ServicesReply(services=raw_services(call), response_status=OK))
    return ServicesReply(services=raw_services(call), response_status=OK)


@routes.get(R + "services.json", family="A", query=ServicesQuery, peer=True, response=ServicesReply)
async def services_get(call: Call) -> Any:
    return ServicesReply(services=raw_services(call), response_status=OK)


@routes.post(
    R + "services-delta.json",
    family="A",
    body=ReplicationDeltaRequest,
    peer=True,
    response=ServicesDeltaReply,
)
async def services_delta(call: Call) -> Any:
    """S6.4: nothing when the caller is up to date, else every service (R)."""
    req: ReplicationDeltaRequest = call.data
    node = call.node
    services = [] if req.since_timestamp >= node.registry.version else raw_services(call)
    return ServicesDeltaReply(services=services, current_timestamp=node.now_ms(), response_status=OK)


@routes.post(R + "sync-full.json", family="A", body=SyncFullRequest, peer=True, response=SyncFullReply)
async def sync_full(call: Call) -> Any:
    return SyncFullReply(services=raw_services(call), sync_timestamp=call.node.now_ms(), response_status=OK)


@routes.post(
    "/api/replication/cluster/hello.json", family="A", body=PeerHello, peer=True, response=HelloReply
)
async def hello(call: Call) -> Any:
    """A peer announces it is up (after its start-up sync) and its node id; the peer-token hook already marked
    it up. Its management changes are pulled at once."""
    node = call.node
    req: PeerHello = call.data
    url = req.url or call.headers.get("x-artemis-node-url")
    if node.peers is not None:
        node.peers.saw(url, req.node_id or None)
    if node.mgmt_sync is not None:
        node.mgmt_sync.wake(url)
    return HelloReply(node_id=node.node_id, response_status=OK)


# -- management change log (S14.2, replication/mgmt_sync.py) -------------------------------------------------


@routes.post(
    "/api/replication/management/changes.json",
    family="A",
    body=ChangesRequest,
    peer=True,
    response=ChangesReply,
)
async def management_changes(call: Call) -> Any:
    """The change-log entries the caller lacks, oldest stamp first; ``more`` when the answer was cut."""
    node = call.node
    mgmt = node.management
    req: ChangesRequest = call.data
    since = {str(k): int(v) for k, v in (req.since or {}).items()}
    limit = max(1, min(int(req.limit or 200), 1000))
    entries, more = await mgmt.changes_since(since, limit)
    caller = call.headers.get("x-artemis-node-url")
    if node.peers is not None and req.node_id:
        node.peers.saw(caller, req.node_id)
    if node.mgmt_sync is not None:
        node.mgmt_sync.heard(caller, since)
    return ChangesReply(
        changes=[e.to_wire() for e in entries],
        more=more,
        origins=dict(mgmt.positions),
        database_id=mgmt.database_id,
        node_id=node.node_id,
        response_status=OK,
    )


def pushed_changes(body: bytes) -> list[Entry]:
    """The changes a poke carries besides its PeerHello fields (``changes``, as changes.json answers them;
    issue 20); none when it carries none or any of them is unreadable (the poked node then pulls them)."""
    if b'"changes"' not in body:
        return []
    try:
        doc = msgspec.json.decode(body)
        return [Entry.from_wire(e) for e in doc.get("changes") or []]
    except (msgspec.DecodeError, AttributeError, KeyError, TypeError, ValueError):
        return []


@routes.post("/api/replication/management/poke.json", family="A", body=PeerHello, peer=True)
async def management_poke(call: Call) -> Any:
    """A peer committed a management change: pull it now (or read the shared database)."""
    node = call.node
    req: PeerHello = call.data
    url = req.url or call.headers.get("x-artemis-node-url")
    if node.mgmt_sync is not None:
        trace = node.tracing.extract(call.headers) if node.tracing.on else None
        node.mgmt_sync.poked(url, trace, pushed_changes(call.body))
    elif node.management.watch is not None:
        node.management.watch.poke()
    return edge.ok_a()
