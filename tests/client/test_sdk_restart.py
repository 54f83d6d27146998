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
def test_registration_returns_after_the_node_restarts(tmp_path: Path, unique: Callable[[str], str]) -> None:
    """A node killed and started again has forgotten every instance (memory only); the next heartbeat is
    answered data-not-found and the SDK registers again at once, and discovery follows the new node."""
    node = ServerProcess(tmp_path / "node").start()
    svc = unique("sdk")
    try:
        with ArtemisClient(node.url, heartbeat_interval=0.3, poll_interval=1.0) as client:
            client.register(Instance(service_id=svc, instance_id="a", url="http://127.0.0.1:9/a"))
            handle = client.discover(svc)
            node.kill()
            node.start()
            assert wait_for(lambda: ids_on(node.url, svc) == ["a"], timeout=10, what="the re-registration")
            wait_for(lambda: not handle.stale and len(handle.instances) == 1, timeout=10, what="fresh cache")
    finally:
        node.kill()
