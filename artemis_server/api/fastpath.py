"""Build the ASGI application served by uvicorn: the hot-path fast lane in front of Litestar.

The endpoints flagged ``hot=True`` (register, heartbeat, unregister, discovery of one service, and the
replication writes peers send at the same rate; POST) are the ones called all the time. For them the lane
skips Litestar's routing, request object, response object and middleware stack: it reads the body from ASGI,
builds the same :class:`Call`, runs the same request hooks and the same :func:`dispatch` (decode, handler,
error rendering, metrics), and writes the reply with the headers Litestar writes for it (``content-type``,
``content-length``). Same core, same bytes; the tests in tests/api/test_fastpath.py send every hot request
through both paths and compare. A client heartbeat whose body renewed all its keys before is renewed from
the node's renewal cache before any of that (see :func:`api.registry.heartbeat_again`).

The lane steps aside (Litestar serves the request, as it serves every other one) whenever the request is
not plain: an ``Origin`` header (CORS headers are Litestar's job), no ``Content-Length`` (chunked upload) or
a body larger than ``limits.max_body_bytes`` (Litestar answers 413), or a path the lane does not know.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from artemis_client.errors import BadRequestError
from artemis_server.api.app import all_endpoints, create_app, handle, node_hooks
from artemis_server.api.cors import CorsLayer
from artemis_server.api.endpoints import Call, render_error
from artemis_server.api.registry import heartbeat_again
from artemis_server.edge import OK_BYTES, inflate
from artemis_server.node import Node
from artemis_server.settings import Settings


class FastLane:
    def __init__(self, app: Any, node: Node, settings: Settings) -> None:
        self.app = app
        self.node = node
        self.limit = settings.limits.max_body_bytes
        aliases = [a.rstrip("/") for a in settings.server.context_aliases if a.strip("/")]
        self.served = 0  # requests answered by the lane (tests check that it really took them)
        self.renewed_from_cache = 0  # heartbeats answered from the renewal cache (tests check it too)
        self._no_hooks: dict[int, bool] = {}
        self._children: dict[int, tuple[Any, Any]] = {}
        self._ok_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(OK_BYTES)),
        ]
        self.routes: dict[str, Any] = {}
        if settings.wire.naming != "camel":
            return  # snake_case output is rewritten in the Litestar adapter: leave every request to it
        for ep in all_endpoints():
            if ep.extra.get("hot") and ep.methods == ("POST",):
                for p in ep.paths:
                    self.routes[p] = ep
                    for a in aliases:
                        self.routes[a + p] = ep

    def __getattr__(self, name: str) -> Any:
        # Litestar's attributes (state, ...) stay reachable for code that holds the ASGI app.
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
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

    def _hookless(self, ep: Any) -> bool:
        """True when no request hook acts on ``ep`` (hooks say so with ``applies``; one that does not say
        is assumed to act on every endpoint)."""
        known = self._no_hooks.get(id(ep))
        if known is None:
            hooks = node_hooks(self.node)
            known = self._no_hooks[id(ep)] = not any(
                getattr(h, "applies", lambda _ep: True)(ep) for h in hooks
            )
        return known

    async def _serve(self, ep: Any, scope: dict[str, Any], receive: Any, send: Any, plain: bool) -> None:
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
        if plain and ep.extra.get("renewals") and node.renewals.budget and self._hookless(ep):
            # A heartbeat body seen before: the same leases renewed, the same answer (api/registry.py).
            t0 = time.perf_counter()
            if heartbeat_again(node, body):
                done, latency = self._metrics(ep)
                done.n += 1
                latency.observe(time.perf_counter() - t0)
                self.renewed_from_cache += 1
                await send({"type": "http.response.start", "status": 200, "headers": self._ok_headers})
                await send({"type": "http.response.body", "body": OK_BYTES})
                return
            cache_key = body
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            headers.setdefault(k.decode("latin-1"), v.decode("latin-1"))
        qs = scope.get("query_string", b"")
        client = scope.get("client")
        call = Call(
            node=node,
            method="POST",
            path=scope["path"],
            body=body,
            query=parse_qs(qs.decode("latin-1"), keep_blank_values=True) if qs else {},
            path_params={},
            headers=headers,
            client_ip=client[0] if client else None,
        )
        call.cache_key = cache_key
        try:
            call.body = inflate(body, headers.get("content-encoding"), self.limit)
        except BadRequestError as exc:
            reply = render_error(ep.family, exc)
        else:
            reply = await handle(ep, call)
        content = reply.body
        if isinstance(content, str):
            content = content.encode()
        out = [
            (b"content-type", reply.media_type.encode("latin-1")),
            (b"content-length", b"%d" % len(content)),
        ]
        if reply.headers:
            out += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": out})
        await send({"type": "http.response.body", "body": content})

    def _metrics(self, ep: Any) -> tuple[Any, Any]:
        """What :func:`dispatch` would update for a 200 answer of ``ep``: the request counter's child (as a
        tally, folded in at scrape time) and the latency histogram's child."""
        got = self._children.get(id(ep))
        if got is None:
            m = self.node.metrics
            got = self._children[id(ep)] = (
                m.tally(m.http_requests.labels(ep.metric, "200")),
                m.http_latency.labels(ep.metric),
            )
        return got


def build_asgi(settings: Settings, *, bound_port: int | None = None, node: Node | None = None) -> Any:
    node = node or Node(settings)
    node.bound_port = bound_port
    aliases = [a.rstrip("/") for a in settings.server.context_aliases if a.strip("/")]
    return FastLane(CorsLayer(create_app(settings, node), node, aliases), node, settings)
