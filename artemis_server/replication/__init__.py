"""Peer replication, peer health and start-up sync (S14). No web-framework imports.

:func:`attach` wires it into a :class:`~artemis_server.node.Node`: ``node.peers`` (a :class:`PeerSet`),
``node.replicator`` (a :class:`Replicator`, only when replication is enabled), ``node.mgmt_sync`` (a
:class:`ManagementSync`: management changes between peers), the peer-token request hook, and start/stop hooks
that run the start-up sync, the health checks, the per-peer senders and the management pulls.
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from artemis_client.errors import AuthError
from artemis_server.replication.client import PeerClient, tls_context
from artemis_server.replication.mgmt_sync import ManagementSync
from artemis_server.replication.peers import Peer, PeerSet, build_peers, normalize_peer, own_addresses
from artemis_server.replication.replicator import ReplicationCollector, Replicator

if TYPE_CHECKING:
    from artemis_server.node import Node

__all__ = ["Peer", "PeerSet", "Replicator", "attach", "normalize_peer", "peer_token_ok"]

log = logging.getLogger(__name__)


def peer_token_ok(expected: str | None, authorization: str | None) -> bool:
    """True when no token is configured or ``authorization`` is ``Bearer <token>``; the scheme name is
    case-insensitive (RFC 7235: ``bearer``/``BEARER`` too), the token is compared in constant time."""
    if not expected:
        return True
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


class PeerTokenHook:
    """The peer-token request hook (api/endpoints.RequestHook): endpoints flagged ``peer=True`` need
    ``Authorization: Bearer <cluster.peer_token>`` when one is set (HTTP 401 without it); a call that
    passes marks its sender up."""

    def __init__(self, node: Node) -> None:
        self.node = node
        secret = node.settings.cluster.peer_token
        self.expected = secret.get_secret_value() if secret is not None else None

    def applies(self, ep: Any) -> bool:
        return bool(ep.extra.get("peer"))

    async def __call__(self, ep: Any, call: Any) -> None:
        if not ep.extra.get("peer"):
            return
        if not self.expected or peer_token_ok(self.expected, call.headers.get("authorization")):
            if self.node.peers is not None:
                self.node.peers.saw(call.headers.get("x-artemis-node-url"))
            return
        raise AuthError("a valid peer token is required (Authorization: Bearer <cluster.peer_token>)")


def attach(node: Node) -> None:
    """Wire replication into ``node``; inert when the cluster is not enabled or has no peers."""
    node.add_request_hook(PeerTokenHook(node))

    settings = node.settings
    state: dict[str, Any] = {}

    async def start() -> None:
        cs = settings.cluster
        if not cs.enabled or not cs.peers:
            return
        token = cs.peer_token.get_secret_value() if cs.peer_token is not None else None
        host, port = settings.listen()
        port = node.bound_port or port
        peers = PeerSet(build_peers(cs.peers, own_addresses(node.url, host, port)))
        node.peers = peers
        if not peers.peers:
            return
        client = PeerClient(
            timeout=settings.replication.timeout_secs,
            token=token,
            node_url=node.url,
            verify=tls_context(cs.ca_file, cs.tls_verify),
        )
        state["client"] = client
        rep = Replicator(node, peers, client)
        node.metrics.registry.register(ReplicationCollector(rep))
        if settings.replication.enabled:
            node.replicator = rep
            node.spawn(rep.ticker(), "replication-flush")
            for link in rep.links.values():
                node.spawn(link.run(), f"replicate:{link.peer.url}")
                node.spawn(link.retry_loop(), f"replicate-retry:{link.peer.url}")
        # Management state converges whatever replication.enabled says: it is never allowed to diverge.
        sync = ManagementSync(node, peers, client)
        node.mgmt_sync = sync
        sync.start()
        node.spawn(
            peers.health_loop(
                client,
                cs.health_check_initial_delay_secs,
                cs.health_check_interval_secs,
                cs.health_check_timeout_secs,
            ),
            "peer-health",
        )
        node.status = "starting"
        node.spawn(rep.startup_sync(cs.sync_timeout_secs), "startup-sync")

    async def stop() -> None:
        client = state.pop("client", None)
        if client is not None:
            await client.close()

    node.on_start(start)
    node.on_stop(stop)
