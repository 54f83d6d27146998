"""The CLI's typed client over the shared failover core: typed answers, the one error tree, failover, the
async variant, against live nodes."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from artemis_cli.client import ArtemisClient, AsyncArtemisClient
from artemis_cli.errors import exit_code
from artemis_client._core import Request
from artemis_client.errors import (
    BadRequestError,
    InvalidArgumentError,
    NoSuchPathError,
    NotFoundError,
    TransportError,
)
from artemis_client.servers import parse_servers
from artemis_client.wire.registry import Instance, RawKey, Service
from artemis_client.wire.status import ServiceNodeStatus
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
    """Server lists are normalised to base URLs; a URL that is not http(s) is a usage error (exit 2)."""
    assert parse_servers("a:1, http://b:2/") == ["http://a:1", "http://b:2"]
    with pytest.raises(InvalidArgumentError) as ei:
        parse_servers("ftp://x")
    assert exit_code(ei.value) == 2
    with pytest.raises(InvalidArgumentError):
        parse_servers(" , ")


def test_registry_discovery_status_roundtrip(server: LiveServer, unique: Callable[[str], str]) -> None:
    """Every family of answer decodes into its wire Struct: register, discovery, lookup, leases, status."""
    sid = unique("svc")
    with ArtemisClient(server.url) as c:
        c.register([Instance(sid, "a", ip="10.0.0.1", port=1)])
        svc = c.service(sid)
        assert isinstance(svc, Service)
        assert [i.instance_id for i in svc.instances] == ["a"]
        assert c.lookup(sid).instance_id == "a"
        (only,) = c.lookup_many([sid])
        assert only.instances[0].instance_id == "a"
        assert sid in c.leases([sid]).leases_status
        doc = c.heartbeat([RawKey(sid, "a"), RawKey(sid, "ghost")])
        assert [k.instance_id for k in doc.failed_instance_keys or []] == ["ghost"]
        node = c.node_status()
        assert isinstance(node, ServiceNodeStatus)
        assert node.status == "up"
        assert c.up_registry_nodes()[0].url == server.url
        assert c.health() == "OK"
        c.unregister([RawKey(sid, "a")])
        after = c.service(sid)
        assert after is not None
        assert after.instances == []
        with pytest.raises(NotFoundError):
            c.lookup(sid)  # 404 {success:false}
        with pytest.raises(InvalidArgumentError):
            c.service(" ")


def test_family_a_failure_raises_the_class_the_server_named(server: LiveServer) -> None:
    """A business failure inside HTTP 200 (T8) raises the class of its errorCode; the CLI exits 1."""
    with ArtemisClient(server.url) as c, pytest.raises(BadRequestError) as ei:
        c.register([Instance("", "")])
    assert not isinstance(ei.value, InvalidArgumentError)
    assert exit_code(ei.value) == 1


def test_unknown_endpoint_is_no_such_path(server: LiveServer) -> None:
    """A path the server does not serve is NoSuchPathError (exit 3), with a message saying so."""
    with ArtemisClient(server.url) as c, pytest.raises(NoSuchPathError) as ei:
        c.call(Request("GET", "/api/nope/nothing", family="C", safe=True))
    assert "does not serve GET /api/nope/nothing" in str(ei.value)
    assert exit_code(ei.value) == 3


def test_failover_remembers_the_working_server(server: LiveServer) -> None:
    """A server that cannot be reached is skipped, and the one that answered is asked first next time."""
    with ArtemisClient([dead_url(), server.url]) as c:
        status = c.node_status()
        assert status is not None
        assert status.status == "up"
        assert c.last_server == server.url
        assert c.preferred == 1


def test_unsafe_call_is_not_retried_after_it_was_sent(black_hole: str, server: LiveServer) -> None:
    """A write that timed out after it was sent is not repeated elsewhere; the same call marked safe is."""
    with ArtemisClient([black_hole, server.url], timeout=0.3) as c:
        with pytest.raises(TransportError) as ei:
            c.call(Request("POST", "/api/status/node.json", json={}, safe=False, pick="nodeStatus"))
        assert "may or may not have been applied" in str(ei.value)
        assert exit_code(ei.value) == 4
        safe = Request("POST", "/api/status/node.json", json={}, safe=True, pick="nodeStatus")
        assert c.call(safe)["status"] == "up"


def test_unsafe_call_fails_over_when_the_connection_was_refused(server: LiveServer) -> None:
    """A refused connection means the request never left: every call may go to the next server."""
    with ArtemisClient([dead_url(), server.url]) as c:
        doc = c.call(Request("POST", "/api/status/node.json", json={}, safe=False, pick="nodeStatus"))
        assert doc["status"] == "up"


def test_all_down_is_unreachable() -> None:
    """No server reachable: TransportError, exit 4."""
    with ArtemisClient([dead_url(), dead_url()]) as c, pytest.raises(TransportError) as ei:
        c.services()
    assert exit_code(ei.value) == 4


async def test_async_client(server: LiveServer, unique: Callable[[str], str]) -> None:
    """The async client has the same typed endpoints and failover."""
    sid = unique("svc")
    register(server.url, sid, "a")
    async with AsyncArtemisClient([dead_url(), server.url]) as c:
        svc = await c.service(sid)
        assert svc is not None
        assert [i.instance_id for i in svc.instances] == ["a"]
        status = await c.cluster_status()
        assert status.node_count == 1
        with pytest.raises(NotFoundError):
            await c.lookup(unique("nope"))
