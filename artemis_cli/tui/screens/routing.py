"""Routing: the groups (tags, bound instances) and route rules of one service; the selected rule's groups
with their weights drawn as bars, next to the split observed from discovery (single-instance lookups).

Actions, each through a form and the confirm modal: new rule, new group, add a group to the rule, edit a
weight (the confirm shows the split before and after), publish / unpublish, bind an instance to a group.
"""

from __future__ import annotations

from typing import Any

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Select, Static

from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.screens.forms import Field, ask, confirm_then
from artemis_cli.tui.widgets import KeyedTable
from artemis_client.wire.routing import RouteRule

RULE_COLUMNS = ("rule", "name", "status", "strategy", "groups")
RULE_LABELS = ("RULE", "NAME", "STATUS", "STRATEGY", "GROUPS")
GROUP_COLUMNS = ("group", "status", "tags", "bound")
GROUP_LABELS = ("GROUP", "STATUS", "TAGS", "BOUND INSTANCES")
BAR = 16
STRATEGIES = ("weighted-round-robin", "close-by-visit")


def _weight(text: str) -> str:
    if not text.isdigit() or not 0 <= int(text) <= 10000:
        raise ValueError(f"{text!r} is not a weight (a whole number 0..10000)")
    return str(int(text))


class RoutingScreen(DashScreen):
    TITLE = "Routing"
    what = "routing refresh"
    relax_when_live = True
    BINDINGS = [
        Binding("p", "publish", "Publish/unpublish"),
        Binding("w", "weight", "Weight"),
        Binding("n", "new_rule", "New rule"),
        Binding("e", "edit_rule", "Edit rule"),
        Binding("g", "new_group", "New group"),
        Binding("a", "add_group", "Add group to rule"),
        Binding("b", "bind", "Bind instance"),
        Binding("m", "measure", "Measure split"),
    ]
    DEFAULT_CSS = """
    RoutingScreen #routing-service { width: 60; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.service_id = ""
        self.view: sources.Routing | None = None
        self.rules: dict[str, RouteRule] = {}
        self.observed: dict[str, dict[str, float]] = {}  # rule id -> group key -> share
        self._names: list[str] = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="routing"):
            yield Select[str]([], prompt="service", id="routing-service")
            yield Label("Route rules (p publish/unpublish, n new, a add a group)", classes="section")
            yield KeyedTable(RULE_COLUMNS, RULE_LABELS, id="rules")
            yield Label(
                "Groups of the selected rule: configured weight vs observed (m measures)", classes="section"
            )
            yield DataTable(cursor_type="row", id="split")
            yield Label("Groups of the service (g new, b bind an instance)", classes="section")
            yield KeyedTable(GROUP_COLUMNS, GROUP_LABELS, id="groups")
            yield Static("", id="routing-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "groups and route rules"
        split = self.query_one("#split", DataTable)
        for key, label in (
            ("group", "GROUP"),
            ("weight", "WEIGHT"),
            ("configured", "CONFIGURED"),
            ("observed", "OBSERVED"),
        ):
            split.add_column(label, key=key)
        self.query_one("#rules", KeyedTable).focus()

    async def load(self) -> None:
        names = await sources.routed_services(self.dash)
        select = self.query_one("#routing-service", Select)
        if names != self._names:
            self._names = names
            select.set_options([(n, n) for n in names])
        if not self.service_id and names:
            self.service_id = names[0]
        if self.service_id:
            if self.service_id in names and select.value != self.service_id:
                select.value = self.service_id
            self.view = await sources.routing(self.dash, self.service_id)
        self.redraw()

    def open(self, service_id: str) -> None:
        """Show the groups and rules of ``service_id``."""
        self.service_id = service_id
        self.reload()

    @on(Select.Changed, "#routing-service")
    def _service(self, event: Select.Changed) -> None:
        if event.value is not Select.BLANK and str(event.value) != self.service_id:
            self.service_id = str(event.value)
            self.reload()

    def redraw(self) -> None:
        v = self.view
        rules = self.query_one("#rules", KeyedTable)
        groups = self.query_one("#groups", KeyedTable)
        if v is None:
            rules.sync([])
            groups.sync([])
            return
        self.rules = {r.route_id: r for r in v.rules}
        rules.sync(
            (
                r.route_id,
                (
                    r.route_id,
                    r.name,
                    "published" if r.status == "active" else "unpublished",
                    r.strategy,
                    str(len(r.groups)),
                ),
            )
            for r in v.rules
        )
        groups.sync(
            (
                g.group_key,
                (
                    g.group_key,
                    g.status,
                    ", ".join(f"{t.key}={t.value}" for t in g.tags or []) or "-",
                    ", ".join(v.bound.get(g.group_key, [])) or "-",
                ),
            )
            for g in v.groups
        )
        self._render_split()
        published = sum(1 for r in v.rules if r.status == "active")
        self.query_one("#routing-summary", Static).update(
            f"{v.service_id}: {len(v.groups)} groups, {len(v.rules)} rules ({published} published)"
        )

    def selected_rule(self) -> RouteRule | None:
        return self.rules.get(self.query_one("#rules", KeyedTable).selected_key() or "")

    @on(DataTable.RowHighlighted, "#rules")
    def _rule_moved(self) -> None:
        self._render_split()

    def _render_split(self) -> None:
        split = self.query_one("#split", DataTable)
        split.clear()
        rule = self.selected_rule()
        if rule is None:
            return
        shares = sources.weight_shares({g.group_key: g.weight for g in rule.groups})
        observed = self.observed.get(rule.route_id, {})
        for g in rule.groups:
            seen = observed.get(g.group_key)
            split.add_row(
                g.group_key,
                str(g.weight),
                _bar(shares[g.group_key]),
                _bar(seen) if seen is not None else Text("- (m)", style="dim"),
                key=g.group_key,
            )

    # -- actions ---------------------------------------------------------------------------------------
    def _need_rule(self) -> RouteRule | None:
        rule = self.selected_rule()
        if rule is None:
            self.notify("no rule selected (n creates one)", severity="warning")
        return rule

    def action_publish(self) -> None:
        rule = self._need_rule()
        if rule is None:
            return
        publish = rule.status != "active"
        shares = sources.weight_shares({g.group_key: g.weight for g in rule.groups})
        lines = [f"{'Publish' if publish else 'Unpublish'} rule {rule.route_id} of {rule.service_id}"]
        if publish:
            lines.append("  discovery routes clients of the service by these weights:")
            lines += [f"    {k}: {s * 100:.1f}%" for k, s in shares.items()] or ["    (no groups: no effect)"]
        else:
            lines.append("  clients get every instance of the service again (no group routing)")
        verb = "Publish" if publish else "Unpublish"

        async def run() -> None:
            await sources.publish_rule(self.dash, rule.route_id, publish)

        confirm_then(
            self, f"{verb} rule?", lines, run, verb=verb, done=f"rule {rule.route_id}: {verb.lower()}ed"
        )

    def action_weight(self) -> None:
        rule = self._need_rule()
        if rule is None or not rule.groups:
            if rule is not None:
                self.notify("the rule has no group (a adds one)", severity="warning")
            return
        split = self.query_one("#split", DataTable)
        row = split.cursor_row if split.row_count else 0
        group = rule.groups[min(row, len(rule.groups) - 1)]
        ask(
            self,
            f"Weight of {group.group_key} in {rule.route_id}",
            [Field("weight", "Weight (0..10000):", str(group.weight), check=_weight)],
            lambda v: self._confirm_weight(rule, group.group_key, int(v["weight"])),
        )

    def _confirm_weight(self, rule: RouteRule, group_key: str, weight: int) -> None:
        before = sources.weight_shares({g.group_key: g.weight for g in rule.groups})
        after = sources.weight_shares(
            {g.group_key: (weight if g.group_key == group_key else g.weight) for g in rule.groups}
        )
        lines = [f"Set the weight of {group_key} in {rule.route_id} to {weight}", "  split before -> after:"]
        lines += [f"    {k}: {before[k] * 100:5.1f}% -> {after[k] * 100:5.1f}%" for k in before]
        if rule.status != "active":
            lines.append("  the rule is unpublished: clients are not affected until it is published")

        async def run() -> None:
            await sources.set_weight(self.dash, rule.route_id, group_key, weight)
            self.observed.pop(rule.route_id, None)

        confirm_then(
            self,
            "Change weight?",
            lines,
            run,
            verb="Apply",
            danger=rule.status == "active",
            done="weight changed",
        )

    def action_new_rule(self) -> None:
        if not self.service_id:
            self.notify("no service selected", severity="warning")
            return
        fields = [
            Field("route_id", "Route id:"),
            Field("name", "Name:"),
            Field("strategy", "Strategy:", choices=STRATEGIES),
        ]

        def then(v: dict[str, str]) -> None:
            async def run() -> None:
                await sources.create_rule(self.dash, self.service_id, v["route_id"], v["name"], v["strategy"])

            lines = [
                f"Create rule {v['route_id']} ({v['strategy']}) for {self.service_id}",
                "  created unpublished: no effect on clients yet",
            ]
            confirm_then(
                self,
                "Create rule?",
                lines,
                run,
                verb="Create",
                danger=False,
                done=f"rule {v['route_id']} created",
            )

        ask(self, f"New route rule for {self.service_id}", fields, then)

    def action_edit_rule(self) -> None:
        rule = self._need_rule()
        if rule is None:
            return
        fields = [
            Field("name", "Name:", rule.name),
            Field("strategy", "Strategy:", rule.strategy, choices=STRATEGIES),
        ]

        def then(v: dict[str, str]) -> None:
            if (v["name"], v["strategy"]) == (rule.name, rule.strategy):
                self.notify("nothing changed")
                return

            async def run() -> None:
                await sources.update_rule(self.dash, rule.route_id, v["name"], v["strategy"])

            lines = [f"Update rule {rule.route_id} of {rule.service_id}"]
            if v["name"] != rule.name:
                lines.append(f"  name: {rule.name} -> {v['name']}")
            if v["strategy"] != rule.strategy:
                lines.append(f"  strategy: {rule.strategy} -> {v['strategy']}")
                if rule.status == "active":
                    lines.append("  the rule is published: clients are routed by the new strategy at once")
            confirm_then(
                self,
                "Update rule?",
                lines,
                run,
                verb="Update",
                danger=rule.status == "active",
                done=f"rule {rule.route_id} updated",
            )

        ask(self, f"Edit rule {rule.route_id}", fields, then)

    def action_new_group(self) -> None:
        if not self.service_id:
            self.notify("no service selected", severity="warning")
            return
        fields = [
            Field("name", "Group name:"),
            Field("region", "Region:", "default"),
            Field("zone", "Zone:", "default"),
            Field("type", "Type:", choices=("physical", "logical")),
        ]

        def then(v: dict[str, str]) -> None:
            async def run() -> None:
                await sources.create_group(
                    self.dash, self.service_id, v["region"], v["zone"], v["name"], v["type"]
                )

            key = f"{self.service_id}:{v['region']}:{v['zone']}:{v['name']}"
            lines = [f"Create group {key} ({v['type']})", "  no rule uses it yet: no effect on clients"]
            confirm_then(
                self, "Create group?", lines, run, verb="Create", danger=False, done=f"group {key} created"
            )

        ask(self, f"New group for {self.service_id}", fields, then)

    def action_add_group(self) -> None:
        rule = self._need_rule()
        if rule is None or self.view is None:
            return
        choices = [
            g.group_key for g in self.view.groups if g.group_key not in {x.group_key for x in rule.groups}
        ]
        if not choices:
            self.notify(
                "every group of the service is in the rule already (g creates one)", severity="warning"
            )
            return
        fields = [
            Field("group", "Group:", choices=choices),
            Field("weight", "Weight (0..10000):", "1", check=_weight),
        ]

        def then(v: dict[str, str]) -> None:
            weights = {g.group_key: g.weight for g in rule.groups} | {v["group"]: int(v["weight"])}
            lines = [f"Add {v['group']} to {rule.route_id} with weight {v['weight']}", "  split after:"]
            lines += [f"    {k}: {s * 100:5.1f}%" for k, s in sources.weight_shares(weights).items()]

            async def run() -> None:
                await sources.add_rule_group(self.dash, rule.route_id, v["group"], int(v["weight"]))

            confirm_then(
                self,
                "Add group to rule?",
                lines,
                run,
                verb="Add",
                danger=rule.status == "active",
                done="group added",
            )

        ask(self, f"Add a group to {rule.route_id}", fields, then)

    def action_bind(self) -> None:
        key = self.query_one("#groups", KeyedTable).selected_key()
        group = next((g for g in (self.view.groups if self.view else []) if g.group_key == key), None)
        if group is None:
            self.notify("no group selected", severity="warning")
            return

        def then(v: dict[str, str]) -> None:
            async def run() -> None:
                await sources.bind(self.dash, group, v["instance"])

            lines = [
                f"Bind instance {v['instance']} to {group.group_key}",
                "  rules using this group route to it",
            ]
            confirm_then(self, "Bind instance?", lines, run, verb="Bind", danger=False, done="instance bound")

        ask(self, f"Bind an instance to {group.group_key}", [Field("instance", "Instance id:")], then)

    def action_measure(self) -> None:
        rule = self._need_rule()
        if rule is None or self.view is None:
            return
        ids = {g.group_key: {i.lower() for i in self.view.bound.get(g.group_key, [])} for g in rule.groups}

        async def measure() -> None:
            shares, n = await sources.observed_split(self.dash, rule.service_id, ids)
            self.observed[rule.route_id] = shares
            self._render_split()
            self.notify(f"observed over {n} lookups of {rule.service_id}", title="Split measured")

        self.run_guarded(measure(), "measure split")


def _bar(share: float) -> Table:
    """A share as a Rich progress bar and its percentage (a DataTable cell renders any Rich renderable)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_row(ProgressBar(total=100, completed=share * 100, width=BAR), f"{share * 100:5.1f}%")
    return grid
