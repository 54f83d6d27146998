"""``make_dashboard``: the one factory of the dashboard (``artemis tui``, ``tui --web`` and the tests).

It wires the app (:mod:`artemis_cli.tui.app`) with its screens (:mod:`artemis_cli.tui.screens`): the screens
import the app, the app only receives how to build them.
"""

from __future__ import annotations

from collections.abc import Sequence

from artemis_cli.tui.app import ArtemisDashboard, Screens
from artemis_cli.tui.screens.audit import AuditScreen
from artemis_cli.tui.screens.cluster import ClusterScreen
from artemis_cli.tui.screens.help import HelpScreen
from artemis_cli.tui.screens.instances import InstancesScreen
from artemis_cli.tui.screens.services import ServicesScreen

SCREENS = Screens(
    modes={"cluster": ClusterScreen, "services": ServicesScreen, "audit": AuditScreen},
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
    start: str = "cluster",
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
