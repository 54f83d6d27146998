"""A node with its own database that was down while management changed catches up when it restarts."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cluster.test_restart import FAST_ENV, see_each_other
from tests.helpers import ServerProcess, wait_for


def _down(url: str, iid: str) -> bool:
    body = {"instanceKey": {"regionId": "default", "serviceId": "cu", "instanceId": iid}}
    doc = httpx.post(url + "/api/management/instance/is-instance-down.json", json=body, timeout=5).json()
    return bool(doc["isDown"])


def _pull(url: str, iid: str, operation: str) -> None:
    body = {
        "instanceKey": {"regionId": "default", "serviceId": "cu", "instanceId": iid},
        "operation": operation,
        "operationComplete": True,
        "operatorId": "ops",
    }
    doc = httpx.post(url + "/api/management/instance/operate-instance.json", json=body, timeout=5).json()
    assert doc["responseStatus"]["status"] == "success", doc


def test_restarted_node_catches_up_with_the_changes_it_missed(tmp_path: Path) -> None:
    """Node 3 is SIGKILLed, changes are made on nodes 1 and 2, node 3 restarts: it gets each of them (per
    entity, not a copy of one peer's whole state) and keeps following changes afterwards."""
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
        _pull(n1.url, "before", "pullout")
        wait_for(lambda: _down(n3.url, "before"), timeout=15, what="relayed to node 3")

        n3.kill()
        _pull(n1.url, "during", "pullout")  # node 3 is down: the relay cannot reach it
        _pull(n2.url, "before", "pullin")
        wait_for(
            lambda: _down(n2.url, "during") and not _down(n1.url, "before"), timeout=15, what="n1/n2 agree"
        )

        n3.start()
        wait_for(lambda: _down(n3.url, "during"), timeout=20, what="node 3 caught up with the pull-out")
        assert not _down(n3.url, "before")
        # and it keeps following relayed changes afterwards
        _pull(n1.url, "after", "pullout")
        wait_for(lambda: _down(n3.url, "after"), timeout=20, what="relay to the restarted node")
    finally:
        for n in nodes:
            n.kill()
