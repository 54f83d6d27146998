"""Widgets shared by the dashboard screens."""

from artemis_cli.tui.widgets.status import ConnectionBar
from artemis_cli.tui.widgets.table import KeyedTable

__all__ = ["ConnectionBar", "KeyedTable"]
