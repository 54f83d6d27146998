"""HTTP/1.1 load generator on raw asyncio protocols: keep-alive, pipelined, loopback only.

Two modes:

* :func:`saturate` (closed loop, fixed pipeline depth per connection) finds the throughput a server sustains:
  every connection keeps ``depth`` requests in flight and refills as answers arrive. Only throughput is
  reported from it; its latencies are service times, not what a client sees.
* :func:`open_loop` sends request *i* at ``t0 + i / rate`` whatever the server does (no coordinated omission):
  requests are written on schedule even when earlier answers are missing, and every latency is measured
  from the request's *scheduled* send time, so a stall shows up in the tail instead of silently slowing the
  generator down. Bounded: it stops sending after ``duration`` seconds or when more than ``max_outstanding``
  answers are missing (the server is overloaded: reported, not hidden), then waits at most ``drain`` seconds.

Responses are parsed by httptools (C, the parser uvicorn uses), request bytes are pre-built, and each tick
writes every due request of a connection in one ``write`` call, so one generator core outruns one server core
by a wide margin; the runner checks that against the raw ASGI ceiling and reports the generator's own CPU.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httptools

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def http_request(method: str, path: str, body: bytes | None = None, host: str = "127.0.0.1") -> bytes:
    """One complete HTTP/1.1 keep-alive request, ready to write."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + (body or b"")


@dataclass
class Result:
    """Figures of one load run."""

    sent: int = 0
    done: int = 0
    errors: int = 0
    missing: int = 0
    elapsed: float = 0.0
    overloaded: bool = False
    latencies: list[float] = field(default_factory=list)
    gen_cpu: float = 0.0  # generator CPU seconds / wall seconds (1.0 = one core busy)
    t0: float = 0.0  # perf_counter of the first scheduled send (open loop)

    @property
    def rps(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def pct(self, p: float) -> float | None:
        if not self.latencies:
            return None
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(p / 100.0 * len(s)))]

    def summary(self) -> dict[str, object]:
        ms = {
            k: (None if v is None else round(v * 1000, 3))
            for k, v in (
                ("p50_ms", self.pct(50)),
                ("p99_ms", self.pct(99)),
                ("p999_ms", self.pct(99.9)),
                ("max_ms", max(self.latencies) if self.latencies else None),
            )
        }
        return {
            "sent": self.sent,
            "done": self.done,
            "errors": self.errors,
            "missing": self.missing,
            "overloaded": self.overloaded,
            "seconds": round(self.elapsed, 3),
            "rps": round(self.rps, 1),
            "generator_cpu": round(self.gen_cpu, 3),
            **ms,
        }


class _Conn(asyncio.Protocol):
    """One keep-alive connection; answers arrive in request order (HTTP/1.1 pipelining)."""

    def __init__(self, expect: bytes | None) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.pending: collections.deque[float] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.expect = expect
        self.body: list[bytes] = []
        self.status = 0
        self.lost = asyncio.get_running_loop().create_future()
        # per-run state, set by the driver
        self.window_start = 0.0
        self.lat: list[float] | None = None
        self.done = 0
        self.errors = 0
        self.refill: collections.abc.Iterator[bytes] | None = None
        self._completed = 0
        self.keep: list[bytes] | None = None  # bodies of the answers, when a caller wants them

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)

    def data_received(self, data: bytes) -> None:
        self._completed = 0
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.errors += len(self.pending)
            self.pending.clear()
            if self.transport:
                self.transport.close()
            return
        if self.refill is not None and self._completed and self.transport is not None:
            chunk = list(itertools.islice(self.refill, self._completed))
            if chunk:
                self.pending.extend(itertools.repeat(time.perf_counter(), len(chunk)))
                self.transport.write(b"".join(chunk))

    # httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        if self.expect is None:
            return
        if self.keep is not None:
            self.body.append(body)
        else:
            # Only the tail is checked (the envelope's responseStatus ends every document), so a 2 MB
            # services.json costs the generator a slice, not a copy and a scan.
            prev = self.body[0] if self.body else b""
            self.body = [(prev + body[-512:])[-512:]]

    def on_message_complete(self) -> None:
        now = time.perf_counter()
        sched = self.pending.popleft() if self.pending else now
        self._completed += 1
        ok = 200 <= self.status < 300
        if self.expect is not None:
            body = b"".join(self.body)
            ok = ok and self.expect in body
            if self.keep is not None:
                self.keep.append(body)
        self.body.clear()
        if sched < self.window_start:
            return
        if ok:
            self.done += 1
            if self.lat is not None:
                self.lat.append(now - sched)
        else:
            self.errors += 1


