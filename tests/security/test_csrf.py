"""Browser origins (api.md T5): management, routing, audit and auth refuse foreign origins; the registry stays open."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.helpers import LiveServer

EVIL = "http://evil.example"


def _register(http: httpx.Client, sid: str) -> None:
    inst = {"serviceId": sid, "instanceId": "i1", "ip": "10.1.2.3", "port": 80, "regionId": "default"}
    r = http.post("/api/registry/register.json", json={"instances": [inst]})
    assert r.json()["responseStatus"]["status"] == "success"


def _served(http: httpx.Client, sid: str) -> list[str]:
    doc = http.get("/api/discovery/service.json", params={"serviceId": sid}).json()
    return [i["instanceId"] for i in doc["service"]["instances"]]


def _pull_out_body(sid: str) -> bytes:
    key = f'{{"regionId":"default","serviceId":"{sid}","instanceId":"i1"}}'
    return f'{{"instanceKey":{key},"operation":"pullout","operationComplete":true,"operatorId":"x"}}'.encode()


def test_cross_origin_text_plain_pull_out_is_refused(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    """The CSRF of the finding: a text/plain POST from a foreign page gets 403 and the instance stays in."""
    sid = unique("csrf")
    _register(http, sid)
    headers = {"Origin": EVIL, "Content-Type": "text/plain"}
    r = http.post(
        "/api/management/instance/operate-instance.json", content=_pull_out_body(sid), headers=headers
    )
    assert r.status_code == 403
    doc = r.json()
    assert doc["responseStatus"]["errorCode"] == "forbidden"  # family B
    assert doc["status"]["status"] == "fail"
    assert "access-control-allow-origin" not in r.headers
    assert _served(http, sid) == ["i1"]
    ops = http.post(
        "/api/management/instance/get-instance-operations.json",
        json={"instanceKey": {"regionId": "default", "serviceId": sid, "instanceId": "i1"}},
    ).json()
    assert ops["operations"] == []
    logs = http.get("/api/management/audit/instance-logs", params={"serviceId": sid}).json()["data"]
    assert logs == []
    # the same call without Origin (SDKs, scripts, curl) still works
    r = http.post("/api/management/instance/operate-instance.json", content=_pull_out_body(sid))
    assert r.json()["responseStatus"]["status"] == "success"
    assert _served(http, sid) == []


@pytest.mark.parametrize(
    ("method", "path", "family"),
    [
        ("POST", "/api/management/operate-instance.json", "A"),  # J path under /api/management
        ("POST", "/api/management/services.json", "A"),  # a J read
        ("GET", "/api/management/canary/configs", "C"),
        ("POST", "/api/management/zone/pull-out", "C"),
        ("GET", "/api/management/audit/logs", "C"),
        ("POST", "/api/management/log/group-logs.json", "C"),
        ("POST", "/api/routing/groups", "C"),
        ("GET", "/api/routing/rules", "C"),
        ("POST", "/api/v1/management/groups", "C"),
        ("POST", "/api/auth/login", "C"),
        ("GET", "/api/auth/roles", "C"),
        ("POST", "/api/replication/management/changes.json", "A"),  # peers exchange management changes here
        ("POST", "/api/replication/registry/register.json", "A"),  # on the fast lane when no Origin is sent
    ],
)
def test_private_endpoints_refuse_foreign_origins(
    http: httpx.Client, method: str, path: str, family: str
) -> None:
    """Reads and writes of management, routing, audit and auth answer 403 in their family to a foreign Origin,
    to Origin: null and to Sec-Fetch-Site: cross-site without Origin."""
    for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        r = http.request(method, path, content=b"{}", headers={"Content-Type": "text/plain", **headers})
        assert r.status_code == 403, (path, headers, r.text)
        doc = r.json()
        if family == "C":
            assert doc["success"] is False
        else:
            assert doc["responseStatus"]["errorCode"] == "forbidden"


def test_registry_and_discovery_stay_cors_open(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Registry, discovery, status and health answer a foreign origin with Access-Control-Allow-Origin: *."""
    sid = unique("open")
    inst = {"serviceId": sid, "instanceId": "i1", "ip": "10.1.2.3", "port": 80}
    headers = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
    r = http.post("/api/registry/register.json", json={"instances": [inst]}, headers=headers)
    assert r.json()["responseStatus"]["status"] == "success"
    assert r.headers["access-control-allow-origin"] == "*"
    for path in (
        "/api/discovery/services.json",
        "/api/status/node.json",
        "/health",
        "/api/cluster/up-registry-nodes.json",
    ):
        r = http.get(path, headers=headers)
        assert r.status_code == 200, path
        assert r.headers["access-control-allow-origin"] == "*"
    r = http.options(
        "/api/registry/heartbeat.json", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"


def _preflight(http: httpx.Client, path: str, origin: str) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    return http.options(path, headers=headers)


def test_preflight_of_private_paths(http: httpx.Client) -> None:
    """A preflight for a private path does not allow a foreign origin (403, no CORS headers)."""
    r = _preflight(http, "/api/management/zone/pull-out", EVIL)
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert r.json()["success"] is False


def test_same_origin_and_listed_origins_are_allowed(make_server: Callable[..., LiveServer]) -> None:
    """An origin in server.cors_origins and the node's own origin may call management; others may not."""
    console = "https://console.example:8443"
    srv = make_server(server={"cors_origins": [console + "/"]})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        r = http.get(
            "/api/management/canary/configs", headers={"Origin": console, "Sec-Fetch-Site": "cross-site"}
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == console
        assert r.headers["vary"] == "Origin"
        r = _preflight(http, "/api/management/canary/config", console)
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == console
        assert "content-type" in r.headers["access-control-allow-headers"]
        # a page served by the node itself (same origin)
        r = http.get(
            "/api/management/canary/configs", headers={"Origin": srv.url, "Sec-Fetch-Site": "same-origin"}
        )
        assert r.status_code == 200
        # another port of the same host is another origin; a DNS name equal to Host is not trusted (rebinding)
        other = f"http://127.0.0.1:{srv.port + 1}"
        assert http.get("/api/management/canary/configs", headers={"Origin": other}).status_code == 403
        r = http.get(
            "/api/management/canary/configs",
            headers={"Origin": f"http://rebound.example:{srv.port}", "Host": f"rebound.example:{srv.port}"},
        )
        assert r.status_code == 403


def test_alias_prefix_is_guarded_too(make_server: Callable[..., LiveServer]) -> None:
    """Under a context alias (/artemis) the private endpoints refuse foreign origins as well."""
    srv = make_server(server={"context_aliases": ["/artemis"]})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        r = http.post("/artemis/api/routing/groups", content=b"{}", headers={"Origin": EVIL})
        assert r.status_code == 403
        r = http.get("/artemis/api/discovery/services.json", headers={"Origin": EVIL})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "*"
