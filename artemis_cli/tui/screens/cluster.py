"""Cluster screen: every node with status, url, region/zone, instance and lease counts, renewals, safety."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from artemis_cli.tui import data
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.widgets import KeyedTable
from artemis_client.errors import ArtemisError, TransportError


class ClusterScreen(DashScreen):
    TITLE = "Cluster"
    what = "cluster refresh"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._node_clients: dict[str, Any] = {}
        self._seen: dict[str, dict[str, Any]] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Nodes as the connected node sees them; counts come from each node's /metrics.", classes="hint"
        )
        yield KeyedTable(data.CLUSTER_COLUMNS, data.CLUSTER_LABELS, id="nodes")
        yield Static("", id="cluster-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "nodes"
        self.query_one(KeyedTable).focus()

    async def on_unmount(self) -> None:
        for c in self._node_clients.values():
            try:
                await c.aclose()
            except Exception:
                pass

    def _client_for(self, url: str) -> Any:
        from artemis_cli.client import AsyncArtemisClient

        c = self._node_clients.get(url)
        if c is None:
            c = AsyncArtemisClient([url], token=self.dash.token, timeout=min(self.dash.timeout, 2.0))
            self._node_clients[url] = c
        return c

    async def _node_gauges(self, url: str) -> tuple[dict[str, float] | None, str | None]:
        if not url:
            return None, "no url"
        try:
            return data.gauges(await self._client_for(url).metrics()), None
        except ArtemisError as exc:
            return None, str(exc)

    async def load(self) -> None:
        from artemis_cli.cluster_view import peer_metrics

        try:
            doc = await self.dash.call(self.dash.api.cluster_status())
        except TransportError:
            # nothing answers: what the table shows is no longer known
            table = self.query_one(KeyedTable)
            for key, cells in list(table.cells.items()):
                table.upsert(key, (cells[0], "unreachable", *cells[2:]))
            self.query_one("#cluster-summary", Static).update("no node answers")
            raise
        nodes = [data.plain(n) for n in doc.nodes_status or []]
        try:
            peers = peer_metrics(await self.dash.call(self.dash.api.metrics()))
        except ArtemisError:
            peers = {}
        listed = {str((n.get("node") or {}).get("url") or "").rstrip("/") for n in nodes}
        # configured peers that are down are missing from cluster.json (S14.6): show them as down
        for url, info in sorted(peers.items()):
            if url not in listed and not info.up:
                # keep what an earlier load said about the node (id, region, zone)
                nodes.append({"node": self._seen.get(url) or {"url": url}, "status": "down"})
        urls = [str((n.get("node") or {}).get("url") or "").rstrip("/") for n in nodes]
        results = await asyncio.gather(*(self._node_gauges(u) for u in urls))
        rows = []
        for n, url, (g, err) in zip(nodes, urls, results, strict=True):
            if (n.get("node") or {}).get("nodeId"):
                self._seen[url] = dict(n["node"])
            rows.append((url, data.cluster_cells(n, g, err)))  # keyed by url: a node going down keeps its row
        table = self.query_one(KeyedTable)
        table.sync(rows)
        up = sum(1 for _, cells in rows if cells[1] == "up")
        self.query_one("#cluster-summary", Static).update(f"{up} of {len(rows)} nodes up")
