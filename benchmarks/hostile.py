"""What hostile clients cost a node (issue 15): RSS and /health latency while they try.

    python -m benchmarks.hostile [--mb 16 64] [--parallel 3] [--ws-frames 30]

Starts the real ``artemis server start`` (loopback, default limits) and, one scenario after the other:

* ``headers-<N>MB``: ``--parallel`` connections each offer N MB of request headers (the finding: three
  64 MB attempts took the node from 260 to 642 MB and /health up to 4.9 s);
* ``stalled``: ``--parallel`` connections send half a request and stop (dropped after request_timeout_secs);
* ``ws-huge-ids``: ``--ws-frames`` WebSocket frames each subscribing to a 3 MB service id.

For each it prints the node's RSS before, at the peak (sampled every 50 ms) and after, how many bytes the
clients got through before the node closed, and /health latency (median, max) polled during the attack.
Figures only; nothing is asserted (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.procs import Proc, artemis, rmtree, tmpdir


def _offer_headers(port: int, total: int, out: list[int]) -> None:
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
            chunk = b"a" * 65536
            while sent < total:
                s.sendall(chunk)
                sent += len(chunk)
    except OSError:
        pass
    out.append(sent)


def _stall(port: int, hold: float, out: list[int]) -> None:
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=hold) as s:
            s.sendall(b"POST /api/registry/register.json HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            s.recv(1024)  # returns when the node answers (408) or closes
    except OSError:
        pass
    out.append(int((time.monotonic() - t0) * 1000))


def _ws_huge(port: int, frames: int, size: int, out: list[int]) -> None:
    import websockets

    async def run() -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=2**23) as ws:
            for n in range(frames):
                await ws.send(f'{{"type":"subscribe","serviceId":"{n}{"x" * size}"}}')
                await asyncio.wait_for(ws.recv(), timeout=30)
                out.append(n)

    try:
        asyncio.run(run())
    except Exception as exc:  # a refused frame is a result too
        print(f"  ws client ended: {exc!r}")


def _health_poller(port: int, stop: threading.Event, lat: list[float]) -> None:
    req = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(req)
                s.recv(256)
            lat.append(time.perf_counter() - t0)
        except OSError:
            lat.append(float("inf"))
        stop.wait(0.05)


def _scenario(node: Proc, name: str, workers: list[Callable[[], None]]) -> dict[str, Any]:
    assert node.usage is not None
    before = node.usage.rss()
    peak = before
    stop = threading.Event()
    lat: list[float] = []
    poller = threading.Thread(target=_health_poller, args=(node.port, stop, lat), daemon=True)
    poller.start()
    threads = [threading.Thread(target=w, daemon=True) for w in workers]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads) and time.monotonic() - t0 < 120:
        peak = max(peak, node.usage.rss())
        time.sleep(0.05)
    stop.set()
    poller.join(5)
    after = node.usage.rss()
    ok = [x for x in lat if x != float("inf")]
    res = {
        "scenario": name,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_peak_mb": round(peak / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "seconds": round(time.monotonic() - t0, 2),
        "health_median_ms": round(statistics.median(ok) * 1000, 2) if ok else None,
        "health_max_ms": round(max(ok) * 1000, 2) if ok else None,
        "health_failed": len(lat) - len(ok),
    }
    print(
        f"{name:>16}: RSS {res['rss_before_mb']} -> peak {res['rss_peak_mb']} -> {res['rss_after_mb']} MB "
        f"in {res['seconds']} s; /health median {res['health_median_ms']} ms, max {res['health_max_ms']} ms, "
        f"failed {res['health_failed']}"
    )
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--mb", type=int, nargs="+", default=[16, 64], help="header sizes offered, in MB")
    ap.add_argument("--parallel", type=int, default=3, help="hostile connections per scenario")
    ap.add_argument("--ws-frames", type=int, default=30, help="WebSocket frames with a 3 MB id")
    ap.add_argument("--timeout", type=float, default=3.0, help="server.request_timeout_secs of the node")
    args = ap.parse_args(argv)
    data = tmpdir("artemis-hostile-")
    node = artemis(data, env={"ARTEMIS_SERVER__REQUEST_TIMEOUT_SECS": str(args.timeout)}).start()
    try:
        for mb in args.mb:
            sent: list[int] = []
            total = mb * 2**20
            workers = [
                (lambda total=total, sent=sent: _offer_headers(node.port, total, sent))
                for _ in range(args.parallel)
            ]
            _scenario(node, f"headers-{mb}MB", workers)
            print(f"{'':>18}bytes accepted per connection before the close: {sorted(sent)}")
        held: list[int] = []
        _scenario(node, "stalled", [(lambda: _stall(node.port, 60, held)) for _ in range(args.parallel)])
        print(f"{'':>18}stalled connections held for (ms): {sorted(held)}")
        answered: list[int] = []
        _scenario(node, "ws-huge-ids", [lambda: _ws_huge(node.port, args.ws_frames, 3 * 2**20, answered)])
        print(f"{'':>18}huge subscription frames answered (error frames): {len(answered)}")
    finally:
        node.stop()
        rmtree(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
