"""Input limits on ids (api.md T11) and instance validation (S2.2, api.md 1.1 as resolved in decisions.md)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from artemis_server.api.endpoints import Call, Endpoint, dispatch
from artemis_server.node import Node
from tests.helpers import make_settings


def _inst(sid: str, iid: str, **kw: object) -> dict[str, object]:
    return {"serviceId": sid, "instanceId": iid, "ip": "10.0.0.1", "port": 80, **kw}


def _served(http: httpx.Client, sid: str) -> list[str]:
    doc = http.get("/api/discovery/service.json", params={"serviceId": sid}).json()
    return sorted(i["instanceId"] for i in doc["service"]["instances"])


def test_million_character_service_id_is_refused_cheaply(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    """A 1,000,000-character serviceId answers 400 naming the field at once, and nothing is registered."""
    sid = unique("long")
    body = {"instances": [_inst(sid, "ok"), _inst("s" * 1_000_000, "i1")]}
    t0 = time.monotonic()
    r = http.post("/api/registry/register.json", json=body)
    assert time.monotonic() - t0 < 10  # generous: only proves it does not hang
    assert r.status_code == 400
    rs = r.json()["responseStatus"]
    assert rs["errorCode"] == "bad-request"
    assert "instances[1].serviceId" in rs["message"]
    assert "256" in rs["message"]
    assert _served(http, sid) == []


@pytest.mark.parametrize("field", ["serviceId", "instanceId", "groupId", "regionId", "zoneId"])
def test_ids_over_256_characters_are_a_400(
    http: httpx.Client, unique: Callable[[str], str], field: str
) -> None:
    """Every id field of a register item is limited to 256 characters; exactly 256 is accepted."""
    sid = unique("len")
    ok = _inst(sid, "i1", **{field: ("x" * 256 if field != "serviceId" else sid)})
    assert (
        http.post("/api/registry/register.json", json={"instances": [ok]}).json()["responseStatus"]["status"]
        == "success"
    )
    bad = _inst(sid, "i2", **{field: "y" * 257})
    r = http.post("/api/registry/register.json", json={"instances": [bad]})
    assert r.status_code == 400
    assert f"instances[0].{field}" in r.json()["responseStatus"]["message"]
    keys = {"instanceKeys": [{"serviceId": "z" * 257, "instanceId": "i", "regionId": "default"}]}
    r = http.post("/api/registry/heartbeat.json", json=keys)
    assert r.status_code == 400
    assert "instanceKeys[0].serviceId" in r.json()["responseStatus"]["message"]


@pytest.mark.parametrize("bad", ["a\u0000b", "a\u202eb", "a\x1bb", "a\u2066b"])
def test_control_and_bidi_characters_fail_the_item(
    http: httpx.Client, unique: Callable[[str], str], bad: str
) -> None:
    """An id with NUL, ESC or a bidi override is a per-item failure (S2.2); the valid items still register."""
    sid = unique("ctl")
    body = {"instances": [_inst(sid, "good"), _inst(sid, bad), _inst(sid + bad, "x")]}
    doc = http.post("/api/registry/register.json", json=body).json()
    assert doc["responseStatus"]["status"] == "partial_fail"
    assert [f["errorCode"] for f in doc["failedInstances"]] == ["bad-request", "bad-request"]
    assert "formatting character" in doc["failedInstances"][0]["errorMessage"]
    assert _served(http, sid) == ["good"]


def test_ip_and_port_rules(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Empty ip, dotted quads without range check, IPv6 and port 0 are accepted; anything else fails the item."""
    sid = unique("ip")
    good = [
        {"serviceId": sid, "instanceId": "empty", "ip": "", "url": "http://h:1"},
        _inst(sid, "quad300", ip="192.168.1.300"),
        _inst(sid, "v6", ip="fe80::1"),
        _inst(sid, "port0", port=0, url="http://h"),
        {"serviceId": sid, "instanceId": "noport", "url": "http://h"},  # a Java client that sets no port
    ]
    doc = http.post("/api/registry/register.json", json={"instances": good}).json()
    assert doc["responseStatus"]["status"] == "success", doc
    bad = [
        _inst(sid, "script", ip="not-an-ip<script>"),
        _inst(sid, "host", ip="example.com"),
        _inst(sid, "quad5", ip="1.2.3.4.5"),
        _inst(sid, "v6bad", ip="fe80::zz"),
        _inst(sid, "port", port=65536),
        _inst(sid, "neg", port=-1),
    ]
    doc = http.post("/api/registry/register.json", json={"instances": bad}).json()
    assert doc["responseStatus"]["status"] == "partial_fail"
    assert len(doc["failedInstances"]) == len(bad)
    assert _served(http, sid) == ["empty", "noport", "port0", "quad300", "v6"]


def test_management_ids_are_checked(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Management bodies and paths refuse long ids and control characters with a 400 naming the field."""
    sid = unique("mg")
    r = http.post(
        "/api/management/canary/config", json={"serviceId": sid + "\u202e", "ipWhitelist": ["10.0.0.1"]}
    )
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "serviceId"
    r = http.post("/api/management/canary/config", json={"serviceId": "c" * 300, "ipWhitelist": ["10.0.0.1"]})
    assert r.status_code == 400
    r = http.post(
        "/api/management/instance/operate-instance.json",
        json={
            "instanceKey": {"serviceId": sid, "instanceId": "i\u0000", "regionId": "default"},
            "operation": "pullout",
        },
    )
    assert r.status_code == 400
    assert "instanceKey.instanceId" in r.json()["responseStatus"]["message"]
    r = http.get("/api/management/canary/config/" + "p" * 300)
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "serviceId"
    configs = http.get("/api/management/canary/configs").json()["data"]
    assert all(len(c["serviceId"]) <= 256 and "\u202e" not in c["serviceId"] for c in configs)


async def test_programming_error_is_a_500_with_a_generic_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A KeyError raised by a handler is HTTP 500 in the endpoint's family, hides the text, logs the traceback."""
    node = Node(make_settings(tmp_path))

    async def broken(call: Call) -> object:
        return {}["secret-internal-key"]

    for family in ("A", "C"):
        ep = Endpoint(("POST",), ("/x",), family, broken, "broken")  # type: ignore[arg-type]
        call = Call(node, "POST", "/x", b"{}", {}, {}, {}, "127.0.0.1")
        with caplog.at_level(logging.ERROR, logger="artemis_server"):
            reply = await dispatch(ep, call)
        assert reply.status == 500
        assert b"secret-internal-key" not in reply.body
        text = reply.body.decode()
        assert ("internal-service-error" in text) if family == "A" else ('"success":false' in text)
    assert any(
        rec.exc_info and "secret-internal-key" in rec.getMessage() + str(rec.exc_info[1])
        for rec in caplog.records
    )
