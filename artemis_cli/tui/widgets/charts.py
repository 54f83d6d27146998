"""Stat cards and per-node trend charts (Textual's Sparkline) for the console screens."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static


class StatCard(Static):
    """A titled number with one line of detail; ``-alert`` turns it red, ``-warn`` yellow."""

    DEFAULT_CSS = """
    StatCard {
        width: 1fr;
        min-width: 15;
        height: 4;
        border: round $primary 60%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    StatCard.-alert { border: round $error; }
    StatCard.-warn { border: round $warning; }
    """

    def __init__(self, title: str, **kw: object) -> None:
        super().__init__("…", **kw)  # type: ignore[arg-type]
        self.border_title = title

    def show(self, value: str, detail: str = "", *, alert: bool = False, warn: bool = False) -> None:
        text = Text(value, style="bold")
        if detail:
            text.append("\n" + detail, style="dim")
        self.update(text)
        self.set_class(alert, "-alert")
        self.set_class(warn and not alert, "-warn")


class ChartRow(Horizontal):
    DEFAULT_CSS = """
    ChartRow { height: 1; }
    ChartRow .chart-label { width: 14; color: $text-muted; }
    ChartRow Sparkline { width: 1fr; height: 1; }
    ChartRow .chart-value { width: 10; text-align: right; }
    """

    def __init__(self, label: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.label = label

    def compose(self) -> ComposeResult:
        yield Label(self.label[:13], classes="chart-label")
        yield Sparkline([], summary_function=max)
        yield Label("-", classes="chart-value")

    def show(self, series: Sequence[float], value: str, down: bool) -> None:
        self.query_one(Sparkline).data = list(series)
        self.query_one(".chart-value", Label).update(value)
        self.set_class(down, "-down")


class ChartPanel(Vertical):
    """One metric, one sparkline per node (rows keyed by node url, added and removed as nodes come and go)."""

    DEFAULT_CSS = """
    ChartPanel { height: auto; border: round $primary 40%; padding: 0 1; }
    ChartPanel ChartRow.-down .chart-label { color: $error; }
    """

    def __init__(self, title: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.border_title = title
        self.rows: dict[str, ChartRow] = {}

    def show(self, rows: Sequence[tuple[str, str, Sequence[float], str, bool]]) -> None:
        """``rows``: (key, label, series, current value, node down)."""
        wanted = {key for key, *_ in rows}
        for key in [k for k in self.rows if k not in wanted]:
            self.rows.pop(key).remove()
        for key, label, series, value, down in rows:
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = ChartRow(label)
                self.mount(row)
                row.call_after_refresh(row.show, series, value, down)
            else:
                row.show(series, value, down)
