"""The Artemis dashboard app: connection state, the shared client, the live change feed, navigation.

The app knows no screen class: :class:`Screens` (given by ``artemis_cli.tui.dashboard.make_dashboard``, the
one factory of ``artemis tui`` and the tests) builds them, so screens import the app and never the reverse.

Resilience model: every HTTP call goes through :meth:`ArtemisDashboard.call`, which awaits a typed call of
the shared client (failover across the context's servers). A ``TransportError`` flips the app to
*disconnected* (red bar); a monitor loop retries with exponential back-off, and when any server answers
again the screen in view reloads (:class:`~artemis_cli.tui.messages.Resync`; others reload when they come
back into view). The change stream (:class:`artemis_client.stream.AsyncChangeStream`) reconnects on its own
with back-off; every change it pushes is posted to the screen in view as an
:class:`~artemis_cli.tui.messages.InstancesChanged` message, and every reconnection resynchronises. Workers
never raise into Textual: errors become notifications.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from artemis_cli.errors import parse_servers
from artemis_cli.tui.commands import ArtemisCommands
from artemis_cli.tui.messages import InstancesChanged, Resync
from artemis_cli.tui.navigation import SCREENS, SHOWN_IN_FOOTER, allowed, set_role
from artemis_client.changes import Backoff, Connected, Disconnected
from artemis_client.errors import ArtemisError, InvalidResponseError, TransportError
from artemis_client.wire.registry import InstanceChange

if TYPE_CHECKING:
    from artemis_cli.client import ArtemisClient

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Screens:
    """How the app builds its screens: one per mode, the help screen over a screen, a service's instances."""

    modes: Mapping[str, Callable[[], Screen[Any]]]
    help: Callable[[Screen[Any]], Screen[Any]]
    instances: Callable[[str], Screen[Any]]
    is_help: Callable[[Screen[Any]], bool]


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
        screens: Screens,
    ) -> None:
        super().__init__()
        self.screens = screens
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
        self._reader: tuple[ThreadPoolExecutor, ArtemisClient] | None = None
        self.service_names: list[str] = []
        self.http_ok: bool | None = None
        self.feed_server: str | None = None
        self.feed_detail = ""
        self.http_detail = ""
        self._backoff = Backoff()
        self._changes: list[InstanceChange] = []
        self._flush_timer: Timer | None = None
        self._wake = asyncio.Event()
        self._warned: dict[str, float] = {}

    # -- lifecycle ---------------------------------------------------------------------------------
    def on_mount(self) -> None:
        for mode, make in self.screens.modes.items():
            self.add_mode(mode, make)
        self.run_worker(self._learn_role(), name="whoami", group="whoami", exit_on_error=False)
        self._render_link()
        self.run_worker(self._monitor(), name="monitor", group="monitor", exit_on_error=False)
        if self.live_feed:
            self.run_worker(self._feed(), name="feed", group="feed", exit_on_error=False)
        self.switch_mode(self.start)
        self.call_after_refresh(self._freeze_startup_objects)

    def _freeze_startup_objects(self) -> None:
        """Move what exists once the first screen is up (modules, classes, the app and its widgets, about
        half a million objects) out of the garbage collector's reach: they live as long as the process, and
        every full collection walked them, 250-430 ms stalls during bursts (gc callbacks in
        benchmarks/tui_frames.py, docs/benchmarks.md). Objects made later are collected as usual."""
        gc.freeze()

    async def on_unmount(self) -> None:
        try:
            await self.api.aclose()
        except Exception:
            pass
        if self._reader is not None:
            pool, client = self._reader
            self._reader = None
            pool.shutdown(wait=False, cancel_futures=True)
            client.close()

    # -- HTTP calls --------------------------------------------------------------------------------
    async def call(self, request: Awaitable[T]) -> T:
        """Await a call of the shared client (``await dash.call(dash.api.services())``); keeps the connection
        state. Raises ArtemisError only."""
        try:
            result = await request
        except TransportError as exc:
            self._http_down(str(exc))
            raise
        except ArtemisError:
            self._http_up()
            raise
        except Exception as exc:  # anything else, as an answer that could not be used
            raise InvalidResponseError(f"{type(exc).__name__}: {exc}") from None
        self._http_up()
        return result

    async def read(self, fn: Callable[[ArtemisClient], T]) -> T:
        """A big read (``await dash.read(lambda c: count(c.admin_services_json()))``): sent, decoded and
        digested in the console's reader thread by a synchronous twin of the client, so the event loop keeps
        drawing. Only the JSON decode holds the GIL (~50 ms for 12,000 instances); Python work in ``fn``
        interleaves with the loop. One thread: big reads queue rather than compete. Errors as :meth:`call`."""
        if self._reader is None:
            from artemis_cli.client import ArtemisClient

            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artemis-tui-reader")
            client = ArtemisClient(self.servers, token=self.token, timeout=self.timeout)
            client.failover.preferred = self.api.preferred
            self._reader = (pool, client)
        pool, client = self._reader
        return await self.call(asyncio.get_running_loop().run_in_executor(pool, fn, client))

    async def _learn_role(self) -> None:
        """Who the token belongs to: the Users screen is for admins only (no token: nobody)."""
        set_role(self, "")
        while self.token:
            try:
                user = await self.call(self.api.whoami())
            except TransportError:
                await asyncio.sleep(max(self.refresh_secs, 1.0))  # ask again once a server answers
                continue
            except ArtemisError:
                return  # no auth on the server, or a token it refuses: not an admin
            set_role(self, user.role)
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
                await self.call(self.api.node_status())
            except ArtemisError:
                pass

    # -- live feed ---------------------------------------------------------------------------------
    async def _feed(self) -> None:
        """The one change stream of the dashboard: every service's changes, posted to the screen in view."""
        from artemis_client.stream import AsyncChangeStream

        stream = AsyncChangeStream(self.servers, open_timeout=min(self.timeout, 5.0), retry_first=True)
        stream.stream.preferred = self.api.preferred
        async for event in stream:
            if isinstance(event, InstanceChange):
                # one message per 100 ms, not per change: a burst of 2,000 changes was 2,000 messages,
                # each a pass of the screen's bookkeeping (benchmarks/tui_frames.py: 13 s without yielding)
                self._changes.append(event)
                if self._flush_timer is None:
                    self._flush_timer = self.set_timer(0.1, self._flush_changes)
            elif isinstance(event, Connected):
                self._feed_state(event.server, "live")
            elif isinstance(event, Disconnected):
                self._feed_state(None, f"{event.reason}; retrying in {event.retry_in:g}s")

    def _flush_changes(self) -> None:
        self._flush_timer = None
        batch, self._changes = self._changes, []
        if not batch or not self.screen_stack:  # nothing, or the app is closing
            return
        self.screen.post_message(InstancesChanged(batch))

    def _feed_state(self, server: str | None, detail: str) -> None:
        was = self.feed_server
        self.feed_server = server
        self.feed_detail = detail
        self._render_link()
        if server is not None and was is None:
            # (re)connected: whatever changed while the stream was down is reloaded
            self.resync_all()

    def resync_all(self) -> None:
        """Reload the screen in view; the others reload when they come back into view."""
        self.screen.post_message(Resync())

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
        if not self.screens.is_help(self.screen):
            self.push_screen(self.screens.help(self.screen))

    def open_service(self, service_id: str) -> None:
        if self.current_mode != "services":
            self.switch_mode("services")
        # one Instances screen at a time on the services stack
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(self.screens.instances(service_id))

    async def guard(self, coro: Awaitable[Any], *, what: str = "request") -> None:
        """Await ``coro`` (in a worker); every failure becomes a notification, never a traceback."""
        try:
            await coro
        except TransportError:
            pass  # the connection bar says it
        except ArtemisError as exc:
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


__all__ = ["ArtemisDashboard", "Screen", "Screens"]
