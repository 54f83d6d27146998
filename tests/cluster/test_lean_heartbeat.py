"""Heartbeat batches between nodes of this version travel as identity keys (replication.lean_heartbeats)."""

from __future__ import annotations

import httpx

from tests.cluster.conftest import instance, instance_ids, metric
from tests.helpers import LiveServer, wait_for

LEAN = "/api/replication/registry/lean-heartbeat"
JSON_HB = "/api/replication/registry/heartbeat.json"
OK = b'{"responseStatus":{"status":"success","errorCode":"success"}}'


def _requests(url: str, path: str) -> float:
    return metric(url, "artemis_http_requests_total", f'route="{path}",status="200"')


def _register(url: str, *instances: dict) -> None:
    r = httpx.post(url + "/api/registry/register.json", json={"instances": list(instances)}, timeout=5)
    assert r.json()["responseStatus"]["status"] == "success"


def _heartbeat(url: str, *iids: str, service: str) -> None:
    keys = [{"regionId": "r1", "serviceId": service, "instanceId": i} for i in iids]
    r = httpx.post(url + "/api/registry/heartbeat.json", json={"instanceKeys": keys}, timeout=5)
    assert r.json()["responseStatus"]["status"] == "success"


def test_a_peer_of_this_version_renews_from_identity_keys(make_cluster) -> None:
    """Client heartbeats on A reach B on the lean path and renew B's leases there: its renewed-key count grows
    by the keys A renewed, ids spelled in any case included, and nothing goes to the JSON heartbeat path."""
    a, b = make_cluster(2)
    _register(a.url, instance("Svc-Lean", "I1"), instance("Svc-Lean", "i2"))
    wait_for(lambda: len(instance_ids(b.url, "svc-lean")) == 2, timeout=5, what="replicated to B")
    keys0 = metric(b.url, "artemis_heartbeat_keys_total")
    _heartbeat(a.url, "i1", "I2", service="SVC-LEAN")
    wait_for(lambda: _requests(b.url, LEAN) >= 1, timeout=5, what="a lean heartbeat batch on B")
    wait_for(lambda: metric(b.url, "artemis_heartbeat_keys_total") == keys0 + 2, timeout=5, what="2 renewed")
    assert metric(b.url, "artemis_heartbeat_failed_keys_total") == 0
    assert _requests(b.url, JSON_HB) == 0


def test_lean_heartbeat_answers_unknown_keys_and_refuses_non_utf8(server: LiveServer) -> None:
    """The lean path renews the identity keys it knows, lists the others as failedInstanceKeys (partial_fail)
    so the sender can re-register them, and answers a body that is not UTF-8 with 400 naming the body."""
    inst = {"serviceId": "lean-direct", "instanceId": "x1", "ip": "10.0.0.9", "port": 80}
    r = httpx.post(server.url + "/api/registry/register.json", json={"instances": [inst]}, timeout=5)
    assert r.json()["responseStatus"]["status"] == "success"
    region = server.settings.server.region.casefold()
    known = f"{region}\x1flean-direct\x1fx1"
    body = "\n".join([known, f"{region}\x1flean-direct\x1fgone", "not-a-key"]).encode()
    r = httpx.post(server.url + LEAN, content=body, timeout=5)
    assert r.status_code == 200
    doc = r.json()
    assert doc["responseStatus"]["status"] == "partial_fail"
    assert [k["instanceId"] for k in doc["failedInstanceKeys"]] == ["gone"]
    assert doc["failedInstanceKeys"][0]["serviceId"] == "lean-direct"
    assert httpx.post(server.url + LEAN, content=known.encode(), timeout=5).json() == {
        "responseStatus": {"status": "success", "errorCode": "success", "message": ""}
    }
    bad = httpx.post(server.url + LEAN, content=b"\xff\xfe", timeout=5)
    assert bad.status_code == 400
    assert "body" in bad.json()["responseStatus"]["message"]


def test_a_peer_without_the_lean_path_gets_json_keys(make_cluster, fake_peer) -> None:
    """A peer that answers 404 on the lean path (an older node, Java Artemis) gets the same batch as JSON
    keys at once, and every later batch as JSON keys without trying the lean path again."""
    peer = fake_peer(lambda m, p, b: (404, b"{}") if p == LEAN else (200, OK))
    (a,) = make_cluster(1, extra_peers=(peer.url,), cluster={"health_check_initial_delay_secs": 60})
    _register(a.url, instance("svc-old", "i1"))
    for n in (1, 2):
        _heartbeat(a.url, "i1", service="svc-old")
        wait_for(lambda n=n: len(peer.bodies(JSON_HB)) == n, timeout=5, what=f"JSON heartbeat {n}")
    assert peer.bodies(JSON_HB)[-1]["instanceKeys"][0]["instanceId"] == "i1"
    assert peer.paths().count(LEAN) == 1


