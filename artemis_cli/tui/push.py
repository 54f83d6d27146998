"""Live change feed of the dashboard: one WebSocket on ``/ws/discovery/all-instance-change`` (api.md 2.13).

One stream serves every screen (Services and Cluster counts, the Instances table of any service): the bare
InstanceChange frames carry their serviceId. The stream fails over across the configured servers and
reconnects with exponential back-off; every (re)connection is reported so screens resynchronise what they
may have missed while the stream was down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from artemis_cli.watch import ws_url

PATH = "/ws/discovery/all-instance-change"


def decode_frame(raw: Any) -> list[dict[str, Any]]:
    """InstanceChange dicts of one frame: a bare change (Java channel) or a ``service_change`` wrapper."""
    try:
        msg = json.loads(raw)
    except (TypeError, ValueError):
        return []
    if not isinstance(msg, dict):
        return []
    if "changeType" in msg:
        return [msg]
    if msg.get("type") == "service_change":
        return [c for c in msg.get("changes") or [] if isinstance(c, dict)]
    return []


class Backoff:
    def __init__(self, first: float = 0.5, cap: float = 10.0) -> None:
        self.first, self.cap = first, cap
        self.delay = first

    def next(self) -> float:
        d = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return d

    def reset(self) -> None:
        self.delay = self.first


class ChangeFeed:
    """Runs until cancelled. ``on_changes(list)`` per frame, ``on_state(server | None, detail)`` on every
    connect (server url) and disconnect (None + reason, and the retry delay in the reason)."""

    def __init__(
        self,
        servers: list[str],
        on_changes: Callable[[list[dict[str, Any]]], None],
        on_state: Callable[[str | None, str], Awaitable[None] | None],
        *,
        open_timeout: float = 5.0,
        preferred: Callable[[], int] | None = None,
    ) -> None:
        self.servers = servers
        self.on_changes = on_changes
        self.on_state = on_state
        self.open_timeout = open_timeout
        self.preferred = preferred or (lambda: 0)
        self.backoff = Backoff()
        self.connected_to: str | None = None

    async def _notify(self, server: str | None, detail: str) -> None:
        r = self.on_state(server, detail)
        if asyncio.iscoroutine(r):
            await r

    async def run(self) -> None:
        from websockets.asyncio.client import connect

        while True:
            errors: list[str] = []
            start = self.preferred() % len(self.servers)
            order = self.servers[start:] + self.servers[:start]
            for server in order:
                try:
                    ws = await connect(
                        ws_url(server, PATH), open_timeout=self.open_timeout, close_timeout=1, max_size=None
                    )
                except Exception as exc:  # any failure to open: try the next server
                    errors.append(f"{server}: {exc or type(exc).__name__}")
                    continue
                self.backoff.reset()
                self.connected_to = server
                await self._notify(server, "live")
                try:
                    async for raw in ws:
                        changes = decode_frame(raw)
                        if changes:
                            self.on_changes(changes)
                except Exception as exc:
                    errors.append(f"{server}: {exc or type(exc).__name__}")
                finally:
                    self.connected_to = None
                    try:
                        await ws.close()
                    except Exception:
                        pass
                break  # reconnect from the preferred server after a drop
            delay = self.backoff.next()
            await self._notify(None, f"{'; '.join(errors) or 'stream closed'}; retrying in {delay:g}s")
            await asyncio.sleep(delay)
