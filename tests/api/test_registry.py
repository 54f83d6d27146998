"""Registry endpoints (api.md 2.2, semantics S1, S2, S4, S5) in every request form the clients use."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.wireclient import instance, instance_ids, java_post, key, ok, register
from tests.helpers import LiveServer

REGISTER = ("/api/registry/register.json", "/api/registry/register")
HEARTBEAT = ("/api/registry/heartbeat.json", "/api/registry/heartbeat")
UNREGISTER = ("/api/registry/unregister.json", "/api/registry/unregister")


@pytest.mark.parametrize("path", REGISTER)
def test_java_register_gzip_round_trip(http: httpx.Client, unique: Callable[[str], str], path: str) -> None:
    """A gzipped Java register stores every field; discovery echoes them in camelCase, metadata untouched."""
    sid = unique("Java.Svc")
    inst = instance(sid, "i-1", metadata={"snake_key": "v", "CamelKey": "w", "ünï": "çødé"})
    r = java_post(http, path, {"instances": [inst]})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.content == b'{"responseStatus":{"status":"success","errorCode":"success","message":""}}'
    r = java_post(http, "/api/discovery/service.json", {"discoveryConfig": {"serviceId": sid.upper()}})
    doc = ok(r.json())
    assert doc["service"]["serviceId"] == sid
    assert doc["service"]["instances"] == [inst]
    assert "ünï" in r.content.decode()  # UTF-8 written raw, not \u-escaped (T2)
    assert b": " not in r.content  # compact (T2)
    assert b", " not in r.content


def test_rust_register_snake_case_and_defaults(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """snake_case keys bind (N1); region/zone default to the node's, status up, url from ip (S2.3, S2.4)."""
    sid = unique("rust")
    r = http.post(
        "/api/registry/register",
        json={"instances": [{"service_id": sid, "instance_id": "a", "ip": "10.1.1.1", "port": 81}]},
    )
    ok(r.json())
    got = ok(http.get("/api/discovery/service.json", params={"serviceId": sid}).json())["service"][
        "instances"
    ]
    assert got == [
        {
            "serviceId": sid,
            "instanceId": "a",
            "regionId": "default",
            "zoneId": "default",
            "ip": "10.1.1.1",
            "port": 81,
            "url": "http://10.1.1.1:81",
            "status": "up",
        }
    ]


