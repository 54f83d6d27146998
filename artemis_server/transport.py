"""Request-head size and slow-client limits (api.md T11) for whichever HTTP parser uvicorn runs.

uvicorn's own settings cover part of it: ``h11_max_incomplete_event_size`` bounds the request head under h11
(which answers 400 and closes), ``timeout_keep_alive`` closes idle keep-alive connections. Nothing bounds the
head under httptools (``uvicorn[standard]``'s default parser: three requests with 64 MB of headers were
answered 200 and took the node from 260 to 642 MB), and neither parser drops a request that stops half-way
(a half-sent request stayed open over 150 s). :func:`uvicorn_options` therefore hands uvicorn a subclass of
the protocol it would pick (httptools when installed, else h11) that adds:

* **head size**: more than ``server.max_header_bytes`` of request line plus headers answers
  ``431 Request Header Fields Too Large`` (family C JSON) and closes the connection. The bytes are counted as
  they arrive, so at most one read buffer beyond the limit is ever held.
* **request timeout**: a request (its head and body) must arrive within ``server.request_timeout_secs`` of
  its first byte (or of the connection opening); otherwise ``408 Request Timeout`` and the connection is
  closed. The time the application takes to answer is not counted; WebSocket sessions are not affected
  once upgraded. A request only writes its deadline; one timer per server (:class:`_Reaper`) looks at the
  open connections every ``min(1 s, timeout / 4)``, so the 408 comes at most that much late.

Both checks cost a few attribute writes per request: no timer is armed and cancelled per request, and the
parsed head is measured only when the reads it came in are over the limit together.

Both lanes (the fast lane and Litestar) sit behind the protocol, so the limits hold for every route.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from artemis_client.errors import ArtemisError, HeadTooLargeError, RequestTimeoutError
from artemis_server import edge
from artemis_server.settings import Settings

log = logging.getLogger(__name__)


_REASONS = {431: b"Request Header Fields Too Large", 408: b"Request Timeout"}


class _Reaper:
    """The one timer of a uvicorn server that drops stalled requests (408).

    A connection keeps a deadline (``loop.time()`` by which the request it is reading must be whole; 0 when
    it reads none); the reaper looks at every open connection of the server once per ``period`` and answers
    the late ones. So a request costs two attribute writes instead of a timer armed and cancelled, and the
    408 comes between ``request_timeout`` and ``request_timeout + period`` after the request's first byte.
    The timer runs only while connections are open.
    """

    __slots__ = ("conns", "handle", "loop", "period")

    def __init__(self, loop: asyncio.AbstractEventLoop, period: float) -> None:
        self.loop = loop
        self.period = period
        self.conns: set[_Limits] = set()
        self.handle: asyncio.TimerHandle | None = None

    def add(self, conn: _Limits) -> None:
        self.conns.add(conn)
        if self.handle is None:
            self.handle = self.loop.call_later(self.period, self.tick)

    def tick(self) -> None:
        self.handle = None
        now = self.loop.time()
        for conn in [c for c in self.conns if 0.0 < c._deadline <= now or 0.0 < c._idle <= now]:
            if 0.0 < conn._deadline <= now:
                conn._expired()
            else:
                conn._idle = 0.0
                conn.timeout_keep_alive_handler()
        if self.conns:
            self.handle = self.loop.call_later(self.period, self.tick)


def reaper_period(request_timeout: float) -> float:
    """How often the reaper looks: ``min(1 s, request_timeout / 4)``, the most a 408 can come late."""
    return min(1.0, request_timeout / 4)


class _Limits:
    """Mixin over a uvicorn HTTP protocol; the concrete class sets the two limits as class attributes."""

    max_header_bytes: int = 64 * 1024
    request_timeout: float = 30.0

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any
    server_state: Any
    timeout_keep_alive_handler: Any

    def _limits_init(self) -> None:
        self._deadline = 0.0  # loop time by which the request being read must be whole; 0: none is
        self._idle = 0.0  # loop time at which an idle keep-alive connection closes; 0: not idle (httptools)
        self._in_head = True
        self._head_bytes = 0  # bytes of the reads after the one the head began in (a lower bound)
        self._head_first = 0  # the length of the read the head began in (with the above: an upper bound)
        self._read_len = 0  # the length of the read being parsed
        self._too_big = False
        state = self.server_state  # one reaper per uvicorn server (a server runs on one loop)
        reaper = getattr(state, "_artemis_reaper", None)
        if reaper is None:
            reaper = state._artemis_reaper = _Reaper(self.loop, reaper_period(self.request_timeout))
        self._reaper: _Reaper = reaper

    def _start_clock(self) -> None:
        """The first connection's request is timed from the connection's opening."""
        self._deadline = self.loop.time() + self.request_timeout
        self._reaper.add(self)

    def _stop_clock(self) -> None:
        self._deadline = 0.0
        self._reaper.conns.discard(self)

    def _check_parsed_head(self, target: bytes, headers: Any) -> None:
        """A head that arrived whole in one read can exceed the limit without ever being incomplete: measure
        the parsed request line and headers too (raising aborts the parser; the protocol's 400 path then
        answers 431, see ``send_400_response``)."""
        size = len(target) + 14 + sum(len(n) + len(v) + 4 for n, v in headers)
        if size > self.max_header_bytes:
            self._too_big = True
            raise HeadTooLargeError(f"request line and headers exceed {self.max_header_bytes} bytes")

    def _expired(self) -> None:
        self._deadline = 0.0
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            self._answer_and_close(
                RequestTimeoutError(f"request not received within {self.request_timeout:g} s")
            )
        else:
            self.transport.close()

    def _refuse_head(self) -> None:
        log.info("refused a request head over server.max_header_bytes (%d bytes)", self.max_header_bytes)
        self._answer_and_close(
            HeadTooLargeError(f"request line and headers exceed {self.max_header_bytes} bytes")
        )

    def _answer_and_close(self, exc: ArtemisError) -> None:
        self._deadline = 0.0
        body = edge.error_body("C", exc)
        head = b"HTTP/1.1 %d %s\r\n" % (exc.http_status, _REASONS[exc.http_status])
        head += b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(
            body
        )
        if self.cycle is not None:
            self.cycle.disconnected = True  # the application's answer, if any, goes nowhere
        self.transport.write(head + body)
        self.transport.close()


def _httptools_class(max_header_bytes: int, request_timeout: float) -> type:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    # The base methods are called directly (not through super()): these run for every request.
    base_data_received = HttpToolsProtocol.data_received
    base_message_begin = HttpToolsProtocol.on_message_begin
    base_headers_complete = HttpToolsProtocol.on_headers_complete
    base_message_complete = HttpToolsProtocol.on_message_complete

    class LimitedHttpToolsProtocol(_Limits, HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._limits_init()
            self._start_clock()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_clock()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            n = self._read_len = len(data)
            if self._in_head:
                self._head_bytes += n
            base_data_received(self, data)
            if self._in_head and self._head_bytes > max_header_bytes and not self.transport.is_closing():
                self._refuse_head()

        def on_message_begin(self) -> None:
            base_message_begin(self)
            self._in_head = True
            self._head_bytes = 0
            self._head_first = self._read_len
            if not self._deadline:
                self._deadline = self.loop.time() + request_timeout

        def on_headers_complete(self) -> None:
            self._in_head = False
            # The head lies within the read it began in and the reads since: when those are under the
            # limit, so is the head (the usual case); else measure the parsed head.
            if self._head_first + self._head_bytes > max_header_bytes:
                self._check_parsed_head(self.url, self.headers)
            base_headers_complete(self)

        def send_400_response(self, msg: str) -> None:
            if self._too_big:
                self._refuse_head()
            else:
                super().send_400_response(msg)

        def on_message_complete(self) -> None:
            self._deadline = 0.0
            base_message_complete(self)

        def handle_websocket_upgrade(self) -> None:
            self._stop_clock()
            super().handle_websocket_upgrade()

        # uvicorn arms a keep-alive timer (call_later: 1.8 us with uvloop) after every response that leaves
        # the connection idle and cancels it when the next bytes arrive, i.e. on every request of a client
        # that does not pipeline. Here the idle connection gets a deadline the reaper checks instead; it
        # closes between timeout_keep_alive and timeout_keep_alive + the reaper's period after the response.
        # The override follows uvicorn's on_response_complete of the versions that start a request's task
        # in _start_asgi_task; older ones keep their timer.
        if hasattr(HttpToolsProtocol, "_start_asgi_task"):

            def _unset_keepalive_if_required(self) -> None:
                self._idle = 0.0

            def on_response_complete(self) -> None:
                # uvicorn's on_response_complete, the timer replaced by the deadline
                self.server_state.total_requests += 1
                if self.transport.is_closing():
                    return
                self._idle = 0.0
                self.flow.resume_reading()
                if self.pipeline:
                    cycle, app = self.pipeline.pop()
                    self._start_asgi_task(cycle, app)
                else:
                    self._idle = self.loop.time() + self.timeout_keep_alive

    LimitedHttpToolsProtocol.max_header_bytes = max_header_bytes
    LimitedHttpToolsProtocol.request_timeout = request_timeout
    return LimitedHttpToolsProtocol


def _h11_class(max_header_bytes: int, request_timeout: float) -> type:
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class LimitedH11Protocol(_Limits, H11Protocol):
        """h11 bounds the head itself (``h11_max_incomplete_event_size``); this answers 431 instead of its 400
        and adds the request timeout."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._limits_init()
            self._start_clock()
            next_event = self.conn.next_event

            def checked_next_event() -> Any:
                event = next_event()
                if isinstance(event, h11.Request):
                    try:
                        self._check_parsed_head(event.target, event.headers)
                    except HeadTooLargeError as exc:
                        raise h11.RemoteProtocolError(str(exc), error_status_hint=431) from None
                return event

            self.conn.next_event = checked_next_event  # type: ignore[method-assign]

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_clock()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if not self._deadline and self.conn.their_state is h11.IDLE:
                self._deadline = self.loop.time() + request_timeout  # the next request starts
            super().data_received(data)
            if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
                self._deadline = 0.0

        def send_400_response(self, msg: str) -> None:
            if self._too_big or len(self.conn.trailing_data[0]) >= self.max_header_bytes:
                self._refuse_head()
            else:
                super().send_400_response(msg)

        def handle_websocket_upgrade(self, event: Any) -> None:
            self._stop_clock()
            super().handle_websocket_upgrade(event)

    LimitedH11Protocol.max_header_bytes = max_header_bytes
    LimitedH11Protocol.request_timeout = request_timeout
    return LimitedH11Protocol


def protocol_class(settings: Settings, parser: str = "auto") -> type:
    """The limited protocol of the parser uvicorn would pick (``auto``: httptools when installed)."""
    srv = settings.server
    if parser in ("auto", "httptools"):
        try:
            import httptools  # noqa: F401
        except ImportError:
            if parser == "httptools":
                raise
        else:
            return _httptools_class(srv.max_header_bytes, srv.request_timeout_secs)
    return _h11_class(srv.max_header_bytes, srv.request_timeout_secs)


def uvicorn_options(settings: Settings, parser: str = "auto") -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.Config`` enforcing the limits (``server start`` and tests use them)."""
    srv = settings.server
    return {
        "http": protocol_class(settings, parser),
        "h11_max_incomplete_event_size": srv.max_header_bytes,
        # Idle keep-alive connections close after uvicorn's usual 5 s (or the request timeout, if shorter).
        "timeout_keep_alive": max(1, min(5, math.ceil(srv.request_timeout_secs))),
    }
