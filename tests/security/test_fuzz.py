"""Bad input at scale (issue 9): hypothesis generates a few thousand requests against every POST / PUT / PATCH /
DELETE endpoint of the endpoint table (api/endpoints.py), with JSON shaped like the endpoint's fields, wrong
types, garbage bytes and odd path parameters. Every answer must be a non-5xx in the endpoint's envelope
family, and a canary instance registered first must still be discoverable (and renewable) at the end."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artemis_server.api.app import all_endpoints
from tests.helpers import LiveServer

EXAMPLES = 1500  # per test; two tests -> ~3000 generated requests


def _targets() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for ep in all_endpoints():
        for method in ep.methods:
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                for path in ep.paths:
                    out.append((method, path, ep.family))
    return out


def _field_names() -> list[str]:
    names = {
        "instances", "instanceKeys", "instanceKey", "serviceId", "instanceId", "regionId", "zoneId", "groupId",
        "ip", "port", "url", "metadata", "status", "operation", "operationComplete", "operatorId", "serverId",
        "discoveryConfig", "discoveryConfigs", "routeRules", "routeRuleGroups", "groups", "groupKey", "weight",
        "name", "ips", "enabled", "username", "password", "role", "token", "tags", "services", "appIds",
    }  # fmt: skip
    for ep in all_endpoints():
        if ep.body is not None and hasattr(ep.body, "__struct_fields__"):
            names.update(f.encode_name for f in msgspec.structs.fields(ep.body))
    return sorted(names)


TARGETS = _targets()
NAMES = _field_names()

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        ["", " ", "pullout", "pull-in", "UP", "active", "weighted-round-robin", "0", "-1", "\u0000"]
    ),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=10)), inner, max_size=5),
    ),
    max_leaves=12,
)
_body = st.one_of(
    st.dictionaries(st.sampled_from(NAMES), _json, max_size=6).map(lambda d: msgspec.json.encode(d)),
    _json.map(lambda v: msgspec.json.encode(v)),
    st.binary(max_size=64),
    st.sampled_from([b"", b"{", b"[]", b"null", b'{"instances":[{}]}', b"\xff\xfe", b'{"a":' * 300]),
)
_segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=12
)


def _concrete(path: str, seg: str) -> str:
    out, rest = "", path
    while "{" in rest:
        a, _, b = rest.partition("{")
        _, _, rest = b.partition("}")
        out += a + quote(seg, safe="")
    return out + rest


def _check_family(r: httpx.Response, family: str, where: str) -> None:
    assert r.status_code < 500, f"{where}: HTTP {r.status_code} {r.text[:300]}"
    if family == "raw" or (r.status_code in (404, 405) and not r.content.startswith(b"{")):
        return  # no such route instance (e.g. an int path parameter that is not an int): framework answer
    doc = r.json()
    if family == "C":
        assert isinstance(doc.get("success"), bool), f"{where}: {doc!r}"
    else:
        assert "responseStatus" in doc, f"{where}: {doc!r}"


def _canary(http: httpx.Client) -> str:
    sid = f"canary-{uuid.uuid4().hex}"
    inst = {
        "serviceId": sid,
        "instanceId": "c1",
        "ip": "10.200.200.200",
        "port": 80,
        "url": "http://10.200.200.200",
        "regionId": "default",
        "zoneId": f"z-{uuid.uuid4().hex[:8]}",
    }
    r = http.post("/api/registry/register.json", json={"instances": [inst]})
    assert r.json()["responseStatus"]["status"] == "success"
    return sid


def _canary_alive(http: httpx.Client, sid: str) -> None:
    doc = http.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": sid}}).json()
    assert [i["instanceId"] for i in doc["service"]["instances"]] == ["c1"]
    key = {"regionId": "default", "serviceId": sid, "instanceId": "c1"}
    hb = http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key]}).json()
    assert hb["responseStatus"]["status"] == "success"
    names = [s["serviceId"] for s in http.get("/api/discovery/services.json").json()["services"]]
    assert sid in names
    assert http.get("/health").status_code == 200
    assert 'status="5' not in http.get("/metrics").text


def _fuzz(srv: LiveServer, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=srv.url, timeout=15) as http:
        sid = _canary(http)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            target=st.sampled_from(TARGETS),
            body=_body,
            seg=_segment,
            ctype=st.sampled_from(["application/json", "text/plain", ""]),
            gzip_header=st.booleans(),
        )
        def one(target: tuple[str, str, str], body: bytes, seg: str, ctype: str, gzip_header: bool) -> None:
            method, path, family = target
            url = _concrete(path, seg)
            h = dict(headers)
            if ctype:
                h["Content-Type"] = ctype
            if gzip_header and len(body) % 7 == 0:
                h["Content-Encoding"] = "gzip"  # not actually gzip: must be a 400, not a crash
            r = http.request(method, url, content=body, headers=h)
            _check_family(r, family, f"{method} {url} {body[:80]!r}")

        one()
        _canary_alive(http, sid)


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.ERROR, logger="artemis_server")
    return caplog


def test_generated_requests_open_node(make_server: Callable[..., LiveServer], quiet: Any) -> None:
    """Management open (the default): the generated bodies reach every handler."""
    _fuzz(make_server(ratelimit={"enabled": False}), {})
    crashes = [r.getMessage() for r in quiet.records if r.levelno >= logging.ERROR]
    assert crashes == []


def test_generated_requests_protected_node(
    make_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch, quiet: Any
) -> None:
    """Management protected and the generator holding an operator's token: the same, through the guard."""
    monkeypatch.setenv("ARTEMIS_ADMIN_PASSWORD", "fuzz-admin-password")
    srv = make_server(
        ratelimit={"enabled": False}, auth={"protect_management": True, "login_max_failures": 10**6}
    )
    with httpx.Client(base_url=srv.url, timeout=15) as http:
        r = http.post("/api/auth/login", json={"username": "admin", "password": "fuzz-admin-password"})
        admin = {"Authorization": f"Bearer {r.json()['data']['accessToken']}"}
        r = http.post(
            "/api/auth/users",
            json={"username": "fz", "password": "fuzz-operator-pw", "role": "operator"},
            headers=admin,
        )
        assert r.status_code == 201
        r = http.post("/api/auth/login", json={"username": "fz", "password": "fuzz-operator-pw"})
        op = {"Authorization": f"Bearer {r.json()['data']['accessToken']}"}
    _fuzz(srv, op)
    crashes = [r.getMessage() for r in quiet.records if r.levelno >= logging.ERROR]
    assert crashes == []
