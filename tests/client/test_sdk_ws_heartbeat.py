"""The SDK's optional WebSocket heartbeat (the Java ``/ws/registry/heartbeat`` path) against a real node."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from websockets.sync.client import connect

from artemis_client.client import AsyncArtemisClient
from artemis_client.sync import ArtemisClient
from artemis_client.wire.registry import Instance
from tests.helpers import LiveServer, wait_for

WS_ROUTE = 'route="/ws/registry/heartbeat"'
HTTP_ROUTE = 'route="/api/registry/heartbeat.json"'


def ids_on(url: str, service: str) -> list[str]:
    doc = httpx.get(url + "/api/discovery/service.json", params={"serviceId": service}, timeout=5).json()
    return [i["instanceId"] for i in doc["service"]["instances"]]


def heartbeats_seen(url: str, route: str) -> float:
    """Heartbeats the node answered on one route (its artemis_http_requests_total counter)."""
    total = 0.0
    for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith("artemis_http_requests_total{") and route in line:
            total += float(line.split()[-1])
    return total


def inst(service: str, iid: str) -> Instance:
    return Instance(service_id=service, instance_id=iid, url=f"http://127.0.0.1:9/{iid}")


def survives(url: str, service: str, ids: list[str], secs: float) -> None:
    end = time.monotonic() + secs
    while time.monotonic() < end:  # bounded: checked all along
        assert sorted(ids_on(url, service)) == ids
        time.sleep(0.1)


async def test_websocket_heartbeats_alone_keep_instances_alive(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """With heartbeat_transport="websocket" every batched heartbeat goes over the socket on the Java path
    (the node counts none on heartbeat.json), sessions the node ends (its session TTL) are reopened without
    a beat going over HTTP, the instances outlive 2.5 lease TTLs, and one the node lost is registered again
    as soon as a socket answer says data-not-found."""
    node = make_server(
        lease={"ttl_secs": 1.0, "safe_check_enabled": False}, websocket={"session_ttl_secs": 0.7}
    )
    svc = unique("wsbeat")
    async with AsyncArtemisClient(
        node.url, heartbeat_interval=0.25, lease_ttl=1.0, heartbeat_transport="websocket"
    ) as client:
        await client.register(inst(svc, "a"), inst(svc, "b"))
        await asyncio.to_thread(survives, node.url, svc, ["a", "b"], 2.5)
        lost = {"instances": [{"serviceId": svc, "instanceId": "a", "url": "http://127.0.0.1:9/a"}]}
        async with httpx.AsyncClient() as http:  # the node forgets "a" behind the client's back
            await http.post(node.url + "/api/registry/unregister.json", json=lost)
        await asyncio.to_thread(
            wait_for, lambda: sorted(ids_on(node.url, svc)) == ["a", "b"], timeout=5, what="a re-registered"
        )
        counters = client.stats()["counters"]
        assert client.stats()["heartbeat_socket"] == node.url
    assert ids_on(node.url, svc) == []  # close() unregistered them
    assert counters["heartbeat_ws"] >= 5
    assert counters["event_re-register"] == 1
    assert counters["heartbeat_ws_connects"] >= 3  # reopened after every session TTL
    assert counters["heartbeat_ws_drops"] >= 2
    assert "heartbeat_http_fallback" not in counters
    assert heartbeats_seen(node.url, WS_ROUTE) >= 5
    assert heartbeats_seen(node.url, HTTP_ROUTE) == 0


def test_a_refused_socket_falls_back_to_http_then_comes_back(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """The blocking client: while the node refuses the heartbeat socket (its one push session is taken),
    the beats go over HTTP and the instance lives on; once the session is free the socket reopens (after
    its back-off) and carries the beats again."""
    node = make_server(lease={"ttl_secs": 1.5, "safe_check_enabled": False}, websocket={"max_sessions": 1})
    svc = unique("wsbeat")
    with ArtemisClient(
        node.url, heartbeat_interval=0.25, lease_ttl=1.5, heartbeat_transport="websocket"
    ) as client:
        with connect(node.url.replace("http://", "ws://") + "/ws"):  # takes the only session
            client.register(inst(svc, "a"))
            wait_for(
                lambda: client.stats()["counters"].get("heartbeat_http_fallback", 0) >= 3,
                timeout=5,
                what="heartbeats over HTTP",
            )
            assert ids_on(node.url, svc) == ["a"]
            assert heartbeats_seen(node.url, HTTP_ROUTE) >= 3
        ws_before = heartbeats_seen(node.url, WS_ROUTE)
        wait_for(  # back-off: 0.5 s doubling, full jitter
            lambda: client.stats()["counters"].get("heartbeat_ws", 0) >= 3,
            timeout=10,
            what="heartbeats over the reopened socket",
        )
        survives(node.url, svc, ["a"], 1.0)
        assert client.stats()["heartbeat_socket"] == node.url
        assert heartbeats_seen(node.url, WS_ROUTE) >= ws_before + 3


class FreezingProxy:
    """A TCP relay in front of a node (a misbehaving network): ``freeze()`` stops relaying what the node
    sends on heartbeat sockets, so a heartbeat frame goes out and its answer never comes back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = ""
        self.frozen = False
        self.frames_after_freeze = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> FreezingProxy:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.port)
        first = await reader.readline()
        heartbeat_socket = first.startswith(b"GET /ws/registry/heartbeat")
        up_w.write(first)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, from_node: bool) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if heartbeat_socket and self.frozen:
                        if from_node:
                            continue  # swallowed: the client never hears back
                        self.frames_after_freeze += 1
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_w, False), pipe(up_r, writer, True))


