"""The console's screens: one key each, their palette entries, and who may see them (Users: admins only)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen

    from artemis_cli.tui.app import ArtemisDashboard


def _overview() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.overview import OverviewScreen

    return OverviewScreen


def _cluster() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.topology import TopologyScreen

    return TopologyScreen


def _services() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.services import ServicesScreen

    return ServicesScreen


def _routing() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.routing import RoutingScreen

    return RoutingScreen


def _zones() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.zones import ZonesScreen

    return ZonesScreen


def _canary() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.canary import CanaryScreen

    return CanaryScreen


def _audit() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.audit_log import AuditLogScreen

    return AuditLogScreen


def _users() -> type[Screen[Any]]:
    from artemis_cli.tui.screens.users import UsersScreen

    return UsersScreen


@dataclass(frozen=True, slots=True)
class ScreenEntry:
    mode: str
    key: str
    title: str
    help: str
    screen: Callable[[], type[Screen[Any]]]
    admin_only: bool = False


SCREENS = (
    ScreenEntry("overview", "1", "Overview", "Stat cards and live charts of the cluster", _overview),
    ScreenEntry("cluster", "2", "Cluster", "Nodes, self-preservation, replication topology", _cluster),
    ScreenEntry("services", "3", "Services", "Services with instance counts", _services),
    ScreenEntry("routing", "4", "Routing", "Groups and route rules per service", _routing),
    ScreenEntry("zones", "5", "Zones", "Zones per region, pull-out / pull-in", _zones),
    ScreenEntry("canary", "6", "Canary", "Canary configs, whitelists, what a client sees", _canary),
    ScreenEntry("audit", "7", "Audit", "The audit log with filters, newest first", _audit),
    ScreenEntry("users", "8", "Users", "Users, roles, sessions, login history (admins)", _users, True),
)

_ROLES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def register_modes(app: ArtemisDashboard) -> None:
    """Add every screen as a mode and find out (in a worker) whether the token's user is an admin."""
    for entry in SCREENS:
        app.add_mode(entry.mode, entry.screen())
    app.run_worker(_learn_role(app), name="whoami", group="whoami", exit_on_error=False)


async def _learn_role(app: ArtemisDashboard) -> None:
    from artemis_cli.tui import sources

    async def learn() -> None:
        user = await sources.me(app)
        _ROLES[app] = user.role if user is not None else ""

    await app.guard(learn(), what="who am I")


def is_admin(app: Any) -> bool:
    return _ROLES.get(app) == "admin"


def visible(app: Any) -> list[ScreenEntry]:
    return [e for e in SCREENS if not e.admin_only or is_admin(app)]


def allowed(app: Any, mode: str) -> bool:
    """Whether the key of ``mode`` opens it; explains why not (Users needs an admin's token)."""
    entry = next((e for e in SCREENS if e.mode == mode), None)
    if entry is None or not entry.admin_only or is_admin(app):
        return True
    app.notify(
        "Users is for admins: start the console with an admin's token (artemis login)",
        severity="warning",
        timeout=6,
    )
    return False
