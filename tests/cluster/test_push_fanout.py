"""The push fan-out writes each distinct frame once, ready-made, to every subscriber (issue 20,
artemis_server/wsframes.py), in slices, and keeps every subscriber's frames in publish order."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.frames import Frame, Opcode

from artemis_server.api.push import FANOUT_SLICE
from artemis_server.wsframes import text_frame
from tests.cluster.conftest import instance, metric


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_ready_frame_is_the_frame_websockets_writes(size: int) -> None:
    """text_frame() gives byte for byte the unmasked text frame websockets serialises, at every length form."""
    payload = b"x" * size
    assert text_frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False)


async def test_every_subscriber_gets_every_change_in_order(make_server) -> None:
    """Subscribers beyond one slice each get all of 20 quick publishes, in order; others get none of them;
    a publish about two services reaches each subscriber with its own service's change only."""
    srv = make_server(websocket={"max_sessions": 1000})
    ws_url = srv.url.replace("http://", "ws://") + "/ws"
    n = FANOUT_SLICE * 2 + 20
    subs = [await websockets.connect(ws_url, compression=None) for _ in range(n)]
    other = await websockets.connect(ws_url, compression=None)
    try:
        for ws in subs:
            await ws.send(json.dumps({"type": "subscribe", "serviceId": "svc-fan"}))
        await other.send(json.dumps({"type": "subscribe", "serviceId": "svc-calm"}))
        for ws in [*subs, other]:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "subscribed"
            assert ws.protocol.extensions == []  # no compression offered: frames are shared as they are
        sent_before = metric(srv.url, "artemis_ws_messages_sent_total")
        async with httpx.AsyncClient(timeout=10) as http:
            for k in range(20):
                r = await http.post(
                    srv.url + "/api/registry/register.json",
                    json={"instances": [instance("svc-fan", f"f{k}")]},
                )
                assert r.status_code == 200
        want = [f"f{k}" for k in range(20)]

        async def changes_of(ws: websockets.ClientConnection) -> list[str]:
            got: list[str] = []
            while len(got) < len(want):
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                got += [c["instance"]["instanceId"] for c in msg["changes"]]
            return got

        for got in await asyncio.gather(*(changes_of(ws) for ws in subs)):
            assert got == want
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other.recv(), 0.3)
        assert metric(srv.url, "artemis_ws_messages_sent_total") - sent_before >= n * 20
        # one publish about two services: each subscriber gets only its own service's change
        both = [instance("svc-fan", "f20"), instance("svc-calm", "c0")]
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(srv.url + "/api/registry/register.json", json={"instances": both})
            assert r.status_code == 200
        for ws, iid in [(subs[0], "f20"), (subs[-1], "f20"), (other, "c0")]:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert [c["instance"]["instanceId"] for c in msg["changes"]] == [iid]
    finally:
        for ws in [*subs, other]:
            await ws.close()
