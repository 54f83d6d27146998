"""The nodes of the cluster and their metrics over time, shared by the Overview and Cluster screens.

One :class:`ClusterSampler` per dashboard asks cluster.json on the connected node, adds the configured peers
it sees down, and reads every node's ``/metrics`` once per refresh period; counter deltas become per-second
rates kept for the last ``HISTORY`` samples per node (the Overview's charts).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from artemis_cli.tui import data
from artemis_client.errors import ArtemisError

if TYPE_CHECKING:
    from artemis_cli.tui.app import ArtemisDashboard

COUNTERS = {
    "registrations": "artemis_register_requests_total",
    "heartbeats": "artemis_heartbeat_requests_total",
    "evictions": "artemis_evictions_total",
    "discovery": "artemis_discovery_requests_total",
}
CHARTS = ("registrations", "heartbeats", "evictions", "discovery", "replication")
CHART_TITLES = {
    "registrations": "Registrations /s",
    "heartbeats": "Heartbeats /s",
    "evictions": "Evictions /s",
    "discovery": "Discovery calls /s",
    "replication": "Replication queue (items for peers)",
}


@dataclass(frozen=True, slots=True)
class PeerLink:
    """One replication link as the sending node reports it in /metrics."""

    url: str
    up: bool
    pending: int = 0
    dropped: int = 0
    management_pending: int = 0


@dataclass(slots=True)
class NodeView:
    """A node: what cluster.json says about it plus its own /metrics (gauges, counters, peer links)."""

    url: str
    node_id: str = "-"
    region: str = "-"
    zone: str = "-"
    status: str = "unknown"
    gauges: dict[str, float] = field(default_factory=dict)
    peers: list[PeerLink] = field(default_factory=list)
    error: str | None = None

    @property
    def up(self) -> bool:
        return self.status == "up"

    @property
    def name(self) -> str:
        """A short label: the node id (its first 8 characters when it is a UUID), else host:port."""
        if self.node_id == "-":
            return self.url.split("//")[-1]
        return self.node_id[:8] if len(self.node_id) > 12 else self.node_id

    def gauge(self, name: str) -> int | None:
        v = self.gauges.get(name)
        return None if v is None else int(v)

    @property
    def queue(self) -> int:
        return sum(p.pending for p in self.peers)

    @property
    def lag(self) -> int:
        """Management changes this node holds that its peers had not pulled at their last pull."""
        return sum(p.management_pending for p in self.peers)


@dataclass(frozen=True, slots=True)
class Preservation:
    """Self-preservation (S3.7) of one node: renewals per minute against the eviction threshold."""

    per_minute: int
    threshold_per_minute: int
    max_per_minute: int
    safe: bool
    armed: bool  # the check only bites once the window maximum reached SAFE_MIN_MAX

    @property
    def ratio(self) -> float:
        return self.per_minute / self.threshold_per_minute if self.threshold_per_minute else 1.0


def preservation(node: NodeView) -> Preservation | None:
    g = node.gauges
    if "artemis_lease_renewals_last_window" not in g:
        return None
    win = int(g["artemis_lease_renewals_last_window"])
    mx = int(g.get("artemis_lease_renewals_max_window", 0))
    # /metrics windows are 10 s long: six per minute
    return Preservation(
        per_minute=win * 6,
        threshold_per_minute=mx * 6 * data.SAFE_PERCENT // 100,
        max_per_minute=mx * 6,
        safe=g.get("artemis_lease_safe", 1.0) >= 1.0,
        armed=mx >= data.SAFE_MIN_MAX,
    )


def _peer_links(metrics_text: str) -> list[PeerLink]:
    from artemis_cli.cluster_view import peer_metrics

    return [
        PeerLink(
            url=url,
            up=bool(g.up),
            pending=g.replication_pending or 0,
            dropped=g.replication_dropped or 0,
            management_pending=g.management_pending or 0,
        )
        for url, g in sorted(peer_metrics(metrics_text).items())
    ]


class ClusterSampler:
    """Samples every node of the cluster; one per dashboard (see :func:`sampler`).

    ``sample()`` asks cluster.json on the connected node, adds configured peers that are down (cluster.json
    lists up nodes only, S14.6), then every node's /metrics concurrently (2 s timeout each). Counter deltas
    between two samples become per-second rates kept for the last ``HISTORY`` samples per node; a node
    that does not answer gets a gap (0) and keeps its row. Concurrent callers share one sample.
    """

    HISTORY = 90

    def __init__(self, dash: ArtemisDashboard) -> None:
        self.dash = dash
        self.nodes: dict[str, NodeView] = {}
        self.history: dict[tuple[str, str], deque[float]] = {}
        self.sampled_at = 0.0
        self._counters: dict[str, tuple[float, dict[str, float]]] = {}
        self._clients: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    def _client(self, url: str) -> Any:
        from artemis_cli.client import AsyncArtemisClient

        c = self._clients.get(url)
        if c is None:
            c = AsyncArtemisClient([url], token=self.dash.token, timeout=min(self.dash.timeout, 2.0))
            self._clients[url] = c
        return c

    async def aclose(self) -> None:
        for c in self._clients.values():
            try:
                await c.aclose()
            except Exception:
                pass
        self._clients.clear()

    async def _metrics(self, url: str) -> tuple[str | None, str | None]:
        try:
            return str(await self._client(url).metrics()), None
        except ArtemisError as exc:
            return None, str(exc)

    async def sample(self, max_age: float = 0.5) -> list[NodeView]:
        async with self._lock:
            if time.monotonic() - self.sampled_at >= max_age:
                await self._sample()
        return list(self.nodes.values())

    async def _sample(self) -> None:
        listed = (await self.dash.call(self.dash.api.cluster_status())).nodes_status or []
        views: dict[str, NodeView] = {}
        for st in listed:
            url = st.node.url.rstrip("/")
            views[url] = NodeView(url, st.node.node_id, st.node.region_id, st.node.zone_id, st.status)
        for url, known in self.nodes.items():
            if url not in views:  # a node that stopped answering keeps its row, marked down below
                views[url] = NodeView(url, known.node_id, known.region, known.zone, "down")
        texts = await asyncio.gather(*(self._metrics(u) for u in views))
        now = time.monotonic()
        for (url, view), (text, err) in zip(list(views.items()), texts, strict=True):
            if text is None:
                view.error = err
                if view.status == "up":
                    view.status = "unreachable"  # listed by the cluster, but this dashboard cannot reach it
                self._record(url, now, None)
                continue
            view.gauges = data.gauges(text)
            view.peers = _peer_links(text)
            for peer in view.peers:  # configured peers the connected node sees down
                if peer.url not in views and not peer.up:
                    views[peer.url] = NodeView(peer.url, status="down")
                    self._record(peer.url, now, None)
            self._record(url, now, view)
        self.nodes = dict(sorted(views.items(), key=lambda kv: (kv[1].node_id == "-", kv[0])))
        self.sampled_at = now

    def _record(self, url: str, now: float, view: NodeView | None) -> None:
        rates = dict.fromkeys(CHARTS, 0.0)
        if view is not None:
            counters = {k: view.gauges.get(name, 0.0) for k, name in COUNTERS.items()}
            before = self._counters.get(url)
            if before is not None and now > before[0]:
                dt = now - before[0]
                for k, v in counters.items():
                    delta = v - before[1].get(k, 0.0)
                    rates[k] = (v if delta < 0 else delta) / dt  # below the last value: the node restarted
            self._counters[url] = (now, counters)
            rates["replication"] = float(view.queue)
        else:
            self._counters.pop(url, None)
        for k, v in rates.items():
            series = self.history.setdefault((url, k), deque(maxlen=self.HISTORY))
            series.append(v)

    def series(self, url: str, chart: str) -> list[float]:
        return list(self.history.get((url, chart), ()))


_SAMPLERS: weakref.WeakKeyDictionary[Any, ClusterSampler] = weakref.WeakKeyDictionary()


def sampler(dash: ArtemisDashboard) -> ClusterSampler:
    """The dashboard's one cluster sampler (the Overview and Cluster screens share its history)."""
    s = _SAMPLERS.get(dash)
    if s is None:
        s = _SAMPLERS[dash] = ClusterSampler(dash)
    return s
