"""Management state is the same on every node within 2 s (S14.2): own SQLite files, or one shared DB.

A pull-out sent to one node reaches its peers through the change log: a peer with its own database pulls the
change at once (the writer pokes it) and merges it; a peer sharing the database reads it from there
(docs/cluster.md). Either way the peer raises the same events for its WebSocket subscribers.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
import websockets

from tests.cluster.conftest import instance, instance_ids
from tests.helpers import wait_for

KEY = {"regionId": "r1", "serviceId": "svc-mgmt", "instanceId": "i1"}


def operate(url: str, operation: str) -> dict:
    body = {"instanceKey": KEY, "operation": operation, "operationComplete": True, "operatorId": "x"}
    r = httpx.post(url + "/api/management/instance/operate-instance.json", json=body, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def is_down(url: str) -> bool:
    r = httpx.post(
        url + "/api/management/instance/is-instance-down.json", json={"instanceKey": KEY}, timeout=5
    )
    return bool(r.json()["isDown"])


def _check_pullout_everywhere(nodes: list, origin: int) -> None:
    httpx.post(nodes[0].url + "/api/registry/register.json", json={"instances": [instance("svc-mgmt", "i1")]})
    for n in nodes:
        wait_for(
            lambda n=n: instance_ids(n.url, "svc-mgmt") == ["i1"], timeout=5, what="registered everywhere"
        )
    assert operate(nodes[origin].url, "pullout")["responseStatus"]["status"] == "success"
    for n in nodes:
        wait_for(lambda n=n: is_down(n.url), timeout=2, what=f"pull-out in force on {n.url}")
        wait_for(lambda n=n: instance_ids(n.url, "svc-mgmt") == [], timeout=2, what="hidden from discovery")
    operate(nodes[origin].url, "pullin")
    for n in nodes:
        wait_for(lambda n=n: not is_down(n.url), timeout=2, what=f"pull-in in force on {n.url}")
        wait_for(lambda n=n: instance_ids(n.url, "svc-mgmt") == ["i1"], timeout=2, what="visible again")


def test_pullout_reaches_every_node_with_separate_sqlite_files(make_cluster) -> None:
    """Each node has its own SQLite file: the command is executed on every peer."""
    nodes = make_cluster(3)
    _check_pullout_everywhere(nodes, origin=1)


def test_pullout_reaches_every_node_with_one_shared_database(
    make_cluster, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """All nodes share one database (PostgreSQL when CI has one, else a SQLite file): peers read the change
    the origin wrote from the database."""
    if os.environ.get("ARTEMIS_TEST_POSTGRES_URL"):
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    nodes = make_cluster(3, database={"url": url})
    _check_pullout_everywhere(nodes, origin=2)


async def test_pullout_on_one_node_pushes_delete_on_another(make_cluster) -> None:
    """A pull-out made on A raises `delete` (and pull-in `new`) for WebSocket subscribers on B."""
    a, b = make_cluster(2)
    httpx.post(a.url + "/api/registry/register.json", json={"instances": [instance("svc-mgmt", "i1")]})
    wait_for(lambda: instance_ids(b.url, "svc-mgmt") == ["i1"], timeout=5, what="registered on B")
    body = {"instanceKey": KEY, "operation": "pullout", "operationComplete": True, "operatorId": "x"}
    async with (
        httpx.AsyncClient(timeout=5) as http,
        websockets.connect(b.url.replace("http://", "ws://") + "/ws") as ws,
    ):
        await ws.send(json.dumps({"type": "subscribe", "serviceId": "svc-mgmt"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "subscribed"
        await http.post(a.url + "/api/management/instance/operate-instance.json", json=body)
        msg = json.loads(await asyncio.wait_for(ws.recv(), 2.5))
        assert [c["changeType"] for c in msg["changes"]] == ["delete"]
        body["operation"] = "pullin"
        await http.post(a.url + "/api/management/instance/operate-instance.json", json=body)
        msg = json.loads(await asyncio.wait_for(ws.recv(), 2.5))
        assert [c["changeType"] for c in msg["changes"]] == ["new"]


@pytest.mark.parametrize("shared", [False, True], ids=["own-db", "shared-db"])
async def test_canary_change_on_one_node_reloads_subscribers_on_another(
    make_cluster, tmp_path: Path, shared: bool
) -> None:
    """A canary config set on A is in force on B and raises `reload` for B's subscribers (S11.4, S13.1)."""
    db = {"url": f"sqlite:///{tmp_path / 'shared.db'}"} if shared else {}
    a, b = make_cluster(2, database=db)
    async with (
        httpx.AsyncClient(timeout=5) as http,
        websockets.connect(b.url.replace("http://", "ws://") + "/ws") as ws,
    ):
        await ws.send(json.dumps({"type": "subscribe", "serviceId": "svc-canary"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "subscribed"
        body = {"serviceId": "svc-canary", "ipWhitelist": ["10.1.1.1"], "operatorId": "x"}
        r = await http.post(a.url + "/api/management/canary/config", json=body)
        assert r.json()["success"] is True
        msg = json.loads(await asyncio.wait_for(ws.recv(), 2.5))
        (change,) = msg["changes"]
        assert change["changeType"] == "reload"
        assert change["instance"]["instanceId"] == "reload"
        cfg = (await http.get(b.url + "/api/management/canary/config/svc-canary")).json()
        assert cfg["data"]["ipWhitelist"] == ["10.1.1.1"]
