"""WebSocket subscription limits (api.md T11): an error frame, the session stays open, nothing is kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import websockets

from tests.helpers import LiveServer


def _ws(srv: LiveServer, path: str) -> str:
    return srv.url.replace("http://", "ws://") + path


async def _ask(ws: websockets.ClientConnection, msg: dict[str, object]) -> dict[str, object]:
    await ws.send(json.dumps(msg))
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))


def _subs(srv: LiveServer) -> list[int]:
    return sorted(len(s.subs) for s in srv.node.push.sessions)  # type: ignore[attr-defined]


def test_huge_subscription_frames_are_refused_and_not_kept(make_server: Callable[..., LiveServer]) -> None:
    """Frames subscribing to 1 MB service ids get an error frame each (no echo of the id); the session stays
    open and holds no subscription; a 256-character id is fine."""
    srv = make_server(push={"max_subscriptions_per_session": 50})

    async def run() -> None:
        async with websockets.connect(_ws(srv, "/ws"), max_size=2**22) as ws:
            for n in range(20):
                doc = await _ask(ws, {"type": "subscribe", "serviceId": f"{n}" + "x" * 1_000_000})
                assert doc["type"] == "error"
                assert "256" in str(doc["message"])
                assert len(json.dumps(doc)) < 200
            assert _subs(srv) == [0]
            ok = await _ask(ws, {"type": "subscribe", "serviceId": "y" * 256})
            assert ok["type"] == "subscribed"
            assert (await _ask(ws, {"type": "ping"}))["type"] == "pong"
            assert _subs(srv) == [1]

    asyncio.run(run())


def test_subscriptions_per_session_are_bounded(make_server: Callable[..., LiveServer]) -> None:
    """Past push.max_subscriptions_per_session a /ws subscribe gets an error frame (re-subscribing a known id
    is fine); the Java instance-change path stops adding silently at the same bound."""
    srv = make_server(push={"max_subscriptions_per_session": 50})

    async def run() -> None:
        async with (
            websockets.connect(_ws(srv, "/ws")) as ws,
            websockets.connect(_ws(srv, "/ws/discovery/instance-change")) as java,
        ):
            kinds = [
                (await _ask(ws, {"type": "subscribe", "serviceId": f"svc-{n}"}))["type"] for n in range(60)
            ]
            assert kinds == ["subscribed"] * 50 + ["error"] * 10
            assert (await _ask(ws, {"type": "subscribe", "serviceId": "SVC-7"}))["type"] == "subscribed"
            assert (await _ask(ws, {"type": "unsubscribe", "serviceId": "svc-0"}))["type"] == "unsubscribed"
            assert (await _ask(ws, {"type": "subscribe", "serviceId": "svc-new"}))["type"] == "subscribed"
            for n in range(60):
                await java.send(json.dumps({"serviceId": f"j-{n}", "regionId": "default"}))
            await java.send(json.dumps({"serviceId": "z" * 100_000}))
            assert (await _ask(ws, {"type": "ping"}))["type"] == "pong"
            for _ in range(100):  # frames are handled in order per session; wait for the Java ones
                if _subs(srv) == [50, 50]:
                    break
                await asyncio.sleep(0.05)
            assert _subs(srv) == [50, 50]

    asyncio.run(run())
