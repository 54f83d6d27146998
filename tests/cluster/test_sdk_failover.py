"""The SDK on a cluster: when its node dies, heartbeats move to another node before the lease ends."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from artemis_client.sync import ArtemisClient
from artemis_client.wire.registry import Instance
from tests.helpers import LiveServer, wait_for


def ids_on(url: str, service: str) -> list[str]:
    doc = httpx.get(url + "/api/discovery/service.json", params={"serviceId": service}, timeout=2).json()
    return [i["instanceId"] for i in doc["service"]["instances"]]


@pytest.mark.slow
def test_heartbeats_fail_over_when_the_node_in_use_dies(
    make_cluster: Callable[..., list[LiveServer]],
) -> None:
    """Three peered nodes, 1.5 s leases: the node the client heartbeats to is stopped, and the instance stays
    registered on the survivors for two lease TTLs (the heartbeats reached another node in time)."""
    nodes = make_cluster(3, lease={"ttl_secs": 1.5, "safe_check_enabled": False})
    svc = "sdk-failover"
    with ArtemisClient(
        [n.url for n in nodes], heartbeat_interval=0.3, lease_ttl=1.5, close_timeout=1.0
    ) as client:
        client.register(Instance(service_id=svc, instance_id="a", url="http://127.0.0.1:9/a"))
        used = client._client.registry_servers.current
        victim = next(n for n in nodes if n.url == used)
        victim.stop()
        survivors = [n for n in nodes if n is not victim]
        end = time.monotonic() + 3.0
        while time.monotonic() < end:  # bounded: two TTLs, checked all along
            for n in survivors:
                assert ids_on(n.url, svc) == ["a"], n.url
            time.sleep(0.1)
        assert client._client.registry_servers.current != used


@pytest.mark.slow
def test_websocket_heartbeats_fail_over_when_their_node_dies(
    make_cluster: Callable[..., list[LiveServer]],
) -> None:
    """Two peered nodes, 1.5 s leases, heartbeats over the WebSocket: the node holding the heartbeat socket
    is stopped, the instance stays registered on the survivor for two TTLs, and the socket reopens there."""
    nodes = make_cluster(2, lease={"ttl_secs": 1.5, "safe_check_enabled": False})
    svc = "sdk-ws-failover"
    with ArtemisClient(
        [n.url for n in nodes],
        heartbeat_interval=0.3,
        lease_ttl=1.5,
        close_timeout=1.0,
        heartbeat_transport="websocket",
    ) as client:
        client.register(Instance(service_id=svc, instance_id="a", url="http://127.0.0.1:9/a"))
        wait_for(lambda: client.stats()["heartbeat_socket"] is not None, what="the heartbeat socket")
        used = client.stats()["heartbeat_socket"]
        victim = next(n for n in nodes if n.url == used)
        (survivor,) = [n for n in nodes if n is not victim]
        victim.stop()
        end = time.monotonic() + 3.0
        while time.monotonic() < end:  # bounded: two TTLs, checked all along
            assert ids_on(survivor.url, svc) == ["a"]
            time.sleep(0.1)
        assert client.stats()["heartbeat_socket"] == survivor.url
        assert client.stats()["counters"]["heartbeat_ws_connects"] >= 2
