"""The ceiling: a minimal raw ASGI app under the same uvicorn settings as ``artemis server start``.

It reads the whole request body (the same request shapes are sent to it) and answers canned bytes per path;
the runner copies the real server's answer for each shape into it first (``PUT /__canned/<path>``), so both
write the same number of bytes. Whatever this app reaches on one core is what the machine, uvicorn, uvloop and
httptools allow: the server's figures are reported as ratios to it.

``python -m benchmarks.ceiling --port 8099`` prints one line ``ceiling listening on http://127.0.0.1:<port>``.
"""

from __future__ import annotations

import argparse
import socket
from typing import Any

OK = b'{"responseStatus":{"status":"success","errorCode":"success","message":""}}'
_HEADERS = [(b"content-type", b"application/json")]


def make_app() -> Any:
    canned: dict[str, bytes] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        path: str = scope["path"]
        if path.startswith("/__canned/"):
            canned["/" + path[len("/__canned/") :]] = body
            out = b"{}"
        else:
            out = canned.get(path, OK)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_HEADERS, (b"content-length", str(len(out)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": out})

    return app


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    # The settings of artemis_server/serve.py: default loop/http ("auto" = uvloop + httptools when
    # installed, as with uvicorn[standard]), one worker, no access log, no server header.
    config = uvicorn.Config(
        make_app(), lifespan="on", log_level="warning", access_log=False, server_header=False
    )
    print(f"ceiling listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
