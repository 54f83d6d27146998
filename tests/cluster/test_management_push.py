"""A poke carries the change it announces (issue 20): the poked node merges it without pulling, but only when
it is the next change of its origin there; a gap (a poke it missed) is left to the pull, so no change is
skipped (S14.2).

The peer that pokes is a scripted one (tests/cluster/conftest.FakePeer) serving the change log the test
chooses; the changes themselves are real change-log entries made by a separate node.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests.cluster.conftest import FakePeer, instance, instance_ids
from tests.helpers import LiveServer, wait_for

CHANGES = "/api/replication/management/changes.json"
POKE = "/api/replication/management/poke.json"
OK = {"responseStatus": {"status": "success"}}


def pull_out(url: str, iid: str) -> None:
    key = {"regionId": "r1", "serviceId": "svc-push", "instanceId": iid}
    body = {"instanceKey": key, "operation": "pullout", "operationComplete": True, "operatorId": "t"}
    r = httpx.post(url + "/api/management/instance/operate-instance.json", json=body, timeout=5)
    assert r.status_code == 200, r.text


def log_of(url: str) -> dict[str, Any]:
    """What a node's change log holds (as a peer reads it): its entries and, per origin, the last sequence."""
    r = httpx.post(url + CHANGES, json={"since": {}, "limit": 100}, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def entries_made_elsewhere(
    make_cluster: Callable[..., list[LiveServer]], *iids: str
) -> tuple[str, list[Any]]:
    """Pull-outs made on a node of its own: its origin and the change-log entries, oldest first."""
    (origin,) = make_cluster(1)
    for iid in iids:
        pull_out(origin.url, iid)
    doc = log_of(origin.url)
    (name,) = doc["origins"]
    return name, doc["changes"]


def scripted(serve: list[Any], origin: str) -> Callable[[str, str, bytes], tuple[int, bytes]]:
    """A peer whose change log holds ``serve`` (the test changes it as it goes)."""

    def script(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if path == CHANGES:
            held = {origin: serve[-1]["seq"]} if serve else {}
            doc = {
                "changes": serve,
                "more": False,
                "origins": held,
                "databaseId": "fake-db",
                "nodeId": "fake",
            }
            return 200, json.dumps({**doc, **OK}).encode()
        return 200, json.dumps(OK).encode()

    return script


def node_with_peer(make_cluster: Callable[..., list[LiveServer]], peer: FakePeer) -> LiveServer:
    (node,) = make_cluster(1, extra_peers=(peer.url,))
    httpx.post(
        node.url + "/api/registry/register.json",
        json={"instances": [instance("svc-push", "p1"), instance("svc-push", "p2")]},
        timeout=5,
    )
    wait_for(lambda: log_of(node.url)["origins"] is not None, what="node serving its change log")
    return node


def poke(node: LiveServer, peer: FakePeer, changes: list[Any]) -> None:
    body = {"nodeId": "fake", "url": peer.url, "changes": changes}
    r = httpx.post(node.url + POKE, json=body, timeout=5)
    assert r.status_code == 200, r.text


def test_poke_carrying_the_next_change_puts_it_in_force_without_a_pull(make_cluster, fake_peer) -> None:
    """A change sent with the poke is merged at once although the poking peer's log serves nothing."""
    origin, (e1,) = entries_made_elsewhere(make_cluster, "p1")
    peer = fake_peer(scripted([], origin))
    node = node_with_peer(make_cluster, peer)
    assert instance_ids(node.url, "svc-push") == ["p1", "p2"]
    poke(node, peer, [e1])
    wait_for(lambda: instance_ids(node.url, "svc-push") == ["p2"], what="p1 pulled out on the node")
    wait_for(lambda: log_of(node.url)["origins"].get(origin) == 1, what="the change stored on the node")
    assert [c["seq"] for c in log_of(node.url)["changes"] if c["origin"] == origin] == [1]


def test_poke_after_a_missed_one_is_left_to_the_pull(make_cluster, fake_peer) -> None:
    """A pushed change whose predecessor is missing is not taken; the pull then brings both, in order."""
    origin, (e1, e2) = entries_made_elsewhere(make_cluster, "p1", "p2")
    serve: list[Any] = []
    peer = fake_peer(scripted(serve, origin))
    node = node_with_peer(make_cluster, peer)
    asked = peer.paths().count(CHANGES)
    poke(node, peer, [e2])  # e1's poke never arrived
    # a pull in flight during the poke may be the first one counted; the second began after the poke
    wait_for(lambda: peer.paths().count(CHANGES) >= asked + 2, what="the node pulling after the gap")
    assert origin not in log_of(node.url)["origins"]
    assert instance_ids(node.url, "svc-push") == ["p1", "p2"]
    serve += [e1, e2]
    poke(node, peer, [])
    wait_for(lambda: instance_ids(node.url, "svc-push") == [], what="both pulled out after the pull")
    assert log_of(node.url)["origins"][origin] == 2
    assert [c["seq"] for c in log_of(node.url)["changes"] if c["origin"] == origin] == [1, 2]


def test_unreadable_pushed_changes_fall_back_to_the_pull(make_cluster, fake_peer) -> None:
    """A poke whose changes cannot be read is still a poke: the node pulls and takes the change from the log."""
    origin, (e1,) = entries_made_elsewhere(make_cluster, "p1")
    peer = fake_peer(scripted([e1], origin))
    node = node_with_peer(make_cluster, peer)
    broken = {**e1, "hlc": "not a stamp"}
    poke(node, peer, [broken])
    wait_for(lambda: instance_ids(node.url, "svc-push") == ["p2"], what="p1 pulled out through the pull")
    assert log_of(node.url)["origins"][origin] == 1
