"""The hot-path fast lane (api/fastpath.py) answers byte for byte what the Litestar route answers.

Every request is sent twice to the same live node: once plain (the lane serves it) and once with an
``Origin`` header (the lane steps aside and Litestar serves it, adding only its CORS headers).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import pytest

from tests.helpers import LiveServer


def lane(server: LiveServer) -> Any:
    return server.server.config.app


def both(
    http: httpx.Client, server: LiveServer, path: str, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    h = {"content-type": "application/json", **(headers or {})}
    before = lane(server).served
    fast = http.post(path, content=body, headers=h)
    assert lane(server).served == before + 1, "the fast lane did not serve the plain request"
    slow = http.post(path, content=body, headers={**h, "origin": "http://example.test"})
    assert lane(server).served == before + 1, "the fast lane served a request with an Origin header"
    assert slow.headers.get("access-control-allow-origin") == "*"
    assert (fast.status_code, fast.headers["content-type"], fast.content) == (
        slow.status_code,
        slow.headers["content-type"],
        slow.content,
    )
    assert fast.headers["content-length"] == str(len(fast.content))
    return fast


def inst(svc: str, iid: str, **kw: Any) -> dict[str, Any]:
    return {"serviceId": svc, "instanceId": iid, "ip": "10.0.0.1", "port": 8080, **kw}


def test_register_heartbeat_unregister_agree(
    http: httpx.Client, server: LiveServer, unique: Callable[[str], str]
) -> None:
    svc = unique("fast")
    enc = msgspec.json.encode
    r = both(
        http, server, "/api/registry/register.json", enc({"instances": [inst(svc, "a"), inst(svc, "b")]})
    )
    assert r.json()["responseStatus"]["status"] == "success"
    # partial failure: one item without an instance id
    r = both(http, server, "/api/registry/register.json", enc({"instances": [inst(svc, "c"), inst(svc, "")]}))
    assert r.json()["responseStatus"]["status"] == "partial_fail"
    keys = [{"serviceId": svc, "instanceId": "a"}, {"serviceId": svc, "instanceId": "zz"}]
    r = both(http, server, "/api/registry/heartbeat.json", enc({"instanceKeys": keys[:1]}))
    assert r.json()["responseStatus"]["status"] == "success"
    r = both(http, server, "/api/registry/heartbeat", enc({"instance_keys": keys}))
    assert r.json()["failedInstanceKeys"][0]["instanceId"] == "zz"
    r = both(http, server, "/api/registry/unregister.json", enc({"instanceKeys": [keys[1]]}))
    assert r.json()["responseStatus"]["status"] == "success"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"instances": 5}',
        b'{"instances": [{"serviceId": 1}]}',
        b"\xff\xfe",
        b'{"instanceKeys": []}',
    ],
)
def test_bad_input_agrees(http: httpx.Client, server: LiveServer, body: bytes) -> None:
    for path in (
        "/api/registry/register.json",
        "/api/registry/heartbeat.json",
        "/api/discovery/service.json",
    ):
        r = both(http, server, path, body)
        assert r.status_code in (200, 400)


def test_discovery_and_gzip_agree(
    http: httpx.Client, server: LiveServer, unique: Callable[[str], str]
) -> None:
    svc = unique("fastd")
    body = msgspec.json.encode({"instances": [inst(svc, f"i{k}", metadata={"k": "v"}) for k in range(5)]})
    both(http, server, "/api/registry/register.json", gzip.compress(body), {"content-encoding": "gzip"})
    r = both(
        http,
        server,
        "/api/discovery/service.json",
        msgspec.json.encode({"discoveryConfig": {"serviceId": svc}}),
    )
    assert len(r.json()["service"]["instances"]) == 5
    r = both(
        http,
        server,
        "/api/discovery/service",
        b'{"discoveryConfig": {"serviceId": "nope-%s"}}' % svc.encode(),
    )
    assert r.json()["responseStatus"]["status"] == "fail"
    both(http, server, "/api/discovery/service.json", b"not gzip", {"content-encoding": "gzip"})


def test_lane_steps_aside_for_chunked_and_oversized(make_server: Callable[..., LiveServer]) -> None:
    srv = make_server(limits={"max_body_bytes": 1024})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        before = lane(srv).served

        def chunks() -> Any:
            yield b'{"instanceKeys":'
            yield b' [{"serviceId": "x", "instanceId": "y"}]}'

        r = http.post("/api/registry/heartbeat.json", content=chunks())
        assert r.status_code == 200
        assert r.json()["failedInstanceKeys"][0]["instanceId"] == "y"
        r = http.post("/api/registry/register.json", content=b" " * 3000)
        assert r.status_code == 413
        assert lane(srv).served == before
