"""`artemis cluster ...`: the nodes of the cluster as this node sees them."""

from __future__ import annotations

import re
from typing import Any

import typer

from artemis_cli.cmdline import group_app
from artemis_cli.common import state
from artemis_cli.errors import ClientError
from artemis_cli.output import Col

app = group_app("Cluster nodes and their status.")

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
_COUNTS = ("replicationPending", "replicationDropped", "managementPending")


def peer_metrics(text: str) -> dict[str, dict[str, Any]]:
    """Per-peer replication samples of /metrics: {url: {up, replicationPending, replicationDropped}}."""
    out: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        out.setdefault(m.group(2).rstrip("/"), {})[_FIELD[m.group(1)]] = int(value)
    return out


def nodes_view(st: Any) -> list[dict[str, Any]]:
    """cluster.json (self + peers that are up), completed with the replication gauges of /metrics: queued
    writes and management changes a peer still lacks ("lag"), and configured peers that are down
    (cluster.json lists only up nodes, S14.6)."""
    doc = st.client.cluster_status()
    rows = [dict(n) for n in doc.get("nodesStatus") or []]
    try:
        peers = peer_metrics(st.client.metrics())
    except ClientError:
        peers = {}
    seen = set()
    for row in rows:
        url = str((row.get("node") or {}).get("url") or "").rstrip("/")
        info = peers.get(url)
        if info is not None:
            seen.add(url)
            for k in _COUNTS:
                if k in info:
                    row.setdefault(k, info[k])
    for url, info in sorted(peers.items()):
        if url in seen or info.get("up", 0):
            continue
        row = {"node": {"url": url}, "status": "down"}
        for k in _COUNTS:
            if k in info:
                row[k] = info[k]
        rows.append(row)
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


@app.command("nodes")
def nodes(ctx: typer.Context) -> None:
    """Nodes with status, url, region/zone and replication backlog (self first, then peers)."""
    st = state(ctx)
    with st.out.spinner("asking the node"):
        rows = nodes_view(st)
    st.out.table(rows, NODE_COLS, empty="no nodes")
