"""Malformed management requests: 4xx in the endpoint's envelope family naming the field, nothing stored."""

from __future__ import annotations

import gzip
import random

import httpx
import pytest

from tests.management.ops import REGION, audit, operate_instance, register, visible

B = "B"
A = "A"
C = "C"

ENDPOINTS: list[tuple[str, str]] = [
    ("/api/management/instance/operate-instance.json", B),
    ("/api/management/instance/get-instance-operations.json", B),
    ("/api/management/instance/is-instance-down.json", B),
    ("/api/management/server/operate-server.json", B),
    ("/api/management/server/is-server-down.json", B),
    ("/api/management/all-instance-operations.json", B),
    ("/api/management/all-server-operations.json", B),
    ("/api/management/operate-instance.json", A),
    ("/api/management/operate-server.json", A),
    ("/api/management/instance-operations.json", A),
    ("/api/management/server-operations.json", A),
    ("/api/management/instance-down.json", A),
    ("/api/management/server-down.json", A),
    ("/api/management/services.json", A),
    ("/api/management/service.json", A),
    ("/api/management/zone/pull-out", C),
    ("/api/management/zone/pull-in", C),
    ("/api/management/zone/operate-zone-operations.json", A),
    ("/api/management/zone/get-all-zone-operations.json", A),
    ("/api/management/zone/get-zone-operations.json", A),
    ("/api/management/zone/get-zone-operations-list.json", A),
    ("/api/management/zone/is-zone-down.json", A),
    ("/api/management/canary/config", C),
    ("/api/management/canary/enable", C),
    ("/api/management/canary/disable", C),
    ("/api/management/canary/shop/whitelist/add", C),
    ("/api/management/canary/shop/whitelist/remove", C),
    ("/api/management/log/group-logs.json", C),
    ("/api/management/log/zone-operation-logs.json", C),
    ("/api/management/log/service-instance-logs.json", C),
    ("/api/management/log/instance-operation-logs.json", A),
    ("/api/management/log/server-operation-logs.json", A),
]

MALFORMED: list[bytes] = [
    b"{",
    b"[1,2,3]",
    b'"just a string"',
    b"null-ish",
    b'{"instanceKey": 5}',
    b'{"instanceKey": {"serviceId": 1, "instanceId": []}}',
    b'{"operation": {"x": 1}}',
    b'{"operationComplete": "maybe"}',
    b'{"serverKey": [1]}',
    b'{"zoneOperationsList": {"a": 1}}',
    b'{"ipWhitelist": 7, "serviceId": "x"}',
    b'{"ips": "a,b", "serviceId": {}}',
    b'{"limit": "many"}',
    b'{"limit": -1}',
    b"\xff\xfe\x00garbage",
]


def check_family(family: str, r: httpx.Response) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    doc = r.json()
    if family in (A, B):
        assert doc["responseStatus"]["status"] == "fail"
        assert doc["responseStatus"]["errorCode"] in ("bad-request", "data-not-found")
        if family == B:
            assert doc["status"]["status"] == "fail"
    else:
        assert doc["success"] is False
        assert doc["message"]


def test_malformed_bodies_never_5xx_and_store_nothing(api: httpx.Client) -> None:
    register(api, "keep", "k1")
    operate_instance(api, "keep", "k1", "pullout", operator="before")
    rng = random.Random(1234)
    sent = 0
    for path, family in ENDPOINTS:
        for body in MALFORMED:
            r = api.post(path, content=body, headers={"Content-Type": "application/json"})
            sent += 1
            if r.status_code == 200:
                # a body whose keys are all unknown or optional is a valid query; it must still be well-formed
                doc = r.json()
                assert doc.get("success") is True or doc["responseStatus"]["status"] == "success", (
                    path,
                    body,
                )
                continue
            check_family(family, r)
        # truncated gzip
        blob = gzip.compress(b'{"instanceKey": {"serviceId": "x", "instanceId": "y"}}')
        cut = blob[: rng.randint(3, len(blob) - 2)]
        r = api.post(path, content=cut, headers={"Content-Encoding": "gzip"})
        sent += 1
        check_family(family, r)
    assert sent > 300
    # what was stored before is intact, nothing else was written
    recs = api.get("/api/management/all-instance-operations.json").json()["instanceOperationRecords"]
    assert [r["instanceKey"]["instanceId"] for r in recs] == ["k1"]
    assert [entry["operatorId"] for entry in audit(api)] == ["before"]
    assert api.get("/api/management/canary/configs").json()["data"] == []
    assert api.get("/api/management/zone/operations").json()["data"] == []
    register(api, "keep", "k2", ip="10.0.0.2")
    assert visible(api, "keep") == ["k2"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/management/instance/operate-instance.json", {"operation": "pullout"}, "instanceKey"),
        (
            "/api/management/instance/operate-instance.json",
            {"instanceKey": {"serviceId": "s"}, "operation": "pullout"},
            "instanceKey.instanceId",
        ),
        (
            "/api/management/instance/operate-instance.json",
            {"instanceKey": {"serviceId": "s", "instanceId": "i"}},
            "operation",
        ),
        (
            "/api/management/instance/operate-instance.json",
            {"instanceKey": {"serviceId": "s", "instanceId": "i"}, "operation": "explode"},
            "operation",
        ),
        (
            "/api/management/server/operate-server.json",
            {"regionId": REGION, "operation": "pullout"},
            "serverId",
        ),
    ],
)
def test_family_b_errors_name_the_field(api: httpx.Client, path: str, body: dict, field: str) -> None:
    r = api.post(path, json=body)
    assert r.status_code == 400
    doc = r.json()
    assert doc["responseStatus"]["errorCode"] == "bad-request"
    assert doc["status"]["errorCode"] == "bad-request"
    assert f"`{field}`" in doc["responseStatus"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"regionId": REGION}, "zoneId"),
        ({"zoneId": "z"}, "regionId"),
        ({"zoneId": 3, "regionId": REGION}, "zoneId"),
    ],
)
def test_zone_errors_name_the_field(api: httpx.Client, body: dict, field: str) -> None:
    r = api.post("/api/management/zone/pull-out", json=body)
    assert r.status_code == 400
    assert r.json()["success"] is False
    assert r.json()["error"]["field"] == field
    assert api.get("/api/management/zone/operations").json()["data"] == []


def test_operation_spellings_are_tolerated(api: httpx.Client) -> None:
    """N6: enum input ignores case, `-` and `_`; keys any spelling (N1)."""
    register(api, "spell", "s1")
    body = {
        "instance_key": {"service_id": "spell", "INSTANCEID": "s1", "region_id": REGION},
        "operation": "Pull-Out",
        "operation_complete": True,
        "operator_id": "snake",
    }
    r = api.post("/api/management/instance/operate-instance.json", json=body)
    assert r.json()["responseStatus"]["status"] == "success"
    assert visible(api, "spell") == []
    assert audit(api)[0]["operatorId"] == "snake"
