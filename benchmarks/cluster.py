"""Cluster scenarios of issue 20, run by ``python -m benchmarks.run --only sync,mgmtpush,rejoin,cost``.

Every node is a real ``artemis server start`` process on 127.0.0.1; figures are read from outside (HTTP,
WebSocket, /metrics, the process's CPU and RSS), so the scenarios do not depend on how the server is built.

7. **Start-up sync** (``sync``): a peer holds N instances (1,000,000 by default); a node configured with that
   peer is spawned; the time from spawn to ``status: up`` (``/api/status/node.json``) and to holding all N
   instances (``artemis_active_instances`` on /metrics, then a discovery of sampled services must answer all
   100 instances of each), its RSS (peak while joining, and after), and what the peer's answer costs.
8. **Management change to subscribers of another node** (``mgmtpush``): a 3-node cluster; 1,000 WebSocket
   subscribers on node C watch one service; an instance of it is pulled out / pulled in on node A, again and
   again; the time from sending the change to A until the first and the last subscriber on C got the frame.
9. **Kill and rejoin under load** (``rejoin``): a 3-node cluster, a fleet of clients heartbeating every
   ``interval`` seconds to their home node (failing over to the next node when it cannot be reached, and
   registering again when a heartbeat is refused, as the Java client does), probe registrations on A watched
   over WebSocket on B and C; C is SIGKILLed, restarted on the same port and data directory; per second:
   heartbeats delivered / failed over / refused, replication lag to B and C, and what /metrics of each node
   says (instances held, items pending and dropped for C).
10. **Per-key CPU cost at a fixed rate** (``cost``): heartbeats at a steady rate, well below saturation, to a
   node alone and to the same node with two peers; CPU seconds per key of the client heartbeat (through the
   renewal cache), of sending it on to the peers, and of a peer absorbing it. docs/capacity.md is built on
   these and on the saturation figures of scenario 2.
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httptools
import httpx
import msgspec

from benchmarks import procs
from benchmarks.loadgen import Pool, http_request, open_loop, run_all
from benchmarks.shapes import (
    OK_MARK,
    SERVER_ENV,
    dataset,
    fetch,
    heartbeat_requests,
    instance,
    ms,
    pct,
    register_requests,
)

if TYPE_CHECKING:
    from benchmarks.run import Bench

# The rejoin scenario keeps the lease TTLs of a production node (20 s, 90 s legacy).
REAL_LEASES_ENV = {k: v for k, v in SERVER_ENV.items() if not k.startswith("ARTEMIS_LEASE__")}
_GAUGE = re.compile(r"^([a-z_]+)(?:\{([^}]*)\})? (\S+)$", re.M)


def gauges(text: str) -> dict[str, float]:
    """Every sample of a /metrics page: ``name`` or ``name{labels}`` -> value."""
    out: dict[str, float] = {}
    for name, labels, value in _GAUGE.findall(text):
        try:
            out[f"{name}{{{labels}}}" if labels else name] = float(value)
        except ValueError:
            continue
    return out


def for_peer(g: dict[str, float], name: str, port: int) -> float | None:
    """The sample of ``name`` whose ``peer`` label is the node on ``port``."""
    for k, v in g.items():
        if k.startswith(name + "{") and f":{port}" in k:
            return v
    return None


class Nodes:
    """``n`` peered nodes on fixed loopback ports (a killed node comes back on the same port and data dir)."""

    def __init__(self, n: int, env: dict[str, str], cpus: set[int] | None, prefix: str = "node") -> None:
        self.ports = [procs.free_port() for _ in range(n)]
        self.dirs = [procs.tmpdir(f"artemis-bench-{prefix}-") for _ in range(n)]
        self.env = env
        self.cpus = cpus
        self.names = ["ABCDEFGH"[k] for k in range(n)]
        self.procs: list[procs.Proc] = [self.make(k) for k in range(n)]

    def make(self, k: int) -> procs.Proc:
        port = self.ports[k]
        return procs.artemis(
            self.dirs[k],
            port=port,
            peers=[q for q in self.ports if q != port],
            cpus=self.cpus,
            env=self.env,
            name=f"node-{self.names[k]}",
        )

    async def start(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(p.start, 60.0) for p in self.procs))

    def url(self, k: int) -> str:
        return f"http://127.0.0.1:{self.ports[k]}"

    async def restart(self, k: int) -> procs.Proc:
        self.procs[k] = self.make(k)
        await asyncio.to_thread(self.procs[k].start, 60.0)
        return self.procs[k]

    def stop(self) -> None:
        for p in self.procs:
            p.stop()
        for d in self.dirs:
            procs.rmtree(d)


async def wait_up(http: httpx.AsyncClient, url: str, timeout: float) -> bool:
    """Until the node says ``up`` and its management plane answers (it opens its database after /health)."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        try:
            st = (await http.get(url + "/api/status/node.json")).json()
            mg = await http.get(url + "/api/management/audit/logs")
            if st.get("nodeStatus", {}).get("status") == "up" and mg.status_code == 200:
                return True
        except (httpx.HTTPError, ValueError):
            pass
        await asyncio.sleep(0.05)
    return False


async def register_all(port: int, instances: list[dict[str, Any]], chunk: int = 100_000) -> int:
    """Register in batches of 100 over 4 connections; returns the errors."""
    errors = 0
    for k in range(0, len(instances), chunk):
        pool = await Pool("127.0.0.1", port, 4).open(OK_MARK)
        res = await run_all(pool, register_requests(instances[k : k + chunk], 100), depth=4)
        await pool.close()
        errors += res.errors + res.missing
    return errors


async def active_instances(http: httpx.AsyncClient, url: str) -> float | None:
    try:
        return gauges((await http.get(url + "/metrics")).text).get("artemis_active_instances")
    except httpx.HTTPError:
        return None


# -- 7: start-up sync ----------------------------------------------------------------------------------------


