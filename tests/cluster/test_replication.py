"""Peer replication between real nodes on 127.0.0.1 (S14)."""

from __future__ import annotations

import json
import time

import httpx

from tests.cluster.conftest import instance, instance_ids, metric
from tests.helpers import wait_for


def _register(url: str, *instances: dict) -> dict:
    r = httpx.post(url + "/api/registry/register.json", json={"instances": list(instances)}, timeout=5)
    assert r.status_code == 200
    return r.json()


def test_register_heartbeat_unregister_replicate_to_every_node(make_cluster) -> None:
    """A write on node A reaches B and C; heartbeats sent only to A keep the instance alive on all three."""
    a, b, c = make_cluster(
        3, lease={"ttl_secs": 1.5, "cleanup_interval_secs": 0.1, "safe_check_enabled": False}
    )
    assert _register(a.url, instance("svc-rep", "i1"))["responseStatus"]["status"] == "success"
    for node in (b, c):
        wait_for(lambda n=node: instance_ids(n.url, "svc-rep") == ["i1"], timeout=5, what=f"i1 on {node.url}")

    # Heartbeats only to A for well over two TTLs: B and C keep the instance.
    key = {"regionId": "r1", "serviceId": "svc-rep", "instanceId": "i1"}
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline:
        r = httpx.post(a.url + "/api/registry/heartbeat.json", json={"instanceKeys": [key]}, timeout=5)
        assert r.json()["responseStatus"]["status"] == "success"
        for node in (b, c):
            assert instance_ids(node.url, "svc-rep") == ["i1"]
        time.sleep(0.3)

    httpx.post(a.url + "/api/registry/unregister.json", json={"instanceKeys": [key]}, timeout=5)
    for node in (a, b, c):
        wait_for(
            lambda n=node: instance_ids(n.url, "svc-rep") == [], timeout=5, what=f"unregister on {node.url}"
        )


def test_replicated_writes_are_never_forwarded(make_cluster) -> None:
    """Anti-loop (S14.3): B and C apply the writes of A but forward nothing; counters stay bounded."""
    a, b, c = make_cluster(3)
    _register(a.url, *(instance("svc-loop", f"i{n}") for n in range(5)))
    for node in (b, c):
        wait_for(lambda n=node: len(instance_ids(n.url, "svc-loop")) == 5, timeout=5, what="5 instances")
    key = {"regionId": "r1", "serviceId": "svc-loop", "instanceId": "i0"}
    httpx.post(a.url + "/api/registry/heartbeat.json", json={"instanceKeys": [key]}, timeout=5)
    wait_for(
        lambda: metric(a.url, "artemis_replication_items_sent_total", 'kind="heartbeat"') == 2,
        timeout=5,
        what="heartbeat sent to both peers",
    )
    # Let any (wrong) echo traffic happen, bounded: the counters must not move any more.
    time.sleep(0.5)
    assert metric(a.url, "artemis_register_requests_total") == 1
    assert metric(a.url, "artemis_replication_items_sent_total", 'kind="register"') == 10
    for node in (b, c):
        assert metric(node.url, "artemis_register_requests_total") == 1  # the one replicated batch
        assert metric(node.url, "artemis_replication_items_sent_total", 'kind="register"') == 0
        assert metric(node.url, "artemis_replication_items_sent_total", 'kind="heartbeat"') == 0


def test_cluster_endpoints_list_up_nodes_and_drop_a_stopped_one(make_cluster) -> None:
    """/api/status/cluster.json and /api/cluster/up-*-nodes.json list this node and the peers that are up."""
    a, b, c = make_cluster(3)
    doc = httpx.get(a.url + "/api/status/cluster.json", timeout=5).json()
    assert doc["nodeCount"] == 3
    assert doc["nodesStatus"][0]["node"]["url"] == a.url
    assert {n["node"]["url"] for n in doc["nodesStatus"]} == {a.url, b.url, c.url}
    for path in ("/api/cluster/up-registry-nodes.json", "/api/cluster/up-discovery-nodes.json"):
        nodes = httpx.post(a.url + path, json={}, timeout=5).json()["nodes"]
        assert {n["url"] for n in nodes} == {a.url, b.url, c.url}
    wait_for(
        lambda: (
            {n["node"]["nodeId"] for n in httpx.get(a.url + "/api/status/cluster.json").json()["nodesStatus"]}
            == {a.node.node_id, b.node.node_id, c.node.node_id}
        ),
        timeout=5,
        what="peer node ids",
    )
    c.stop()
    wait_for(
        lambda: httpx.get(a.url + "/api/status/cluster.json").json()["nodeCount"] == 2,
        timeout=5,
        what="stopped peer dropped",
    )
    nodes = httpx.get(a.url + "/api/cluster/up-registry-nodes.json", timeout=5).json()["nodes"]
    assert {n["url"] for n in nodes} == {a.url, b.url}


