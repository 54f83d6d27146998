"""Build the ASGI application served by uvicorn: the hot-path fast lane in front of Litestar.

The endpoints flagged ``hot=True`` (register, heartbeat, unregister, discovery of one service, services.json
and the replication writes peers send at the same rate; POST, and the GETs of discovery) are the ones called
all the time. For them the lane skips Litestar's routing, request object, response object and middleware
stack: it reads the body from ASGI and hands it to the same :class:`Boundary` the Litestar routes use
(api/boundary.py: the same :class:`Call`, request hooks, :func:`dispatch` and reply writing). Same core,
same bytes; the tests in tests/api/test_fastpath.py send every hot request through both paths and compare.
A client heartbeat whose body renewed all its keys before is renewed from the node's renewal cache before
any of that (``RegistryService.heartbeat_again``); any other client heartbeat whose body the endpoint's
strict decoder takes is decoded here and handed to ``RegistryService.heartbeat`` as the handler hands it,
without building a ``Call`` (a body it refuses goes to the boundary, which decodes tolerantly or names the
bad field); likewise a discovery request (service.json, services.json; POST body or GET query) that was
answered from the node's answer cache before is answered again with the current cached bytes
(``AnswerCache.again``, registry/answers.py), unless it would be traced.

The lane steps aside (Litestar serves the request, as it serves every other one) whenever the request is
not plain: an ``Origin`` header (CORS headers are Litestar's job), no ``Content-Length`` (chunked upload) or
a body larger than ``limits.max_body_bytes`` (Litestar answers 413), or a path the lane does not know.
"""

from __future__ import annotations

import time
from typing import Any

from artemis_client.wire import codec
from artemis_server.api.app import all_endpoints, create_app
from artemis_server.api.boundary import JSON_CT, Boundary, send_reply
from artemis_server.api.cors import CorsLayer
from artemis_server.api.endpoints import Endpoint, Reply, failure, hooks_for, to_reply
from artemis_server.edge import OK_BYTES
from artemis_server.node import Node
from artemis_server.settings import Settings

_TOLERANT = Reply(b"", 0)  # FastLane._first_sight: not decoded here, the boundary serves the request


