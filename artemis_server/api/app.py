"""create_app(settings) -> Litestar: the thin adapter from the endpoint table to Litestar routes.

No app object is built at import time; uvicorn runs :func:`create_app` with ``factory=True`` (through
:func:`build_asgi`, which also puts the hot-path fast lane in front).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar import Litestar, Request, Response, route
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp

from artemis_client.errors import (
    ArtemisError,
    BadRequestError,
    MethodNotAllowedError,
    NoSuchPathError,
    PayloadTooLargeError,
    UpgradeRequiredError,
)
from artemis_server.api import openapi, push, table
from artemis_server.api.boundary import Boundary, ReplyApp
from artemis_server.api.endpoints import INTERNAL_ERROR, Endpoint, render_error
from artemis_server.edge import error_body
from artemis_server.node import Node
from artemis_server.settings import Settings

log = logging.getLogger(__name__)


def all_endpoints() -> list[Endpoint]:
    """What a node serves over HTTP: the endpoint table (api/table.py) and the OpenAPI document's two."""
    return table.endpoints() + openapi.routes.endpoints


def _make_handler(ep: Endpoint, boundary: Boundary, paths: list[str]) -> HTTPRouteHandler:
    limit = boundary.limit

    async def handler(request: Request[Any, Any, Any]) -> ASGIApp:
        try:
            body = await request.body()
        except HTTPException as exc:
            err: BadRequestError = (
                PayloadTooLargeError(f"request body exceeds {limit} bytes", field="body")
                if exc.status_code == 413
                else BadRequestError(str(exc.detail))
            )
            return ReplyApp(render_error(ep.family, err))
        return ReplyApp(await boundary.serve(ep, request.scope, body, request.path_params))

    handler.__name__ = f"{ep.name}_{'_'.join(ep.methods).lower()}"
    handler.__qualname__ = handler.__name__
    return route(
        path=paths,
        http_method=list(ep.methods),  # type: ignore[arg-type]  # validated upper-case verbs
        name=f"{ep.name}:{'/'.join(ep.methods)}:{paths[0]}",
        include_in_schema=False,
        status_code=200,  # Litestar defaults DELETE to 204 (no body); the reply sets the real status
        signature_namespace={"Request": Request, "ASGIApp": ASGIApp, "Any": Any},
    )(handler)


_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _json_error(exc: ArtemisError, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=error_body("C", exc),
        status_code=exc.http_status,
        media_type="application/json",
        headers=headers,
    )


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """T6: an unknown path (or a path parameter of the wrong type) is a family C 404, not Litestar's shape."""
    return _json_error(NoSuchPathError(f"no such path: {request.url.path[:300]}"))


def _method_not_allowed(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """T6: 405 with ``Allow`` listing every method the path serves. Litestar's router knows them all (one
    node per path whatever endpoint registered each method, OPTIONS answered for every path); HEAD is
    listed only where a handler serves it."""
    given = (getattr(exc, "headers", None) or {}).get("allow", "")
    methods = sorted({m.strip().upper() for m in given.split(",")} & _HTTP_METHODS)
    path = request.url.path[:300]
    if not methods:  # a WebSocket path asked over plain HTTP
        return _json_error(
            UpgradeRequiredError(
                f"{path} is a WebSocket endpoint; connect with an Upgrade: websocket request"
            ),
            {"Upgrade": "websocket", "Connection": "Upgrade"},
        )
    allow = ", ".join(methods)
    return _json_error(
        MethodNotAllowedError(f"method {request.method} is not allowed on {path}; allowed: {allow}"),
        {"Allow": allow},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything else Litestar itself raises outside :func:`dispatch`: family C, no internals."""
    status = getattr(exc, "status_code", 500)
    if isinstance(exc, HTTPException) and 400 <= status < 500:
        err: ArtemisError = BadRequestError(str(exc.detail)[:300])
        err_status = status
    else:
        log.error("unexpected error serving %s %s", request.method, request.url.path, exc_info=exc)
        err, err_status = ArtemisError(INTERNAL_ERROR), 500
    return Response(content=error_body("C", err), status_code=err_status, media_type="application/json")


def _options_answer(allow: str) -> Callable[[], Response[None]]:
    def options() -> Response[None]:
        return Response(content=None, status_code=204, headers={"Allow": allow})

    return options


def _options_handlers(endpoints: list[Endpoint], aliases: list[str]) -> list[HTTPRouteHandler]:
    """One OPTIONS handler per path whose ``Allow`` names every method of every endpoint on that path.

    Litestar makes its own OPTIONS handler when the first handler of a path is added and keeps it when a
    second endpoint adds a method to the same path, so its ``Allow`` missed the later methods (api.md T6).
    """
    methods: dict[str, set[str]] = {}
    for ep in endpoints:
        for p in list(ep.paths) + [a + p for a in aliases for p in ep.paths]:
            methods.setdefault(p, {"OPTIONS"}).update(ep.methods)
    by_allow: dict[str, list[str]] = {}
    for p, ms in methods.items():
        by_allow.setdefault(", ".join(sorted(ms)), []).append(p)
    out: list[HTTPRouteHandler] = []
    for n, (allow, paths) in enumerate(sorted(by_allow.items())):
        options = _options_answer(allow)
        options.__name__ = f"options_{n}"
        out.append(
            route(
                path=paths,
                http_method=["OPTIONS"],
                name=f"options:{n}",
                include_in_schema=False,
                sync_to_thread=False,
                signature_namespace={"Response": Response},
            )(options)
        )
    return out


def create_app(settings: Settings, node: Node | None = None) -> Litestar:
    """Build the Litestar app of one node. ``node`` may be passed in by tests and benchmarks."""
    node = node or Node(settings)
    aliases = [a.rstrip("/") for a in settings.server.context_aliases if a.strip("/")]
    boundary = Boundary(node)
    handlers: list[Any] = []
    seen: set[tuple[str, str]] = set()
    for ep in all_endpoints():
        paths = list(ep.paths)
        paths += [a + p for a in aliases for p in ep.paths]
        for m in ep.methods:
            for p in paths:
                if (m, p) in seen:
                    raise RuntimeError(f"duplicate endpoint {m} {p}")
                seen.add((m, p))
        handlers.append(_make_handler(ep, boundary, paths))
    # First, so that Litestar sees OPTIONS taken on every path and makes none of its own.
    handlers = _options_handlers(all_endpoints(), aliases) + handlers
    handlers += push.websocket_handlers(node, aliases)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await node.start()
        try:
            yield
        finally:
            await node.stop()

    app = Litestar(
        route_handlers=handlers,
        # CORS is api/cors.py's CorsLayer (in front of this app): per path, not one rule for every route.
        request_max_body_size=settings.limits.max_body_bytes,
        # The document at /schema/openapi.json is built from the endpoint table (api/openapi.py).
        openapi_config=None,
        lifespan=[lifespan],
        exception_handlers={
            NotFoundException: _not_found,
            MethodNotAllowedException: _method_not_allowed,
            Exception: _unexpected,
        },
        debug=False,
        # Logging is set up once by artemis_server.log (text or JSON lines); Litestar's default config would
        # replace the root handler with its own text format.
        logging_config=None,
    )
    app.state["node"] = node
    return app
