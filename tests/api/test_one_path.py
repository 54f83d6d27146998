"""One path per request: both HTTP fronts answer a refusing hook alike, and a WebSocket heartbeat is a dispatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import msgspec
from websockets.sync.client import connect

from artemis_server.api.boundary import Headers
from tests.helpers import LiveServer

HB = "/api/replication/registry/heartbeat.json"


def lane(server: LiveServer) -> Any:
    return server.server.config.app


def test_headers_are_found_by_any_case() -> None:
    """A Call's headers answer for any spelling of a field name; the first of a repeated field wins."""
    h = Headers([(b"x-artemis-node-url", b"http://a"), (b"x-artemis-node-url", b"http://b")])
    assert h.get("X-Artemis-Node-URL") == "http://a"
    assert "X-ARTEMIS-NODE-URL" in h
    assert h.get("authorization") is None


def test_peer_token_refusal_is_the_same_on_both_fronts(make_server: Callable[..., LiveServer]) -> None:
    """A peer call without the token is refused by the hook with the same 401 on the fast lane and on
    Litestar, rendered like a handler's error, with WWW-Authenticate."""
    srv = make_server(cluster={"peer_token": "s3cret-peer-token"})
    body = b'{"instanceKeys":[{"serviceId":"s","instanceId":"i"}]}'
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        served = lane(srv).served
        fast = http.post(HB, content=body, headers={"content-type": "application/json"})
        assert lane(srv).served == served + 1
        slow = http.post(HB, content=body, headers={"content-type": "application/json", "origin": srv.url})
        assert lane(srv).served == served + 1
        for r in (fast, slow):
            assert r.status_code == 401
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert r.json()["responseStatus"]["errorCode"] == "unauthorized"
        assert fast.content == slow.content
        ok = http.post(HB, content=body, headers={"authorization": "Bearer s3cret-peer-token"})
        assert ok.status_code == 200


def test_websocket_heartbeat_renews_and_is_counted_under_its_route(server: LiveServer) -> None:
    """A heartbeat frame renews like the HTTP heartbeat and is counted as a request of /ws/registry/heartbeat;
    the session stays open across answers, failures included."""
    inst = {"serviceId": "one-path-ws", "instanceId": "w1", "ip": "10.1.2.3", "port": 80}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.post("/api/registry/register.json", json={"instances": [inst]}).status_code == 200
        before = _ws_heartbeats(http)
        ws_url = server.url.replace("http://", "ws://") + "/ws/registry/heartbeat"
        with connect(ws_url) as ws:
            ws.send(msgspec.json.encode({"instances": [inst]}).decode())
            assert msgspec.json.decode(ws.recv(timeout=10))["responseStatus"]["status"] == "success"
            ws.send('{"instanceKeys":[{"serviceId":"one-path-ws","instanceId":"gone"}]}')
            failed = msgspec.json.decode(ws.recv(timeout=10))
            assert failed["responseStatus"]["status"] == "partial_fail"
            ws.send(msgspec.json.encode({"instances": [inst]}).decode())
            assert msgspec.json.decode(ws.recv(timeout=10))["responseStatus"]["status"] == "success"
        after = _ws_heartbeats(http)
    assert after == before + 3


def _ws_heartbeats(http: httpx.Client) -> float:
    for ln in http.get("/metrics").text.splitlines():
        if ln.startswith("artemis_http_requests_total{") and 'route="/ws/registry/heartbeat"' in ln:
            return float(ln.rsplit(" ", 1)[1])
    return 0.0