class FastLane:
    def __init__(self, app: Any, node: Node, settings: Settings) -> None:
        self.app = app
        self.node = node
        self.boundary = Boundary(node)
        self.limit = settings.limits.max_body_bytes
        aliases = [a.rstrip("/") for a in settings.server.context_aliases if a.strip("/")]
        self.served = 0  # requests answered by the lane (tests check that it really took them)
        self.renewed_from_cache = 0  # heartbeats answered from the renewal cache (tests check it too)
        self.answered_again = 0  # discovery requests answered as seen before (AnswerCache.again)
        self._ok_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(OK_BYTES)),
        ]
        self.routes: dict[str, Endpoint] = {}
        self.get_routes: dict[str, Endpoint] = {}  # hot GETs: services.json and service.json by query
        # the strict decoders of the client heartbeat endpoints (their first-sight bodies), by id(endpoint)
        self._strict: dict[int, Any] = {}
        if settings.wire.naming != "camel":
            return  # snake_case output: leave every request to Litestar (the lane's cached answer is camel)
        for ep in all_endpoints():
            if not ep.extra.get("hot"):
                continue
            if ep.methods == ("POST",):
                table = self.routes
            elif ep.methods == ("GET",):
                table = self.get_routes
            else:
                continue
            if ep.extra.get("renewals") and ep.body is not None:
                self._strict[id(ep)] = codec.strict_decoder(ep.body)
            for p in ep.paths:
                table[p] = ep
                for a in aliases:
                    table[a + p] = ep

    def __getattr__(self, name: str) -> Any:
        # Litestar's attributes (state, ...) stay reachable for code that holds the ASGI app.
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            ep = self.get_routes.get(scope["path"])
            if ep is not None and self._bodiless(scope):
                self.served += 1
                key = None
                if "again" in ep.extra:
                    key = b"?" + scope["query_string"]  # never a JSON body: no POST body can match it
                    if await self._again(ep, key, send):
                        return
                await send_reply(send, await self.boundary.serve(ep, scope, b"", {}, key, plain=True))
                return
        elif scope["type"] == "http" and scope["method"] == "POST":
            ep = self.routes.get(scope["path"])
            if ep is not None:
                length = -1
                plain = True
                for k, v in scope["headers"]:
                    if k == b"content-length":
                        length = int(v) if v.isdigit() else -1
                    elif k == b"origin" or k == b"transfer-encoding":
                        length = -1
                        break
                    elif k == b"content-encoding":
                        plain = False
                if 0 <= length <= self.limit:
                    await self._serve(ep, scope, receive, send, plain)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    def _bodiless(scope: dict[str, Any]) -> bool:
        """A GET the lane may answer: no body and no ``Origin`` header (CORS headers are Litestar's)."""
        for k, v in scope["headers"]:
            if k == b"origin" or k == b"transfer-encoding" or (k == b"content-length" and v != b"0"):
                return False
        return True

    async def _serve(self, ep: Endpoint, scope: dict[str, Any], receive: Any, send: Any, plain: bool) -> None:
        self.served += 1
        body = b""
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body += msg.get("body", b"")
            if not msg.get("more_body", False):
                break
        node = self.node
        cache_key: bytes | None = None
        if plain and ep.extra.get("renewals") and not (node.request_hooks and hooks_for(node, ep)):
            # A client heartbeat no request hook acts on. A body seen before: the same leases renewed, the
            # same answer (RegistryService.heartbeat_again). Any other: _first_sight.
            reply: Reply | None
            if node.renewals.budget:
                cache_key = body
                t0 = time.perf_counter()
                if node.service.heartbeat_again(body):
                    node.metrics.request_done(ep.metric, 200, time.perf_counter() - t0)
                    self.renewed_from_cache += 1
                    reply = None
                else:
                    reply = self._first_sight(ep, scope, body, cache_key)
            else:
                reply = self._first_sight(ep, scope, body, None)
            if reply is None:
                await send({"type": "http.response.start", "status": 200, "headers": self._ok_headers})
                await send({"type": "http.response.body", "body": OK_BYTES})
                return
            if reply is not _TOLERANT:
                await send_reply(send, reply)
                return
        elif plain and "again" in ep.extra:
            if await self._again(ep, body, send):
                return
            cache_key = body
        await send_reply(send, await self.boundary.serve(ep, scope, body, {}, cache_key, plain))

    def _first_sight(
        self, ep: Endpoint, scope: dict[str, Any], body: bytes, cache_key: bytes | None
    ) -> Reply | None:
        """A client heartbeat the renewal cache did not answer, sent without ``Content-Encoding``: its
        answer, None for plain success, or ``_TOLERANT`` for the boundary to serve it.

        The body is decoded by the endpoint's strict decoder (every key spelled as the contract does, what
        every SDK sends) and handed to ``RegistryService.heartbeat`` as the handler (api/registry.py) hands
        it, answered alike, without building a ``Call`` (first sight: every restarted client's heartbeat,
        issue 20). A body the strict decoder refuses (another key spelling, a malformed or invalid body) is
        the boundary's, which decodes it tolerantly or names the bad field; nothing has changed by then.
        ``cache_key``: the body, when the renewal cache may remember it."""
        node = self.node
        t0 = time.perf_counter()
        try:
            data = self._strict[id(ep)].decode(body)
        except codec.STRICT_MISSES:
            return _TOLERANT
        try:
            result = node.service.heartbeat(data, from_peer=False, body=cache_key)
        except Exception as exc:
            reply = failure(ep, exc, "POST", scope["path"])
        else:
            if result is None:
                node.metrics.request_done(ep.metric, 200, time.perf_counter() - t0)
                return None
            reply = to_reply(result, ep.status)
        node.metrics.request_done(ep.metric, reply.status, time.perf_counter() - t0)
        return reply

    async def _again(self, ep: Endpoint, key: bytes, send: Any) -> bool:
        """Answer a discovery request whose bytes were answered from the answer cache before, while that
        answer is current (registry/answers.py): no decoding, no Call, the same bytes and counts as the
        handler's. Not when the request would be traced or a request hook acts on the endpoint."""
        node = self.node
        if node.tracing.on or hooks_for(node, ep):
            return False
        t0 = time.perf_counter()
        answers = node.answers
        out = answers.again(key) if ep.extra["again"] == "service" else answers.every_again(key)
        if out is None:
            return False
        node.metrics.count_discovery()
        node.metrics.request_done(ep.metric, 200, time.perf_counter() - t0)
        self.answered_again += 1
        headers = [(b"content-type", JSON_CT), (b"content-length", b"%d" % len(out))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": out})
        return True


def build_asgi(settings: Settings, *, bound_port: int | None = None, node: Node | None = None) -> Any:
    node = node or Node(settings)
    node.bound_port = bound_port
    aliases = [a.rstrip("/") for a in settings.server.context_aliases if a.strip("/")]
    return FastLane(CorsLayer(create_app(settings, node), node, aliases), node, settings)
