"""The console's screens as the app and the command palette know them: one key each, a title, a line of help,
and who may open them (Users: admins only). The screen classes are wired elsewhere (the app does not import
its screens); this table is data only."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ScreenEntry:
    mode: str
    key: str
    title: str
    help: str
    admin_only: bool = False


SCREENS = (
    ScreenEntry("overview", "1", "Overview", "Stat cards and live charts of the cluster"),
    ScreenEntry("cluster", "2", "Cluster", "Nodes, self-preservation, replication topology"),
    ScreenEntry("services", "3", "Services", "Services with instance counts"),
    ScreenEntry("routing", "4", "Routing", "Groups and route rules per service"),
    ScreenEntry("zones", "5", "Zones", "Zones per region, pull-out / pull-in"),
    ScreenEntry("canary", "6", "Canary", "Canary configs, whitelists, what a client sees"),
    ScreenEntry("audit", "7", "Audit", "The audit log with filters, newest first"),
    ScreenEntry("users", "8", "Users", "Users, roles, sessions, login history (admins)", admin_only=True),
)
SHOWN_IN_FOOTER = 3  # all eight do not fit in 80 columns; ? and Ctrl+P list every screen

_ROLES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def set_role(app: Any, role: str) -> None:
    """Remember the role of the user whose token the console uses ("" without one)."""
    _ROLES[app] = role


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
