"""The SDK against a real node: registration, push into the cache, outages, client-side routing, close."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest

from artemis_client.client import AsyncArtemisClient
from artemis_client.sync import ArtemisClient
from artemis_client.wire.registry import Instance, InstanceChange
from tests.api.test_client_routing import setup_split
from tests.helpers import LiveServer, black_hole, dead_url, wait_for


def ids_on(url: str, service: str) -> list[str]:
    doc = httpx.get(url + "/api/discovery/service.json", params={"serviceId": service}, timeout=5).json()
    return [i["instanceId"] for i in doc["service"]["instances"]]


def inst(service: str, iid: str) -> Instance:
    return Instance(
        service_id=service, instance_id=iid, ip="127.0.0.1", port=9, url=f"http://127.0.0.1:9/{iid}"
    )


@pytest.fixture
def blackhole() -> Iterator[str]:
    with black_hole() as url:
        yield url


async def test_registration_is_visible_at_once_and_heartbeats_keep_it(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """register() returns once the node holds the instance (before any heartbeat), and the batched heartbeat
    keeps it alive well past the node's lease TTL."""
    node = make_server(lease={"ttl_secs": 1.0, "safe_check_enabled": False})
    svc = unique("sdk")
    async with AsyncArtemisClient(node.url, heartbeat_interval=0.25, lease_ttl=1.0) as client:
        await client.register(inst(svc, "a"), inst(svc, "b"))
        assert sorted(ids_on(node.url, svc)) == ["a", "b"]
        end = time.monotonic() + 2.5
        while time.monotonic() < end:  # bounded: 2.5 lease TTLs, checked all along
            assert sorted(await asyncio.to_thread(ids_on, node.url, svc)) == ["a", "b"]
            await asyncio.sleep(0.1)
    assert ids_on(node.url, svc) == []  # close() unregistered them


async def test_push_reaches_the_cache_and_watchers(server: LiveServer, unique: Callable[[str], str]) -> None:
    """A change registered by another process arrives in the handle's snapshot by push, and watch() yields it."""
    svc = unique("sdk")
    async with AsyncArtemisClient(server.url) as owner, AsyncArtemisClient(server.url) as user:
        await owner.register(inst(svc, "a"))
        handle = await user.discover(svc)
        assert [i.instance_id for i in handle.instances] == ["a"]
        changes = user.watch(svc)
        await asyncio.sleep(0)  # the watcher is in place before the change
        first = asyncio.ensure_future(changes.__anext__())
        await wait_for_async(lambda: user.stream_server is not None, "the change stream")
        await owner.register(inst(svc, "b"))
        change: InstanceChange = await asyncio.wait_for(first, 5)
        assert (change.change_type, change.instance.instance_id) == ("new", "b")
        assert [i.instance_id for i in handle.instances] == ["a", "b"]
        await changes.aclose()
        stats = user.stats()
        assert stats["counters"]["push_changes"] >= 1
        assert stats["services"][svc]["instances"] == 2
        assert stats["push_server"] == server.url
        assert owner.stats()["registered"] == 2


