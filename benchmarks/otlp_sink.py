"""A minimal OTLP/HTTP receiver for benchmarks: ``python -m benchmarks.otlp_sink [--port N]``.

Accepts ``POST /v1/traces`` (protobuf or JSON, any size) over HTTP/1.1 keep-alive and answers 200 with an
empty ``ExportTraceServiceResponse`` (an empty body is a valid one), counting requests and bytes; loopback
only. It lets the runner measure a node that exports its spans with the standard OTLP exporter (the
``[tracing]`` figures of docs/benchmarks.md) without a collector. Prints one line
``otlp sink listening on http://127.0.0.1:<port>`` and, on SIGTERM, ``requests N bytes M``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

import httptools

_OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"


class _Conn(asyncio.Protocol):
    def __init__(self, stats: dict[str, int]) -> None:
        self.stats = stats
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_body(self, body: bytes) -> None:
        self.stats["bytes"] += len(body)

    def on_message_complete(self) -> None:
        self.stats["requests"] += 1
        if self.transport is not None:
            self.transport.write(_OK)


async def serve(port: int) -> None:
    stats = {"requests": 0, "bytes": 0}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Conn(stats), "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    print(f"otlp sink listening on http://127.0.0.1:{bound}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()
    print(f"requests {stats['requests']} bytes {stats['bytes']}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    asyncio.run(serve(ap.parse_args().port))


if __name__ == "__main__":
    main()