async def startup_sync(bench: Bench) -> dict[str, Any]:
    """Scenario 7: a node joins a peer holding ``sync_n`` instances."""
    p = bench.p
    n = p.sync_n
    dirs = [procs.tmpdir("artemis-bench-sync-") for _ in range(2)]
    # The peer on CPU 1 (the generator is idle meanwhile), the joining node alone on CPU 0. The peer runs
    # without peers of its own: registering the data set then measures nothing but registering.
    peer = procs.artemis(dirs[0], env=SERVER_ENV, cpus=bench.cpu(1), name="peer").start()
    joining: procs.Proc | None = None
    out: dict[str, Any] = {"instances": n}
    try:
        insts = [instance(f"sync-svc-{i // 100}", i) for i in range(n)]
        t = time.perf_counter()
        out["register_errors"] = await register_all(peer.port, insts)
        out["register_seconds"] = round(time.perf_counter() - t, 2)
        del insts
        assert peer.usage is not None
        time.sleep(0.3)
        out["peer_rss_bytes"] = peer.usage.rss()
        bench.say(f"sync: the peer holds {n:,} instances ({out['register_seconds']} s to register)")
        # at info level the joining node logs the outcome of its start-up sync
        env = {**SERVER_ENV, "ARTEMIS_LOGGING__LEVEL": "info"}
        joining = procs.artemis(dirs[1], env=env, peers=[peer.port], cpus=bench.cpu(0), name="joining")
        out["joining"] = await watch_join(bench, joining, peer, n)
        out["peer_rss_peak_bytes"] = out["joining"].pop("peer_rss_peak_bytes")
        out["peer_answer"] = await time_peer_answer(peer.port)
        j = out["joining"]
        bench.say(
            f"sync: up after {j['up_s']} s, all {n:,} after {j['all_s']} s, "
            f"RSS {j['rss_after_bytes'] / 2**20:.0f} MB (peak {j['rss_peak_bytes'] / 2**20:.0f} MB); "
            f"{j['sync_log']}"
        )
    finally:
        if joining is not None:
            joining.stop()
        peer.stop()
        for d in dirs:
            procs.rmtree(d)
    j = out["joining"]
    label = f"7 start-up sync, peer holds {n:,}"
    bench.row(
        label,
        "s from spawn: listening / up / serving all",
        f"{j['listening_s']}/{j['up_s']}/{j['all_s']}",
        goal=f"up and serving all within {bench.goals['sync_1m_up_s']:.0f} s at 1,000,000 (issue 20)",
    )
    bench.row(
        label,
        "joining node CPU s from spawn to up (process start included)",
        j["cpu_s_to_up"],
        goal="the join's cost whatever the machine's load",
    )
    bench.row(
        label,
        "joining node RSS MB after / peak",
        f"{j['rss_after_bytes'] / 2**20:.0f}/{j['rss_peak_bytes'] / 2**20:.0f}",
        goal="< 1.5 GB (issue 20)",
    )
    bench.row(
        label,
        "longest /health answer during the join, ms",
        j["health_max_ms"],
        goal=f"{j['health_over_2s']} answers over the peers' 2 s health-check timeout",
    )
    pa = out["peer_answer"]
    bench.row(
        label,
        "peer's answer: MB / s to first byte / s to last",
        f"{pa['bytes'] / 2**20:.0f}/{pa['first_byte_s']}/{pa['total_s']}",
    )
    return out


async def watch_join(bench: Bench, node: procs.Proc, peer: procs.Proc, n: int) -> dict[str, Any]:
    """Spawn ``node`` and poll it every 20 ms: status, instances held, RSS (peak), bounded."""
    deadline = bench.p.sync_deadline
    await asyncio.to_thread(node.start, 60.0)
    t0 = node.t_spawn
    url = f"http://127.0.0.1:{node.port}"
    # /health asked every 50 ms meanwhile: how long the node keeps a caller (a peer's health check has
    # cluster.health_check_timeout_secs = 2 s) waiting while it copies the registry
    stop = asyncio.Event()
    health: list[float] = []
    prober = asyncio.create_task(health_probe(url, stop, health))
    assert node.usage is not None
    assert peer.usage is not None
    up_at: float | None = None
    cpu_up: float | None = None
    all_at: float | None = None
    held = 0.0
    rss_peak = peer_peak = 0
    async with httpx.AsyncClient(timeout=60, trust_env=False) as http:
        while time.perf_counter() - t0 < deadline:
            rss_peak = max(rss_peak, node.usage.rss())
            peer_peak = max(peer_peak, peer.usage.rss())
            if up_at is None:
                try:
                    st = (await http.get(url + "/api/status/node.json")).json()
                except (httpx.HTTPError, ValueError):
                    st = {}
                if st.get("nodeStatus", {}).get("status") == "up":
                    up_at = time.perf_counter()
                    cpu_up = node.usage.cpu()  # spawn to up: what the join costs whatever the load
            if all_at is None:
                held = await active_instances(http, url) or 0.0
                if held >= n:
                    all_at = time.perf_counter()
            if up_at is not None and all_at is not None:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await prober
        time.sleep(0.5)
        rss_after = node.usage.rss()
        sampled = await discovery_sample(node.port, n)
    sync_log = [ln.split(": ", 1)[-1] for ln in node.log().splitlines() if "start-up sync" in ln]
    return {
        "listening_s": round(node.t_listen - t0, 2),
        "up_s": round(up_at - t0, 2) if up_at else None,
        "cpu_s_to_up": round(cpu_up, 2) if cpu_up is not None else None,
        "all_s": round(all_at - t0, 2) if all_at else None,
        "held_at_end": held,
        "deadline_s": deadline,
        "rss_after_bytes": rss_after,
        "rss_peak_bytes": rss_peak,
        "peer_rss_peak_bytes": peer_peak,
        "discovery_sample": sampled,
        "health_max_ms": ms(max(health, default=None)),
        "health_p99_ms": ms(pct(health, 99)),
        "health_over_2s": sum(1 for h in health if h > 2.0),
        "sync_log": "; ".join(sync_log) or "no start-up sync line in the log",
    }


async def health_probe(url: str, stop: asyncio.Event, out: list[float]) -> None:
    """GET /health every 50 ms until ``stop``; each answer's time (a stalled loop shows as a long one)."""
    async with httpx.AsyncClient(timeout=120, trust_env=False) as http:
        while not stop.is_set():
            t = time.perf_counter()
            try:
                await http.get(url + "/health")
            except httpx.HTTPError:
                pass
            out.append(time.perf_counter() - t)
            await asyncio.sleep(0.05)


