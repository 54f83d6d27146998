"""WebSocket push against live nodes (S13, api.md 2.13), with the `websockets` client library."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
from typing import Any

import httpx
import pytest
import websockets

from tests.cluster.conftest import instance

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


async def recv_json(ws: Any, timeout: float = 5.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def register(client: httpx.AsyncClient, base: str, *insts: dict) -> None:
    r = await client.post(base + "/api/registry/register.json", json={"instances": list(insts)})
    assert r.json()["responseStatus"]["status"] == "success"


async def unregister(client: httpx.AsyncClient, base: str, service: str, iid: str) -> None:
    key = {"regionId": "r1", "serviceId": service, "instanceId": iid}
    r = await client.post(base + "/api/registry/unregister.json", json={"instanceKeys": [key]})
    assert r.json()["responseStatus"]["status"] == "success"


async def connections(client: httpx.AsyncClient, base: str) -> dict[str, str]:
    return (await client.get(base + "/api/status/message/connections.json")).json()


async def poll(predicate: Any, timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_ws_new_change_delete_and_lease_expiry(make_server) -> None:
    """/ws pushes service_change for register, changed re-register, unregister and lease expiry."""
    srv = make_server(lease={"ttl_secs": 0.5, "cleanup_interval_secs": 0.1, "safe_check_enabled": False})
    async with httpx.AsyncClient(timeout=5) as http, websockets.connect(ws_url(srv.url, "/ws")) as ws:
        await ws.send(json.dumps({"type": "subscribe", "service_id": "Push-Svc"}))
        assert await recv_json(ws) == {
            "type": "subscribed",
            "serviceId": "Push-Svc",
            "service_id": "Push-Svc",
        }
        await ws.send(json.dumps({"type": "ping"}))
        assert await recv_json(ws) == {"type": "pong"}
        await ws.send("{not json")
        assert (await recv_json(ws))["type"] == "error"

        await register(http, srv.url, instance("push-svc", "i1"))
        msg = await recv_json(ws)
        assert msg["type"] == "service_change"
        assert msg["serviceId"] == msg["service_id"] == "push-svc"
        (change,) = msg["changes"]
        assert change["changeType"] == "new"
        assert change["instance"]["instanceId"] == "i1"
        assert RFC3339.match(change["changeTime"]), change["changeTime"]

        await register(http, srv.url, instance("push-svc", "i1"))  # identical: no event
        await register(http, srv.url, instance("push-svc", "i1", port=81))
        msg = await recv_json(ws)
        assert [(c["changeType"], c["instance"]["port"]) for c in msg["changes"]] == [("change", 81)]

        await register(http, srv.url, instance("other-svc", "x"))  # not subscribed
        await unregister(http, srv.url, "push-svc", "i1")
        msg = await recv_json(ws)
        assert msg["serviceId"] == "push-svc"
        assert [c["changeType"] for c in msg["changes"]] == ["delete"]

        await register(http, srv.url, instance("push-svc", "i2"))
        assert (await recv_json(ws))["changes"][0]["changeType"] == "new"
        msg = await recv_json(ws, timeout=10)  # no heartbeat: the lease expires
        assert [(c["changeType"], c["instance"]["instanceId"]) for c in msg["changes"]] == [("delete", "i2")]

        await ws.send(json.dumps({"type": "unsubscribe", "serviceId": "push-svc"}))
        assert (await recv_json(ws))["type"] == "unsubscribed"


async def test_java_instance_change_channels(make_server) -> None:
    """instance-change pushes bare InstanceChange for subscribed services; all-instance-change for all."""
    srv = make_server()
    async with (
        httpx.AsyncClient(timeout=5) as http,
        websockets.connect(ws_url(srv.url, "/ws/discovery/instance-change")) as one,
        websockets.connect(ws_url(srv.url, "/ws/discovery/all-instance-change")) as every,
    ):
        await one.send(json.dumps({"serviceId": "J-SVC", "regionId": "r1", "zoneId": "z1"}))
        await poll(lambda: _count(http, srv.url, "discovery", 2), what="two discovery sessions")
        await register(http, srv.url, instance("noise", "n1"))
        await register(http, srv.url, instance("j-svc", "a"))
        msg = await recv_json(one)
        assert set(msg) == {"instance", "changeType", "changeTime"}
        assert msg["changeType"] == "new"
        assert msg["instance"]["serviceId"] == "j-svc"
        assert isinstance(msg["changeTime"], int)
        seen = [(await recv_json(every))["instance"]["serviceId"] for _ in range(2)]
        assert seen == ["noise", "j-svc"]
        await unregister(http, srv.url, "j-svc", "a")
        assert (await recv_json(one))["changeType"] == "delete"
        assert (await recv_json(every))["changeType"] == "delete"


async def _count(http: httpx.AsyncClient, base: str, channel: str, n: int) -> bool:
    return (await connections(http, base))[channel] == str(n)


async def test_heartbeat_socket_answers_like_http(make_server) -> None:
    """/ws/registry/heartbeat answers each frame like POST heartbeat.json; sessions are counted."""
    srv = make_server()
    async with (
        httpx.AsyncClient(timeout=5) as http,
        websockets.connect(ws_url(srv.url, "/ws/registry/heartbeat")) as hb,
    ):
        await register(http, srv.url, instance("hb-svc", "i1"))
        await hb.send(json.dumps({"instances": [instance("hb-svc", "i1")]}))
        assert (await recv_json(hb))["responseStatus"]["status"] == "success"
        await hb.send(
            json.dumps({"instanceKeys": [{"regionId": "r1", "serviceId": "hb-svc", "instanceId": "x"}]})
        )
        doc = await recv_json(hb)
        assert doc["responseStatus"]["status"] == "partial_fail"
        assert doc["failedInstances"][0]["errorCode"] == "data-not-found"
        await hb.send("garbage")
        assert (await recv_json(hb))["responseStatus"]["status"] == "success"
        assert (await connections(http, srv.url))["registry"] == "1"
    async with httpx.AsyncClient(timeout=5) as http:
        await poll(lambda: _count(http, srv.url, "registry", 0), what="session count back to 0")


async def test_alias_prefix_serves_push_paths(make_server) -> None:
    """With server.context_aliases = ["/artemis"] the push paths also answer under /artemis."""
    srv = make_server(server={"context_aliases": ["/artemis"]})
    async with websockets.connect(ws_url(srv.url, "/artemis/ws")) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert await recv_json(ws) == {"type": "pong"}


async def test_subscribers_see_changes_made_on_another_node(make_cluster) -> None:
    """Events of replicated writes reach subscribers on the other nodes (S13.2)."""
    a, b, c = make_cluster(3)
    async with (
        httpx.AsyncClient(timeout=5) as http,
        websockets.connect(ws_url(b.url, "/ws")) as on_b,
        websockets.connect(ws_url(c.url, "/ws/discovery/all-instance-change")) as on_c,
    ):
        await on_b.send(json.dumps({"type": "subscribe", "serviceId": "rep-push"}))
        await recv_json(on_b)
        await poll(lambda: _count(http, c.url, "discovery", 1), what="subscriber on C")
        await register(http, a.url, instance("rep-push", "i1"))
        assert (await recv_json(on_b, 2.5))["changes"][0]["changeType"] == "new"
        assert (await recv_json(on_c, 2.5))["changeType"] == "new"
        await register(http, a.url, instance("rep-push", "i1", metadata={"v": "2"}))
        assert (await recv_json(on_b, 2.5))["changes"][0]["changeType"] == "change"
        assert (await recv_json(on_c, 2.5))["changeType"] == "change"
        await unregister(http, a.url, "rep-push", "i1")
        assert (await recv_json(on_b, 2.5))["changes"][0]["changeType"] == "delete"
        assert (await recv_json(on_c, 2.5))["changeType"] == "delete"


@pytest.mark.timeout(90)
async def test_slow_subscriber_is_closed_others_keep_working(make_server) -> None:
    """A subscriber that stops reading overflows its buffer and is closed with 1008; nobody else waits."""
    srv = make_server(websocket={"queue_size": 4}, limits={"max_body_bytes": 8 * 1024 * 1024})
    # A small receive buffer and no compression: the kernel holds little, so the stall reaches the server.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.connect(("127.0.0.1", srv.port))
    slow = await websockets.connect(
        ws_url(srv.url, "/ws"), sock=sock, max_queue=1, compression=None, max_size=None
    )
    try:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            websockets.connect(ws_url(srv.url, "/ws")) as fast,
        ):
            await slow.send(json.dumps({"type": "subscribe", "serviceId": "flood"}))
            await fast.send(json.dumps({"type": "subscribe", "serviceId": "calm"}))
            assert (await recv_json(fast))["type"] == "subscribed"
            await poll(lambda: _count(http, srv.url, "discovery", 2), what="two sessions")
            closed = False
            for round_no in range(60):
                blob = os.urandom(3000).hex()  # incompressible, ~6 KB per instance
                batch = [
                    instance("flood", f"i{k}", metadata={"blob": blob, "round": str(round_no)})
                    for k in range(200)
                ]
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                await register(http, srv.url, *batch)
                assert loop.time() - t0 < 5  # registration is never held up by the stuck subscriber
                if await _count(http, srv.url, "discovery", 1):
                    closed = True
                    break
            assert closed, "the slow session was never dropped"
            await register(http, srv.url, instance("calm", "c1"))
            msg = await recv_json(fast)
            assert msg["serviceId"] == "calm"
            assert msg["changes"][0]["changeType"] == "new"
        # The stuck client finally reads: buffered frames, then the close frame with the reason.
        with pytest.raises(websockets.ConnectionClosed):
            await _drain(slow)
        assert slow.close_code == 1008
        assert "overflow" in (slow.close_reason or "")
    finally:
        await slow.close()


async def _drain(ws: Any) -> None:
    """Read until the connection closes (bounded)."""
    for _ in range(100_000):
        await asyncio.wait_for(ws.recv(), 10)


async def test_session_limit_and_ttl(make_server) -> None:
    """Sessions beyond websocket.max_sessions are closed with 1013; session_ttl_secs closes with 1000."""
    srv = make_server(websocket={"max_sessions": 1, "session_ttl_secs": 1.0})
    async with websockets.connect(ws_url(srv.url, "/ws")) as first:
        await first.send(json.dumps({"type": "ping"}))
        assert await recv_json(first) == {"type": "pong"}
        async with websockets.connect(ws_url(srv.url, "/ws/discovery/all-instance-change")) as second:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(second.recv(), 5)
            assert second.close_code == 1013
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(first.recv(), 10)
        assert first.close_code == 1000
        assert "TTL" in (first.close_reason or "")


async def test_heartbeats_over_websocket_are_replicated(make_cluster) -> None:
    """Heartbeat frames on node A renew the lease on node B too (they are client writes)."""
    a, b = make_cluster(2)
    async with httpx.AsyncClient(timeout=5) as http:
        await register(http, a.url, instance("ws-hb", "i1"))
        await poll(lambda: _has(http, b.url, "ws-hb"), what="replicated")
        async with websockets.connect(ws_url(a.url, "/ws/registry/heartbeat")) as hb:
            await hb.send(
                json.dumps({"instanceKeys": [{"regionId": "r1", "serviceId": "ws-hb", "instanceId": "i1"}]})
            )
            assert (await recv_json(hb))["responseStatus"]["status"] == "success"
        await poll(
            lambda: _metric(http, a.url, 'artemis_replication_items_sent_total{kind="heartbeat"} 1.0'),
            what="heartbeat replicated",
        )


async def _has(http: httpx.AsyncClient, base: str, service: str) -> bool:
    r = await http.get(base + "/api/discovery/service.json", params={"serviceId": service})
    return bool(r.json()["service"]["instances"])


async def _metric(http: httpx.AsyncClient, base: str, line: str) -> bool:
    return line in (await http.get(base + "/metrics")).text.splitlines()
