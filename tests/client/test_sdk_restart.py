"""The SDK survives its node restarting: the lost registration comes back by itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from artemis_client.sync import ArtemisClient
from artemis_client.wire.registry import Instance
from tests.helpers import ServerProcess, wait_for


def ids_on(url: str, service: str) -> list[str]:
    try:
        doc = httpx.get(url + "/api/discovery/service.json", params={"serviceId": service}, timeout=2).json()
    except httpx.HTTPError:
        return []
    return [i["instanceId"] for i in doc["service"]["instances"]]


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["http", "websocket"])
def test_registration_returns_after_the_node_restarts(
    tmp_path: Path, unique: Callable[[str], str], transport: str
) -> None:
    """A node killed and started again has forgotten every instance (memory only); the next heartbeat (over
    HTTP, or over the heartbeat socket, reopened) is answered data-not-found and the SDK registers again at
    once, and discovery follows the new node."""
    node = ServerProcess(tmp_path / "node").start()
    svc = unique("sdk")
    try:
        with ArtemisClient(
            node.url, heartbeat_interval=0.3, poll_interval=1.0, heartbeat_transport=transport
        ) as client:
            client.register(Instance(service_id=svc, instance_id="a", url="http://127.0.0.1:9/a"))
            handle = client.discover(svc)
            if transport == "websocket":
                wait_for(lambda: "heartbeat_ws" in client.stats()["counters"], what="a beat on the socket")
            node.kill()
            node.start()
            assert wait_for(lambda: ids_on(node.url, svc) == ["a"], timeout=10, what="the re-registration")
            wait_for(lambda: not handle.stale and len(handle.instances) == 1, timeout=10, what="fresh cache")
            if transport == "websocket":  # the beats went back onto a socket opened on the new process
                beats = client.stats()["counters"]["heartbeat_ws"]
                wait_for(
                    lambda: client.stats()["counters"]["heartbeat_ws"] >= beats + 2,
                    timeout=20,  # the socket's reconnect back-off is at most 10 s
                    what="heartbeats over the reopened socket",
                )
                assert client.stats()["counters"]["heartbeat_ws_connects"] >= 2
    finally:
        node.kill()
