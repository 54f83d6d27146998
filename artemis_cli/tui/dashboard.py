"""``make_dashboard``: the one factory of the dashboard (``artemis tui``, ``tui --web`` and the tests).

It wires the app (:mod:`artemis_cli.tui.app`) with its screens (:mod:`artemis_cli.tui.screens`): the screens
import the app, the app only receives how to build them.
"""

from __future__ import annotations

from collections.abc import Sequence

from artemis_cli.tui.app import ArtemisDashboard, Screens
from artemis_cli.tui.screens.audit_log import AuditLogScreen
from artemis_cli.tui.screens.canary import CanaryScreen
from artemis_cli.tui.screens.help import HelpScreen
from artemis_cli.tui.screens.instances import InstancesScreen
from artemis_cli.tui.screens.overview import OverviewScreen
from artemis_cli.tui.screens.routing import RoutingScreen
from artemis_cli.tui.screens.services import ServicesScreen
from artemis_cli.tui.screens.topology import TopologyScreen
from artemis_cli.tui.screens.users import UsersScreen
from artemis_cli.tui.screens.zones import ZonesScreen

# one screen class per mode of artemis_cli.tui.navigation.SCREENS (keys, titles, who may open them)
SCREENS = Screens(
    modes={
        "overview": OverviewScreen,
        "cluster": TopologyScreen,
        "services": ServicesScreen,
        "routing": RoutingScreen,
        "zones": ZonesScreen,
        "canary": CanaryScreen,
        "audit": AuditLogScreen,
        "users": UsersScreen,
    },
    help=HelpScreen,
    instances=InstancesScreen,
    is_help=lambda screen: isinstance(screen, HelpScreen),
)


def make_dashboard(
    servers: Sequence[str] | str | None = None,
    *,
    token: str | None = None,
    timeout: float = 5.0,
    refresh: float = 2.0,
    operator: str | None = None,
    label: str | None = None,
    start: str = "overview",
    live: bool = True,
) -> ArtemisDashboard:
    """Build the dashboard."""
    return ArtemisDashboard(
        servers,
        token=token,
        timeout=timeout,
        refresh=refresh,
        operator=operator or default_operator(),
        label=label,
        start=start,
        live=live,
        screens=SCREENS,
    )


def default_operator() -> str:
    from artemis_cli.common import os_user

    return os_user("tui")


__all__ = ["SCREENS", "make_dashboard"]
