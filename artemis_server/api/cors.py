"""Browser origins (api.md T5): CORS-open registry, CORS-closed management.

Registry, discovery, status, cluster, health and metrics endpoints (and WebSockets) answer any origin, as
both references do: browser consoles read them and nothing there changes management state. Management,
routing, audit and auth endpoints (``/api/management/*``, ``/api/v1/management/*``, ``/api/routing/*``,
``/api/auth/*``), and replication (``/api/replication/*``: peers send no ``Origin``, and its management relay
runs management commands), also under ``server.context_aliases``, reads and writes, refuse a request that
a browser sent from another origin: management is open by default (A2), so without this any web page a
browser on the network opens could pull instances out with a ``text/plain`` POST (no preflight needed).

A request to those endpoints is refused with 403 in the endpoint's envelope, before any hook or handler
runs, when

* it carries an ``Origin`` that is not allowed, or
* it carries no ``Origin`` but ``Sec-Fetch-Site: cross-site`` (a cross-site ``GET`` from ``<img>`` or
  ``<script>`` carries no ``Origin``).

Allowed origins: those listed in ``server.cors_origins`` (``*`` allows any), the node's own URL
(``server.url`` or the derived one), and the origin equal to the request's ``Host`` when that host is an IP
literal or ``localhost`` (a page served by the node itself; a DNS name is not trusted that way, since DNS
rebinding makes any name point at the node). ``Origin: null`` (sandboxed frames, ``file:`` pages) is never
allowed unless ``null`` is listed. Requests without ``Origin`` and without ``Sec-Fetch-Site: cross-site``
(SDKs, curl, scripts, peers, the CLI) are not affected.

:class:`CorsLayer` is the ASGI layer in front of Litestar that answers preflights and adds the CORS headers;
:func:`refusal` is the per-request check that :func:`api.app.handle` runs for private endpoints on every
path into an endpoint (Litestar routes and the fast lane alike).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from artemis_client.errors import ForbiddenError
from artemis_server import edge

if TYPE_CHECKING:
    from artemis_server.node import Node
    from artemis_server.settings import Settings

# Replication too: peers never send Origin, and its management relay runs management commands (with no
# cluster.peer_token it is as open as management), so a web page must not reach it either.
PRIVATE_PREFIXES = (
    "/api/management/",
    "/api/v1/management/",
    "/api/routing/",
    "/api/auth/",
    "/api/replication/",
)
_PRIVATE_EXACT = tuple(p.rstrip("/") for p in PRIVATE_PREFIXES)

PREFLIGHT_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
PREFLIGHT_MAX_AGE = "600"
_SAFE_HEADERS = ("accept", "accept-language", "content-language", "content-type", "authorization")


def is_private(path: str, aliases: Iterable[str] = ()) -> bool:
    """True for a path of the management, routing, audit or auth endpoints (also under an alias prefix)."""
    for alias in ("", *aliases):
        if alias and not path.startswith(alias + "/"):
            continue
        rest = path[len(alias) :]
        if rest.startswith(PRIVATE_PREFIXES) or rest in _PRIVATE_EXACT:
            return True
    return False


def normalize_origin(origin: str) -> str:
    """Lower-case, no trailing slash, no default port: the form origins are compared in."""
    o = origin.strip().rstrip("/").lower()
    if o.startswith("http://") and o.endswith(":80"):
        o = o[:-3]
    elif o.startswith("https://") and o.endswith(":443"):
        o = o[:-4]
    return o


def _literal_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class OriginPolicy:
    """Which browser origins may call the private endpoints of one node."""

    def __init__(self, settings: Settings, bound_port: int | None) -> None:
        listed = {normalize_origin(o) for o in settings.server.cors_origins}
        self.any = "*" in listed
        self.listed = listed - {"*"}
        self.own = {normalize_origin(settings.node_url(bound_port))}
        if settings.server.url:
            self.own.add(normalize_origin(settings.server.url))

    def allowed(self, origin: str, host: str | None) -> bool:
        o = normalize_origin(origin)
        if o == "null":
            return "null" in self.listed
        if self.any or o in self.listed or o in self.own:
            return True
        return self._same_literal_host(o, host)

    @staticmethod
    def _same_literal_host(origin: str, host: str | None) -> bool:
        if not host:
            return False
        try:
            o = urlsplit(origin)
            h = urlsplit(f"{o.scheme}://{host.strip().lower()}")
            o_port, h_port = o.port, h.port
        except ValueError:
            return False
        default = 443 if o.scheme == "https" else 80
        return (
            o.scheme in ("http", "https")
            and o.hostname is not None
            and o.hostname == h.hostname
            and (o_port or default) == (h_port or default)
            and _literal_host(o.hostname)
        )

    def refusal(self, headers: Mapping[str, str]) -> str | None:
        """Why a request with these headers may not reach a private endpoint, or None."""
        origin = headers.get("origin")
        if origin is None:
            if (headers.get("sec-fetch-site") or "").strip().lower() == "cross-site":
                return "cross-site browser requests are refused here (Sec-Fetch-Site: cross-site)"
            return None
        if self.allowed(origin, headers.get("host")):
            return None
        return (
            f"origin {origin[:200]!r} may not call this endpoint from a browser; "
            "list it in server.cors_origins to allow it"
        )


def policy_of(node: Node) -> OriginPolicy:
    policy = node.origin_policy
    if policy is None:
        policy = node.origin_policy = OriginPolicy(node.settings, node.bound_port)
    return policy


def refusal(node: Node, headers: Mapping[str, str]) -> ForbiddenError | None:
    reason = policy_of(node).refusal(headers)
    return ForbiddenError(reason) if reason is not None else None


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for k, v in scope["headers"]:
        if k == name:
            return str(v.decode("latin-1"))
    return None


class CorsLayer:
    """ASGI layer: preflights and CORS response headers, by path (public: any origin; private: allowed
    origins only). The 403 of a refused actual request comes from :func:`refusal` in the endpoint's family."""

    def __init__(self, app: Any, node: Node, aliases: list[str]) -> None:
        self.app = app
        self.node = node
        self.aliases = aliases

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        private = is_private(scope["path"], self.aliases)
        allowed = not private or policy_of(self.node).allowed(origin, _header(scope, b"host"))
        if scope["method"] == "OPTIONS":
            await self._preflight(scope, send, origin, private, allowed)
            return
        extra: list[tuple[bytes, bytes]]
        if not private:
            extra = [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-headers", b"*"),
                (b"access-control-allow-methods", b"*"),
            ]
        elif allowed:
            extra = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        else:
            extra = []

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and extra:
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self, scope: dict[str, Any], send: Any, origin: str, private: bool, allowed: bool
    ) -> None:
        if not allowed:
            reason = policy_of(self.node).refusal({"origin": origin, "host": _header(scope, b"host") or ""})
            body = edge.error_body("C", ForbiddenError(reason or "origin not allowed"))
            headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        requested = _header(scope, b"access-control-request-headers") or ""
        names = sorted({h.strip().lower() for h in requested.split(",") if h.strip()} | set(_SAFE_HEADERS))
        headers = [
            (b"access-control-allow-origin", b"*" if not private else origin.encode("latin-1")),
            (b"access-control-allow-methods", PREFLIGHT_METHODS.encode()),
            (b"access-control-allow-headers", ", ".join(names).encode("latin-1")),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
        ]
        if private:
            headers.append((b"vary", b"Origin"))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
