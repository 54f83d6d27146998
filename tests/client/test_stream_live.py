"""The change-stream runners against real nodes (and, for reconnection, a peer that drops the session)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from websockets.sync.server import ServerConnection, serve

from artemis_client.changes import Connected, Disconnected, Event
from artemis_client.errors import TransportError
from artemis_client.stream import AsyncChangeStream, SyncChangeStream
from artemis_client.wire.registry import InstanceChange
from tests.helpers import LiveServer


def dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def register(url: str, sid: str, iid: str) -> None:
    inst = {"serviceId": sid, "instanceId": iid, "ip": "10.8.0.1", "port": 80}
    r = httpx.post(url + "/api/registry/register.json", json={"instances": [inst]}, timeout=10)
    assert r.json()["responseStatus"]["status"] == "success"


def next_change(events: Iterator[Event]) -> InstanceChange:
    for _, event in zip(range(50), events, strict=False):
        if isinstance(event, InstanceChange):
            return event
    raise AssertionError("no change within 50 events")


def test_sync_stream_fails_over_subscribes_and_yields_typed_changes(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """A dead first server is skipped; Connected comes once the subscription is acknowledged, so a change
    made right after it arrives, typed, with its service id; other services' changes do not."""
    sid, other = unique("st"), unique("st")
    stream = SyncChangeStream([dead_url(), server.url], [sid], open_timeout=5)
    events = iter(stream)
    try:
        first = next(events)
        assert first == Connected(server.url)
        register(server.url, other, "x")
        register(server.url, sid, "i1")
        change = next_change(events)
        assert (change.instance.service_id, change.instance.instance_id, change.change_type) == (
            sid,
            "i1",
            "new",
        )
        assert change.change_time > 1_600_000_000_000  # epoch ms, converted from the RFC 3339 frame
    finally:
        stream.close()


def test_sync_stream_with_no_server_is_a_transport_error() -> None:
    """The first attempt reaching no server raises TransportError naming each URL."""
    stream = SyncChangeStream([dead_url(), dead_url()], ["s"], open_timeout=1)
    with pytest.raises(TransportError, match="cannot open a change stream on any server"):
        next(iter(stream))


@pytest.fixture
def dropping_peer() -> Iterator[tuple[str, list[list[str]]]]:
    """A misbehaving peer: acknowledges every subscription, then closes the session. Records the frames of
    each session."""
    sessions: list[list[str]] = []

    def handler(ws: ServerConnection) -> None:
        got: list[str] = []
        sessions.append(got)
        for raw in ws:
            got.append(str(raw))
            msg = json.loads(raw)
            ws.send(
                json.dumps(
                    {"type": "subscribed", "serviceId": msg["serviceId"], "service_id": msg["serviceId"]}
                )
            )
            if len(sessions) == 1:
                ws.close()
                return

    with serve(handler, "127.0.0.1", 0) as srv:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        port = srv.socket.getsockname()[1]
        yield f"http://127.0.0.1:{port}", sessions
        srv.shutdown()


def test_sync_stream_reconnects_and_subscribes_again(dropping_peer: tuple[str, list[list[str]]]) -> None:
    """When the session drops, the runner reports Disconnected with a back-off, reconnects and sends every
    subscription again before reporting Connected."""
    url, sessions = dropping_peer
    stream = SyncChangeStream([url], ["Orders"], open_timeout=5)
    events = iter(stream)
    try:
        assert next(events) == Connected(url)
        down = next(events)
        assert isinstance(down, Disconnected)
        assert down.retry_in == 0.5
        assert next(events) == Connected(url)
    finally:
        stream.close()
    assert [[json.loads(f) for f in s] for s in sessions[:2]] == [
        [{"type": "subscribe", "serviceId": "Orders"}],
        [{"type": "subscribe", "serviceId": "Orders"}],
    ]


async def test_async_stream_on_every_service(server: LiveServer, unique: Callable[[str], str]) -> None:
    """The async runner on the Java all-instance channel yields every service's changes as typed events;
    with retry_first a dead first server is only skipped."""
    sid = unique("ast")
    stream = AsyncChangeStream([dead_url(), server.url], open_timeout=5, retry_first=True)

    async def first_change() -> InstanceChange:
        async for event in stream:
            if isinstance(event, Connected):
                await asyncio.to_thread(register, server.url, sid, "a1")
            elif isinstance(event, InstanceChange) and event.instance.service_id == sid:
                return event
        raise AssertionError("stream ended")

    change = await asyncio.wait_for(first_change(), timeout=15)
    assert (change.instance.instance_id, change.change_type) == ("a1", "new")
