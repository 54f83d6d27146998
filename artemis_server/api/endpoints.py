"""Declarative endpoint table and the framework-free request object handlers see.

Handlers are ``async def handler(call: Call) -> Reply | dict | Struct | bytes``. They never touch Litestar:
``app.py`` adapts the table to Litestar routes, and the hot-path fast lane (api/fastpath.py) calls the very
same handlers through the same boundary (api/boundary.py), so both paths produce the same bytes. The origin
check, the request hooks, decoding (tolerant keys, 400 naming the field) and error rendering in the
endpoint's envelope family happen in :func:`dispatch`, once for every endpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from artemis_client.errors import (
    ArtemisError,
    BadRequestError,
    NoPermissionError,
    NotFoundError,
    RateLimitedError,
)
from artemis_client.wire import codec, envelope
from artemis_client.wire.ids import MAX_ID_CHARS, bad_id_char
from artemis_server import edge
from artemis_server.api import cors

if TYPE_CHECKING:
    from artemis_server.auth.service import Principal
    from artemis_server.node import Node

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Reply:
    body: Any = b""
    status: int = 200
    media_type: str = "application/json"
    headers: dict[str, str] | None = None


class Call:
    """One HTTP request as handlers see it."""

    __slots__ = (
        "body",
        "cache_key",
        "client_ip",
        "data",
        "headers",
        "method",
        "node",
        "path",
        "path_params",
        "query",
        "user",
    )

    def __init__(
        self,
        node: Node,
        method: str,
        path: str,
        body: bytes,
        query: dict[str, list[str]],
        path_params: Mapping[str, Any],
        headers: Mapping[str, str],
        client_ip: str | None,
    ) -> None:
        self.node = node
        self.method = method
        self.path = path
        self.body = body
        self.query = query
        self.path_params = path_params
        self.headers = headers
        self.client_ip = client_ip
        self.data: Any = None
        self.user: Principal | None = None  # set by the auth guard when a valid token is presented
        # The raw request bytes when its outcome may be remembered under them (set by the fast lane): a
        # heartbeat that renews all its keys (registry.RenewalCache), a discovery answer (AnswerCache)
        self.cache_key: bytes | None = None

    def json(self) -> Any:
        return codec.parse_json(self.body)

    def decode(self, tp: type[Any]) -> Any:
        return codec.decode(self.body, tp)

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, matched by any spelling (N1)."""
        want = codec.normkey(name)
        for k, v in self.query.items():
            if codec.normkey(k) == want and v:
                return v[0]
        return default

    def forwarded_ip(self) -> str | None:
        xff = self.headers.get("x-forwarded-for")
        if xff:
            first = xff.split(",")[0].strip()
            if first:
                return first
        return self.client_ip


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(slots=True)
class Endpoint:
    methods: tuple[str, ...]
    paths: tuple[str, ...]
    family: envelope.Family
    handler: Handler
    name: str
    body: type | None = None
    query: type | None = None
    status: int = 200
    metric: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # A management, routing, audit or auth endpoint: refuses foreign browser origins (api/cors.py, T5).
    private: bool = False


