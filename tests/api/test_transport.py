"""Cross-cutting transport rules (api.md 0.1): CORS, 404/405, empty bodies, aliases, rate limiting (S15)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.wireclient import instance, key, ok, register
from tests.helpers import LiveServer


@pytest.mark.parametrize(
    "path", ["/api/registry/register.json", "/api/discovery/service.json", "/api/status/node.json"]
)
def test_cors_preflight(http: httpx.Client, path: str) -> None:
    """A browser preflight is answered with permissive CORS headers (T5)."""
    r = http.options(
        path,
        headers={
            "Origin": "http://console.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, content-encoding, x-custom",
        },
    )
    assert r.status_code in (200, 204)
    assert r.headers["access-control-allow-origin"] in ("*", "http://console.example")
    assert "POST" in r.headers["access-control-allow-methods"]
    allowed = r.headers["access-control-allow-headers"].lower()
    assert "content-encoding" in allowed
    assert "x-custom" in allowed


def test_cors_on_simple_requests(http: httpx.Client) -> None:
    """Ordinary requests with an Origin get Access-Control-Allow-Origin too (T5)."""
    r = http.get("/api/status/node.json", headers={"Origin": "http://console.example"})
    assert r.headers["access-control-allow-origin"] in ("*", "http://console.example")


def test_unknown_path_is_404(http: httpx.Client) -> None:
    """Unknown paths answer 404 (T6)."""
    for path in ("/nope", "/api/registry/nope.json", "/api/discovery/"):
        assert http.get(path).status_code == 404
        assert http.post(path, json={}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/registry/register.json"),
        ("PUT", "/api/registry/heartbeat.json"),
        ("DELETE", "/api/registry/unregister"),
        ("GET", "/api/discovery/lookup.json"),
        ("GET", "/api/discovery/services-delta.json"),
        ("POST", "/health"),
        ("POST", "/metrics"),
        ("PUT", "/api/status/node.json"),
    ],
)
def test_wrong_method_is_405(http: httpx.Client, method: str, path: str) -> None:
    """A known path with a wrong method answers 405 (T6)."""
    assert http.request(method, path).status_code == 405


def test_empty_body_is_empty_object(http: httpx.Client) -> None:
    """An absent body is treated as {} (T3): services answers, register reports the missing list."""
    assert ok(http.post("/api/discovery/services.json").json())["services"] is not None
    ok(http.post("/api/status/node.json", content=b"").json())
    ok(http.post("/api/status/leases.json", content=b"   ").json())
    rs = http.post("/api/registry/register.json").json()["responseStatus"]
    assert (rs["status"], rs["errorCode"]) == ("fail", "bad-request")


def test_content_type_is_not_checked(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """A JSON body sent as text/plain or form content type is still parsed (T3)."""
    sid = unique("ct")
    body = b'{"instances":[{"serviceId":"%s","instanceId":"a","url":"http://x"}]}' % sid.encode()
    for ctype in ("text/plain", "application/x-www-form-urlencoded"):
        ok(http.post("/api/registry/register.json", content=body, headers={"Content-Type": ctype}).json())


def test_context_alias(make_server: Callable[..., LiveServer]) -> None:
    """server.context_aliases serves every path under the alias too (T9)."""
    srv = make_server(server={"context_aliases": ["/artemis"]})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(http.post("/artemis/api/registry/register.json", json={"instances": [instance("al", "a")]}).json())
        doc = ok(http.get("/api/discovery/service.json", params={"serviceId": "al"}).json())
        assert len(doc["service"]["instances"]) == 1
        assert http.get("/artemis/health").content == b"OK"
        assert http.get("/other/health").status_code == 404


def test_rate_limited_answer(make_server: Callable[..., LiveServer]) -> None:
    """An empty bucket answers HTTP 200, family A fail/rate-limited, and processes no item (S15)."""
    srv = make_server(ratelimit={"burst_size": 2, "requests_per_second": 0.001})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        ok(register(http, instance("rl", "a")))
        ok(register(http, instance("rl", "b")))
        r = http.post("/api/registry/register.json", json={"instances": [instance("rl", "c")]})
        assert r.status_code == 200
        assert r.json() == {
            "responseStatus": {
                "status": "fail",
                "errorCode": "rate-limited",
                "message": "Request is rate limited.",
                "errorMessage": "Request is rate limited.",
            }
        }
        ids = [
            i["instanceId"]
            for i in ok(http.get("/api/discovery/service.json?serviceId=rl").json())["service"]["instances"]
        ]
        assert ids == ["a", "b"]
        # Buckets are per operation: heartbeats and unregisters have their own.
        for _ in range(2):
            ok(http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key("rl", "a")]}).json())
        r = http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key("rl", "a")]})
        assert (r.status_code, r.json()["responseStatus"]["errorCode"]) == (200, "rate-limited")
        ok(http.post("/api/registry/unregister.json", json={"instanceKeys": [key("rl", "b")]}).json())
        # Discovery and status are never limited (S15.3).
        for _ in range(5):
            ok(http.post("/api/discovery/services.json").json())
            ok(http.get("/api/status/node.json").json())
        assert 'artemis_rate_limited_requests_total{operation="register"} 1.0' in http.get("/metrics").text


def test_rate_limit_disabled(make_server: Callable[..., LiveServer]) -> None:
    """ratelimit.enabled=false admits everything."""
    srv = make_server(ratelimit={"enabled": False, "burst_size": 1, "requests_per_second": 0.001})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        for n in range(5):
            ok(register(http, instance("free", str(n))))


@pytest.mark.parametrize(
    "path", ["/api/cluster/up-registry-nodes.json", "/api/cluster/up-discovery-nodes.json"]
)
def test_cluster_nodes_lists_self(http: httpx.Client, server: LiveServer, path: str) -> None:
    """A single node lists itself as the up registry/discovery node, GET and POST (2.5)."""
    for r in (http.get(path, params={"regionId": "default"}), http.post(path, json={"regionId": "default"})):
        nodes = ok(r.json())["nodes"]
        assert [n["url"] for n in nodes] == [server.url]


def test_snake_case_output(make_server: Callable[..., LiveServer]) -> None:
    """wire.naming=snake writes every key in snake_case except data-keyed maps (N8, N3)."""
    srv = make_server(wire={"naming": "snake"})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        r = http.post(
            "/api/registry/register.json",
            json={"instances": [instance("sn", "a", metadata={"CamelKey": "v"})]},
        )
        assert r.content == b'{"response_status":{"status":"success","error_code":"success","message":""}}'
        svc = http.get("/api/discovery/service.json", params={"serviceId": "sn"}).json()
        assert svc["response_status"]["error_code"] == "success"
        inst = svc["service"]["instances"][0]
        assert inst["service_id"] == "sn"
        assert inst["instance_id"] == "a"
        assert inst["health_check_url"] == "http://10.0.0.1:8080/health"
        assert inst["metadata"] == {"CamelKey": "v"}
        leases = http.get("/api/status/leases.json").json()
        assert leases["leases_status"]["sn"][0]["evition_time"].startswith("in ")
        assert leases["is_safe_check_enabled"] is True
        cfg = http.get("/api/status/config.json").json()
        assert "node_id" in cfg["properties"]
        r = http.post("/api/registry/register.json", content=b"{bad")
        assert r.status_code == 400
        assert r.json()["response_status"]["error_code"] == "bad-request"
        assert http.get("/health").content == b"OK"


def test_empty_body_labelled_gzip(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Content-Encoding: gzip on an empty body (or a GET) still means {} (T3, T4)."""
    sid = unique("gz")
    gz = {"Content-Encoding": "gzip"}
    ok(http.post("/api/discovery/services.json", headers=gz).json())
    ok(http.get("/api/discovery/service.json", params={"serviceId": sid}, headers=gz).json())
    ok(http.post("/api/status/node.json", headers=gz).json())


def test_get_without_required_query_is_400(http: httpx.Client) -> None:
    """GET service.json without serviceId answers 400 in family A naming the parameter (T7)."""
    for params in ({}, {"serviceId": ""}, {"regionId": "r1"}):
        r = http.get("/api/discovery/service.json", params=params)
        assert r.status_code == 400
        rs = r.json()["responseStatus"]
        assert (rs["status"], rs["errorCode"]) == ("fail", "bad-request")
        assert "serviceId" in rs["message"]
