"""Ctrl+P command palette: dashboard commands and one entry per known service (opens its instances)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ArtemisCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: Any = self.app
        cmds: list[tuple[str, Callable[[], Any], str]] = [
            ("Cluster", partial(app.action_show, "cluster"), "Nodes of the cluster (1)"),
            ("Services", partial(app.action_show, "services"), "Services with instance counts (2)"),
            ("Operations", partial(app.action_show, "audit"), "Recent operations from the audit log (3)"),
            ("Refresh", app.action_reload, "Reload the current screen (r)"),
            ("Help", app.action_help, "Key bindings (?)"),
        ]
        for sid in getattr(app, "service_names", []) or []:
            cmds.append((f"service {sid}", partial(app.open_service, sid), f"Instances of {sid}"))
        return cmds

    async def startup(self) -> None:
        app: Any = self.app
        if not getattr(app, "service_names", None):
            try:
                services = await app.call(app.api.services())
                app.service_names = sorted(s.service_id for s in services)
            except Exception:
                pass

    async def discover(self) -> Hits:
        for name, cb, help_text in self._commands()[:5]:
            yield DiscoveryHit(name, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, cb, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), cb, help=help_text)
