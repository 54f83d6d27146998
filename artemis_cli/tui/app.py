"""The Artemis dashboard app: connection state, the shared client, the live change feed, navigation.

``make_dashboard(...)`` is the one factory used by ``artemis tui`` and by the tests.

Resilience model: every HTTP call goes through :meth:`ArtemisDashboard.call`, which uses the shared client
(failover across the context's servers). An ``Unreachable`` answer flips the app to *disconnected* (red bar);
a monitor loop retries with exponential back-off, and when any server answers again every live screen
reloads. The WebSocket feed (push.py) reconnects on its own with back-off and, on each reconnection, makes
the screens resynchronise what they missed. Workers never raise into Textual: errors become notifications.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from artemis_cli.errors import ClientError, Unreachable, parse_servers
from artemis_cli.tui.commands import ArtemisCommands
from artemis_cli.tui.navigation import SCREENS, SHOWN_IN_FOOTER, allowed, set_role
from artemis_cli.tui.push import Backoff, ChangeFeed


class ArtemisDashboard(App[int]):
    CSS_PATH = "artemis.tcss"
    TITLE = "Artemis"
    COMMANDS = App.COMMANDS | {ArtemisCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        *(
            Binding(e.key, f"show('{e.mode}')", e.title, show=n < SHOWN_IN_FOOTER)
            for n, e in enumerate(SCREENS)
        ),
        Binding("r", "reload", "Refresh"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    link_state: reactive[str] = reactive("connecting")
    link_text: reactive[str] = reactive("connecting...")

    def __init__(
        self,
        servers: Sequence[str] | str | None = None,
        *,
        token: str | None = None,
        timeout: float = 5.0,
        refresh: float = 2.0,
        operator: str = "tui",
        label: str | None = None,
        start: str = "overview",
        live: bool = True,
    ) -> None:
        super().__init__()
        from artemis_cli.client import AsyncArtemisClient

        self.servers = parse_servers(servers)
        self.token = token
        self.timeout = timeout
        self.refresh_secs = refresh
        self.operator = operator
        self.label = label  # shown instead of the server URL (stable snapshots)
        self.start = start
        self.live_feed = live
        self.api = AsyncArtemisClient(self.servers, token=token, timeout=timeout)
        self.live_screens: set[Any] = set()
        self.service_names: list[str] = []
        self.http_ok: bool | None = None
        self.feed_server: str | None = None
        self.feed_detail = ""
        self.http_detail = ""
        self._buffer: list[dict[str, Any]] = []
        self._backoff = Backoff()
        self._wake = asyncio.Event()
        self._warned: dict[str, float] = {}

    # -- lifecycle ---------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from artemis_cli.tui.screens.registry import register_modes

        register_modes(self)
        self.run_worker(self._learn_role(), name="whoami", group="whoami", exit_on_error=False)
        self._render_link()
        self.run_worker(self._monitor(), name="monitor", group="monitor", exit_on_error=False)
        if self.live_feed:
            feed = ChangeFeed(
                self.servers,
                self._on_changes,
                self._on_feed_state,
                open_timeout=min(self.timeout, 5.0),
                preferred=lambda: self.api.preferred,
            )
            self.run_worker(feed.run(), name="feed", group="feed", exit_on_error=False)
        self.set_interval(0.1, self._flush_changes)
        self.switch_mode(self.start)

    async def on_unmount(self) -> None:
        try:
            await self.api.aclose()
        except Exception:
            pass

    # -- HTTP calls --------------------------------------------------------------------------------
    async def call(self, method: str, *args: Any, **kw: Any) -> Any:
        """Call a client method; keeps the connection state. Raises ClientError only."""
        try:
            result = await getattr(self.api, method)(*args, **kw)
        except Unreachable as exc:
            self._http_down(str(exc))
            raise
        except ClientError:
            self._http_up()
            raise
        except Exception as exc:  # anything else (decode error, ...) as one ClientError kind
            raise ClientError(f"{type(exc).__name__}: {exc}") from None
        self._http_up()
        return result

    async def _learn_role(self) -> None:
        """Who the token belongs to: the Users screen is for admins only (no token: nobody)."""
        set_role(self, "")
        while self.token:
            try:
                user = await self.call("whoami")
            except Unreachable:
                await asyncio.sleep(max(self.refresh_secs, 1.0))  # ask again once a server answers
                continue
            except ClientError:
                return  # no auth on the server, or a token it refuses: not an admin
            set_role(self, str((user or {}).get("role") or ""))
            return

    def _http_down(self, detail: str) -> None:
        was = self.http_ok
        self.http_ok = False
        self.http_detail = detail
        self._render_link()
        if was is not False:
            self._wake.set()

    def _http_up(self) -> None:
        was = self.http_ok
        self.http_ok = True
        self.http_detail = ""
        self._backoff.reset()
        self._render_link()
        if was is False:
            self.notify(f"reconnected to {self.display_server()}", title="Artemis")
            self.resync_all()

    async def _monitor(self) -> None:
        """Health loop: a cheap call every refresh period; while disconnected, retries with back-off."""
        while True:
            if self.http_ok is False:
                delay = self._backoff.next()
                self.link_text = self._down_text(f"retrying in {delay:g}s")
                await asyncio.sleep(delay)
            else:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=max(self.refresh_secs, 0.5))
                except TimeoutError:
                    pass
                if self.http_ok is False:
                    continue
            try:
                await self.call("node_status")
            except ClientError:
                pass

    # -- live feed ---------------------------------------------------------------------------------
    def _on_changes(self, changes: list[dict[str, Any]]) -> None:
        self._buffer.extend(changes)

    async def _on_feed_state(self, server: str | None, detail: str) -> None:
        was = self.feed_server
        self.feed_server = server
        self.feed_detail = detail
        self._render_link()
        if server is not None and was is None:
            # (re)connected: whatever changed while the stream was down is reloaded
            self.resync_all()

    def _flush_changes(self) -> None:
        """Hand the changes that arrived in the last tick to every live screen, in one batch."""
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        for screen in list(self.live_screens):
            try:
                screen.on_changes(batch)
            except Exception as exc:
                self.notify(f"update failed: {exc}", severity="error")

    def resync_all(self) -> None:
        for screen in list(self.live_screens):
            screen.reload()

    # -- connection bar ----------------------------------------------------------------------------
    def display_server(self) -> str:
        if self.label is not None:
            return self.label
        return self.api.last_server or self.servers[self.api.preferred]

    def _down_text(self, retry: str) -> str:
        n = len(self.servers)
        return f"✖ DISCONNECTED: no server answers ({n} configured); {retry}. Data on screen may be stale."

    def _render_link(self) -> None:
        if self.http_ok is False:
            self.link_state = "disconnected"
            self.link_text = self._down_text("retrying")
            return
        if self.http_ok is None:
            self.link_state = "connecting"
            self.link_text = f"… connecting to {self.display_server()}"
            return
        live = "live" if self.feed_server else "live updates paused (reconnecting)"
        if not self.live_feed:
            live = "polling"
        self.link_state = "connected" if (self.feed_server or not self.live_feed) else "degraded"
        self.link_text = f"● connected to {self.display_server()} · {live}"

    # -- actions -----------------------------------------------------------------------------------
    def action_show(self, mode: str) -> None:
        if not allowed(self, mode):
            return
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_reload(self) -> None:
        self._wake.set()
        reload = getattr(self.screen, "reload", None)
        if reload is not None:
            reload()

    def action_help(self) -> None:
        from artemis_cli.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def open_service(self, service_id: str) -> None:
        from artemis_cli.tui.screens.instances import InstancesScreen

        if self.current_mode != "services":
            self.switch_mode("services")
        # one Instances screen at a time on the services stack
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(InstancesScreen(service_id))

    async def guard(self, coro: Awaitable[Any], *, what: str = "request") -> None:
        """Await ``coro`` (in a worker); every failure becomes a notification, never a traceback."""
        try:
            await coro
        except Unreachable:
            pass  # the connection bar says it
        except ClientError as exc:
            self.warn_once(f"{what} failed: {exc}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.warn_once(f"{what} failed: {type(exc).__name__}: {exc}")

    def warn_once(self, message: str, every: float = 30.0) -> None:
        """An error toast, at most once per ``every`` seconds for the same text (polls repeat failures,
        e.g. a 401 from protected management endpoints, every refresh period)."""
        now = time.monotonic()
        if now - self._warned.get(message, -every) < every:
            return
        self._warned[message] = now
        self.notify(message, severity="error", timeout=8)


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
    """Build the dashboard (shared by ``artemis tui`` and the tests)."""
    return ArtemisDashboard(
        servers,
        token=token,
        timeout=timeout,
        refresh=refresh,
        operator=operator or default_operator(),
        label=label,
        start=start,
        live=live,
    )


def default_operator() -> str:
    from artemis_cli.common import os_user

    return os_user("tui")


__all__ = ["ArtemisDashboard", "Screen", "make_dashboard"]
