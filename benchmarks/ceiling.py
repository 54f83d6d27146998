"""The ceiling: a minimal raw ASGI app under the same uvicorn settings as ``artemis server start``.

It reads the whole request body (the same request shapes are sent to it) and answers canned bytes per path;
the runner copies the real server's answer for each shape into it first (``PUT /__canned/<path>``), so both
write the same number of bytes. Whatever this app reaches on one core is what the machine, uvicorn, uvloop and
httptools allow: the server's figures are reported as ratios to it.

With ``--decode`` it also decodes every POST body with ``msgspec.json.decode`` (into dicts and lists, the
cost of a typed msgspec decode of the same bytes within a few percent) before answering: the bound for a
request whose body the server has never seen and must therefore read key by key (first-sight heartbeats,
replicated heartbeat batches, registrations). The runner reports the server against both ceilings.

``python -m benchmarks.ceiling --port 8099 [--decode]`` prints one line
``ceiling listening on http://127.0.0.1:<port>``.
"""

from __future__ import annotations

import argparse
import socket
from typing import Any

import msgspec

OK = b'{"responseStatus":{"status":"success","errorCode":"success","message":""}}'
_HEADERS = [(b"content-type", b"application/json")]


def make_app(decode: bool = False) -> Any:
    canned: dict[str, bytes] = {}
    decoder = msgspec.json.Decoder()

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
            if decode and body and scope["method"] == "POST":
                decoder.decode(body)
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
    ap.add_argument("--decode", action="store_true", help="decode every POST body (msgspec) before answering")
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    # The settings of artemis_server/serve.py: default loop/http ("auto" = uvloop + httptools when
    # installed, as with uvicorn[standard]), one worker, no access log, no server header.
    config = uvicorn.Config(
        make_app(args.decode), lifespan="on", log_level="warning", access_log=False, server_header=False
    )
    print(f"ceiling listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