def test_lean_heartbeats_can_be_turned_off(make_cluster) -> None:
    """With replication.lean_heartbeats = false a node sends its peers JSON heartbeat keys only."""
    a, b = make_cluster(2, replication={"lean_heartbeats": False})
    _register(a.url, instance("svc-off", "i1"))
    wait_for(lambda: instance_ids(b.url, "svc-off") == ["i1"], timeout=5, what="replicated to B")
    _heartbeat(a.url, "i1", service="svc-off")
    wait_for(lambda: _requests(b.url, JSON_HB) >= 1, timeout=5, what="a JSON heartbeat batch on B")
    assert _requests(b.url, LEAN) == 0


def _lean_sizes(peer) -> list[int]:
    return [len(b.split(b"\n")) for _, p, _, b in list(peer.requests) if p == LEAN and b]


def _renew_through_one_node(make_cluster, peer, n: int, service: str, **replication: int):
    """A node replicating to ``peer`` with these replication settings, ``n`` instances registered on it and
    heartbeated once in one request; the node."""
    (a,) = make_cluster(
        1,
        extra_peers=(peer.url,),
        cluster={"health_check_initial_delay_secs": 60},
        replication={"batch_interval_ms": 50, **replication},
    )
    _register(a.url, *(instance(service, f"i{k}") for k in range(n)))
    _heartbeat(a.url, *(f"i{k}" for k in range(n)), service=service)
    return a


def test_heartbeats_leave_in_their_own_larger_batches(make_cluster, fake_peer) -> None:
    """Heartbeat batches to a peer hold up to replication.heartbeat_batch_size keys while registers keep
    replication.batch_size."""
    peer = fake_peer(lambda m, p, b: (200, OK))
    _renew_through_one_node(make_cluster, peer, 12, "svc-hbb", batch_size=3, heartbeat_batch_size=10)
    wait_for(lambda: sum(_lean_sizes(peer)) == 12, timeout=5, what="12 heartbeat keys on the peer")
    assert _lean_sizes(peer) == [10, 2]
    reg = [len(b["instances"]) for b in peer.bodies("/api/replication/registry/batch-register.json")]
    assert reg == [3, 3, 3, 3]


def test_a_peer_that_refuses_large_heartbeat_batches_gets_smaller_ones(make_cluster, fake_peer) -> None:
    """A peer answering 413 to a heartbeat batch gets the same keys again in batches of
    replication.batch_size, and only such batches afterwards: none of its leases misses the renewal."""

    def script(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if path == LEAN and len(body.split(b"\n")) > 4:
            return 413, b'{"responseStatus":{"status":"fail","errorCode":"payload-too-large"}}'
        return 200, OK

    peer = fake_peer(script)
    a = _renew_through_one_node(make_cluster, peer, 10, "svc-413", batch_size=4, heartbeat_batch_size=100)
    wait_for(lambda: _lean_sizes(peer)[1:] == [4, 4, 2], timeout=5, what="the batch again in pieces")
    assert _lean_sizes(peer)[0] == 10
    first, *pieces = [b for _, p, _, b in peer.requests if p == LEAN]
    assert b"\n".join(pieces) == first
    _heartbeat(a.url, *(f"i{n}" for n in range(10)), service="svc-413")
    wait_for(lambda: sum(_lean_sizes(peer)[4:]) == 10, timeout=5, what="the next heartbeat batches")
    assert _lean_sizes(peer)[4:] == [4, 4, 2]


def test_lean_payload_is_the_identity_key_of_every_instance() -> None:
    """A lean batch holds model.identity() of each instance, one per line, for ids in any case and script
    (the joined lines are folded at once, which must equal folding each key)."""
    import random

    from artemis_client.wire.registry import Instance
    from artemis_server.registry.model import identity
    from artemis_server.replication.replicator import lean_payload

    rnd = random.Random(20)
    alphabet = "aZß ẞΣσςİıﬁǅΩ-._09ÅåǰΐŉДж"
    items = [
        Instance(
            "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 12))),
            "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 12))),
            region_id=rnd.choice(["default", "Region-Σ", "REGIONß", None]),
        )
        for _ in range(500)
    ]
    want = "\n".join(identity(i.region_id or "", i.service_id, i.instance_id) for i in items)
    assert lean_payload(items) == want.encode()
