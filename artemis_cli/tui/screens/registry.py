"""Which screen class serves each mode of the console (keys and titles: artemis_cli.tui.navigation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen


def _modes() -> dict[str, Callable[[], Screen[Any]]]:
    from artemis_cli.tui.screens.audit_log import AuditLogScreen
    from artemis_cli.tui.screens.canary import CanaryScreen
    from artemis_cli.tui.screens.overview import OverviewScreen
    from artemis_cli.tui.screens.routing import RoutingScreen
    from artemis_cli.tui.screens.services import ServicesScreen
    from artemis_cli.tui.screens.topology import TopologyScreen
    from artemis_cli.tui.screens.users import UsersScreen
    from artemis_cli.tui.screens.zones import ZonesScreen

    return {
        "overview": OverviewScreen,
        "cluster": TopologyScreen,
        "services": ServicesScreen,
        "routing": RoutingScreen,
        "zones": ZonesScreen,
        "canary": CanaryScreen,
        "audit": AuditLogScreen,
        "users": UsersScreen,
    }


def register_modes(app: Any) -> None:
    """Add every screen of the console as a mode of ``app``."""
    for mode, make in _modes().items():
        app.add_mode(mode, make)
