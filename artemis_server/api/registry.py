"""Registry endpoints (api.md 2.2), family A: each handler hands the request to the registry service.

The rules (limits, zone checks, rate limits, renewal cache, metrics, replication) live in
:class:`artemis_server.registry.service.RegistryService` (``node.service``); a handler translates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from artemis_client.wire.registry import HeartbeatResponse, KeysRequest, RegisterRequest, RegisterResponse
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes

routes = Routes()


def answer(result: Any) -> Any:
    """The service's answer as the handler returns it: ``None`` (plain success) is the pre-encoded body."""
    return edge.OK_BYTES if result is None else result


def traced_write(call: Call, kind: str, write: Callable[[], Any]) -> Any:
    """A client's register / unregister; when tracing is on and the client sent a trace context
    (``traceparent``), in a span of that trace, so its replication to the peers joins the same trace.
    Writes without a context start no trace here: they are the bulk of the traffic."""
    tracing = call.node.tracing
    if tracing.on:
        parent = tracing.extract(call.headers)
        if parent is not None:
            with tracing.span(f"registry.{kind}", parent=parent, kind="server"):
                return answer(write())
    return answer(write())


@routes.post(
    "/api/registry/register.json",
    "/api/registry/register",
    family="A",
    body=RegisterRequest,
    hot=True,
    response=RegisterResponse,
)
async def register(call: Call) -> Any:
    return traced_write(call, "register", lambda: call.node.service.register(call.data, from_peer=False))


@routes.post(
    "/api/registry/heartbeat.json",
    "/api/registry/heartbeat",
    family="A",
    body=KeysRequest,
    hot=True,
    renewals=True,
    response=HeartbeatResponse,
)
async def heartbeat(call: Call) -> Any:
    result = call.node.service.heartbeat(call.data, from_peer=False, body=call.cache_key)
    return edge.OK_BYTES if result is None else result  # answer(), inlined: the hottest handler


@routes.post(
    "/api/registry/unregister.json",
    "/api/registry/unregister",
    family="A",
    body=KeysRequest,
    hot=True,
    response=HeartbeatResponse,
)
async def unregister(call: Call) -> Any:
    return traced_write(call, "unregister", lambda: call.node.service.unregister(call.data, from_peer=False))
