"""Request limits (issue 9): body size (plain, chunked and gzip-inflated), instances per batch and metadata
size, each answered with a 413 in the envelope family of the endpoint that was called, with nothing applied."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer

LIMIT = 4096


def _inst(sid: str, iid: str, **extra: Any) -> dict[str, Any]:
    return {
        "serviceId": sid,
        "instanceId": iid,
        "ip": "10.0.0.1",
        "port": 80,
        "url": "http://10.0.0.1",
        **extra,
    }


def _ids(http: httpx.Client, sid: str) -> list[str]:
    doc = http.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": sid}}).json()
    return sorted(i["instanceId"] for i in (doc.get("service") or {}).get("instances", []))


def _family_of(doc: dict[str, Any]) -> str:
    if "success" in doc:
        return "C"
    if "status" in doc:
        return "B"
    return "A"


def _too_large(r: httpx.Response, family: str) -> dict[str, Any]:
    assert r.status_code == 413, r.text
    doc = r.json()
    assert _family_of(doc) == family, doc
    if family == "C":
        assert doc["success"] is False
        assert doc["message"]
    else:
        assert doc["responseStatus"]["status"] == "fail"
        assert doc["responseStatus"]["errorCode"] == "bad-request"
    return doc


@pytest.fixture
def limited(make_server: Callable[..., LiveServer]) -> Iterator[httpx.Client]:
    srv = make_server(
        limits={
            "max_body_bytes": LIMIT,
            "max_batch_instances": 3,
            "max_metadata_entries": 4,
            "max_metadata_bytes": 64,
        },
        cluster={"peer_token": "limits-token"},
    )
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        yield http


BIG = json.dumps({"instances": [_inst("big", "b" + "x" * LIMIT)]}).encode()
ENDPOINTS = [
    ("/api/registry/register.json", "A"),
    ("/api/discovery/service.json", "A"),
    ("/api/management/instance/operate-instance.json", "B"),
    ("/api/management/zone/pull-out", "C"),
    ("/api/routing/groups", "C"),
    ("/api/auth/login", "C"),
    ("/api/management/group/insert-groups.json", "A"),
]


def test_body_over_the_limit_in_the_family_of_the_endpoint(limited: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    bomb = gzip.compress(b'{"instances":[' + b" " * (LIMIT * 50) + b"]}")
    assert len(bomb) < LIMIT
    for path, family in ENDPOINTS:
        _too_large(limited.post(path, content=BIG, headers=headers), family)
        # streamed without Content-Length
        _too_large(limited.post(path, content=iter([BIG[:100], BIG[100:]]), headers=headers), family)
        # a small gzip body that inflates past the limit (zip bomb)
        r = limited.post(path, content=bomb, headers={**headers, "Content-Encoding": "gzip"})
        _too_large(r, family)
    assert _ids(limited, "big") == []


def test_batch_and_metadata_limits(limited: httpx.Client) -> None:
    four = [_inst("lim", f"i{n}") for n in range(4)]
    doc = _too_large(limited.post("/api/registry/register.json", json={"instances": four}), "A")
    assert "instances" in doc["responseStatus"]["message"]
    keys = [{"regionId": "default", "serviceId": "lim", "instanceId": f"i{n}"} for n in range(4)]
    _too_large(limited.post("/api/registry/heartbeat.json", json={"instanceKeys": keys}), "A")
    _too_large(limited.post("/api/registry/unregister.json", json={"instanceKeys": keys}), "A")
    # replication batches obey the same limit (a peer with the token is not trusted with unbounded input)
    r = limited.post(
        "/api/replication/registry/batch-register.json",
        json={"instances": four},
        headers={"Authorization": "Bearer limits-token"},
    )
    _too_large(r, "A")
    many = {f"k{n}": "v" for n in range(5)}
    doc = _too_large(
        limited.post("/api/registry/register.json", json={"instances": [_inst("lim", "m", metadata=many)]}),
        "A",
    )
    assert "instances[0].metadata" in doc["responseStatus"]["message"]
    wide = {"k": "v" * 100}
    doc = _too_large(
        limited.post("/api/registry/register.json", json={"instances": [_inst("lim", "w", metadata=wide)]}),
        "A",
    )
    assert "bytes" in doc["responseStatus"]["message"]
    assert _ids(limited, "lim") == []
    # at the limits everything is accepted
    ok = [_inst("lim", f"i{n}", metadata={"a": "1", "b": "2", "c": "3", "d": "4"}) for n in range(3)]
    r = limited.post("/api/registry/register.json", json={"instances": ok})
    assert r.json()["responseStatus"]["status"] == "success", r.text
    assert _ids(limited, "lim") == ["i0", "i1", "i2"]
