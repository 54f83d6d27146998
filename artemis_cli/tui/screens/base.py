"""Common frame of the dashboard screens: header, connection bar, body, footer; guarded loading."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header

from artemis_cli.tui.messages import InstancesChanged, Resync
from artemis_cli.tui.widgets import ConnectionBar

if TYPE_CHECKING:
    from artemis_cli.tui.app import ArtemisDashboard


class DashScreen(Screen[None]):
    """Subclasses implement ``compose_body`` and ``load`` (an async refresh that may raise ArtemisError).

    ``poll`` = reload every refresh period (False: rely on push events); ``reload()`` is debounced-safe:
    one load at a time (exclusive worker group)."""

    poll = True
    relax_when_live = False  # True: while the push feed is live, poll only every 5 refresh periods
    what = "refresh"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._pending: Timer | None = None
        self.loaded = False
        self._last_load = 0.0

    @property
    def dash(self) -> ArtemisDashboard:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield ConnectionBar()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.reload()
        if self.poll:
            self.set_interval(self.dash.refresh_secs, self._poll)

    def _poll(self) -> None:
        if self.dash.http_ok is False or not self.is_current:
            return
        if (
            self.relax_when_live
            and self.dash.feed_server
            and time.monotonic() - self._last_load < self.dash.refresh_secs * 5
        ):
            return  # push events trigger reloads; the poll is only a safety net
        self.reload()

    def reload(self) -> None:
        self.run_worker(self._load, group=f"load-{id(self)}", exclusive=True, exit_on_error=False)  # type: ignore[arg-type]

    async def _load(self) -> None:
        self._last_load = time.monotonic()
        await self.dash.guard(self.load(), what=self.what)
        self.loaded = True

    async def load(self) -> None:  # pragma: no cover - overridden
        return None

    def soon(self, delay: float = 0.3) -> None:
        """Debounced reload: many push events -> one reload."""
        if self._pending is not None:
            return

        def fire() -> None:
            self._pending = None
            self.reload()

        self._pending = self.set_timer(delay, fire)

    def on_instances_changed(self, message: InstancesChanged) -> None:
        """Pushed changes. Default: counts may have moved -> debounced reload of the visible screen (a
        screen coming back into view reloads anyway)."""
        if self.is_current:
            self.soon()

    def on_resync(self, message: Resync) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def run_guarded(self, coro: Awaitable[Any], what: str) -> None:
        self.run_worker(self.dash.guard(coro, what=what), exit_on_error=False)
