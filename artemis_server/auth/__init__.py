"""Console authentication (S19) and the management guard (api.md A1-A3).

:func:`attach` gives a node ``node.auth`` (an :class:`AuthService`) and a request hook that, with
``auth.protect_management = true``, demands a valid token on every ``/api/management/*`` call and a role
that may write on every endpoint flagged ``mutating=True`` (viewer -> 403). With protection off, a valid
token presented on those endpoints still names the operator in the audit log (S18.1); an invalid one is
ignored there (A2: open by default). Registry, discovery, status, health, metrics and WebSockets are never
touched (A3): the hook returns at once for endpoints without the flags, without any database access.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from artemis_client.errors import ArtemisError, AuthError, ForbiddenError
from artemis_server.auth.service import AuthService, Principal, allowed

if TYPE_CHECKING:
    from artemis_server.node import Node

__all__ = ["AuthService", "Principal", "allowed", "attach", "bearer_token"]

log = logging.getLogger(__name__)

_MANAGEMENT_PREFIXES = ("/api/management/", "/api/v1/management/")

# What an endpoint needs: "" nothing, "read" a valid token, "write" a token whose role may write.
_NONE, _READ, _WRITE, _ALWAYS, _RELAY = "", "read", "write", "always", "relay"


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") if headers is not None else None
    if not value:
        return None
    scheme, _, token = str(value).strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _requirement(ep: Any, *, protect: bool, peer_token: bool) -> str:
    if ep.extra.get("auth_required"):
        return _ALWAYS  # /api/auth/* (A1), whatever protect_management says
    if ep.extra.get("peer"):
        if protect and not peer_token and any("/management/" in p for p in ep.paths):
            return _RELAY  # the management change log (state, audit) would bypass the guard: peer token
        return _NONE  # replication: cluster.peer_token (api.md 2.4), not console users
    if ep.extra.get("mutating"):
        return _WRITE
    if any(p.startswith(_MANAGEMENT_PREFIXES) for p in ep.paths):
        return _READ
    return _NONE


def _resource(ep: Any) -> str:
    path = ep.paths[0]
    if path.startswith("/api/routing/") or "/management/group/" in path or "/management/routes" in path:
        return "routing"
    if "/instance" in path or "/canary" in path:
        return "instances"
    return "services"


class AuthGuard:
    """The management guard (a request hook, api/endpoints.RequestHook): decides per endpoint once."""

    def __init__(self, service: AuthService, *, protect: bool, peer_token: bool) -> None:
        self.service = service
        self.protect = protect
        self.peer_token = peer_token
        self._need: dict[int, str] = {}

    def requirement(self, ep: Any) -> str:
        need = self._need.get(id(ep))
        if need is None:
            need = self._need[id(ep)] = _requirement(ep, protect=self.protect, peer_token=self.peer_token)
        return need

    def applies(self, ep: Any) -> bool:
        # The lane's cached heartbeat skips hooks that cannot act on an endpoint (api/fastpath.py).
        return bool(self.requirement(ep))

    async def __call__(self, ep: Any, call: Any) -> None:
        need = self.requirement(ep)
        if not need:
            return
        if need == _RELAY:
            raise AuthError(
                "management changes from peers need cluster.peer_token when auth.protect_management is on"
            )
        if need == _READ and not any(p in call.path for p in _MANAGEMENT_PREFIXES):
            return  # a routing read reached through its non-management path (A3)
        token = bearer_token(call.headers)
        if not self.protect and need != _ALWAYS:
            if token:
                try:
                    call.user = await self.service.authenticate(token)
                except ArtemisError:
                    pass  # A2: management is open; a bad token only means "no operator from the token"
            return
        principal = await self.service.authenticate(token)
        if need == _WRITE and not principal.can(_resource(ep), "write"):
            raise ForbiddenError(f"role {principal.role} may not change state on {ep.paths[0]}")
        call.user = principal


def attach(node: Node) -> None:
    service = AuthService(node)
    node.auth = service
    protect = node.settings.auth.protect_management
    has_peer_token = node.settings.cluster.peer_token is not None
    if protect and node.settings.cluster.enabled and not has_peer_token:
        log.warning(
            "auth.protect_management is on but cluster.peer_token is not set: replication endpoints are open "
            "to anyone who can reach this node, and management changes are not exchanged with peers"
        )
    node.add_request_hook(AuthGuard(service, protect=protect, peer_token=has_peer_token))

    async def start() -> None:
        # Before the node serves: the first admin exists (and its password is printed) once the node is up.
        await service.start()

    node.on_start(start)
