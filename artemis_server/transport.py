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
  once upgraded.

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


class _Limits:
    """Mixin over a uvicorn HTTP protocol; the concrete class sets the two limits as class attributes."""

    max_header_bytes: int = 64 * 1024
    request_timeout: float = 30.0

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any

    def _limits_init(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        self._in_head = True
        self._head_bytes = 0
        self._too_big = False

    def _check_parsed_head(self, target: bytes, headers: Any) -> None:
        """A head that arrived whole in one read can exceed the limit without ever being incomplete: measure
        the parsed request line and headers too (raising aborts the parser; the protocol's 400 path then
        answers 431, see ``send_400_response``)."""
        size = len(target) + 14 + sum(len(n) + len(v) + 4 for n, v in headers)
        if size > self.max_header_bytes:
            self._too_big = True
            raise HeadTooLargeError(f"request line and headers exceed {self.max_header_bytes} bytes")

    def _arm(self) -> None:
        self._disarm()
        self._timer = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            self._answer_and_close(
                RequestTimeoutError(f"request not received within {self.request_timeout:g} s")
            )
        else:
            self.transport.close()

    def _count_head(self, n: int) -> None:
        if self._in_head:
            self._head_bytes += n

    def _head_over_limit(self) -> bool:
        return self._in_head and self._head_bytes > self.max_header_bytes

    def _refuse_head(self) -> None:
        log.info("refused a request head over server.max_header_bytes (%d bytes)", self.max_header_bytes)
        self._answer_and_close(
            HeadTooLargeError(f"request line and headers exceed {self.max_header_bytes} bytes")
        )

    def _answer_and_close(self, exc: ArtemisError) -> None:
        self._disarm()
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

    class LimitedHttpToolsProtocol(_Limits, HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._limits_init()
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            self._count_head(len(data))
            super().data_received(data)
            if self._head_over_limit() and not self.transport.is_closing():
                self._refuse_head()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = True
            self._head_bytes = 0
            if self._timer is None:
                self._arm()

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._check_parsed_head(self.url, self.headers)
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            if self._too_big:
                self._refuse_head()
            else:
                super().send_400_response(msg)

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def handle_websocket_upgrade(self) -> None:
            self._disarm()
            super().handle_websocket_upgrade()

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
            self._limits_init()
            super().connection_made(transport)
            self._arm()
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
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._timer is None and self.conn.their_state is h11.IDLE:
                self._arm()  # the next request of a keep-alive connection starts
            super().data_received(data)
            if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
                self._disarm()

        def send_400_response(self, msg: str) -> None:
            if self._too_big or len(self.conn.trailing_data[0]) >= self.max_header_bytes:
                self._refuse_head()
            else:
                super().send_400_response(msg)

        def handle_websocket_upgrade(self, event: Any) -> None:
            self._disarm()
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
