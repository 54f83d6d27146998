"""Ctrl+P command palette: one entry per screen, dashboard commands, one entry per known service."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from artemis_cli.tui.navigation import visible


class ArtemisCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: Any = self.app
        cmds: list[tuple[str, Callable[[], Any], str]] = [
            (e.title, partial(app.action_show, e.mode), f"{e.help} ({e.key})") for e in visible(app)
        ]
        cmds += [
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
        for name, cb, help_text in self._commands():
            if name.startswith("service "):
                break
            yield DiscoveryHit(name, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, cb, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), cb, help=help_text)
