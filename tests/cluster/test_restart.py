"""Start-up sync (S14.8): a node that (re)starts with peers copies the whole registry before it is `up`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.cluster.conftest import instance, instance_ids
from tests.helpers import ServerProcess, wait_for

FAST_ENV = {
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INITIAL_DELAY_SECS": "0.3",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INTERVAL_SECS": "0.3",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_TIMEOUT_SECS": "0.5",
    "ARTEMIS_REPLICATION__TIMEOUT_SECS": "1",
    "ARTEMIS_REPLICATION__BATCH_INTERVAL_MS": "20",
    "ARTEMIS_LOGGING__LEVEL": "warning",
}


def see_each_other(nodes: list[ServerProcess], timeout: float = 15) -> None:
    """Writes go only to peers seen up (S14.6): wait until every node counts every node, then write."""
    for n in nodes:
        wait_for(
            lambda n=n: (
                httpx.get(n.url + "/api/status/cluster.json", timeout=5).json()["nodeCount"] == len(nodes)
            ),
            timeout=timeout,
            what=f"{n.url} sees all {len(nodes)} nodes",
        )


def _status(url: str) -> str:
    return httpx.get(url + "/api/status/node.json", timeout=5).json()["nodeStatus"]["status"]


def test_sigkilled_node_restarts_with_the_full_registry(tmp_path: Path) -> None:
    """Three subprocess nodes; node 3 is SIGKILLed, misses writes, restarts and syncs them from a peer."""
    nodes = [ServerProcess(tmp_path / f"n{i}", env=FAST_ENV) for i in range(3)]
    urls = [n.url for n in nodes]
    for n in nodes:
        n.args = [a for u in urls for a in ("--peer", u)]
    try:
        for n in nodes:
            n.start(wait=False)
        for n in nodes:
            n.wait_healthy()
        see_each_other(nodes)
        n1, n2, n3 = nodes
        body = {"instances": [instance("svc-kill", f"i{k}") for k in range(3)]}
        assert httpx.post(n1.url + "/api/registry/register.json", json=body, timeout=5).status_code == 200
        wait_for(lambda: len(instance_ids(n3.url, "svc-kill")) == 3, timeout=5, what="replicated to node 3")

        n3.kill()
        more = {"instances": [instance("svc-kill", "i3"), instance("svc-other", "x1")]}
        assert httpx.post(n1.url + "/api/registry/register.json", json=more, timeout=5).status_code == 200
        wait_for(lambda: len(instance_ids(n2.url, "svc-kill")) == 4, timeout=5, what="node 2 has all four")
        wait_for(
            lambda: httpx.get(n1.url + "/api/status/cluster.json").json()["nodeCount"] == 2,
            timeout=5,
            what="node 3 seen down",
        )

        n3.start()
        wait_for(lambda: _status(n3.url) == "up", timeout=10, what="node 3 up after sync")
        assert instance_ids(n3.url, "svc-kill") == ["i0", "i1", "i2", "i3"]
        assert instance_ids(n3.url, "svc-other") == ["x1"]
        for peer in (n1, n2):  # the write below goes to n2: it must see node 3 up again too
            wait_for(
                lambda peer=peer: httpx.get(peer.url + "/api/status/cluster.json").json()["nodeCount"] == 3,
                timeout=5,
                what=f"node 3 back in the cluster of {peer.url}",
            )
        # Writes flow to the restarted node again.
        httpx.post(
            n2.url + "/api/registry/register.json",
            json={"instances": [instance("svc-kill", "i9")]},
            timeout=5,
        )
        wait_for(lambda: "i9" in instance_ids(n3.url, "svc-kill"), timeout=5, what="new write on node 3")
    finally:
        for n in nodes:
            n.kill()


def test_node_is_starting_until_the_sync_answers(make_cluster, fake_peer) -> None:
    """While the peer holds the sync answer the node is `starting`; then `up` with the peer's registry."""
    services = {
        "services": [{"serviceId": "svc-sync", "instances": [instance("svc-sync", "p1")]}],
        "responseStatus": {"status": "success", "errorCode": "success"},
    }
    peer = fake_peer(lambda m, p, b: (200, json.dumps(services).encode()))
    peer.release.clear()
    (a,) = make_cluster(1, extra_peers=(peer.url,), cluster={"health_check_initial_delay_secs": 60})
    wait_for(
        lambda: "/api/replication/registry/services.json" in peer.paths(), timeout=5, what="sync request"
    )
    doc = httpx.get(a.url + "/api/status/node.json", timeout=5).json()["nodeStatus"]
    assert doc["status"] == "starting"
    assert doc["canServiceDiscovery"] is False
    # Requests are served while starting (S14.8).
    assert httpx.get(a.url + "/api/discovery/services.json", timeout=5).status_code == 200
    peer.release.set()
    wait_for(lambda: _status(a.url) == "up", timeout=5, what="up after sync")
    assert instance_ids(a.url, "svc-sync") == ["p1"]