async def discovery_sample(port: int, n: int) -> dict[str, Any]:
    """Discovery of the first, the last and a few services between: each must list its 100 instances."""
    services = max(1, n // 100)
    picks = sorted({0, services - 1, *(services * k // 8 for k in range(1, 8))})
    counts = {}
    for s in picks:
        body = await fetch(
            port,
            http_request(
                "POST",
                "/api/discovery/service.json",
                json.dumps({"discoveryConfig": {"serviceId": f"sync-svc-{s}"}}).encode(),
            ),
        )
        doc = json.loads(body)
        counts[f"sync-svc-{s}"] = len((doc.get("service") or {}).get("instances") or [])
    expect = {k: min(100, n - 100 * int(k.rsplit("-", 1)[1])) for k in counts}
    return {"services": counts, "complete": counts == expect}


async def time_peer_answer(port: int) -> dict[str, Any]:
    """What the peer's start-up sync answer costs on its own: size, time to the first and the last byte."""
    async with httpx.AsyncClient(timeout=120, trust_env=False) as http:
        t0 = time.perf_counter()
        first: float | None = None
        size = 0
        async with http.stream(
            "POST", f"http://127.0.0.1:{port}/api/replication/registry/services.json", content=b"{}"
        ) as resp:
            async for chunk in resp.aiter_raw():
                if first is None:
                    first = time.perf_counter()
                size += len(chunk)
        t1 = time.perf_counter()
    return {
        "bytes": size,
        "first_byte_s": round((first or t1) - t0, 2),
        "total_s": round(t1 - t0, 2),
    }


# -- 8: management change to the subscribers of another node ------------------------------------------------


async def mgmt_push(bench: Bench) -> dict[str, Any]:
    """Scenario 8: pull-out / pull-in on A, ``mgmt_subs`` WebSocket subscribers on C."""
    p = bench.p
    nodes = Nodes(3, SERVER_ENV, bench.cpu(0, 1), "mgmt")
    subs: list[procs.WsSubscriber] = []
    svc, iid = "bench-mgmt", "mgmt-0"
    try:
        await nodes.start()
        c = nodes.procs[2]
        async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
            for k in range(3):
                if not await wait_up(http, nodes.url(k), 60):
                    raise RuntimeError(f"node {nodes.names[k]} did not come up")
            reg = await http.post(
                nodes.url(0) + "/api/registry/register.json",
                json={"instances": [{"serviceId": svc, "instanceId": iid, "ip": "10.8.8.8", "port": 80}]},
            )
            assert OK_MARK in reg.content, reg.text
            if not await poll(lambda: discovered(http, nodes.url(2), svc), 10):
                raise RuntimeError("the instance registered on A never reached C")
            state: dict[str, Any] = {"mark": b"", "count": 0, "first": 0.0, "last": 0.0, "acks": 0}
            done = asyncio.Event()
            acked = asyncio.Event()
            n = p.mgmt_subs

            def on_text(payload: bytes, t: float) -> None:
                if b'"subscribed"' in payload:
                    state["acks"] += 1
                    if state["acks"] >= n:
                        acked.set()
                    return
                if state["mark"] and state["mark"] in payload and iid.encode() in payload:
                    state["count"] += 1
                    if state["count"] == 1:
                        state["first"] = t
                    if state["count"] >= n:
                        state["last"] = t
                        done.set()

            def on_local(payload: bytes, t: float) -> None:
                # one subscriber on A itself: when the change is in force where it was made
                if (
                    state["mark"]
                    and state["mark"] in payload
                    and iid.encode() in payload
                    and not state["local"]
                ):
                    state["local"] = t

            for _ in range(n):
                subs.append(await procs.ws_subscribe(c.port, svc, on_text))
            await asyncio.wait_for(acked.wait(), 30)
            subs.append(await procs.ws_subscribe(nodes.ports[0], svc, on_local))
            await asyncio.sleep(0.2)
            locals_: list[float] = []
            lasts: list[float] = []
            firsts: list[float] = []
            answers: list[float] = []
            lost = 0
            # CPU of every node and of this process (its 1,000 subscribers parse every frame) over the rounds:
            # what one change costs where, which the machine's load distorts less than the latencies
            usages = [q.usage for q in nodes.procs]
            cpu0 = [u.cpu() if u is not None else 0.0 for u in usages]
            gen0 = time.process_time()
            for r in range(p.mgmt_rounds):
                op, change = (
                    ("pullout", b'"changeType":"delete"') if r % 2 == 0 else ("pullin", b'"changeType":"new"')
                )
                state.update(mark=change, count=0, first=0.0, last=0.0, local=0.0)
                done.clear()
                body = {
                    "instanceKey": {"serviceId": svc, "instanceId": iid},
                    "operation": op,
                    "operationComplete": True,
                    "operatorId": "bench",
                }
                t0 = time.perf_counter()
                write = asyncio.create_task(
                    timed(
                        http.post(nodes.url(0) + "/api/management/instance/operate-instance.json", json=body)
                    )
                )
                try:
                    await asyncio.wait_for(done.wait(), 10)
                    lasts.append(state["last"] - t0)
                    firsts.append(state["first"] - t0)
                    if state["local"]:
                        locals_.append(state["local"] - t0)
                except TimeoutError:
                    lost += 1
                resp, answered = await write
                answers.append(answered - t0)
                if resp.status_code != 200:
                    raise RuntimeError(f"{op} on A answered {resp.status_code}: {resp.text[:200]}")
                await asyncio.sleep(0.15)
            assert c.usage is not None
            rounds = max(1, p.mgmt_rounds)
            cpu_ms = {
                name: round(1000 * ((u.cpu() if u is not None else 0.0) - before) / rounds, 2)
                for name, u, before in zip(nodes.names, usages, cpu0, strict=True)
            }
            out = {
                "subscribers": n,
                "rounds": p.mgmt_rounds,
                "incomplete_rounds": lost,
                "p50_ms": ms(pct(lasts, 50)),
                "p99_ms": ms(pct(lasts, 99)),
                "max_ms": ms(max(lasts, default=None)),
                "first_subscriber_p50_ms": ms(pct(firsts, 50)),
                "first_subscriber_p99_ms": ms(pct(firsts, 99)),
                "subscriber_on_A_p50_ms": ms(pct(locals_, 50)),
                "subscriber_on_A_p99_ms": ms(pct(locals_, 99)),
                "write_answer_on_A_p50_ms": ms(pct(answers, 50)),
                "write_answer_on_A_p99_ms": ms(pct(answers, 99)),
                "rss_bytes_C": c.usage.rss(),
                # per round (a change and the 0.15 s pause after it, with the nodes' background work)
                "cpu_ms_per_round": cpu_ms,
                "generator_cpu_ms_per_round": round(1000 * (time.process_time() - gen0) / rounds, 2),
            }
    finally:
        for s in subs:
            if s.transport is not None:
                s.transport.close()
        nodes.stop()
    bench.say(
        f"management change A -> {out['subscribers']} subscribers on C: p50 {out['p50_ms']} ms, "
        f"p99 {out['p99_ms']} ms ({lost} incomplete)"
    )
    bench.row(
        f"8 pull-out on A -> {out['subscribers']} subs on C",
        "p50/p99/max ms to last subscriber",
        f"{out['p50_ms']}/{out['p99_ms']}/{out['max_ms']}",
        goal=f"p99 < {bench.goals['mgmt_push_p99_ms']:.0f} ms (issue 20)",
    )
    bench.row(
        f"8 pull-out on A -> {out['subscribers']} subs on C",
        "p50/p99 ms to the first on C / to one on A",
        f"{out['first_subscriber_p50_ms']}/{out['first_subscriber_p99_ms']} / "
        f"{out['subscriber_on_A_p50_ms']}/{out['subscriber_on_A_p99_ms']}",
    )
    bench.row(
        f"8 pull-out on A -> {out['subscribers']} subs on C",
        "CPU ms per change: A / B / C / generator",
        " / ".join(
            f"{v:.1f}" for v in [*out["cpu_ms_per_round"].values(), out["generator_cpu_ms_per_round"]]
        ),
    )
    return out


async def timed(call: Any) -> tuple[Any, float]:
    """Await ``call``; its result and the perf_counter when it came."""
    res = await call
    return res, time.perf_counter()


async def poll(check: Any, timeout: float, every: float = 0.05) -> bool:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if await check():
            return True
        await asyncio.sleep(every)
    return False


async def discovered(http: httpx.AsyncClient, url: str, svc: str) -> bool:
    r = await http.post(url + "/api/discovery/service.json", json={"discoveryConfig": {"serviceId": svc}})
    return bool((r.json().get("service") or {}).get("instances"))


# -- 9: kill and rejoin under a steady heartbeat load -------------------------------------------------------


class _Client(asyncio.Protocol):
    """One keep-alive connection of the fleet; answers arrive in request order and complete their tags."""

    def __init__(self, fleet: Fleet, k: int) -> None:
        self.fleet, self.k = fleet, k
        self.parser = httptools.HttpResponseParser(self)
        self.tags: collections.deque[tuple[Any, ...]] = collections.deque()
        self.body: list[bytes] = []
        self.status = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fleet.lost_connection(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body = b"".join(self.body)
        self.body.clear()
        if self.tags:
            self.fleet.answered(self.k, self.tags.popleft(), self.status, body)


@dataclass
class Second:
    """What happened to the requests scheduled in one second of the run."""

    heartbeats: int = 0
    ok: list[int] = field(default_factory=lambda: [0, 0, 0])  # accepted per node
    failed_over: int = 0  # delivered to another node than the client's home
    unreachable: list[int] = field(default_factory=lambda: [0, 0, 0])  # refused / lost with the node
    failed_keys: list[int] = field(default_factory=lambda: [0, 0, 0])  # answered with failedInstanceKeys
    errors: list[int] = field(default_factory=lambda: [0, 0, 0])  # any other answer
    lost: int = 0  # no node took it
    reregistered: int = 0
    probes: int = 0


class Fleet:
    """Clients of ``keys`` instances each, one heartbeat per client every ``interval`` s to its home node."""

    def __init__(self, nodes: Nodes, clients: int, keys: int, interval: float) -> None:
        self.nodes = nodes
        self.clients, self.keys, self.interval = clients, keys, interval
        insts = [instance(f"rejoin-svc-{i // 100}", i) for i in range(clients * keys)]
        self.heartbeats = heartbeat_requests(insts, keys)
        self.registers = register_requests(insts, keys)
        self.conns: list[_Client | None] = [None, None, None]
        self.connecting = [False, False, False]
        self.last_try = [0.0, 0.0, 0.0]
        self.t0 = 0.0
        self.seconds: dict[int, Second] = collections.defaultdict(Second)
        self.probe_sent: dict[int, float] = {}
        self.seen: list[dict[int, float]] = [{}, {}, {}]  # probe -> first WS receipt, per node

    def sec(self, sched: float) -> Second:
        return self.seconds[int(sched - self.t0)]

    def home(self, g: int) -> int:
        return g % 3

    # -- connections -------------------------------------------------------------------------------------
    def usable(self, k: int) -> _Client | None:
        c = self.conns[k]
        if c is not None and c.transport is not None and not c.transport.is_closing():
            return c
        now = time.perf_counter()
        if not self.connecting[k] and now - self.last_try[k] >= 0.1:
            self.connecting[k] = True
            self.last_try[k] = now
            asyncio.get_running_loop().create_task(self._connect(k))
        return None

    async def _connect(self, k: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, proto = await loop.create_connection(
                lambda: _Client(self, k), "127.0.0.1", self.nodes.ports[k]
            )
            self.conns[k] = proto
        except OSError:
            pass
        finally:
            self.connecting[k] = False

    async def connect(self) -> None:
        """Open the connection to every node before the load starts."""
        for k in range(3):
            await self._connect(k)
            if self.conns[k] is None:
                raise RuntimeError(f"cannot connect to node {self.nodes.names[k]}")

    def lost_connection(self, conn: _Client) -> None:
        if self.conns[conn.k] is conn:
            self.conns[conn.k] = None
        tags, conn.tags = list(conn.tags), collections.deque()
        for tag in tags:
            if tag[0] == "hb":
                _, g, k, attempt, sched = tag
                self.sec(sched).unreachable[k] += 1
                self.send_heartbeat(g, (k + 1) % 3, attempt + 1, sched)

    # -- requests ----------------------------------------------------------------------------------------
    def send_heartbeat(self, g: int, k: int, attempt: int, sched: float) -> None:
        if attempt > 2:
            self.sec(sched).lost += 1
            return
        conn = self.usable(k)
        if conn is None:
            self.sec(sched).unreachable[k] += 1
            self.send_heartbeat(g, (k + 1) % 3, attempt + 1, sched)
            return
        conn.tags.append(("hb", g, k, attempt, sched))
        assert conn.transport is not None
        conn.transport.write(self.heartbeats[g])

    def send_probe(self, j: int, sched: float) -> None:
        conn = self.usable(0)
        self.probe_sent[j] = sched
        self.sec(sched).probes += 1
        if conn is None:
            return
        body = msgspec.json.encode(
            {
                "instances": [
                    {"serviceId": "bench-probe", "instanceId": f"probe-{j}", "ip": "10.7.7.7", "port": 8}
                ]
            }
        )
        conn.tags.append(("probe", j))
        assert conn.transport is not None
        conn.transport.write(http_request("POST", "/api/registry/register.json", body))

    def answered(self, k: int, tag: tuple[Any, ...], status: int, body: bytes) -> None:
        if tag[0] != "hb":
            return
        g, sched = tag[1], tag[4]
        s = self.sec(sched)
        if status == 200 and OK_MARK in body:
            s.ok[k] += 1
            if k != self.home(g):
                s.failed_over += 1
        elif status == 200 and b'"partial_fail"' in body:
            # the node does not know (some of) the client's instances: the Java client registers again
            s.failed_keys[k] += 1
            conn = self.usable(k)
            if conn is not None and conn.transport is not None:
                conn.tags.append(("reg", g))
                conn.transport.write(self.registers[g])
                s.reregistered += 1
        else:
            s.errors[k] += 1

    def on_probe(self, k: int) -> Any:
        seen = self.seen[k]

        def on_text(payload: bytes, t: float) -> None:
            if b"service_change" not in payload:
                return
            for ch in msgspec.json.decode(payload).get("changes", ()):
                pid = ch["instance"]["instanceId"]
                if pid.startswith("probe-"):
                    seen.setdefault(int(pid[6:]), t)

        return on_text

    async def drive(self, duration: float, probe_rate: float, events: list[tuple[float, Any]]) -> None:
        """Send on schedule for ``duration`` s; ``events`` are (seconds after t0, coroutine factory)."""
        rate = self.clients / self.interval
        total = int(rate * duration)
        probes = int(probe_rate * duration)
        self.t0 = time.perf_counter() + 0.05
        pending = sorted(events, key=lambda e: e[0])
        tasks: list[asyncio.Task[Any]] = []
        i = j = 0
        while i < total or j < probes:
            now = time.perf_counter()
            while pending and now >= self.t0 + pending[0][0]:
                tasks.append(asyncio.create_task(pending.pop(0)[1]()))
            due = min(total, int((now - self.t0) * rate) + 1) if now >= self.t0 else 0
            for n in range(i, due):
                g = n % self.clients
                self.seconds[int(n / rate)].heartbeats += 1
                self.send_heartbeat(g, self.home(g), 0, self.t0 + n / rate)
            i = max(i, due)
            pdue = min(probes, int((now - self.t0) * probe_rate) + 1) if now >= self.t0 else 0
            for m in range(j, pdue):
                self.send_probe(m, self.t0 + m / probe_rate)
            j = max(j, pdue)
            nxt = min(self.t0 + i / rate, self.t0 + j / probe_rate) - time.perf_counter()
            await asyncio.sleep(max(nxt, 0.0005))
        await asyncio.gather(*tasks)


async def rejoin(bench: Bench) -> dict[str, Any]:
    """Scenario 9: one node of three SIGKILLed and restarted under a steady heartbeat load."""
    p = bench.p
    nodes = Nodes(3, REAL_LEASES_ENV, bench.cpu(0, 1), "rejoin")
    clients = max(3, p.rejoin_instances // p.rejoin_keys)
    fleet = Fleet(nodes, clients, p.rejoin_keys, p.rejoin_interval)
    total_instances = clients * p.rejoin_keys
    events: dict[str, float] = {}
    samples: list[dict[str, Any]] = []
    catch_up: dict[str, Any] = {}
    subs: list[procs.WsSubscriber] = []
    try:
        await nodes.start()
        async with httpx.AsyncClient(timeout=10, trust_env=False) as http:
            for k in range(3):
                if not await wait_up(http, nodes.url(k), 60):
                    raise RuntimeError(f"node {nodes.names[k]} did not come up")
            # every client registers at its home node; replication gives every node the whole fleet
            for k in range(3):
                pool = await Pool("127.0.0.1", nodes.ports[k], 2).open(OK_MARK)
                await run_all(pool, [r for g, r in enumerate(fleet.registers) if fleet.home(g) == k], depth=4)
                await pool.close()

            async def everywhere() -> bool:
                held = [await active_instances(http, nodes.url(k)) for k in range(3)]
                return all(h is not None and h >= total_instances for h in held)

            if not await poll(everywhere, 30, 0.2):
                raise RuntimeError("the fleet's registrations did not reach every node")
            for k in (1, 2):
                subs.append(await procs.ws_subscribe(nodes.ports[k], "bench-probe", fleet.on_probe(k)))
            await fleet.connect()
            bench.say(f"rejoin: {total_instances:,} instances on 3 nodes, {clients:,} clients; load starts")

            kill_at, down = p.rejoin_kill_at, p.rejoin_down
            duration = kill_at + down + p.rejoin_after

            async def sampler() -> None:
                end = fleet.t0 + duration + 1
                while time.perf_counter() < end:
                    tick = time.perf_counter()
                    row: dict[str, Any] = {"t": round(tick - fleet.t0, 1)}
                    for k in range(3):
                        name = nodes.names[k]
                        try:
                            g = gauges((await http.get(nodes.url(k) + "/metrics", timeout=2)).text)
                        except httpx.HTTPError:
                            row[name] = None
                            continue
                        row[name] = {
                            "instances": g.get("artemis_active_instances"),
                            "pending_for_C": for_peer(g, "artemis_replication_pending_items", nodes.ports[2]),
                            "dropped_for_C": for_peer(g, "artemis_replication_dropped_items", nodes.ports[2]),
                            "C_up": for_peer(g, "artemis_peer_up", nodes.ports[2]),
                        }
                    samples.append(row)
                    await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))

            async def kill() -> None:
                events["kill"] = time.perf_counter() - fleet.t0
                nodes.procs[2].kill()
                bench.say("rejoin: node C killed (SIGKILL)")

            async def restart() -> None:
                t_spawn = time.perf_counter()
                events["restart"] = t_spawn - fleet.t0
                c = await nodes.restart(2)
                events["listening"] = c.t_listen - fleet.t0
                subs.append(await procs.ws_subscribe(c.port, "bench-probe", fleet.on_probe(2)))
                events["resubscribed"] = time.perf_counter() - fleet.t0
                # until C is up and holds as many instances as A (polled every 100 ms, bounded)
                end = time.perf_counter() + p.rejoin_after
                while time.perf_counter() < end and ("up" not in events or "caught_up" not in events):
                    if "up" not in events:
                        try:
                            st = (await http.get(nodes.url(2) + "/api/status/node.json")).json()
                            if st.get("nodeStatus", {}).get("status") == "up":
                                events["up"] = time.perf_counter() - fleet.t0
                        except (httpx.HTTPError, ValueError):
                            pass
                    if "caught_up" not in events:
                        on_a = await active_instances(http, nodes.url(0))
                        on_c = await active_instances(http, nodes.url(2))
                        catch_up.update(A=on_a, C=on_c)
                        if on_a is not None and on_c is not None and on_c >= on_a:
                            events["caught_up"] = time.perf_counter() - fleet.t0
                    await asyncio.sleep(0.1)
                bench.say(f"rejoin: node C restarted ({ {k: round(v, 2) for k, v in events.items()} })")

            samp = asyncio.create_task(sampler())
            await fleet.drive(duration, p.rejoin_probe_rate, [(kill_at, kill), (kill_at + down, restart)])
            await asyncio.sleep(1.0)  # answers and probes in flight
            await samp
    finally:
        for s in subs:
            if s.transport is not None:
                s.transport.close()
        for conn in fleet.conns:
            if conn is not None and conn.transport is not None:
                conn.transport.close()
        nodes.stop()
    out = summarize_rejoin(fleet, events, samples, catch_up, total_instances, p)
    r = out["summary"]
    bench.say(
        f"rejoin: C up {r['restart_to_up_s']} s after its restart, "
        f"caught up after {r['restart_to_caught_up_s']} s;"
        f" lag p99 to C before {r['lag_C_before_p99_ms']} ms, after {r['lag_C_after_up_p99_ms']} ms"
    )
    label = "9 kill + restart C under load"
    bench.row(
        label,
        "s from restart: up / holds what A holds",
        f"{r['restart_to_up_s']}/{r['restart_to_caught_up_s']}",
    )
    bench.row(
        label,
        "heartbeats to C: unreachable / failed keys after restart",
        f"{r['unreachable_C']}/{r['failed_keys_C']}",
        goal=f"of {r['heartbeats']:,} sent; lost {r['lost']}",
    )
    bench.row(
        label,
        "repl. items dropped for C on A / B (S14.5)",
        f"{r['replication_items_dropped_for_C_on_A']}/{r['replication_items_dropped_for_C_on_B']}",
    )
    bench.row(
        label,
        "repl. lag p99 ms to C: before / first 5 s up / after",
        f"{r['lag_C_before_p99_ms']}/{r['lag_C_first5s_p99_ms']}/{r['lag_C_after_up_p99_ms']}",
    )
    bench.row(
        label,
        "repl. lag p99 ms to B: before / while C down / after",
        f"{r['lag_B_before_p99_ms']}/{r['lag_B_down_p99_ms']}/{r['lag_B_after_p99_ms']}",
    )
    return out


def summarize_rejoin(
    fleet: Fleet,
    events: dict[str, float],
    samples: list[dict[str, Any]],
    catch_up: dict[str, Any],
    instances: int,
    p: Any,
) -> dict[str, Any]:
    kill = events.get("kill", float("inf"))
    restart = events.get("restart", float("inf"))
    up = events.get("up", float("inf"))

    def lags(k: int, lo: float, hi: float, by: float = float("inf")) -> list[float]:
        """Lags of the probes written in [lo, hi) and seen on node k before ``by`` (s after t0)."""
        seen = fleet.seen[k]
        out = []
        for j, sched in fleet.probe_sent.items():
            rel = sched - fleet.t0
            if lo <= rel < hi and j in seen and seen[j] - fleet.t0 < by:
                out.append(seen[j] - sched)
        return out

    per_second = []
    for sec in sorted(fleet.seconds):
        s = fleet.seconds[sec]
        row: dict[str, Any] = {"second": sec, **msgspec.to_builtins(s)}
        for k, name in ((1, "B"), (2, "C")):
            ls = lags(k, sec, sec + 1)
            row[f"probes_seen_{name}"] = len(ls)
            row[f"lag_{name}_p50_ms"] = ms(pct(ls, 50))
            row[f"lag_{name}_p99_ms"] = ms(pct(ls, 99))
        per_second.append(row)
    tot = Second()
    for s in fleet.seconds.values():
        tot.heartbeats += s.heartbeats
        tot.failed_over += s.failed_over
        tot.lost += s.lost
        tot.reregistered += s.reregistered
        for k in range(3):
            tot.ok[k] += s.ok[k]
            tot.unreachable[k] += s.unreachable[k]
            tot.failed_keys[k] += s.failed_keys[k]
            tot.errors[k] += s.errors[k]
    last_failed = max((sec for sec, s in fleet.seconds.items() if s.failed_keys[2]), default=None)

    def rel(name: str) -> float | None:
        v = events.get(name)
        return None if v is None or restart == float("inf") else round(v - restart, 2)

    def p99(k: int, lo: float, hi: float, by: float = float("inf")) -> float | None:
        return ms(pct(lags(k, lo, hi, by), 99))

    summary = {
        "instances": instances,
        "clients": fleet.clients,
        "keys_per_heartbeat": fleet.keys,
        "interval_s": fleet.interval,
        "heartbeats_per_s": round(fleet.clients / fleet.interval, 1),
        "probe_writes_per_s": p.rejoin_probe_rate,
        "events_s": {k: round(v, 2) for k, v in events.items()},
        "restart_to_listening_s": rel("listening"),
        "restart_to_up_s": rel("up"),
        "restart_to_caught_up_s": rel("caught_up"),
        "caught_up_counts": catch_up,
        "heartbeats": tot.heartbeats,
        "delivered": sum(tot.ok),
        "failed_over": tot.failed_over,
        "lost": tot.lost,
        "unreachable_C": tot.unreachable[2],
        "failed_keys_C": tot.failed_keys[2],
        "failed_keys_other": tot.failed_keys[0] + tot.failed_keys[1],
        "errors": sum(tot.errors),
        "reregistered": tot.reregistered,
        "last_failed_heartbeat_on_C_second": last_failed,
        "lag_B_before_p99_ms": p99(1, 0, kill),
        "lag_B_down_p99_ms": p99(1, kill, up),
        "lag_B_after_p99_ms": p99(1, up, float("inf")),
        # only what the first C pushed before it was killed; probes it missed are counted below
        "lag_C_before_p99_ms": p99(2, 0, kill, kill),
        "probes_before_kill_C_got_only_after_restart": sum(
            1
            for j, sched in fleet.probe_sent.items()
            if sched - fleet.t0 < kill and fleet.seen[2].get(j, 0.0) - fleet.t0 >= kill
        ),
        "probes_while_down_C_got_after_restart": len(lags(2, kill, restart)),
        "lag_C_first5s_p99_ms": p99(2, up, up + 5),
        "lag_C_after_up_p99_ms": p99(2, up, float("inf")),
        "probes_lost_C_after_up": sum(
            1 for j, sched in fleet.probe_sent.items() if sched - fleet.t0 >= up and j not in fleet.seen[2]
        ),
    }
    for name in ("A", "B"):
        dropped = [
            m[name]["dropped_for_C"] for m in samples if m.get(name) and m[name]["dropped_for_C"] is not None
        ]
        summary[f"replication_items_dropped_for_C_on_{name}"] = max(dropped, default=None)
    return {"summary": summary, "per_second": per_second, "metrics_per_second": samples}


# -- 10: per-key CPU cost at a fixed rate -------------------------------------------------------------------


def fit(out: dict[str, Any], cpu_key: str) -> dict[str, float | None]:
    """Solve cpu = batches/s * us_per_batch + keys/s * us_per_key from the two cluster rates (None when the
    two points do not separate, e.g. both at the same batch size, or when the solution is negative)."""
    hi, lo = out["cluster_client100"], out["cluster_client100_low"]
    b1, k1, c1 = hi["batches_per_s_per_peer"], hi["keys_per_s_per_peer"], hi[cpu_key]
    b2, k2, c2 = lo["batches_per_s_per_peer"], lo["keys_per_s_per_peer"], lo[cpu_key]
    det = b1 * k2 - b2 * k1
    if not det:
        return {"us_per_batch": None, "us_per_key": None}
    per_batch = (c1 * k2 - c2 * k1) / det * 1e6
    per_key = (b1 * c2 - b2 * c1) / det * 1e6
    if per_batch < 0 or per_key < 0:
        return {"us_per_batch": None, "us_per_key": None, "raw": [round(per_batch, 2), round(per_key, 4)]}
    return {"us_per_batch": round(per_batch, 1), "us_per_key": round(per_key, 4)}


async def cpu_at_rate(
    nodes: list[procs.Proc], target: procs.Proc, reqs: list[bytes], rate: float, seconds: float
) -> tuple[list[float], list[float], dict[str, Any]]:
    """CPU share of every node while idle (1 s) and while ``target`` gets ``rate`` requests/s."""
    idle = [procs.CpuWindow(n.usage) for n in nodes if n.usage is not None]
    await asyncio.sleep(min(1.0, seconds))
    idle_share = [w.share() for w in idle]
    pool = await Pool("127.0.0.1", target.port, 4).open(OK_MARK)
    wins = [procs.CpuWindow(n.usage) for n in nodes if n.usage is not None]
    res = await open_loop(pool, reqs, rate=rate, duration=seconds)
    share = [w.share() for w in wins]
    await pool.close()
    return idle_share, share, res.summary()


async def per_key_cost(bench: Bench) -> dict[str, Any]:
    """Scenario 10: CPU seconds per key of a client heartbeat, of sending it to 2 peers, of absorbing it."""
    p = bench.p
    insts = dataset(p.services)
    from artemis_server.settings import ReplicationSettings

    # the sender's heartbeat batch size (the nodes run with the default): capacity.py reads it
    out: dict[str, Any] = {
        "rate_keys_per_s": p.cost_rate,
        "seconds": p.cost_seconds,
        "heartbeat_batch_size": ReplicationSettings().heartbeat_batch_size,
    }
    shapes = {
        "client100": (heartbeat_requests(insts, 100), p.cost_rate / 100),
        "client1": (heartbeat_requests(insts, 1), p.cost_rate_single),
    }
    # A node alone on CPU 0 (default settings, and with the renewal cache off: first-sight bodies), the plain
    # ceiling at the same rates (what uvicorn and the kernel take per request at this pace), and the node
    # with two peers (on CPU 1, with the generator, which is light at these rates). All are started at
    # once and measured one after the other; the idle ones cost ~0.01 of a core each.
    dirs = [procs.tmpdir("artemis-bench-cost-") for _ in range(2)]
    alone = {
        "alone": procs.artemis(dirs[0], env=SERVER_ENV, cpus=bench.cpu(0), name="alone"),
        "alone_cache_off": procs.artemis(
            dirs[1],
            env={**SERVER_ENV, "ARTEMIS_CACHE__HEARTBEAT_CACHE_BYTES": "0"},
            cpus=bench.cpu(0),
            name="alone-cache-off",
        ),
        "ceiling": procs.ceiling(cpus=bench.cpu(0)),
    }
    nodes = Nodes(3, SERVER_ENV, None, "cost")
    for k, cpus in enumerate((bench.cpu(0), bench.cpu(1), bench.cpu(1))):
        nodes.procs[k].cpus = cpus
    try:
        await asyncio.gather(nodes.start(), *(asyncio.to_thread(x.start, 60.0) for x in alone.values()))
        async with httpx.AsyncClient(timeout=10, trust_env=False) as http:
            for k in range(3):
                await wait_up(http, nodes.url(k), 60)
            for port in (alone["alone"].port, alone["alone_cache_off"].port, nodes.ports[0]):
                await register_all(port, insts)

            async def everywhere() -> bool:
                held = [await active_instances(http, nodes.url(k)) for k in range(3)]
                return all(h is not None and h >= len(insts) for h in held)

            await poll(everywhere, 30, 0.2)
        runs = (("alone", ("client100", "client1")), ("alone_cache_off", ("client100",)))
        for name, which in (*runs, ("ceiling", ("client100", "client1"))):
            proc = alone[name]
            for shape in which:
                reqs, rate = shapes[shape]
                idle, share, res = await cpu_at_rate([proc], proc, reqs, rate, p.cost_seconds)
                keys = rate * (100 if shape == "client100" else 1)
                out[f"{name}_{shape}"] = {
                    "requests_per_s": rate,
                    "idle_cpu": idle[0],
                    "cpu": share[0],
                    "us_per_key": round((share[0] - idle[0]) / keys * 1e6, 3),
                    "load": res,
                }
        # The peers count the replicated batches they take: what the sender pays per key depends on how
        # many keys it gets into one batch (a link with batches queued merges them). Two rates give two
        # (batches/s, keys/s) points per peer, from which the cost per batch and per key are solved. The low
        # rate must give smaller batches: heartbeat batches hold up to replication.heartbeat_batch_size =
        # 1,000 keys, which a 100 ms flush fills from 10,000 keys/s on, so it is 5,000 keys/s (~500 a batch).
        reqs = shapes["client100"][0]
        for name, rate in (
            ("cluster_client100", p.cost_rate / 100),
            ("cluster_client100_low", p.cost_rate / 2000),
        ):
            async with httpx.AsyncClient(timeout=10, trust_env=False) as http:
                before = [gauges((await http.get(nodes.url(k) + "/metrics")).text) for k in (1, 2)]
                idle, share, res = await cpu_at_rate(nodes.procs, nodes.procs[0], reqs, rate, p.cost_seconds)
                await asyncio.sleep(0.5)  # batches in flight
                after = [gauges((await http.get(nodes.url(k) + "/metrics")).text) for k in (1, 2)]
            batches = sum(
                a.get("artemis_heartbeat_requests_total", 0) - b.get("artemis_heartbeat_requests_total", 0)
                for a, b in zip(after, before, strict=True)
            )
            absorbed = sum(
                a.get("artemis_heartbeat_keys_total", 0) - b.get("artemis_heartbeat_keys_total", 0)
                for a, b in zip(after, before, strict=True)
            )
            keys = rate * 100
            out[name] = {
                "requests_per_s": rate,
                "idle_cpu": idle,
                "cpu": share,
                "origin_us_per_key": round((share[0] - idle[0]) / keys * 1e6, 3),
                "peer_us_per_key": [round((share[k] - idle[k]) / keys * 1e6, 3) for k in (1, 2)],
                "replicated_batches": batches,
                "replicated_keys": absorbed,
                "keys_per_batch": round(absorbed / batches, 1) if batches else None,
                # per peer and second, for the fit below
                "batches_per_s_per_peer": round(batches / 2 / p.cost_seconds, 1),
                "keys_per_s_per_peer": round(absorbed / 2 / p.cost_seconds, 1),
                "send_cpu_per_peer": None,  # filled in once the client cost is known
                "absorb_cpu_per_peer": round(sum(share[k] - idle[k] for k in (1, 2)) / 2, 4),
                "load": res,
            }
    finally:
        for x in alone.values():
            x.stop()
        nodes.stop()
        for d in dirs:
            procs.rmtree(d)
    client = out["alone_client100"]["us_per_key"]
    cl = out["cluster_client100"]
    send = round((cl["origin_us_per_key"] - client) / 2, 3)
    recv = round(sum(cl["peer_us_per_key"]) / 2, 3)
    for name in ("cluster_client100", "cluster_client100_low"):
        r = out[name]
        own = r["requests_per_s"] * 100 * client / 1e6  # what the client heartbeats cost the origin itself
        r["send_cpu_per_peer"] = round((r["cpu"][0] - r["idle_cpu"][0] - own) / 2, 4)
    out["per_batch_fit"] = {
        "send": fit(out, "send_cpu_per_peer"),
        "absorb": fit(out, "absorb_cpu_per_peer"),
    }
    out["per_key_us"] = {
        "client_heartbeat_100_keys_cached": client,
        "client_heartbeat_100_keys_first_sight": out["alone_cache_off_client100"]["us_per_key"],
        "client_heartbeat_1_key_cached": out["alone_client1"]["us_per_key"],
        "send_to_one_peer": send,
        "absorb_from_a_peer": recv,
        "ceiling_100_keys": out["ceiling_client100"]["us_per_key"],
        "ceiling_1_key": out["ceiling_client1"]["us_per_key"],
    }
    bench.say(f"per-key cost at a fixed rate (us): {out['per_key_us']}")
    label = f"10 CPU per key at {p.cost_rate:,.0f} keys/s"
    single = out["alone_client1"]["us_per_key"]
    first = out["alone_cache_off_client100"]["us_per_key"]
    bench.row(
        label,
        "us per key: 100-key body / first sight / 1-key body",
        f"{client}/{first}/{single}",
        goal=f"ceiling: {out['ceiling_client100']['us_per_key']} / {out['ceiling_client1']['us_per_key']}",
    )
    bench.row(
        label,
        "us per key and peer: origin sends / peer absorbs",
        f"{send}/{recv}",
        goal=f"{cl['keys_per_batch']} keys per replicated batch",
    )
    fs, fa = out["per_batch_fit"]["send"], out["per_batch_fit"]["absorb"]
    bench.row(
        "10 CPU per replicated batch (2 rates)",
        "us per batch + us per key: send / absorb",
        f"{fs['us_per_batch']} + {fs['us_per_key']} / {fa['us_per_batch']} + {fa['us_per_key']}",
        goal=f"{out['cluster_client100_low']['keys_per_batch']} keys per batch at "
        f"{p.cost_rate / 20:,.0f} keys/s",
    )
    return out