async def wait_for_async(pred: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_stale_snapshot_keeps_serving_during_an_outage(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """When the only node goes away the last snapshot keeps serving picks, flagged stale."""
    node = make_server()
    svc = unique("sdk")
    body = {"serviceId": svc, "instanceId": "a", "url": "http://127.0.0.1:9/a"}
    httpx.post(
        node.url + "/api/registry/register.json", json={"instances": [body]}, timeout=5
    ).raise_for_status()
    async with AsyncArtemisClient(node.url, poll_interval=0.5, close_timeout=1.0) as client:
        handle = await client.discover(svc)
        assert not handle.stale
        await asyncio.to_thread(node.stop)
        await wait_for_async(lambda: handle.stale, "the snapshot to go stale", timeout=8)
        assert handle.pick().instance_id == "a"
        assert handle.snapshot is not None
        assert handle.snapshot.age() > 0


async def test_route_split_holds_over_1000_picks_from_the_cache(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """On a node with default settings the SDK asks for the unrouted instances plus the rule
    (clientRouting), and 1,000 picks from the cache split exactly 700/300 between the groups of a 70/30
    rule, with no request per pick."""
    node = make_server()
    svc = unique("sdk")
    await asyncio.to_thread(setup_split, node.url, svc)
    async with AsyncArtemisClient(node.url, strategy="round-robin") as client:
        handle = await client.discover(svc)
        before = _discovery_calls(node.url)
        seen = Counter(handle.pick().group_id for _ in range(1000))
        assert seen == {"group-a": 700, "group-b": 300}
        assert _discovery_calls(node.url) == before


def _discovery_calls(url: str) -> float:
    for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith("artemis_discovery_requests_total "):
            return float(line.split()[-1])
    return 0.0


def test_close_returns_within_its_deadline_with_every_server_down(
    make_server: Callable[..., LiveServer], blackhole: str, unique: Callable[[str], str]
) -> None:
    """With the node gone and the other server a black hole, close() (which tries to unregister) returns
    within its deadline and joins its one thread."""
    node = make_server()
    svc = unique("sdk")
    client = ArtemisClient([node.url, blackhole], close_timeout=1.0, request_timeout=5.0)
    client.start()
    client.register(inst(svc, "a"))
    thread = client.thread
    assert thread is not None
    assert thread.name == "artemis-client"
    assert thread.daemon
    assert [t for t in threading.enumerate() if t.name == "artemis-client"] == [thread]
    node.stop()
    start = time.monotonic()
    client.close()
    assert time.monotonic() - start < 1.5
    assert not thread.is_alive()


def test_sync_client_callbacks_run_on_its_thread_and_survive_errors(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """on_change callbacks run on the client's own thread; one that raises is logged and the next change is
    still delivered."""
    svc = unique("sdk")
    seen: list[tuple[str, str]] = []

    def boom(change: InstanceChange) -> None:
        raise RuntimeError("callback bug")

    def record(change: InstanceChange) -> None:
        seen.append((threading.current_thread().name, change.instance.instance_id))

    with ArtemisClient(server.url) as watcher, ArtemisClient(server.url) as owner:
        watcher.on_change(svc, boom)
        watcher.on_change(svc, record)
        watcher.discover(svc, timeout=5)
        wait_for(lambda: watcher.stream_server is not None, what="the change stream")
        owner.register(inst(svc, "a"))
        wait_for(lambda: ("artemis-client", "a") in seen, what="the first change")
        owner.register(inst(svc, "b"))
        wait_for(lambda: ("artemis-client", "b") in seen, what="the second change")
        assert watcher.pick(svc).instance_id in ("a", "b")


FORK_SCRIPT = """
import os, sys, time
from artemis_client.sync import ArtemisClient
from artemis_client.wire.registry import Instance

url, svc = sys.argv[1], sys.argv[2]
client = ArtemisClient(url, heartbeat_interval=0.5)
client.register(Instance(service_id=svc, instance_id="parent", url="http://127.0.0.1:9/p"))
handle = client.discover(svc)
pid = os.fork()
if pid == 0:
    # the child: no thread of the parent's, a fresh client on first use, the copied cache still serving
    assert client.thread is None
    assert handle.pick().instance_id == "parent"
    client.register(Instance(service_id=svc, instance_id="child", url="http://127.0.0.1:9/c"))
    deadline = time.monotonic() + 5
    while {i.instance_id for i in handle.instances} != {"parent", "child"}:
        assert time.monotonic() < deadline, handle.instances
        time.sleep(0.05)
    client.close()
    os._exit(0)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
deadline = time.monotonic() + 5
while {i.instance_id for i in handle.instances} != {"parent"}:  # the child unregistered only its own
    assert time.monotonic() < deadline, handle.instances
    time.sleep(0.05)
client.close()
print("ok")
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_starts_fresh_and_works(server: LiveServer, unique: Callable[[str], str]) -> None:
    """After fork() the child gets a client of its own on first use (its own thread, registrations and
    stream), serves picks from the copied cache meanwhile, and leaves the parent's registration alone."""
    import subprocess
    import sys

    from tests.helpers import ROOT

    proc = subprocess.run(
        [sys.executable, "-c", FORK_SCRIPT, server.url, unique("sdk")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "ok"


@pytest.fixture
def backend() -> Iterator[str]:
    """A real HTTP service to call: answers every GET with its own port."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = str(self.server.server_address[1]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


async def test_request_retries_on_another_instance_and_ejects_the_dead_one(
    server: LiveServer, backend: str, unique: Callable[[str], str]
) -> None:
    """request() picks, calls, and when an instance refuses the connection reports it and succeeds on
    another; later picks leave the ejected instance out. routing="server" asks the node for each pick."""
    svc = unique("sdk")
    dead = dead_url()
    async with AsyncArtemisClient(server.url, strategy="round-robin") as client:
        await client.register(
            Instance(service_id=svc, instance_id="dead", url=dead),
            Instance(service_id=svc, instance_id="live", url=backend),
        )
        for _ in range(4):
            resp = await client.request(svc, "GET", "/hello")
            assert resp.status_code == 200
            assert resp.text == backend.rsplit(":", 1)[1]
        handle = client.service(svc)
        assert handle.balancer.ejected() == frozenset({"dead"})
        async with AsyncArtemisClient(server.url, routing="server") as remote:
            assert (await remote.pick(svc)).instance_id in ("dead", "live")


async def test_register_raises_for_an_instance_the_node_refuses(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """An instance the node refuses for good (a port out of range) makes register() raise BadRequestError
    naming it; the valid one sent with it is registered."""
    from artemis_client.errors import BadRequestError

    svc = unique("sdk")
    async with AsyncArtemisClient(server.url) as client:
        with pytest.raises(BadRequestError, match="bad"):
            await client.register(
                inst(svc, "good"), Instance(service_id=svc, instance_id="bad", url="http://x", port=70000)
            )
        assert ids_on(server.url, svc) == ["good"]
        assert [i.instance_id for i in client.registrar.instances] == ["good"]


async def test_drain_marks_down_first_then_unregisters(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """drain(): the instance leaves discovery (and a follower's cache) at once, marked down, while it stays
    registered for the grace period; then it is unregistered."""
    svc = unique("sdk")
    async with AsyncArtemisClient(server.url) as owner, AsyncArtemisClient(server.url) as user:
        await owner.register(inst(svc, "a"))
        handle = await user.discover(svc)
        await wait_for_async(lambda: user.stream_server is not None, "the change stream")
        draining = asyncio.ensure_future(owner.drain(grace=1.0))
        await wait_for_async(lambda: handle.instances == (), "the follower to drop the instance")
        leases = await asyncio.to_thread(
            lambda: httpx.get(
                server.url + "/api/status/leases.json", params={"appIds": svc}, timeout=5
            ).json()
        )
        assert leases["leaseCount"] == 1  # still registered, only marked down
        await draining
        assert owner.registrar.instances == []
        assert ids_on(server.url, svc) == []