def test_peer_token_required_and_accepted(make_cluster) -> None:
    """With cluster.peer_token, replication works between peers and other callers get HTTP 401."""
    a, b = make_cluster(2, cluster={"peer_token": "s3cret-token"})
    _register(a.url, instance("svc-tok", "i1"))
    wait_for(lambda: instance_ids(b.url, "svc-tok") == ["i1"], timeout=5, what="replicated with token")
    path = b.url + "/api/replication/registry/register.json"
    body = {"instances": [instance("svc-tok", "i2")]}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
        r = httpx.post(path, json=body, headers=headers, timeout=5)
        assert r.status_code == 401
        assert r.json()["responseStatus"]["errorCode"] == "unauthorized"
    r = httpx.get(b.url + "/api/replication/registry/services.json", params={"regionId": "r1"}, timeout=5)
    assert r.status_code == 401
    r = httpx.post(path, json=body, headers={"Authorization": "Bearer s3cret-token"}, timeout=5)
    assert r.status_code == 200
    assert r.json()["responseStatus"]["status"] == "success"
    assert instance_ids(b.url, "svc-tok") == ["i1", "i2"]
    # Client endpoints stay open.
    assert httpx.get(b.url + "/api/discovery/services.json", timeout=5).status_code == 200


def test_garbage_and_slow_peers_do_not_stall_the_others(make_cluster, fake_peer) -> None:
    """A peer answering garbage and one answering slowly do not delay replication to a healthy peer."""
    garbage = fake_peer(lambda m, p, b: (200, b"<html>not json"))
    slow = fake_peer(lambda m, p, b: (200, b'{"responseStatus":{"status":"success"}}'), delay=3.0)
    a, b = make_cluster(
        2, extra_peers=(garbage.url, slow.url), cluster={"health_check_initial_delay_secs": 60}
    )
    for n in range(20):
        t0 = time.monotonic()
        _register(a.url, instance("svc-stall", f"i{n}"))
        assert time.monotonic() - t0 < 2.0  # the client never waits for peers
    wait_for(
        lambda: len(instance_ids(b.url, "svc-stall")) == 20, timeout=3, what="all 20 on the healthy peer"
    )
    assert any(p.endswith("batch-register.json") for p in garbage.paths())
    assert any(p.endswith("batch-register.json") for p in slow.paths())


