"""The Java WebSocket heartbeat (``/ws/registry/heartbeat``, api.md 2.13): the SDK's optional heartbeat path.

With ``heartbeat_transport="websocket"`` the registry loop hands each batched heartbeat the
:class:`~artemis_client.registration.Registrar` decided on to :meth:`HeartbeatSocket.beat` instead of POSTing
it. The frame is the body of ``heartbeat.json`` (J shape ``{"instances": [...]}``, built by
:func:`artemis_client.calls.heartbeat`) and the node answers each frame with a HeartbeatResponse exactly as
over HTTP, decoded by the same :func:`artemis_client._core.decode`, so ``data-not-found`` re-registers and a
refusal raises the same error class.

Unlike Java's client (fire-and-forget frames, answers read by a listener, a send counted as a success) a beat
here is a request: one frame out, its answer back within ``answer_timeout``, and only an answer counts.

* **One socket**, opened on the registry pool's choice (:meth:`ServerPool.order`) and kept while it works;
  it follows the pool when the pool moves (another node answered a register, the watchdog rotated).
* **Socket down -> this beat goes over HTTP.** When the socket cannot be opened, drops, or does not answer
  in time, :meth:`HeartbeatSocket.beat` returns None and the runner sends that beat through the HTTP
  failover: a broken WebSocket path (a proxy that does not pass upgrades) never costs a lease. The node is
  reported failed to the pool (ejected, the sticky choice moves) unless it refused the upgrade with an HTTP
  answer (it is up; only its WebSocket path is not) or closed the session cleanly (the session TTL).
* **Reconnect with back-off**: after a failure the socket is not tried again before an exponential delay
  with full jitter (0.5 s doubling to 10 s, the change stream's cap). A clean close by the node (its
  session TTL, Java's 6 min) is no failure: the socket reopens at once, and a beat that crossed the close
  frame is sent again on it.
* ``https`` nodes are reached with ``wss``.

``websockets`` is imported when the socket first opens, not with this module.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from artemis_client._core import Answer, Request, Retry, decode
from artemis_client.changes import ws_url
from artemis_client.servers import ServerPool, full_jitter
from artemis_client.wire.codec import encode
from artemis_client.wire.registry import HeartbeatResponse

__all__ = ["HEARTBEAT_PATH", "HeartbeatSocket"]

HEARTBEAT_PATH = "/ws/registry/heartbeat"

log = logging.getLogger("artemis.client")


class HeartbeatSocket:
    """The WebSocket one client heartbeats over. Used from one asyncio task (the registry loop)."""

    def __init__(
        self,
        pool: ServerPool,
        counters: Counter[str],
        *,
        open_timeout: float = 2.0,
        answer_timeout: float = 5.0,
        user_agent: str | None = None,
        clock: Callable[[], float],
        rng: random.Random | None = None,
        retry_base: float = 0.5,
        retry_cap: float = 10.0,
    ) -> None:
        self.pool = pool
        self.counters = counters
        self.open_timeout = open_timeout
        self.answer_timeout = answer_timeout
        self.user_agent = user_agent
        self.server: str | None = None  # the node the socket is open on
        self._ws: Any = None
        self._clock = clock
        self._rng = rng or random.Random()
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._failures = 0
        self._retry_at = 0.0
        self._down = False  # a "socket down" line was logged and no "up" since

    # -- one beat ------------------------------------------------------------------------------------------
    async def beat(self, req: Request[HeartbeatResponse]) -> HeartbeatResponse | None:
        """Send ``req`` (a heartbeat.json request) as one frame and return the node's answer; None when the
        socket is down (not open now, dropped or silent): the caller sends this beat over HTTP. Raises the
        :class:`~artemis_client.errors.ArtemisError` of a node that answered with a refusal (rate-limited,
        bad request), as the HTTP call would."""
        got = await self._exchange(encode(req.json).decode())
        if got is None:
            return None
        server, data = got
        body = data.encode() if isinstance(data, str) else bytes(data)
        try:
            answer = decode(req, Answer(200, body), server)
        except Retry as r:  # service-unavailable: the node applied nothing; the HTTP failover moves on
            await self._lost(r.message, True)
            return None
        except Exception:
            self.pool.succeeded(server)  # it answered; the request was refused
            raise
        self.pool.succeeded(server)
        self.counters["heartbeat_ws"] += 1
        self._failures = 0
        if self._down:  # up again once a beat is answered (a node may accept and then refuse a session)
            log.info("heartbeat socket back on %s", server, extra={"artemis_event": "heartbeat-ws-up"})
            self._down = False
        return answer

    async def _exchange(self, frame: str) -> tuple[str, str | bytes] | None:
        """Send one frame and read its answer: (server, answer), or None when the socket is down."""
        from websockets.exceptions import ConnectionClosedOK

        for attempt in range(2):  # a second attempt only after the node ended the session cleanly
            ws = await self._socket()
            server = self.server
            if ws is None or server is None:
                return None
            try:
                async with asyncio.timeout(self.answer_timeout):
                    await ws.send(frame)
                    return server, await ws.recv()
            except ConnectionClosedOK as exc:  # the node ended the session (its TTL) as the beat went out
                why = exc.rcvd or "no close frame"
                await self._lost(f"{server}: session closed by the node ({why})", False)
                if attempt:
                    return None
            except TimeoutError:
                await self._lost(f"{server}: no answer within {self.answer_timeout:g}s", True)
                return None
            except Exception as exc:
                await self._lost(f"{server}: {exc or type(exc).__name__}", True)
                return None
            except BaseException:  # cancelled with a frame out: its late answer must not pass for the next
                self._abort()
                raise
        return None

    # -- the socket ----------------------------------------------------------------------------------------
    async def _socket(self) -> Any:
        """The open socket on the pool's choice, (re)opened when needed; None while down."""
        from websockets.protocol import State

        ws = self._ws
        if ws is not None and ws.state is not State.OPEN:  # closed between beats (session TTL, node gone)
            self.counters["heartbeat_ws_drops"] += 1
            await self.aclose()
            ws = None
        elif ws is not None and self.server != self.pool.current:  # the pool moved to another node
            await self.aclose()
            ws = None
        if ws is not None:
            return ws
        if self._clock() < self._retry_at:
            return None
        return await self._open(self.pool.order()[0])

    async def _open(self, server: str) -> Any:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        url = ws_url(server, HEARTBEAT_PATH)
        try:
            ws = await connect(
                url,
                open_timeout=self.open_timeout,
                close_timeout=1,
                max_size=None,
                user_agent_header=self.user_agent,
            )
        except InvalidStatus as exc:  # the node is up (it answered HTTP) but does not take the upgrade here
            self.pool.succeeded(server)
            self._backoff(f"{url}: upgrade refused with HTTP {exc.response.status_code}")
            return None
        except Exception as exc:
            self.pool.failed(server)
            self._backoff(f"{url}: {exc or type(exc).__name__}")
            return None
        self._ws, self.server = ws, server
        self.counters["heartbeat_ws_connects"] += 1
        return ws

    async def _lost(self, reason: str, node_failed: bool) -> None:
        server = self.server
        self.counters["heartbeat_ws_drops"] += 1
        if node_failed:  # no close handshake with a node that failed: it would only wait
            self._abort()
            if server is not None:
                self.pool.failed(server)
            self._backoff(reason)
            return
        await self.aclose()
        if not self._down:
            log.info(
                "heartbeat socket closed: %s; reopening", reason, extra={"artemis_event": "heartbeat-ws"}
            )

    def _backoff(self, reason: str) -> None:
        self._failures += 1
        delay = max(full_jitter(self._failures, self._retry_base, self._retry_cap, self._rng), 0.25)
        self._retry_at = self._clock() + delay
        if not self._down:
            self._down = True
            log.warning(
                "heartbeat socket down (%s); heartbeats go over HTTP until it is back",
                reason,
                extra={"artemis_event": "heartbeat-ws-down"},
            )

    def _abort(self) -> None:
        ws, self._ws, self.server = self._ws, None, None
        if ws is not None:
            try:
                ws.transport.abort()
            except Exception:
                pass

    async def aclose(self) -> None:
        """Close the socket (at most about a second: the close handshake's own timeout)."""
        ws, self._ws, self.server = self._ws, None, None
        if ws is not None:
            try:
                await ws.close()
            except Exception:
                pass
