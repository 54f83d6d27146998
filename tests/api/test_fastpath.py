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

from tests.helpers import LiveServer, metric_value


def lane(server: LiveServer) -> Any:
    return server.server.config.app


def both(
    http: httpx.Client, server: LiveServer, path: str, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    h = {"content-type": "application/json", **(headers or {})}
    before = lane(server).served
    fast = http.post(path, content=body, headers=h)
    assert lane(server).served == before + 1, "the fast lane did not serve the plain request"
    # The node's own origin: allowed on the replication paths too, which refuse foreign browser origins (T5).
    slow = http.post(path, content=body, headers={**h, "origin": server.url})
    assert lane(server).served == before + 1, "the fast lane served a request with an Origin header"
    assert slow.headers.get("access-control-allow-origin") in ("*", server.url)
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


def _lease(server: LiveServer, svc: str, iid: str) -> Any:
    node = lane(server).node
    return node.registry.lease_of(f"{node.registry.region}\x1f{svc}\x1f{iid}".lower())


def test_repeated_heartbeat_renews_from_the_cache_and_agrees(
    http: httpx.Client, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """A body that renewed all its keys is renewed again from the renewal cache: same answer bytes, the
    leases really renewed, the counters counted; a key that left its pool sends the body down the full path
    (same answer as Litestar's), and a re-registered instance is renewed under its new lease."""
    svc = unique("hbc")
    enc = msgspec.json.encode
    both(http, server, "/api/registry/register.json", enc({"instances": [inst(svc, "a"), inst(svc, "b")]}))
    body = enc(
        {"instanceKeys": [{"serviceId": svc, "instanceId": "a"}, {"serviceId": svc, "instanceId": "b"}]}
    )
    h = {"content-type": "application/json"}
    both(http, server, "/api/registry/heartbeat.json", body)  # remembered here
    hits = lane(server).renewed_from_cache
    before = (_lease(server, svc, "a").last_renewal(), _lease(server, svc, "b").last_renewal())
    requests0 = metric_value(http, "artemis_heartbeat_requests_total")
    keys0 = metric_value(http, "artemis_heartbeat_keys_total")
    slow = http.post("/api/registry/heartbeat.json", content=body, headers={**h, "origin": "http://x.test"})
    fast = http.post("/api/registry/heartbeat.json", content=body, headers=h)
    assert lane(server).renewed_from_cache == hits + 1
    assert (fast.status_code, fast.headers["content-type"], fast.content) == (
        slow.status_code,
        slow.headers["content-type"],
        slow.content,
    )
    assert fast.headers["content-length"] == str(len(fast.content))
    after = (_lease(server, svc, "a").last_renewal(), _lease(server, svc, "b").last_renewal())
    assert after[0] > before[0]
    assert after[1] > before[1]
    assert metric_value(http, "artemis_heartbeat_requests_total") == requests0 + 2
    assert metric_value(http, "artemis_heartbeat_keys_total") == keys0 + 4

    # b leaves: the cached leases are stale, the full path answers exactly as Litestar does
    both(
        http,
        server,
        "/api/registry/unregister.json",
        enc({"instanceKeys": [{"serviceId": svc, "instanceId": "b"}]}),
    )
    r = both(http, server, "/api/registry/heartbeat.json", body)
    assert r.json()["responseStatus"]["status"] == "partial_fail"
    assert [k["instanceId"] for k in r.json()["failedInstanceKeys"]] == ["b"]
    assert lane(server).renewed_from_cache == hits + 1

    # b comes back under a new lease: renewed through the full path, then from the cache again
    both(http, server, "/api/registry/register.json", enc({"instances": [inst(svc, "b")]}))
    both(http, server, "/api/registry/heartbeat.json", body)
    new_b = _lease(server, svc, "b")
    stamp = new_b.last_renewal()
    r = http.post("/api/registry/heartbeat.json", content=body, headers=h)
    assert r.json()["responseStatus"]["status"] == "success"
    assert lane(server).renewed_from_cache == hits + 2
    assert _lease(server, svc, "b") is new_b
    assert new_b.last_renewal() > stamp


def test_gzip_heartbeats_are_not_cached(
    http: httpx.Client, server: LiveServer, unique: Callable[[str], str]
) -> None:
    svc = unique("hbz")
    enc = msgspec.json.encode
    both(http, server, "/api/registry/register.json", enc({"instances": [inst(svc, "a")]}))
    body = gzip.compress(enc({"instanceKeys": [{"serviceId": svc, "instanceId": "a"}]}))
    hits = lane(server).renewed_from_cache
    for _ in range(3):
        r = both(http, server, "/api/registry/heartbeat.json", body, {"content-encoding": "gzip"})
        assert r.json()["responseStatus"]["status"] == "success"
    assert lane(server).renewed_from_cache == hits


def test_renewal_cache_off_and_rate_limit_still_apply(make_server: Callable[..., LiveServer]) -> None:
    """heartbeat_cache_bytes = 0 turns the cache off; with it on, a rate-limited node still answers
    rate-limited to a body it remembers (the limiter runs before the cache renews anything)."""
    enc = msgspec.json.encode
    body = enc({"instanceKeys": [{"serviceId": "s", "instanceId": "a"}]})
    off = make_server(cache={"heartbeat_cache_bytes": 0})
    with httpx.Client(base_url=off.url, timeout=10) as http:
        http.post("/api/registry/register.json", content=enc({"instances": [inst("s", "a")]}))
        for _ in range(3):
            assert http.post("/api/registry/heartbeat.json", content=body).json()["responseStatus"][
                "status"
            ] == ("success")
        assert lane(off).renewed_from_cache == 0
    limited = make_server(ratelimit={"requests_per_second": 0.001, "burst_size": 3})
    with httpx.Client(base_url=limited.url, timeout=10) as http:
        http.post("/api/registry/register.json", content=enc({"instances": [inst("s", "a")]}))
        codes = [
            http.post("/api/registry/heartbeat.json", content=body).json()["responseStatus"]["errorCode"]
            for _ in range(5)
        ]
        assert codes == ["success"] * 3 + ["rate-limited"] * 2  # S15: HTTP 200, family A rate-limited
        assert lane(limited).renewed_from_cache == 2


def test_replication_writes_agree_and_keep_the_peer_token(
    http: httpx.Client,
    server: LiveServer,
    make_server: Callable[..., LiveServer],
    unique: Callable[[str], str],
) -> None:
    """The six replication write endpoints are on the lane too: same bytes as Litestar, and the peer-token
    hook still refuses a call without the token (HTTP 401) when one is configured."""
    svc = unique("repl")
    enc = msgspec.json.encode
    rep = "/api/replication/registry/"
    keys = enc(
        {"instanceKeys": [{"serviceId": svc, "instanceId": "a"}, {"serviceId": svc, "instanceId": "z"}]}
    )
    both(http, server, rep + "register.json", enc({"instances": [inst(svc, "a")]}))
    both(http, server, rep + "batch-register.json", enc({"instances": [inst(svc, "b")]}))
    r = both(http, server, rep + "heartbeat.json", keys)
    assert r.json()["failedInstanceKeys"][0]["instanceId"] == "z"
    both(http, server, rep + "batch-heartbeat.json", keys)
    both(
        http, server, rep + "unregister.json", enc({"instanceKeys": [{"serviceId": svc, "instanceId": "b"}]})
    )
    z = enc({"instanceKeys": [{"serviceId": svc, "instanceId": "z"}]})
    r = both(http, server, rep + "batch-unregister.json", z)
    assert [k["instanceId"] for k in r.json()["failedInstanceKeys"]] == ["z"]
    found = http.get(f"/api/discovery/service.json?serviceId={svc}").json()["service"]["instances"]
    assert [i["instanceId"] for i in found] == ["a"]

    srv = make_server(cluster={"peer_token": "peer-token-for-tests-0123456789"})
    with httpx.Client(base_url=srv.url, timeout=10) as peer:
        body = enc({"instances": [inst(svc, "c")]})
        r = both(peer, srv, rep + "register.json", body)
        assert r.status_code == 401
        r = both(
            peer,
            srv,
            rep + "register.json",
            body,
            {"authorization": "Bearer peer-token-for-tests-0123456789"},
        )
        assert r.json()["responseStatus"]["status"] == "success"


def test_discovery_gets_and_services_agree(
    http: httpx.Client, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """GET service.json / services.json (query in the URL) and POST services.json: the lane answers what
    Litestar answers; a GET with an Origin header or a body is left to Litestar."""
    svc = unique("fastg")
    both(http, server, "/api/registry/register.json", msgspec.json.encode({"instances": [inst(svc, "g1")]}))
    for path in (
        f"/api/discovery/service.json?serviceId={svc}",
        "/api/discovery/services.json",
        "/api/discovery/services?regionId=default",
    ):
        before = lane(server).served
        fast = http.get(path)
        assert lane(server).served == before + 1, f"the fast lane did not serve GET {path}"
        slow = http.get(path, headers={"origin": server.url})
        assert lane(server).served == before + 1, "the fast lane served a GET with an Origin header"
        assert (fast.status_code, fast.headers["content-type"], fast.content) == (
            slow.status_code,
            slow.headers["content-type"],
            slow.content,
        )
        assert fast.headers["content-length"] == str(len(fast.content))
    r = http.get(f"/api/discovery/service.json?serviceId={svc}")
    assert [i["instanceId"] for i in r.json()["service"]["instances"]] == ["g1"]
    r = http.get("/api/discovery/service.json")  # no serviceId: the 400 naming it, from either path
    assert r.status_code == 400
    assert "serviceId" in r.text
    before = lane(server).served
    http.request("GET", "/api/discovery/services.json", content=b"{}")
    assert lane(server).served == before
    r = both(http, server, "/api/discovery/services.json", b"{}")
    assert any(s["serviceId"] == svc for s in r.json()["services"])


def test_first_sight_heartbeats_agree_on_a_node_without_the_cache(
    make_server: Callable[..., LiveServer],
) -> None:
    """With the renewal cache off every heartbeat body is new to the node: the lane decodes it and renews
    the keys itself (registered spelling, any other spelling, the node's region in any case, J
    ``instances``, unknown keys, another region), and a body its strict decoder refuses goes to the
    boundary. Every answer is byte for byte Litestar's, the leases are renewed and each request counted
    once; an over-limit batch and a rate-limited node answer as Litestar does too."""
    enc = msgspec.json.encode
    node = make_server(cache={"heartbeat_cache_bytes": 0}, limits={"max_batch_instances": 4})
    path = "/api/registry/heartbeat.json"
    with httpx.Client(base_url=node.url, timeout=10) as http:
        both(
            http,
            node,
            "/api/registry/register.json",
            enc({"instances": [inst("Order-Svc", "Host-A:80"), inst("Order-Svc", "b")]}),
        )
        region = lane(node).node.registry.region
        one = {"serviceId": "Order-Svc", "instanceId": "b"}
        cases = [  # (body, status, the instance whose lease it renews)
            (
                {"instanceKeys": [{"serviceId": "Order-Svc", "instanceId": "Host-A:80"}]},
                "success",
                "host-a:80",
            ),
            (
                {"instanceKeys": [{"serviceId": "ORDER-svc", "instanceId": "host-a:80"}]},
                "success",
                "host-a:80",
            ),
            (
                {"instanceKeys": [{"regionId": region.upper(), "serviceId": "order-svc", "instanceId": "B"}]},
                "success",
                "b",
            ),
            ({"instances": [inst("Order-Svc", "b")]}, "success", "b"),
            (
                {
                    "instanceKeys": [
                        one,
                        {"serviceId": "Order-Svc", "instanceId": "gone"},
                        {"serviceId": "nobody", "instanceId": "b"},
                        {"regionId": "elsewhere", "serviceId": "Order-Svc", "instanceId": "b"},
                    ]
                },
                "partial_fail",
                "b",
            ),
            ({"instances": [inst("Order-Svc", "b"), inst("Order-Svc", "gone")]}, "partial_fail", "b"),
        ]
        # the lane alone renews (both() below also sends each body through Litestar)
        served, before = lane(node).served, _lease(node, "order-svc", "host-a:80").last_renewal()
        assert http.post(path, content=enc(cases[1][0])).json()["responseStatus"]["status"] == "success"
        assert lane(node).served == served + 1
        assert _lease(node, "order-svc", "host-a:80").last_renewal() > before
        requests0 = metric_value(http, "artemis_heartbeat_requests_total")
        for body, status, renewed in cases:
            before = _lease(node, "order-svc", renewed).last_renewal()
            served = lane(node).served
            r = both(http, node, path, enc(body))
            assert r.json()["responseStatus"]["status"] == status, body
            assert lane(node).served == served + 1
            assert _lease(node, "order-svc", renewed).last_renewal() > before, body
            if status == "partial_fail":
                assert "gone" in [k["instanceId"] for k in r.json()["failedInstanceKeys"]]
        assert metric_value(http, "artemis_heartbeat_requests_total") == requests0 + 2 * len(cases)
        assert lane(node).renewed_from_cache == 0

        # refused by the strict decoder: the boundary decodes tolerantly or names the field
        r = both(http, node, path, enc({"instance_keys": [{"service_id": "order-svc", "instance_id": "b"}]}))
        assert r.json()["responseStatus"]["status"] == "success"
        r = both(
            http, node, path, enc({"instanceKeys": [{"serviceId": "order-svc", "instanceId": "x" * 300}]})
        )
        assert r.status_code == 400
        assert "instanceKeys[0].instanceId" in r.text
        # over the batch limit (T11): 413 in the family's envelope, nothing renewed
        before = _lease(node, "order-svc", "b").last_renewal()
        r = both(http, node, path, enc({"instanceKeys": [{"serviceId": "order-svc", "instanceId": "b"}] * 5}))
        assert r.status_code == 413
        assert _lease(node, "order-svc", "b").last_renewal() == before

    limited = make_server(
        cache={"heartbeat_cache_bytes": 0}, ratelimit={"requests_per_second": 0.001, "burst_size": 1}
    )
    with httpx.Client(base_url=limited.url, timeout=10) as http:
        http.post("/api/registry/register.json", content=enc({"instances": [inst("s", "a")]}))
        body = enc({"instanceKeys": [{"serviceId": "s", "instanceId": "a"}]})
        fast = [http.post(path, content=body) for _ in range(2)]
        slow = http.post(path, content=body, headers={"origin": limited.url})
        assert [r.json()["responseStatus"]["errorCode"] for r in fast] == ["success", "rate-limited"]
        assert fast[1].content == slow.content  # S15: HTTP 200, family A rate-limited, from either front
        assert metric_value(http, 'artemis_rate_limited_requests_total{operation="heartbeat"}') == 2