async def until(pred: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@pytest.fixture
async def proxy(server: LiveServer) -> AsyncIterator[FreezingProxy]:
    p = await FreezingProxy(server.port).start()
    yield p
    await p.close()


async def test_close_with_a_heartbeat_frame_unanswered_still_unregisters(
    server: LiveServer, proxy: FreezingProxy, unique: Callable[[str], str]
) -> None:
    """close() while a heartbeat frame waits for its answer: the beat is abandoned, the unregister goes
    out over HTTP within the close deadline, and the node forgets the instance at once."""
    svc = unique("wsbeat")
    client = AsyncArtemisClient(
        proxy.url, heartbeat_interval=0.2, heartbeat_transport="websocket", close_timeout=2.0
    )
    await client.start()
    await client.register(inst(svc, "a"))
    await until(lambda: client.stats()["counters"].get("heartbeat_ws", 0) >= 1, "a beat on the socket")
    proxy.frozen = True
    await until(lambda: proxy.frames_after_freeze >= 1, "a beat out after the freeze")  # answer swallowed
    start = time.monotonic()
    await client.aclose()
    assert time.monotonic() - start < 2.5
    assert await asyncio.to_thread(ids_on, server.url, svc) == []


async def test_a_silent_socket_is_dropped_and_the_beat_goes_over_http(
    server: LiveServer, proxy: FreezingProxy, unique: Callable[[str], str]
) -> None:
    """A socket whose answers stop coming (a half-dead connection) costs one answer timeout: that beat goes
    over HTTP at once, the socket is dropped, and the instance stays registered."""
    svc = unique("wsbeat")
    async with AsyncArtemisClient(
        proxy.url, heartbeat_interval=0.2, heartbeat_transport="websocket", request_timeout=0.5
    ) as client:
        await client.register(inst(svc, "a"))
        await until(lambda: client.stats()["counters"].get("heartbeat_ws", 0) >= 1, "a beat on the socket")
        proxy.frozen = True
        await until(lambda: "heartbeat_http_fallback" in client.stats()["counters"], "a beat over HTTP")
        counters = client.stats()["counters"]
        assert counters["heartbeat_ws_drops"] >= 1
        assert counters.get("heartbeat_failed", 0) == 0  # the lease was renewed all along
        assert await asyncio.to_thread(ids_on, server.url, svc) == ["a"]