def test_odd_case_keys_bind(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Any spelling binds: SERVICEID, Instance-Id, region_ID, INSTANCES; camelCase wins over others (N1)."""
    sid = unique("odd")
    body = {
        "INSTANCES": [
            {
                "SERVICEID": sid,
                "Instance-Id": "x1",
                "region_ID": "r1",
                "URL": "http://u",
                "ip": "1.1.1.1",
                "IP": "2.2.2.2",
                "Status": "UP",
            }
        ]
    }
    ok(http.post("/api/registry/register.json", json=body).json())
    insts = ok(http.post("/api/discovery/service.json", json={"DiscoveryConfig": {"service_id": sid}}).json())
    got = insts["service"]["instances"][0]
    assert (got["instanceId"], got["regionId"], got["url"], got["ip"], got["status"]) == (
        "x1",
        "r1",
        "http://u",
        "1.1.1.1",
        "up",
    )


def test_register_validation_per_item(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Invalid items go to failedInstances (J shape) with partial_fail; valid ones are stored (S2.2, S2.5)."""
    sid = unique("partial")
    bad_port = instance(sid, "bad-port", port=70000)
    no_url = instance(sid, "no-url", url=None, ip=None)
    doc = register(http, instance(sid, "good"), bad_port, no_url, instance(sid, " "))
    rs = doc["responseStatus"]
    assert (rs["status"], rs["errorCode"]) == ("partial_fail", "bad-request")
    failed = doc["failedInstances"]
    assert [f["instance"]["instanceId"] for f in failed] == ["bad-port", "no-url", " "]
    assert {f["errorCode"] for f in failed} == {"bad-request"}
    assert all(f["errorMessage"] for f in failed)
    assert instance_ids(http, sid, regionId="r1") == ["good"]


@pytest.mark.parametrize("body", [{}, {"instances": []}, {"instances": None}, None])
def test_register_without_instances_fails_whole(http: httpx.Client, body: object) -> None:
    """A missing or empty instances list is a family-A fail/bad-request inside HTTP 200 (S2.1, T3)."""
    r = (
        http.post("/api/registry/register.json", json=body)
        if body is not None
        else http.post("/api/registry/register.json")
    )
    assert r.status_code == 200
    rs = r.json()["responseStatus"]
    assert (rs["status"], rs["errorCode"]) == ("fail", "bad-request")
    assert rs["message"]


def test_unknown_status_becomes_unknown(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Status values match case-insensitively; unrecognised ones are stored as unknown (1.1, N6)."""
    sid = unique("st")
    ok(register(http, instance(sid, "a", status="STARTING"), instance(sid, "b", status="sleepy")))
    doc = ok(http.post("/api/discovery/services.json", json={}).json())
    svc = next(s for s in doc["services"] if s["serviceId"] == sid)
    assert {i["instanceId"]: i["status"] for i in svc["instances"]} == {"a": "starting", "b": "unknown"}


def test_reregister_replaces_and_echoes_latest_spelling(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    """Same identity (any case) replaces the instance; responses echo the newest serviceId (S1.2, S1.3)."""
    sid = unique("rep")
    ok(register(http, instance(sid, "A", port=1)))
    ok(register(http, instance(sid.upper(), "a", port=2, regionId="R1")))
    svc = ok(http.get("/api/discovery/service.json", params={"serviceId": sid}).json())["service"]
    assert svc["serviceId"] == sid.upper()
    assert [(i["instanceId"], i["port"]) for i in svc["instances"]] == [("a", 2)]


def test_instance_order_is_first_registration(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Instances are listed in order of first registration; re-registration keeps the place (S7.6)."""
    sid = unique("order")
    ok(register(http, *(instance(sid, f"i{n}") for n in (3, 1, 2))))
    ok(register(http, instance(sid, "i1", port=9)))
    assert instance_ids(http, sid) == ["i3", "i1", "i2"]


@pytest.mark.parametrize("path", HEARTBEAT)
def test_heartbeat_all_forms(http: httpx.Client, unique: Callable[[str], str], path: str) -> None:
    """Heartbeats renew by instanceKeys (Rust), instances (Java, gzip) or both; keys match in any case."""
    sid = unique("hb")
    ok(register(http, instance(sid, "a"), instance(sid, "b")))
    ok(http.post(path, json={"instanceKeys": [key(sid.upper(), "A", "R1")]}).json())
    ok(java_post(http, path, {"instances": [instance(sid, "b")]}).json())
    ok(http.post(path, json={"instance_keys": [key(sid, "a")], "instances": [instance(sid, "b")]}).json())


def test_heartbeat_unknown_reported_twice(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """Unknown keys come back in failedInstanceKeys and failedInstances (data-not-found), S4.3."""
    sid = unique("hbu")
    ok(register(http, instance(sid, "known")))
    sent = instance(sid, "ghost-j")
    doc = java_post(
        http,
        "/api/registry/heartbeat.json",
        {"instanceKeys": [key(sid, "known"), key(sid, "ghost-r")], "instances": [sent]},
    ).json()
    assert doc["responseStatus"] == {
        "status": "partial_fail",
        "errorCode": "bad-request",
        "message": "Some heartbeats failed",
        "errorMessage": "Some heartbeats failed",
    }
    assert doc["failedInstanceKeys"] == [
        {"regionId": "r1", "zoneId": "", "serviceId": sid, "groupId": "", "instanceId": "ghost-r"},
        {"regionId": "r1", "zoneId": "z1", "serviceId": sid, "groupId": "", "instanceId": "ghost-j"},
    ]
    failed = doc["failedInstances"]
    assert [f["errorCode"] for f in failed] == ["data-not-found", "data-not-found"]
    assert failed[0]["errorMessage"] == "Instance is not existing! Need re-register."
    assert failed[0]["instance"] == {"serviceId": sid, "instanceId": "ghost-r", "regionId": "r1"}
    assert failed[1]["instance"] == sent  # the instance as the Java SDK sent it, so it can re-register


@pytest.mark.parametrize("path", UNREGISTER)
def test_unregister_all_forms(http: httpx.Client, unique: Callable[[str], str], path: str) -> None:
    """Unregister by instanceKeys, by Java instances (gzip) and by snake_case keys removes at once (S5)."""
    sid = unique("unreg")
    ok(register(http, *(instance(sid, i) for i in ("a", "b", "c", "d"))))
    ok(http.post(path, json={"instanceKeys": [key(sid, "a")]}).json())
    assert instance_ids(http, sid) == ["b", "c", "d"]
    ok(java_post(http, path, {"instances": [instance(sid, "b")]}).json())
    assert instance_ids(http, sid) == ["c", "d"]
    ok(
        http.post(
            path, json={"instance_keys": [{"region_id": "R1", "service_id": sid, "instance_id": "C"}]}
        ).json()
    )
    # zoneId/groupId are not part of the identity (S1.1): a key naming group "default" still matches.
    ok(
        http.post(
            path, json={"instanceKeys": [{**key(sid, "d"), "groupId": "default", "zoneId": "zz"}]}
        ).json()
    )
    assert instance_ids(http, sid) == []
    # Unknown instances are not failures (S5.3).
    ok(http.post(path, json={"instanceKeys": [key(sid, "never")]}).json())


def test_unregister_invalid_key_is_reported(http: httpx.Client) -> None:
    """A key without serviceId/instanceId is a per-item bad-request in failedInstances."""
    doc = http.post("/api/registry/unregister.json", json={"instanceKeys": [{"regionId": "r1"}]}).json()
    assert doc["responseStatus"]["status"] == "partial_fail"
    assert doc["failedInstances"][0]["errorCode"] == "bad-request"


def test_heartbeat_after_unregister_fails(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """An unregistered identity is unknown to heartbeats (S4.3)."""
    sid = unique("gone")
    ok(register(http, instance(sid, "a")))
    ok(http.post("/api/registry/unregister", json={"instanceKeys": [key(sid, "a")]}).json())
    doc = http.post("/api/registry/heartbeat", json={"instanceKeys": [key(sid, "a")]}).json()
    assert doc["failedInstanceKeys"][0]["instanceId"] == "a"


def test_legacy_instances_use_legacy_pool(http: httpx.Client, unique: Callable[[str], str]) -> None:
    """metadata.java_registry puts the lease in the legacy pool, listed by legacy-leases.json only (S2.6)."""
    sid = unique("legacy")
    ok(register(http, instance(sid, "old", metadata={"java_registry": "yes"}), instance(sid, "new")))
    legacy = ok(http.post("/api/status/legacy-leases.json", json={"serviceIds": [sid]}).json())
    normal = ok(http.post("/api/status/leases.json", json={"serviceIds": [sid]}).json())
    assert [ls["instance"] for ls in legacy["leasesStatus"][sid]] == ["old"]
    assert legacy["leasesStatus"][sid][0]["ttl"] == 90
    assert [ls["instance"] for ls in normal["leasesStatus"][sid]] == ["new"]
    ok(http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key(sid, "old")]}).json())
    assert instance_ids(http, sid) == ["old", "new"]


def test_limits_answer_in_family_a(make_server: Callable[..., LiveServer]) -> None:
    """Too many instances or too much metadata is a 413 family-A bad-request naming the field."""
    srv = make_server(limits={"max_batch_instances": 2, "max_metadata_entries": 1})
    with httpx.Client(base_url=srv.url) as http:
        r = http.post(
            "/api/registry/register.json", json={"instances": [instance("s", str(n)) for n in range(3)]}
        )
        assert r.status_code == 413
        rs = r.json()["responseStatus"]
        assert (rs["status"], rs["errorCode"]) == ("fail", "bad-request")
        assert "instances" in rs["message"]
        r = http.post(
            "/api/registry/register.json",
            json={"instances": [instance("s", "1", metadata={"a": "1", "b": "2"})]},
        )
        assert r.status_code == 413
        assert "instances[0].metadata" in r.json()["responseStatus"]["message"]
        r = http.post(
            "/api/registry/heartbeat.json", json={"instanceKeys": [key("s", str(n)) for n in range(3)]}
        )
        assert r.status_code == 413
        assert (
            http.get("/api/discovery/service.json", params={"serviceId": "s"}).json()["service"]["instances"]
            == []
        )


@pytest.mark.parametrize("path", HEARTBEAT + UNREGISTER)
@pytest.mark.parametrize("body", [{}, {"instanceKeys": []}, {"instances": [], "instanceKeys": None}])
def test_keys_required(http: httpx.Client, path: str, body: dict[str, object]) -> None:
    """A heartbeat or unregister naming no instance fails like an empty register (S2.1), inside HTTP 200."""
    r = http.post(path, json=body)
    assert r.status_code == 200
    rs = r.json()["responseStatus"]
    assert (rs["status"], rs["errorCode"]) == ("fail", "bad-request")


def test_same_region_and_zone_checks(make_server: Callable[..., LiveServer]) -> None:
    """enforce_same_region / allow_from_other_zone=false: foreign items fail with no-permission (S2.9)."""
    srv = make_server(
        server={"region": "home", "zone": "z1"},
        registry={"enforce_same_region": True, "allow_from_other_zone": False},
    )
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        doc = register(
            http,
            instance("perm", "here", regionId="HOME", zoneId="z1"),
            instance("perm", "abroad", regionId="away", zoneId="z1"),
            instance("perm", "next-door", regionId="home", zoneId="z2"),
            instance("perm", "defaulted", regionId=None, zoneId=None),
        )
        assert doc["responseStatus"]["status"] == "partial_fail"
        failed = {f["instance"]["instanceId"]: f["errorCode"] for f in doc["failedInstances"]}
        assert failed == {"abroad": "no-permission", "next-door": "no-permission"}
        assert instance_ids(http, "perm") == ["here", "defaulted"]
