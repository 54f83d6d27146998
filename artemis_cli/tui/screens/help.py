"""`?`: the key bindings of the screen underneath, and how the dashboard behaves."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

ABOUT = "\n".join(
    [
        "Screens: 1 Overview, 2 Cluster, 3 Services, 4 Routing, 5 Zones, 6 Canary, 7 Audit, 8 Users "
        "(admins). Enter opens a service, then an instance; Esc goes back.",
        "Services: type a name to filter (or / first); c toggles canary routing of the selected service; "
        "> changes the sort.",
        "Instances: o pulls the instance out/in, s its server IP, z its zone; space selects instances "
        "(a: all shown), then o / i pull the selection out / in. A confirmation shows the blast radius "
        "first.",
        "Routing, Zones, Canary, Audit, Users: the footer lists each screen's keys; every change goes "
        "through a form (checked before anything is sent) and a confirmation.",
        "Live updates arrive over WebSocket; the bar under the title says whether the stream is live. "
        "When no "
        "server answers the bar turns red, the dashboard retries with back-off and fails over to the other "
        "servers of the context; screens reload as soon as a server is back.",
    ]
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, under: Any) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label("Artemis dashboard: keys", id="help-title")
            yield Static(self._keys(), id="help-keys")
            yield Static(ABOUT, id="help-about", markup=False)
            yield Label("Esc closes this help", classes="hint")

    def _keys(self) -> Table:
        t = Table.grid(padding=(0, 3))
        t.add_column(style="bold")
        t.add_column()
        seen = set()
        try:
            active = self.under.active_bindings
        except Exception:
            active = {}
        for _key, ab in active.items():
            b = ab.binding
            if not b.show or not b.description or (b.action, b.description) in seen:
                continue
            seen.add((b.action, b.description))
            t.add_row(b.key_display or self.app.get_key_display(b), b.description)
        t.add_row("↑ ↓ pgup pgdn", "Move in a table (ctrl+home / ctrl+end: first / last row)")
        t.add_row("ctrl+p", "Command palette")
        return t

    def action_close(self) -> None:
        self.dismiss()
