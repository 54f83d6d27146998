"""Ready-made WebSocket frames for the push fan-out (issue 20).

A management change or a registration can produce the same frame for a thousand subscribers of one service.
Through ASGI every copy is a coroutine chain (the session's sender task, Litestar's two send wrappers,
uvicorn's ``send``) and is framed again by ``websockets``: about 30 us of Python per subscriber before the
write itself. The fan-out instead encodes each distinct frame once (:func:`text_frame`) and hands the same
bytes to every connection through :class:`PushProtocol`, uvicorn's sans-I/O WebSocket protocol with one more
method, published in the connection's ASGI scope under :data:`EXTENSION`.

The write is refused (the caller then takes the ordinary ASGI path, which queues and waits) whenever the
ordinary path could not write either or would write something else:

* the handshake is not complete, a close was sent or received, the transport is closing;
* uvicorn paused writing (the client does not read: the session's bounded buffer and its overflow rule take
  over);
* an extension (permessage-deflate) was negotiated on the connection: its frames would have to be
  compressed with the connection's own context. The node does not offer compression (``serve.py``), so this
  holds only for servers built with other settings.

Frames are written whole and in call order, so they never interleave with frames uvicorn writes itself.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

# The scope extension holding ``write_ready(frame: bytes) -> bool`` of the connection.
EXTENSION = "artemis.ready_frames"

ReadyWriter = Callable[[bytes], bool]


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame (a server never masks, RFC 6455 5.1) carrying ``payload``,
    which must be UTF-8."""
    n = len(payload)
    if n < 126:
        head = bytes((0x81, n))
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


def ready_writer(scope: Any) -> ReadyWriter | None:
    """The connection's ready-frame writer, or None when the server does not offer one."""
    ext = scope.get("extensions") if isinstance(scope, dict) else None
    writer = ext.get(EXTENSION) if isinstance(ext, dict) else None
    return writer if callable(writer) else None


class PushProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol plus :meth:`write_ready`, offered to the application in the scope."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if self.response.status_code == 101 and isinstance(scope, dict):
            scope.setdefault("extensions", {})[EXTENSION] = self.write_ready

    def write_ready(self, frame: bytes) -> bool:
        """Write a frame made by :func:`text_frame`; False (nothing written) when the connection cannot take
        it now or the frame would need the connection's own encoding."""
        conn = self.conn
        transport = self.transport
        if (
            self.close_sent
            or self.disconnected
            or not self.handshake_complete
            or self.initial_response is not None
            or not self.writable.is_set()
            or conn.state is not State.OPEN
            or conn.extensions
            or transport.is_closing()
        ):
            return False
        transport.write(frame)
        return True


__all__ = ["EXTENSION", "PushProtocol", "ReadyWriter", "ready_writer", "text_frame"]
