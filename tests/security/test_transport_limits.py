"""Request-head size and slow-client limits (api.md T11), with raw sockets, under both HTTP parsers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import LiveServer, make_settings

PARSERS = ["httptools", "h11"]


@pytest.fixture(params=PARSERS)
def limited(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path, server={"max_header_bytes": 8192, "request_timeout_secs": 1.0})
    srv = LiveServer(settings, parser=request.param).start()
    yield srv
    srv.stop()


def _connect(srv: LiveServer) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    return s


def _read_all(s: socket.socket, limit: float = 10.0) -> bytes:
    """Everything the server sends until it closes (bounded by ``limit`` seconds)."""
    s.settimeout(limit)
    out = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            break
        if not chunk:
            break
        out += chunk
    return out


def _send_until_refused(s: socket.socket, data: bytes, total: int) -> int:
    """Send ``data`` repeatedly up to ``total`` bytes; stop when the server closes. Returns bytes sent."""
    sent = 0
    try:
        while sent < total:
            s.sendall(data)
            sent += len(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


@pytest.mark.parametrize("where", ["header", "url"])
def test_oversized_head_is_431_and_closed(limited: LiveServer, where: str) -> None:
    """A request head over server.max_header_bytes (16 MB offered) gets 431 in family C and the connection
    closes long before the offer is through; the node keeps serving."""
    s = _connect(limited)
    try:
        if where == "header":
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        else:
            s.sendall(b"GET /health?q=")
        sent = _send_until_refused(s, b"a" * 65536, 16 * 1024 * 1024)
        answer = _read_all(s)
    finally:
        s.close()
    assert sent < 16 * 1024 * 1024 or answer, "the server read 16 MB of headers without a word"
    if answer:  # the server may close before the answer can be read: that also satisfies T11
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        assert b'"success":false' in answer
    assert httpx.get(limited.url + "/health", timeout=5).text == "OK"


def test_many_headers_are_counted_together(limited: LiveServer) -> None:
    """Many small headers that add up past the limit are refused like one big one."""
    s = _connect(limited)
    try:
        head = b"POST /api/registry/heartbeat.json HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-H%d: %s\r\n" % (n, b"v" * 100) for n in range(200)
        )
        s.sendall(head + b"Content-Length: 2\r\n\r\n{}")
        answer = _read_all(s)
    finally:
        s.close()
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]


def test_head_under_the_limit_is_served(limited: LiveServer) -> None:
    """Heads under the limit and large bodies (counted separately) are served normally on both lanes."""
    big = {"X-Pad": "p" * 6000}
    r = httpx.get(limited.url + "/health", headers=big, timeout=5)
    assert r.status_code == 200
    body = b'{"instances":[{"serviceId":"lim","instanceId":"i","url":"http://h","metadata":{"k":"%s"}}]}' % (
        b"m" * 10_000
    )
    r = httpx.post(limited.url + "/api/registry/register.json", content=body, headers=big, timeout=5)
    assert r.json()["responseStatus"]["status"] == "success"


def test_pipelined_heads_are_measured_one_by_one(limited: LiveServer) -> None:
    """Pipelined requests arriving in one read are each held to the limit, not their sum: 60 small heads
    (over 8 KiB together) are all served, and one big head among them is refused with 431 and the
    connection closed (like uvicorn's own 400, the refusal does not wait for the answers before it)."""
    small = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n" % (b"p" * 200)
    s = _connect(limited)
    try:
        s.sendall(small * 60)
        s.settimeout(10)
        got = b""
        while got.count(b"HTTP/1.1 200") < 60:
            chunk = s.recv(65536)
            assert chunk, got[-200:]
            got += chunk
    finally:
        s.close()
    big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % (b"b" * 9000)
    s = _connect(limited)
    try:
        s.sendall(small * 3 + big + small)
        answer = _read_all(s)
    finally:
        s.close()
    assert b"HTTP/1.1 431" in answer, answer[-400:]


@pytest.mark.parametrize("stall", ["head", "body", "nothing"])
def test_stalled_request_is_dropped(limited: LiveServer, stall: str) -> None:
    """A request that stops half-way (or a connection that sends nothing) is dropped after
    server.request_timeout_secs with 408; a request whose handler is slow is not the client's fault."""
    s = _connect(limited)
    t0 = time.monotonic()
    try:
        if stall == "head":
            s.sendall(b"GET /api/status/node.json HTTP/1.1\r\nHost: x\r\nX-Half")
        elif stall == "body":
            s.sendall(
                b'POST /api/registry/register.json HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"ins'
            )
        answer = _read_all(s, limit=15)
    finally:
        s.close()
    elapsed = time.monotonic() - t0
    assert elapsed < 10, elapsed  # dropped after ~1 s, not left open
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_keep_alive_connection_gets_a_fresh_timeout_per_request(limited: LiveServer) -> None:
    """Requests sent one after another on one connection are each timed from their own first byte."""
    with httpx.Client(base_url=limited.url, timeout=5) as http:
        for _ in range(3):
            assert http.get("/health").text == "OK"
            time.sleep(0.6)  # less than the keep-alive and request timeouts; the total exceeds 1 s


def test_idle_keep_alive_connection_is_closed(limited: LiveServer) -> None:
    """A keep-alive connection left idle after its answer is closed by the node after the keep-alive
    timeout (1 s here, the request timeout being 1 s) plus at most the reaper's period, not left open."""
    s = _connect(limited)
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        t0 = time.monotonic()
        answer = _read_all(s, limit=10)  # until the node closes
    finally:
        s.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert time.monotonic() - t0 < 5


def test_defaults_are_64k_and_30s(tmp_path: Path) -> None:
    """The defaults of api.md T11."""
    s = make_settings(tmp_path)
    assert s.server.max_header_bytes == 64 * 1024
    assert s.server.request_timeout_secs == 30