class Pool:
    """``n`` keep-alive connections to one loopback server."""

    def __init__(self, host: str, port: int, n: int) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the load generator only talks to loopback, not {host}")
        self.host, self.port, self.n = host, port, n
        self.conns: list[_Conn] = []

    async def open(self, expect: bytes | None = None) -> Pool:
        loop = asyncio.get_running_loop()
        for _ in range(self.n):
            _, proto = await loop.create_connection(lambda: _Conn(expect), self.host, self.port)
            self.conns.append(proto)
        return self

    def set_expect(self, expect: bytes | None) -> None:
        for c in self.conns:
            c.expect = expect

    async def close(self) -> None:
        for c in self.conns:
            if c.transport is not None:
                c.transport.close()
        await asyncio.gather(
            *(asyncio.wait_for(asyncio.shield(c.lost), 2) for c in self.conns), return_exceptions=True
        )

    def _reset(self, window_start: float, keep_lat: bool) -> None:
        for c in self.conns:
            c.window_start = window_start
            c.lat = [] if keep_lat else None
            c.done = c.errors = 0
            c.refill = None

    def _collect(self, res: Result) -> None:
        for c in self.conns:
            res.done += c.done
            res.errors += c.errors
            if c.lat:
                res.latencies.extend(c.lat)

    def outstanding(self) -> int:
        return sum(len(c.pending) for c in self.conns)

    async def drain(self, timeout: float) -> int:
        end = time.perf_counter() + timeout
        while self.outstanding() and time.perf_counter() < end:
            await asyncio.sleep(0.005)
        return self.outstanding()


async def saturate(
    pool: Pool, requests: Sequence[bytes], *, duration: float, depth: int = 8, warmup: float = 0.5
) -> Result:
    """Closed loop: keep ``depth`` requests in flight per connection; throughput after ``warmup``."""
    cycle = itertools.cycle(requests)
    t_start = time.perf_counter()
    pool._reset(t_start + warmup, keep_lat=False)
    cpu0 = time.process_time()
    for c in pool.conns:
        c.refill = cycle
        c.pending.extend(itertools.repeat(t_start, depth))
        assert c.transport is not None
        c.transport.write(b"".join(itertools.islice(cycle, depth)))
    await asyncio.sleep(warmup)
    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.sleep(duration)
    for c in pool.conns:
        c.refill = None
        c.window_start = float("inf")  # answers after the window do not count
    t1, cpu1 = time.perf_counter(), time.process_time()
    res = Result(elapsed=t1 - t0, gen_cpu=(cpu1 - cpu0) / (t1 - t0))
    pool._collect(res)
    res.sent = res.done + res.errors
    res.missing = await pool.drain(10.0)
    return res


async def open_loop(
    pool: Pool,
    requests: Sequence[bytes],
    *,
    rate: float,
    duration: float,
    max_outstanding: int = 50_000,
    drain: float = 5.0,
) -> Result:
    """Send at ``rate`` requests/s for ``duration`` s on a fixed schedule; latency from the schedule."""
    total = max(1, int(rate * duration))
    conns = pool.conns
    nconn = len(conns)
    nreq = len(requests)
    t0 = time.perf_counter() + 0.02
    pool._reset(t0, keep_lat=True)
    cpu0 = time.process_time()
    res = Result(t0=t0)
    i = 0
    batches: list[list[bytes]] = [[] for _ in conns]
    while i < total:
        now = time.perf_counter()
        due = min(total, int((now - t0) * rate) + 1) if now >= t0 else 0
        if due > i:
            for j in range(i, due):
                k = j % nconn
                batches[k].append(requests[j % nreq])
                conns[k].pending.append(t0 + j / rate)
            for k, b in enumerate(batches):
                if b:
                    t = conns[k].transport
                    if t is not None and not t.is_closing():
                        t.write(b"".join(b))
                    b.clear()
            i = due
            if pool.outstanding() > max_outstanding:
                res.overloaded = True
                break
        # Sleep until the next request is due, at least 0.5 ms (timer resolution ~1 ms: a request may leave
        # up to ~1 ms late, and that delay counts in its latency). No busy loop: on a 2-core machine a
        # spinning generator pushes every other process onto the server's core.
        nxt = t0 + i / rate - time.perf_counter()
        await asyncio.sleep(max(nxt, 0.0005) if nxt > 0 else 0)
    res.sent = i
    t_sent = time.perf_counter()
    res.missing = await pool.drain(drain)
    t1 = time.perf_counter()
    res.elapsed = max(t_sent - t0, 1e-9)
    res.gen_cpu = (time.process_time() - cpu0) / max(t1 - t0, 1e-9)
    pool._collect(res)
    for c in pool.conns:
        c.pending.clear()
    return res


async def run_all(pool: Pool, requests: Sequence[bytes], *, depth: int = 4, timeout: float = 600.0) -> Result:
    """Closed loop over a finite list (e.g. registering N instances): every request once, ``depth`` in flight
    per connection; elapsed is the time until the last answer."""
    it = iter(requests)
    t_start = time.perf_counter()
    pool._reset(t_start, keep_lat=False)
    cpu0 = time.process_time()
    sent = 0
    for c in pool.conns:
        c.refill = it
        chunk = list(itertools.islice(it, depth))
        sent += len(chunk)
        c.pending.extend(itertools.repeat(t_start, len(chunk)))
        assert c.transport is not None
        c.transport.write(b"".join(chunk))
    total = len(requests)
    end = t_start + timeout
    while time.perf_counter() < end:
        if sum(c.done + c.errors for c in pool.conns) >= total:
            break
        if all(c.lost.done() for c in pool.conns):
            break
        await asyncio.sleep(0.002)
    t1 = time.perf_counter()
    for c in pool.conns:
        c.refill = None
    res = Result(sent=total, elapsed=t1 - t_start, gen_cpu=(time.process_time() - cpu0) / (t1 - t_start))
    pool._collect(res)
    res.missing = total - res.done - res.errors
    return res
