"""Cluster: every node with status, region/zone, instance and lease counts, renewals, replication queue and
management lag; a self-preservation gauge per node; and the topology of who replicates to whom.

Nodes come from the shared cluster sampler (screens/nodes.py): cluster.json of the connected node, configured
peers it sees down, and each node's own /metrics (a node this dashboard cannot reach is ``unreachable``).
The topology lists each node's outgoing replication links as that node reports them (peer up, items
queued for it, management changes it has not pulled yet).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, ProgressBar, Static, Tree

from artemis_cli.tui.messages import InstancesChanged
from artemis_cli.tui.screens import nodes as cluster
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.widgets import KeyedTable
from artemis_client.errors import TransportError

COLUMNS = ("node", "status", "url", "where", "instances", "leases", "renewals", "queue", "lag")
LABELS = (
    "NODE",
    "STATUS",
    "URL",
    "REGION/ZONE",
    "INSTANCES",
    "LEASES",
    "RENEWALS/MIN",
    "REPL QUEUE",
    "MGMT LAG",
)


def node_cells(n: cluster.NodeView) -> tuple[str, ...]:
    def num(v: int | None) -> str:
        return "-" if v is None else f"{v:,}"

    p = cluster.preservation(n)
    renewals = "-" if p is None else f"{p.per_minute:,}"
    up = n.up and n.error is None
    return (
        n.name,
        n.status,
        n.url,
        f"{n.region}/{n.zone}",
        num(n.gauge("artemis_active_instances")) if up else "-",
        num(n.gauge("artemis_leases")) if up else "-",
        renewals if up else "-",
        f"{n.queue:,}" if up else "-",
        f"{n.lag:,}" if up else "-",
    )


class GaugeRow(Horizontal):
    """Self-preservation of one node: renewals per minute on a bar whose end is the window maximum, and
    the threshold (85 % of it) below which lease expiry stops evicting."""

    DEFAULT_CSS = """
    GaugeRow { height: 1; }
    GaugeRow .gauge-label { width: 14; }
    GaugeRow ProgressBar { width: 26; }
    GaugeRow .gauge-text { width: 1fr; color: $text-muted; }
    GaugeRow.-unsafe .gauge-label { color: $error; text-style: bold; }
    """

    def __init__(self, label: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.label = label

    def compose(self) -> ComposeResult:
        yield Label(self.label[:13], classes="gauge-label")
        yield ProgressBar(total=100, show_eta=False, show_percentage=False)
        yield Label("", classes="gauge-text")

    def show(self, p: cluster.Preservation | None, status: str) -> None:
        bar = self.query_one(ProgressBar)
        text = self.query_one(".gauge-text", Label)
        if p is None:
            bar.update(total=100, progress=0)
            text.update(status if status != "up" else "no renewal figures")
            self.set_class(False, "-unsafe")
            return
        bar.update(total=max(p.max_per_minute, 1), progress=min(p.per_minute, max(p.max_per_minute, 1)))
        if not p.armed:
            verdict = "not armed (window max < 50)"
        elif p.safe:
            verdict = "evicting"
        else:
            verdict = "PRESERVING: expired leases kept"
        text.update(f"{p.per_minute:,}/min · min {p.threshold_per_minute:,} · {verdict}")
        self.set_class(not p.safe, "-unsafe")


class TopologyScreen(DashScreen):
    TITLE = "Cluster"
    what = "cluster refresh"

    DEFAULT_CSS = """
    TopologyScreen #gauges { height: auto; padding: 0 1; }
    TopologyScreen #topology { height: auto; min-height: 4; padding: 0 1; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.nodes: list[cluster.NodeView] = []
        self.gauges: dict[str, GaugeRow] = {}
        self._tree_lines: list[str] = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="cluster"):
            yield KeyedTable(COLUMNS, LABELS, id="nodes")
            yield Static("", id="cluster-summary", classes="summary")
            yield Label(
                "Self-preservation (renewals per minute, bar end = window maximum)", classes="section"
            )
            yield VerticalScroll(id="gauges")
            yield Label("Replication topology (who sends to whom)", classes="section")
            yield Tree("cluster", id="topology")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "nodes and replication"
        self.query_one(KeyedTable).focus()

    async def load(self) -> None:
        try:
            self.nodes = await cluster.sampler(self.dash).sample()
        except TransportError:
            table = self.query_one(KeyedTable)
            for key, cells in list(table.cells.items()):
                table.upsert(key, (cells[0], "unreachable", *cells[2:]))
            self.query_one("#cluster-summary", Static).update("no node answers")
            raise
        self.redraw()

    def redraw(self) -> None:
        table = self.query_one(KeyedTable)
        table.sync((n.url, node_cells(n)) for n in self.nodes)
        up = sum(1 for n in self.nodes if n.up)
        self.query_one("#cluster-summary", Static).update(f"{up} of {len(self.nodes)} nodes up")
        box = self.query_one("#gauges", VerticalScroll)
        for url in [u for u in self.gauges if u not in {n.url for n in self.nodes}]:
            self.gauges.pop(url).remove()
        for n in self.nodes:
            row = self.gauges.get(n.url)
            p = cluster.preservation(n) if n.up else None
            if row is None:
                row = self.gauges[n.url] = GaugeRow(n.name)
                box.mount(row)
                row.call_after_refresh(row.show, p, n.status)
            else:
                row.show(p, n.status)
        self._render_tree()

    def _render_tree(self) -> None:
        names = {n.url: n.name for n in self.nodes}
        lines: list[str] = []
        spec: list[tuple[str, list[str]]] = []
        for n in self.nodes:
            head = f"{names[n.url]} ({n.status}) {n.url}"
            kids = []
            if not n.up:
                kids.append("not reporting (down or unreachable)")
            elif not n.peers:
                kids.append("no peers configured")
            for p in n.peers:
                state = "up" if p.up else "DOWN"
                kids.append(
                    f"→ {names.get(p.url, p.url)}: {state}, {p.pending:,} queued, "
                    f"{p.management_pending:,} mgmt changes behind, {p.dropped:,} dropped"
                )
            spec.append((head, kids))
            lines += [head, *kids]
        if lines == self._tree_lines:
            return  # unchanged: keep the tree's cursor and scroll position
        self._tree_lines = lines
        tree: Tree[None] = self.query_one("#topology", Tree)
        tree.clear()
        tree.root.set_label(f"cluster: {len(self.nodes)} nodes")
        for head, kids in spec:
            node = tree.root.add(head, expand=True)
            for k in kids:
                node.add_leaf(k)
        tree.root.expand()

    def on_instances_changed(self, message: InstancesChanged) -> None:
        return None  # node figures move without push events; the poll refreshes them
