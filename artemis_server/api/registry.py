"""Registry endpoints (api.md 2.2), family A: each handler hands the request to the registry service.

The rules (limits, zone checks, rate limits, renewal cache, metrics, replication) live in
:class:`artemis_server.registry.service.RegistryService` (``node.service``); a handler translates.
"""

from __future__ import annotations

from typing import Any

from artemis_client.wire.registry import HeartbeatResponse, KeysRequest, RegisterRequest, RegisterResponse
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes

routes = Routes()


def answer(result: Any) -> Any:
    """The service's answer as the handler returns it: ``None`` (plain success) is the pre-encoded body."""
    return edge.OK_BYTES if result is None else result


@routes.post(
    "/api/registry/register.json",
    "/api/registry/register",
    family="A",
    body=RegisterRequest,
    hot=True,
    response=RegisterResponse,
)
async def register(call: Call) -> Any:
    return answer(call.node.service.register(call.data, from_peer=False))


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
    return answer(call.node.service.heartbeat(call.data, from_peer=False, body=call.cache_key))


@routes.post(
    "/api/registry/unregister.json",
    "/api/registry/unregister",
    family="A",
    body=KeysRequest,
    hot=True,
    response=HeartbeatResponse,
)
async def unregister(call: Call) -> Any:
    return answer(call.node.service.unregister(call.data, from_peer=False))
