"""The one HTTP boundary: an ASGI request becomes a :class:`Call`, a :class:`Reply` becomes ASGI messages.

Both fronts of a node use it: the Litestar routes (api/app.py: Litestar routes the request, checks the body
size and answers 404/405/OPTIONS; the handler it runs hands the scope and body to :meth:`Boundary.serve` and
returns :class:`ReplyApp`) and the fast lane (api/fastpath.py: the hot POSTs, without Litestar). So a request
reaches a handler with the same ``Call`` (headers looked up by any case, the body inflated, the query
parsed) and an answer leaves with the same status, headers and bytes whichever front took it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from artemis_client.errors import BadRequestError
from artemis_server.api.endpoints import Call, Endpoint, Reply, dispatch, render_error
from artemis_server.edge import inflate, to_snake_json

if TYPE_CHECKING:
    from artemis_server.node import Node


class Headers(Mapping[str, str]):
    """Request headers looked up by any case (HTTP field names are case-insensitive); the first value of
    a repeated field wins. The lookup table is built on the first lookup: most hot requests (a heartbeat
    nobody traces or guards) never read a header, so they never pay for decoding and lower-casing them."""

    __slots__ = ("_d", "_raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._d: dict[str, str] | None = None

    def _map(self) -> dict[str, str]:
        d = self._d
        if d is None:
            raw = self._raw if isinstance(self._raw, list) else list(self._raw)
            # reversed: the first of a repeated field is written last and wins
            d = self._d = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in reversed(raw)}
        return d

    def __getitem__(self, key: str) -> str:
        return self._map()[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:
        return self._map().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._map()

    def __iter__(self) -> Iterator[str]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._map())


def content_type(media_type: str) -> bytes:
    """The Content-Type of a reply, written as Litestar writes it (``text/*`` gets ``; charset=utf-8``)."""
    ct = _content_types.get(media_type)
    if ct is None:
        full = media_type + "; charset=utf-8" if media_type.startswith("text/") else media_type
        ct = _content_types[media_type] = full.encode("latin-1")
    return ct


_content_types: dict[str, bytes] = {}  # media type -> header value: a handful of distinct types
JSON_CT = content_type("application/json")


async def send_reply(send: Any, reply: Reply) -> None:
    """Send a reply as its ``http.response.start`` and ``http.response.body`` messages."""
    content = reply.body
    if isinstance(content, str):
        content = content.encode()
    status = reply.status
    headers: list[tuple[bytes, bytes]]
    if status < 200 or status in (204, 304):
        content = b""  # no body, no content headers (RFC 9110 15.3.5, 15.4.5)
        headers = []
    else:
        mt = reply.media_type
        ct = JSON_CT if mt == "application/json" else content_type(mt)
        headers = [(b"content-type", ct), (b"content-length", b"%d" % len(content))]
    if reply.headers:
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class ReplyApp:
    """A reply as an ASGI app: what a Litestar handler returns, written by :func:`send_reply`."""

    __slots__ = ("reply",)

    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send_reply(send, self.reply)


class Boundary:
    """ASGI in, :class:`Reply` out, for the endpoints of one node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.limit = node.settings.limits.max_body_bytes
        self.snake = node.settings.wire.naming == "snake"

    async def serve(
        self,
        ep: Endpoint,
        scope: Mapping[str, Any],
        body: bytes,
        path_params: Mapping[str, Any],
        cache_key: bytes | None = None,
        plain: bool = False,
    ) -> Reply:
        """Run ``ep`` for one request (origin check, hooks, decode, handler: :func:`dispatch`): the request
        becomes a :class:`Call` (headers looked up by any case, the body inflated per its
        ``Content-Encoding``: a malformed one answers 400, the query parsed). ``plain``: the caller has
        seen that the request has no ``Content-Encoding`` (the fast lane scans the headers anyway).
        Never raises."""
        headers = Headers(scope["headers"])
        qs: bytes = scope.get("query_string", b"")
        client = scope.get("client")
        call = Call(
            self.node,
            scope["method"],
            scope["path"],
            body,
            parse_qs(qs.decode("latin-1"), keep_blank_values=True) if qs else {},
            path_params,
            headers,
            client[0] if client else None,
        )
        call.cache_key = cache_key
        if plain:
            reply = await dispatch(ep, call)
        else:
            try:
                call.body = inflate(body, headers.get("content-encoding"), self.limit)
            except BadRequestError as exc:
                reply = render_error(ep.family, exc)
            else:
                reply = await dispatch(ep, call)
        if self.snake and reply.media_type == "application/json":
            reply.body = to_snake_json(reply.body)
        return reply
