"""Overview, the first screen: stat cards for the whole cluster and live per-node charts of the last minutes.

Cards: nodes up / total, services, instances serving / pulled out, renewals per minute against the
self-preservation threshold, the replication queue per peer. Charts (one sparkline per node): registrations,
heartbeats, evictions and discovery calls per second, and the replication queue. The cluster sampler
(screens/nodes.py) asks every node's /metrics each refresh period, also while another screen is shown, so the
charts have no hole when the operator comes back; the inventory (counts) reloads on push events.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from artemis_cli.tui.messages import InstancesChanged
from artemis_cli.tui.screens import nodes as cluster
from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.widgets.charts import ChartPanel, StatCard


def _rate(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}/s"
    return f"{v:.1f}/s"


class OverviewScreen(DashScreen):
    TITLE = "Overview"
    what = "overview refresh"
    relax_when_live = True  # counts follow push events; the poll is a safety net

    DEFAULT_CSS = """
    OverviewScreen #cards { height: 4; }
    OverviewScreen #peers { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.nodes: list[cluster.NodeView] = []
        self.counts: tuple[int, int, int, int] | None = None  # services, instances, serving, pulled out

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="overview"):
            with Horizontal(id="cards"):
                yield StatCard("Nodes", id="card-nodes")
                yield StatCard("Services", id="card-services")
                yield StatCard("Instances", id="card-instances")
                yield StatCard("Renewals", id="card-renewals")
                yield StatCard("Peers", id="card-replication")
            yield Static("", id="peers", markup=False)
            for chart in cluster.CHARTS:
                yield ChartPanel(cluster.CHART_TITLES[chart], id=f"chart-{chart}")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "cluster at a glance"
        self.set_interval(self.dash.refresh_secs, self._sample_tick)
        self._sample_tick()

    async def on_unmount(self) -> None:
        await cluster.sampler(self.dash).aclose()

    # -- loading ---------------------------------------------------------------------------------------
    def _sample_tick(self) -> None:
        if self.dash.http_ok is False:
            return
        self.run_worker(
            self.dash.guard(self._sample(), what="cluster metrics"),
            group=f"sample-{id(self)}",
            exclusive=True,
            exit_on_error=False,
        )

    async def _sample(self) -> None:
        self.nodes = await cluster.sampler(self.dash).sample()
        if self.is_mounted:
            self._render_nodes()

    async def load(self) -> None:
        counts = (await sources.inventory(self.dash)).counts
        self.dash.service_names = [c.service_id for c in counts]
        self.counts = (
            len(counts),
            sum(c.total for c in counts),
            sum(c.total - c.pulled for c in counts),
            sum(c.pulled for c in counts),
        )
        self._render_counts()

    # -- rendering -------------------------------------------------------------------------------------
    def _render_counts(self) -> None:
        if self.counts is None:
            return
        n_services, total, serving, pulled = self.counts
        self.query_one("#card-services", StatCard).show(f"{n_services:,}", f"{total:,} instances")
        self.query_one("#card-instances", StatCard).show(
            f"{serving:,} serving", f"{pulled:,} pulled out", warn=pulled > 0
        )

    def _render_nodes(self) -> None:
        nodes = self.nodes
        up = [n for n in nodes if n.up]
        down = [n for n in nodes if not n.up]
        detail = f"down: {', '.join(n.name for n in down)}" if down else ""
        self.query_one("#card-nodes", StatCard).show(f"{len(up)}/{len(nodes)} up", detail, alert=bool(down))
        self._render_preservation(up)
        self._render_replication()
        sampler = cluster.sampler(self.dash)
        for chart in cluster.CHARTS:
            rows = []
            for n in nodes:
                series = sampler.series(n.url, chart)
                last = series[-1] if series else 0.0
                value = f"{int(last):,}" if chart == "replication" else _rate(last)
                rows.append((n.url, n.name, series, value if n.up else n.status, not n.up))
            self.query_one(f"#chart-{chart}", ChartPanel).show(rows)

    def _render_preservation(self, up: list[cluster.NodeView]) -> None:
        card = self.query_one("#card-renewals", StatCard)
        states = [(n, p) for n in up if (p := cluster.preservation(n)) is not None]
        if not states:
            card.show("-", "no renewal figures")
            return
        # self-preservation is decided per node (each counts the renewals it receives, replicated ones
        # included): show the node closest to its threshold rather than a sum that counts a heartbeat twice
        # (the Cluster screen has the gauge of every node)
        _, p = min(states, key=lambda s: (s[1].safe, s[1].ratio))
        if not p.safe:
            holding = ", ".join(n.name for n, q in states if not q.safe)
            card.show(f"{p.per_minute:,}/min", f"PRESERVING: {holding}", alert=True)
        elif not p.armed:
            card.show(f"{p.per_minute:,}/min", "not armed yet")
        else:
            card.show(f"{p.per_minute:,}/min", f"min {p.threshold_per_minute:,}", warn=p.ratio < 1.1)

    def _render_replication(self) -> None:
        card = self.query_one("#card-replication", StatCard)
        links = [(n, p) for n in self.nodes if n.up for p in n.peers]
        if not links:
            card.show("no peers", "single node")
            self.query_one("#peers", Static).display = False
            return
        queue = sum(p.pending for _, p in links)
        lag = sum(p.management_pending for _, p in links)
        broken = [p for _, p in links if not p.up]
        card.show(
            f"{queue:,} queued",
            f"{len(links) - len(broken)}/{len(links)} links up" + (f", lag {lag}" if lag else ""),
            alert=bool(broken),
            warn=queue > 0 or lag > 0,
        )
        names = {n.url: n.name for n in self.nodes}
        parts = []
        for n, p in links:
            peer = names.get(p.url) or p.url.split("//")[-1]
            state = f"{p.pending} queued" if p.up else f"DOWN, {p.pending} queued"
            parts.append(f"{n.name} → {peer}: {state}")
        peers = self.query_one("#peers", Static)
        peers.update("Replication queue per peer: " + " · ".join(parts))
        peers.display = True

    def on_instances_changed(self, message: InstancesChanged) -> None:
        if self.is_current:
            self.soon(1.0)  # a burst of registrations is one inventory reload