class Routes:
    """Collects the endpoints of one api module."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def add(
        self,
        methods: str | tuple[str, ...],
        *paths: str,
        family: envelope.Family,
        body: type | None = None,
        query: type | None = None,
        status: int = 200,
        **extra: Any,
    ) -> Callable[[Handler], Handler]:
        ms = (methods,) if isinstance(methods, str) else methods

        def deco(fn: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    methods=tuple(m.upper() for m in ms),
                    paths=paths,
                    family=family,
                    handler=fn,
                    name=fn.__name__,
                    body=body,
                    query=query,
                    status=status,
                    metric=paths[0],
                    extra=extra,
                    private=cors.is_private(paths[0]),
                )
            )
            return fn

        return deco

    def post(self, *paths: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("POST", *paths, **kw)

    def get(self, *paths: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("GET", *paths, **kw)


class RequestHook(Protocol):
    """Runs before every call of the endpoints it :meth:`applies` to (auth guard, peer token), on every path
    to an endpoint (both HTTP fronts, the WebSocket heartbeat). It refuses a call by raising an
    :class:`ArtemisError`, rendered in the endpoint's family like a handler's; it may set ``call.user``."""

    def applies(self, ep: Endpoint) -> bool:
        """False when the hook never acts on ``ep`` (the fast lane's renewal cache then skips the hooks)."""
        ...

    async def __call__(self, ep: Endpoint, call: Call) -> None: ...


INTERNAL_ERROR = "internal server error"

# Business errors that Java-facing families (A, B) report inside an HTTP 200 (api.md T8).
_IN_200 = (RateLimitedError, NotFoundError, NoPermissionError)


def _status_for(family: str, exc: ArtemisError) -> int:
    if family in ("A", "B") and isinstance(exc, _IN_200):
        return 200
    return exc.http_status or 500


def render_error(family: envelope.Family, exc: ArtemisError) -> Reply:
    reply = Reply(edge.error_body(family if family != "raw" else "C", exc), _status_for(family, exc))
    if reply.status == 401:  # RFC 9110 11.6.1: a 401 names the scheme that would be accepted
        reply.headers = {"WWW-Authenticate": 'Bearer realm="artemis"'}
    return reply


def to_reply(result: Any, default_status: int) -> Reply:
    if isinstance(result, Reply):
        if not isinstance(result.body, bytes | str):
            result.body = codec.encode(result.body)
        return result
    if isinstance(result, bytes):
        return Reply(result, default_status)
    return Reply(codec.encode(result), default_status)


def check_path_params(params: Mapping[str, Any]) -> None:
    """Ids in the path obey the same limits as in bodies (api.md T11): at most 256 characters (a group key
    holds four ids) and no control or bidi formatting characters; else a 400 naming the parameter."""
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        field = codec.snake_to_camel(name)
        limit = 4 * MAX_ID_CHARS + 3 if name == "group_key" else MAX_ID_CHARS
        if len(value) > limit:
            raise BadRequestError(
                f"invalid path parameter `{field}`: at most {limit} characters", field=field
            )
        bad = bad_id_char(value)
        if bad:
            raise BadRequestError(
                f"invalid path parameter `{field}`: contains the control or bidi formatting character {bad}",
                field=field,
            )


def hooks_for(node: Node, ep: Endpoint) -> tuple[RequestHook, ...]:
    """The node's request hooks that act on ``ep`` (:meth:`RequestHook.applies`), in their order; worked out
    once per endpoint (:meth:`Node.add_request_hook` starts over), so a call of an endpoint no hook guards
    (a heartbeat on an open node) runs none."""
    got = node.hooks_by_endpoint.get(id(ep))
    if got is None:
        got = node.hooks_by_endpoint[id(ep)] = tuple(h for h in node.request_hooks if h.applies(ep))
    return got


async def dispatch(ep: Endpoint, call: Call) -> Reply:
    """What every path to an endpoint runs once it holds a :class:`Call`: the browser-origin check of the
    private endpoints (api/cors.py), the node's request hooks, decoding, the handler; any error (of a hook
    too) rendered in the endpoint's family. Never raises."""
    node = call.node
    t0 = time.perf_counter()
    try:
        if ep.private:
            refused = cors.refusal(node, call.headers)
            if refused is not None:
                raise refused
        for hook in hooks_for(node, ep):
            await hook(ep, call)
        if call.path_params:
            check_path_params(call.path_params)
        if ep.body is not None and call.method != "GET":
            call.data = codec.decode(call.body, ep.body)
        elif ep.query is not None:
            call.data = codec.convert(codec.query_to_obj(call.query, ep.query), ep.query)
        reply = to_reply(await ep.handler(call), ep.status)
    except Exception as exc:
        reply = failure(ep, exc, call.method, call.path)
    node.metrics.request_done(ep.metric, reply.status, time.perf_counter() - t0)
    return reply


def failure(ep: Endpoint, exc: Exception, method: str, path: str) -> Reply:
    """The answer to a call of ``ep`` that raised ``exc`` (call it in the ``except`` block: a bug is logged
    with its traceback), rendered in the endpoint's family."""
    if isinstance(exc, ArtemisError):
        return render_error(ep.family, exc)
    if isinstance(exc, msgspec.ValidationError):
        return render_error(ep.family, codec.bad_field(exc))
    # A bug of ours (AttributeError, KeyError, TypeError, ...), never the client's input: the decoding and
    # validation layers raise BadRequestError for that. 500 with a generic message (no internals leak), the
    # traceback goes to the log.
    log.exception("unexpected error in %s %s (endpoint %s)", method, path, ep.name)
    return render_error(ep.family, ArtemisError(INTERNAL_ERROR))
