"""The nodes of a cluster as one node sees them, with the replication backlog of each peer: the rows of
``artemis cluster nodes``, ``artemis server status`` and the TUI's cluster screen."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from artemis_cli.output import Col
from artemis_client.errors import ArtemisError
from artemis_client.wire.status import ServiceNodeStatus, Zone

_SAMPLE = re.compile(
    r"^(artemis_peer_up|artemis_replication_pending_items|artemis_replication_dropped_items"
    r"|artemis_management_pending_changes)"
    r'\{peer="((?:[^"\\]|\\.)*)"\}\s+(\S+)'
)
_FIELD = {
    "artemis_peer_up": "up",
    "artemis_replication_pending_items": "replicationPending",
    "artemis_replication_dropped_items": "replicationDropped",
    "artemis_management_pending_changes": "managementPending",
}


class PeerGauges(msgspec.Struct, rename="camel", omit_defaults=True):
    """The per-peer samples of /metrics."""

    up: int | None = None
    replication_pending: int | None = None
    replication_dropped: int | None = None
    management_pending: int | None = None


def peer_metrics(text: str) -> dict[str, PeerGauges]:
    """Per-peer replication samples of /metrics: {url: gauges}."""
    out: dict[str, PeerGauges] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        g = out.setdefault(m.group(2).rstrip("/"), PeerGauges())
        setattr(g, _snake(_FIELD[m.group(1)]), int(value))
    return out


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)


class NodeRef(msgspec.Struct, rename="camel", omit_defaults=True):
    """A node; of a configured peer that is down only its url is known."""

    node_id: str | None = None
    url: str = ""
    region_id: str | None = None
    zone_id: str | None = None
    zone: Zone | None = None


class NodeRow(msgspec.Struct, rename="camel", omit_defaults=True):
    """One node: its status as cluster.json gives it, completed with the replication gauges of /metrics."""

    node: NodeRef
    status: str
    can_service_discovery: bool | None = None
    can_service_registry: bool | None = None
    allow_registry_from_other_zone: bool | None = None
    allow_discovery_from_other_zone: bool | None = None
    replication_pending: int | None = None
    management_pending: int | None = None
    replication_dropped: int | None = None


def _row(s: ServiceNodeStatus) -> NodeRow:
    n = s.node
    return NodeRow(
        NodeRef(n.node_id, n.url, n.region_id, n.zone_id, n.zone),
        s.status,
        s.can_service_discovery,
        s.can_service_registry,
        s.allow_registry_from_other_zone,
        s.allow_discovery_from_other_zone,
        s.replication_pending,
        s.management_pending,
    )


def nodes_view(client: Any) -> list[NodeRow]:
    """cluster.json (self + peers that are up), completed with the replication gauges of /metrics: queued
    writes and management changes a peer still lacks ("lag"), and configured peers that are down
    (cluster.json lists only up nodes, S14.6)."""
    doc = client.cluster_status()
    rows = [_row(s) for s in doc.nodes_status or []]
    try:
        peers = peer_metrics(client.metrics())
    except ArtemisError:
        peers = {}
    seen = set()
    for row in rows:
        url = row.node.url.rstrip("/")
        g = peers.get(url)
        if g is not None:
            seen.add(url)
            if row.replication_pending is None:
                row.replication_pending = g.replication_pending
            if row.management_pending is None:
                row.management_pending = g.management_pending
            row.replication_dropped = g.replication_dropped
    for url, g in sorted(peers.items()):
        if url in seen or g.up:
            continue
        rows.append(
            NodeRow(
                NodeRef(url=url),
                "down",
                replication_pending=g.replication_pending,
                management_pending=g.management_pending,
                replication_dropped=g.replication_dropped,
            )
        )
    return rows


NODE_COLS = [
    Col("NODE", "node.nodeId"),
    Col("STATUS", "status"),
    Col("URL", "node.url"),
    Col("REGION", "node.regionId"),
    Col("ZONE", "node.zoneId"),
    Col("REPL PENDING", "replicationPending"),
    Col("MGMT PENDING", "managementPending"),
    Col("REPL DROPPED", "replicationDropped", wide=True),
    Col("REGISTRY", "canServiceRegistry", wide=True),
    Col("DISCOVERY", "canServiceDiscovery", wide=True),
]
