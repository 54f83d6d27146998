"""The shared HTTP client: envelopes, failover, retrying only safe calls, the error kinds, async variant."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from artemis_cli.client import (
    ArtemisClient,
    AsyncArtemisClient,
    BadInput,
    NotFound,
    Refused,
    Request,
    Unreachable,
    parse_servers,
)
from tests.cli.conftest import register
from tests.helpers import LiveServer


@pytest.fixture
def black_hole() -> Iterator[str]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


def dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def test_parse_servers() -> None:
    assert parse_servers("a:1, http://b:2/") == ["http://a:1", "http://b:2"]
    with pytest.raises(BadInput):
        parse_servers("ftp://x")
    with pytest.raises(BadInput):
        parse_servers(" , ")


def test_registry_discovery_status_roundtrip(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("svc")
    with ArtemisClient(server.url) as c:
        c.register([{"serviceId": sid, "instanceId": "a", "ip": "10.0.0.1", "port": 1}])
        assert [i["instanceId"] for i in c.service(sid)["instances"]] == ["a"]
        assert c.lookup(sid)["instanceId"] == "a"
        (only,) = c.lookup_many([sid])
        assert only["instances"][0]["instanceId"] == "a"
        assert sid in c.leases([sid])["leasesStatus"]
        doc = c.heartbeat([{"serviceId": sid, "instanceId": "a"}, {"serviceId": sid, "instanceId": "ghost"}])
        assert [k["instanceId"] for k in doc["failedInstanceKeys"]] == ["ghost"]
        assert c.node_status()["status"] == "up"
        assert c.up_registry_nodes()[0]["url"] == server.url
        assert c.health() == "OK"
        c.unregister([{"serviceId": sid, "instanceId": "a"}])
        assert c.service(sid)["instances"] == []
        with pytest.raises(NotFound):
            c.lookup(sid)  # 404 {success:false}
        with pytest.raises(BadInput):
            c.service(" ")


def test_family_a_failure_is_refused(server: LiveServer) -> None:
    with ArtemisClient(server.url) as c, pytest.raises(Refused) as ei:
        c.register([{"serviceId": "", "instanceId": ""}])
    assert ei.value.exit_code == 1


def test_unknown_endpoint_is_not_found(server: LiveServer) -> None:
    with ArtemisClient(server.url) as c, pytest.raises(NotFound) as ei:
        c._call(Request("GET", "/api/nope/nothing", family="C", safe=True))
    assert "does not serve GET /api/nope/nothing" in str(ei.value)


def test_failover_remembers_the_working_server(server: LiveServer) -> None:
    with ArtemisClient([dead_url(), server.url]) as c:
        assert c.node_status()["status"] == "up"
        assert c.last_server == server.url
        assert c.preferred == 1


def test_unsafe_call_is_not_retried_after_it_was_sent(black_hole: str, server: LiveServer) -> None:
    with ArtemisClient([black_hole, server.url], timeout=0.3) as c:
        with pytest.raises(Unreachable) as ei:
            c._call(Request("POST", "/api/status/node.json", json={}, safe=False, pick="nodeStatus"))
        assert "may or may not have been applied" in str(ei.value)
        # the same call marked safe moves on to the next server
        assert (
            c._call(Request("POST", "/api/status/node.json", json={}, safe=True, pick="nodeStatus"))["status"]
            == "up"
        )


def test_unsafe_call_fails_over_when_the_connection_was_refused(server: LiveServer) -> None:
    """A refused connection means the request never left: every call may go to the next server."""
    with ArtemisClient([dead_url(), server.url]) as c:
        doc = c._call(Request("POST", "/api/status/node.json", json={}, safe=False, pick="nodeStatus"))
        assert doc["status"] == "up"


def test_all_down_is_unreachable() -> None:
    with ArtemisClient([dead_url(), dead_url()]) as c, pytest.raises(Unreachable) as ei:
        c.services()
    assert ei.value.exit_code == 4


async def test_async_client(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("svc")
    register(server.url, sid, "a")
    async with AsyncArtemisClient([dead_url(), server.url]) as c:
        svc = await c.service(sid)
        assert [i["instanceId"] for i in svc["instances"]] == ["a"]
        status = await c.cluster_status()
        assert status["nodeCount"] == 1
        with pytest.raises(NotFound):
            await c.lookup(unique("nope"))