def test_java_peer_gets_single_paths_after_404(make_cluster, fake_peer) -> None:
    """A peer answering 404 on an R batch path is a Java peer: register.json with full instances."""

    def java(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if "batch-" in path:
            return 404, b"{}"
        return 200, b'{"responseStatus":{"status":"success","errorCode":"success"}}'

    peer = fake_peer(java)
    (a,) = make_cluster(1, extra_peers=(peer.url,), cluster={"health_check_initial_delay_secs": 60})
    _register(a.url, instance("svc-j", "i1"))
    wait_for(lambda: peer.bodies("/api/replication/registry/register.json"), timeout=5, what="J register")
    sent = peer.bodies("/api/replication/registry/register.json")[0]
    assert sent["instances"][0]["instanceId"] == "i1"
    assert sent["instances"][0]["url"] == "http://10.0.0.1/i1"
    headers = next(h for _, p, h, _ in peer.requests if p.endswith("register.json"))
    assert headers.get("X-Artemis-Replication") == "true"
    httpx.post(
        a.url + "/api/registry/unregister.json",
        json={"instanceKeys": [{"regionId": "r1", "serviceId": "svc-j", "instanceId": "i1"}]},
        timeout=5,
    )
    wait_for(lambda: peer.bodies("/api/replication/registry/unregister.json"), timeout=5, what="J unregister")
    assert peer.bodies("/api/replication/registry/unregister.json")[0]["instances"][0]["instanceId"] == "i1"
    # No batch path is tried again once the peer is known to be a Java peer.
    assert sum("batch-unregister" in p for p in peer.paths()) == 0


def test_retryable_failures_are_retried_with_single_requests(make_cluster, fake_peer) -> None:
    """HTTP 503 is retryable (S14.5): the item is re-sent on the single path after a back-off."""
    answers = {"n": 0}

    def flaky(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if path.endswith("batch-register.json"):
            return 503, b"{}"
        answers["n"] += 1
        return 200, b'{"responseStatus":{"status":"success","errorCode":"success"}}'

    peer = fake_peer(flaky)
    (a,) = make_cluster(1, extra_peers=(peer.url,), cluster={"health_check_initial_delay_secs": 60})
    _register(a.url, instance("svc-retry", "i1"), instance("svc-retry", "i2"))
    wait_for(
        lambda: len(peer.bodies("/api/replication/registry/register.json")) == 2,
        timeout=5,
        what="two single retries",
    )
    ids = sorted(
        b["instances"][0]["instanceId"] for b in peer.bodies("/api/replication/registry/register.json")
    )
    assert ids == ["i1", "i2"]


def test_failed_heartbeat_keys_trigger_reregister(make_cluster) -> None:
    """S14.7: a peer that lost an instance reports it in the heartbeat answer; A re-registers it there."""
    a, b = make_cluster(2)
    _register(a.url, instance("svc-rereg", "i1", metadata={"k": "v"}))
    wait_for(lambda: instance_ids(b.url, "svc-rereg") == ["i1"], timeout=5, what="replicated")
    key = {"regionId": "r1", "serviceId": "svc-rereg", "instanceId": "i1"}
    # Remove it on B only (a replication call is never forwarded).
    httpx.post(b.url + "/api/replication/registry/unregister.json", json={"instanceKeys": [key]}, timeout=5)
    assert instance_ids(b.url, "svc-rereg") == []
    assert instance_ids(a.url, "svc-rereg") == ["i1"]
    httpx.post(a.url + "/api/registry/heartbeat.json", json={"instanceKeys": [key]}, timeout=5)
    wait_for(lambda: instance_ids(b.url, "svc-rereg") == ["i1"], timeout=5, what="re-registered on B")
    r = httpx.get(b.url + "/api/discovery/service.json", params={"serviceId": "svc-rereg"}, timeout=5)
    assert r.json()["service"]["instances"][0]["metadata"] == {"k": "v"}


def test_replication_endpoints_family_a(make_cluster) -> None:
    """The read endpoints of api.md 2.4 answer raw services; required fields are enforced with 400."""
    (a,) = make_cluster(1)
    rep = a.url + "/api/replication/registry/"
    r = httpx.post(
        rep + "batch-register.json", json={"instances": [instance("svc-raw", "i1", status="down")]}
    )
    assert r.json()["responseStatus"]["status"] == "success"
    doc = httpx.post(rep + "services.json", json={}).json()
    svc = next(s for s in doc["services"] if s["serviceId"] == "svc-raw")
    assert svc["instances"][0]["status"] == "down"  # raw: not filtered by status
    assert httpx.get(rep + "services.json").status_code == 400
    assert httpx.get(rep + "services.json", params={"regionId": "r1"}).json()["services"]
    full = httpx.post(rep + "sync-full.json", json={"regionId": "r1"}).json()
    assert full["syncTimestamp"] > 0
    assert full["services"]
    r = httpx.post(rep + "services-delta.json", json={"regionId": "r1", "zoneId": "z1"})
    assert r.status_code == 400
    assert "sinceTimestamp" in r.json()["responseStatus"]["message"]
    delta = httpx.post(
        rep + "services-delta.json", json={"regionId": "r1", "zoneId": "z1", "sinceTimestamp": 0}
    )
    assert delta.json()["services"]
    now = delta.json()["currentTimestamp"]
    later = httpx.post(
        rep + "services-delta.json",
        json={"region_id": "r1", "zone_id": "z1", "since_timestamp": now + 10_000},
    )
    assert later.json()["services"] == []
    bad = httpx.post(
        rep + "batch-unregister.json",
        json={"instanceKeys": [{"regionId": "r1", "serviceId": "svc-raw", "instanceId": "nope"}]},
    )
    assert bad.json()["failedInstanceKeys"][0]["instanceId"] == "nope"
    hb = httpx.post(
        rep + "batch-heartbeat.json",
        json={"instanceKeys": [{"regionId": "r1", "serviceId": "svc-raw", "instanceId": "nope"}]},
    )
    assert hb.json()["failedInstanceKeys"][0]["instanceId"] == "nope"
    assert "failedInstances" not in hb.json()
    assert (
        json.loads(httpx.post(rep + "register.json", content=b"{bad").content)["responseStatus"]["errorCode"]
        == "bad-request"
    )


def test_down_peer_gets_nothing_until_it_calls_back(make_cluster, fake_peer) -> None:
    """A peer failing /health is down and its writes are dropped; a replication call from it marks it up."""

    def script(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if path == "/health":
            return 503, b"down"
        return 200, b'{"responseStatus":{"status":"success","errorCode":"success"}}'

    peer = fake_peer(script)
    (a,) = make_cluster(
        1,
        extra_peers=(peer.url,),
        cluster={"health_check_initial_delay_secs": 0.2, "health_check_interval_secs": 60},
    )
    label = f'peer="{peer.url}"'
    wait_for(lambda: "/health" in peer.paths(), timeout=5, what="health check")
    wait_for(lambda: metric(a.url, "artemis_peer_up", label) == 0, timeout=5, what="peer marked down")
    _register(a.url, instance("svc-down", "dropped"))
    # The peer calls us (as its start-up sync does): it is up again at once.
    r = httpx.post(
        a.url + "/api/replication/registry/services.json",
        json={},
        headers={"X-Artemis-Node-Url": peer.url},
        timeout=5,
    )
    assert r.status_code == 200
    assert metric(a.url, "artemis_peer_up", label) == 1
    _register(a.url, instance("svc-down", "sent"))
    wait_for(lambda: peer.bodies("/api/replication/registry/batch-register.json"), timeout=5, what="batch")
    sent = [
        i["instanceId"]
        for b in peer.bodies("/api/replication/registry/batch-register.json")
        for i in b["instances"]
    ]
    assert sent == ["sent"]
    assert metric(a.url, "artemis_replication_pending_items", label) == 0


def test_batches_respect_batch_size_and_keep_write_order(make_cluster, fake_peer) -> None:
    """Writes leave in batches of at most replication.batch_size, in the order they were made (S14.4)."""
    ok = b'{"responseStatus":{"status":"success","errorCode":"success"}}'
    peer = fake_peer(lambda m, p, b: (200, ok))
    (a,) = make_cluster(
        1,
        extra_peers=(peer.url,),
        cluster={"health_check_initial_delay_secs": 60},
        replication={"batch_size": 3, "batch_interval_ms": 50},
    )
    _register(a.url, *(instance("svc-batch", f"i{n}") for n in range(7)))
    keys = [{"regionId": "r1", "serviceId": "svc-batch", "instanceId": "i0"}]
    httpx.post(a.url + "/api/registry/unregister.json", json={"instanceKeys": keys}, timeout=5)
    _register(a.url, instance("svc-batch", "i0", port=81))
    wait_for(lambda: sum("batch-" in p for p in peer.paths()) >= 5, timeout=5, what="five batches")
    writes = [(p.rsplit("/", 1)[-1], json.loads(b)) for _, p, _, b in peer.requests if "batch-" in p]
    shape = [(path, len(body.get("instances") or body.get("instanceKeys"))) for path, body in writes]
    assert shape == [
        ("batch-register.json", 3),
        ("batch-register.json", 3),
        ("batch-register.json", 1),
        ("batch-unregister.json", 1),
        ("batch-register.json", 1),
    ]
    assert writes[-1][1]["instances"][0]["port"] == 81


def test_retry_overtaken_by_a_later_write_is_not_sent(make_cluster, fake_peer) -> None:
    """A failed register whose instance was unregistered meanwhile is not re-sent (it would resurrect it)."""
    ok = b'{"responseStatus":{"status":"success","errorCode":"success"}}'
    peer = fake_peer(lambda m, p, b: (503, b"{}") if p.endswith("batch-register.json") else (200, ok))
    (a,) = make_cluster(1, extra_peers=(peer.url,), cluster={"health_check_initial_delay_secs": 60})
    _register(a.url, instance("svc-over", "gone"))
    keys = [{"regionId": "r1", "serviceId": "svc-over", "instanceId": "gone"}]
    httpx.post(a.url + "/api/registry/unregister.json", json={"instanceKeys": keys}, timeout=5)
    _register(a.url, instance("svc-over", "kept"))
    single = "/api/replication/registry/register.json"
    wait_for(lambda: peer.bodies(single), timeout=5, what="retry of the kept instance")
    sent = [b["instances"][0]["instanceId"] for b in peer.bodies(single)]
    assert sent == ["kept"]


def test_a_backlog_drains_in_larger_batches(make_cluster, fake_peer) -> None:
    """From 8 queued batches on, a peer gets merged batches of up to 10 x batch_size (fewer round trips)."""
    ok = b'{"responseStatus":{"status":"success","errorCode":"success"}}'
    peer = fake_peer(lambda m, p, b: (200, ok))
    (a,) = make_cluster(
        1,
        extra_peers=(peer.url,),
        cluster={"health_check_initial_delay_secs": 60},
        replication={"batch_size": 3},
    )
    _register(a.url, *(instance("svc-backlog", f"i{n}") for n in range(60)))
    path = "/api/replication/registry/batch-register.json"
    wait_for(lambda: sum(len(b["instances"]) for b in peer.bodies(path)) == 60, timeout=5, what="all 60 sent")
    sizes = [len(b["instances"]) for b in peer.bodies(path)]
    assert max(sizes) > 3
    assert max(sizes) <= 30
    sent = [i["instanceId"] for b in peer.bodies(path) for i in b["instances"]]
    assert sent == [f"i{n}" for n in range(60)]
