"""One line under the header: which server the dashboard talks to, and whether live updates flow."""

from __future__ import annotations

from textual.widgets import Static


class ConnectionBar(Static):
    """Mirrors the app's ``link_text`` / ``link_state``; red and explicit when disconnected."""

    DEFAULT_CLASSES = "connection-bar"

    def on_mount(self) -> None:
        self.watch(self.app, "link_text", self._show, init=True)
        self.watch(self.app, "link_state", self._state, init=True)

    def _show(self, text: str) -> None:
        self.update(text)

    def _state(self, state: str) -> None:
        for s in ("connected", "degraded", "disconnected", "connecting"):
            self.set_class(state == s, f"-{s}")