def test_sync_tries_the_next_peer_when_one_fails(make_cluster, fake_peer) -> None:
    """A peer answering an error during the sync is skipped; the next one is used."""
    broken = fake_peer(lambda m, p, b: (500, b"{}"))
    good_doc = {"services": [{"serviceId": "svc-next", "instances": [instance("svc-next", "g1")]}]}
    good = fake_peer(lambda m, p, b: (200, json.dumps(good_doc).encode()))
    (a,) = make_cluster(
        1, extra_peers=(broken.url, good.url), cluster={"health_check_initial_delay_secs": 60}
    )
    wait_for(lambda: _status(a.url) == "up", timeout=5, what="up")
    assert instance_ids(a.url, "svc-next") == ["g1"]


def test_sync_reads_any_key_spelling_and_skips_a_broken_service(make_cluster, fake_peer) -> None:
    """A peer answer spelling keys its own way is still copied; a service that does not decode is skipped
    and the services around it are copied."""
    odd = {
        "Services": [
            {"service_id": "svc-odd", "Instances": [{**instance("svc-odd", "o1"), "PORT": 81}]},
        ]
    }
    odd_peer = fake_peer(lambda m, p, b: (200, json.dumps(odd).encode()))
    (a,) = make_cluster(1, extra_peers=(odd_peer.url,), cluster={"health_check_initial_delay_secs": 60})
    wait_for(lambda: _status(a.url) == "up", timeout=5, what="up after a sync with odd spellings")
    assert instance_ids(a.url, "svc-odd") == ["o1"]

    broken = {
        "services": [
            {"serviceId": "svc-a", "instances": [instance("svc-a", "a1")]},
            {"serviceId": "svc-bad", "instances": "not a list"},
            {"serviceId": "svc-b", "instances": [instance("svc-b", "b1"), instance("svc-b", "b2")]},
        ]
    }
    peer = fake_peer(lambda m, p, b: (200, json.dumps(broken).encode()))
    (c,) = make_cluster(1, extra_peers=(peer.url,), cluster={"health_check_initial_delay_secs": 60})
    wait_for(lambda: _status(c.url) == "up", timeout=5, what="up after a sync with a broken service")
    assert instance_ids(c.url, "svc-a") == ["a1"]
    assert instance_ids(c.url, "svc-b") == ["b1", "b2"]
    assert instance_ids(c.url, "svc-bad") == []


async def test_copy_registers_in_steps_and_lets_the_loop_run(monkeypatch) -> None:
    """The copy registers chunk by chunk and yields to the event loop between chunks: a task scheduled
    beside it runs before the copy ends, and every instance is stored in the peer's order."""
    import asyncio

    import msgspec

    from artemis_server.registry.ports import FakeClock
    from artemis_server.registry.registry import Registry
    from artemis_server.replication import replicator

    monkeypatch.setattr(replicator, "SYNC_CHUNK", 250)
    body = msgspec.json.encode(
        {
            "services": [
                {"serviceId": f"svc-{s}", "instances": [instance(f"svc-{s}", f"i{k}") for k in range(100)]}
                for s in range(10)
            ]
        }
    )
    services = replicator.services_of(body)
    assert services is not None
    assert all(isinstance(s, msgspec.Raw) for s in services)
    reg = Registry(clock=FakeClock(1000.0))
    seen: list[int] = []

    async def beside() -> None:
        while True:
            seen.append(len(reg))
            await asyncio.sleep(0)

    task = asyncio.create_task(beside())
    await asyncio.sleep(0)
    copied = await replicator.copy_services(reg, services)
    task.cancel()
    assert copied == 1000
    assert len(reg) == 1000
    assert any(0 < n < 1000 for n in seen)  # the loop ran while the copy was half done
    assert [i.instance_id for i in reg.get_service("svc-9").instances.values()] == [
        f"i{k}" for k in range(100)
    ]
    assert replicator.services_of(b"[1, 2]") is None
    assert replicator.services_of(b"not json") is None
