"""The SDK's read path and cache size: pick() latency from the cache and the memory of cached instances.

    python -m benchmarks.sdk [--picks 200000] [--instances 100] [--cached 10000] [--live] [--json]

Prints, per strategy, the p50 / p99 / p99.9 of one ``pick()`` as the SDK's service handle does it (cache
lookup by id, route rule evaluation when the service has one, balancer pick) over ``--instances``
instances, each call timed alone with ``perf_counter_ns`` (the timer's own cost, measured and printed, is
included in every figure); then the bytes allocated (tracemalloc) by ``--cached`` instances decoded from
their wire JSON into the cache, with and without the pools' lazily built helpers.

``--live`` adds what needs a real node (``artemis server start`` in a subprocess): the time from a register
sent by another client to the change being in this client's cache (push), while a background thread keeps
the node busy with batched heartbeats; and the steady state of one client holding 100 registered instances
and following a service (heartbeat requests per interval, WebSocket sessions, discovery requests during
10,000 picks), the same with ``heartbeat_transport="websocket"``, and the round trip of one batched
heartbeat of 100 instances over each carrier (HTTP POST, the heartbeat socket). Figures, no thresholds:
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from typing import Any

import msgspec

from artemis_client.balance import Balancer
from artemis_client.cache import ServiceCache
from artemis_client.wire.registry import Instance, RouteGroup, RouteRuleView, Service, ServiceResponse

STRATEGIES = ("random", "round-robin", "weighted", "least-loaded", "hash")


def make_instances(service_id: str, n: int, *, groups: int = 1) -> list[Instance]:
    return [
        Instance(
            service_id=service_id,
            instance_id=f"{service_id}-{k:05d}",
            region_id="region-1",
            zone_id=f"zone-{k % 3}",
            group_id=f"group-{k % groups}" if groups > 1 else None,
            ip=f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}",
            port=8080,
            protocol="http",
            url=f"http://10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}:8080/api",
            machine_name=f"host-{k:05d}",
            status="up",
            metadata={"weight": str(1 + k % 5), "version": "1.4.2"},
        )
        for k in range(n)
    ]


def percentiles(samples: list[int]) -> dict[str, float]:
    samples.sort()
    n = len(samples)

    def at(q: float) -> float:
        return samples[min(n - 1, int(q * n))] / 1000  # ns -> us

    return {
        "p50_us": at(0.50),
        "p99_us": at(0.99),
        "p999_us": at(0.999),
        "mean_us": statistics.fmean(samples) / 1000,
    }


def timer_cost(n: int = 200_000) -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(n):
        t0 = clock()
        samples.append(clock() - t0)
    samples.sort()
    return samples[n // 2] / 1000


def bench_picks(instances: int, picks: int, *, with_rule: bool) -> dict[str, Any]:
    cache = ServiceCache()
    rules = None
    if with_rule:
        rules = [
            RouteRuleView(
                route_id="split",
                strategy="weighted-round-robin",
                groups=[
                    RouteGroup(group_key="group-0", weight=70),
                    RouteGroup(group_key="group-1", weight=30),
                ],
            )
        ]
    cache.put_service(
        Service(service_id="svc", instances=make_instances("svc", instances, groups=2), route_rules=rules)
    )
    out: dict[str, Any] = {}
    clock = time.perf_counter_ns
    for strategy in STRATEGIES:
        balancer = Balancer(strategy, region="region-1", zone="zone-1")
        keys = [f"user-{k}" for k in range(1024)]
        # warm up: lazily built helpers (ring, cumulative weights, zone subsets) are built once per list
        for k in range(2000):
            snap = cache.get("svc")
            assert snap is not None
            balancer.pick(snap.route(), keys[k & 1023])
        samples = [0] * picks
        gc.disable()
        try:
            for k in range(picks):
                key = keys[k & 1023]
                t0 = clock()
                snap = cache.get("svc")
                balancer.pick(snap.route(), key)  # type: ignore[union-attr]
                samples[k] = clock() - t0
        finally:
            gc.enable()
        out[strategy] = percentiles(samples)
    return out


def bench_memory(cached: int, per_service: int = 100) -> dict[str, Any]:
    services = max(1, cached // per_service)
    bodies = [
        msgspec.json.encode(
            {
                "service": Service(
                    service_id=f"svc-{s:04d}", instances=make_instances(f"svc-{s:04d}", per_service)
                ),
                "responseStatus": {"status": "success", "errorCode": "success", "message": ""},
            }
        )
        for s in range(services)
    ]
    decoder = msgspec.json.Decoder(ServiceResponse)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    cache = ServiceCache()
    for body in bodies:
        svc = decoder.decode(body).service
        assert svc is not None
        cache.put_service(svc)
    gc.collect()
    plain = tracemalloc.get_traced_memory()[0] - base
    balancer = Balancer("hash", region="region-1", zone="zone-1")
    weighted = Balancer("weighted", region="region-1", zone="zone-1")
    for sid in cache.service_ids():
        snap = cache.get(sid)
        assert snap is not None
        balancer.pick(snap.route(), "k")
        weighted.pick(snap.route())
    gc.collect()
    full = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    count = sum(len(cache.get(s).instances) for s in cache.service_ids())  # type: ignore[union-attr]
    return {
        "instances": count,
        "services": services,
        "cache_mb": plain / 1e6,
        "cache_with_helpers_mb": full / 1e6,
        "bytes_per_instance": plain / count,
        "wire_json_mb": sum(len(b) for b in bodies) / 1e6,
    }


def _metric(url: str, name: str) -> float:
    import httpx

    for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def _load(url: str, stop: Any) -> int:
    """Batched heartbeats of 100 unknown instances as fast as one connection goes (work for the node)."""
    import httpx

    body = {
        "instances": [
            {"serviceId": "bench-load", "instanceId": f"l{k}", "url": "http://x"} for k in range(100)
        ]
    }
    sent = 0
    with httpx.Client(base_url=url, timeout=5) as http:
        while not stop.is_set():
            http.post("/api/registry/heartbeat.json", json=body)
            sent += 1
    return sent


async def _live(url: str, changes: int) -> dict[str, Any]:
    import asyncio
    import threading

    import httpx

    from artemis_client.client import AsyncArtemisClient

    out: dict[str, Any] = {}
    arrived: dict[str, float] = {}
    stop = threading.Event()
    loader = threading.Thread(target=lambda: out.__setitem__("load_batches", _load(url, stop)), daemon=True)
    loader.start()
    try:
        async with AsyncArtemisClient(url) as watcher:
            await watcher.discover("bench-push")
            while watcher.stream_server is None:
                await asyncio.sleep(0.01)
            watcher.on_change(
                "bench-push", lambda ch: arrived.setdefault(ch.instance.instance_id, time.perf_counter())
            )
            lat = []
            async with httpx.AsyncClient(base_url=url, timeout=5) as http:
                for k in range(changes):
                    iid = f"p{k}"
                    body = {"instances": [{"serviceId": "bench-push", "instanceId": iid, "url": "http://x"}]}
                    t0 = time.perf_counter()
                    await http.post("/api/registry/register.json", json=body)
                    deadline = t0 + 5
                    while iid not in arrived and time.perf_counter() < deadline:
                        await asyncio.sleep(0.0005)
                    if iid in arrived:
                        lat.append(int((arrived[iid] - t0) * 1e9))
                    await http.post("/api/registry/unregister.json", json=body)
            out["push"] = {**percentiles(lat), "changes": changes, "arrived": len(lat)}
    finally:
        stop.set()
        loader.join(10)
    # steady state: one client, 100 local instances, one followed service
    local = make_instances("bench-steady", 100)
    async with AsyncArtemisClient(url, heartbeat_interval=1.0) as client:
        await client.register(*local)
        handle = await client.discover("bench-steady")
        while client.stream_server is None:
            await asyncio.sleep(0.01)
        beats0 = _metric(url, "artemis_heartbeat_requests_total")
        disc0 = _metric(url, "artemis_discovery_requests_total")
        for _ in range(10_000):
            handle.pick()
        await asyncio.sleep(5.05)
        beats = _metric(url, "artemis_heartbeat_requests_total") - beats0
        disc = _metric(url, "artemis_discovery_requests_total") - disc0
        conns = httpx.get(url + "/api/status/message/connections.json", timeout=5).json()
        out["steady"] = {
            "instances": len(local),
            "heartbeat_requests_in_5_intervals": beats,
            "discovery_requests_during_10000_picks": disc,
            "websocket_sessions": conns,
        }
    # the same steady state with the heartbeat over the Java WebSocket path
    async with AsyncArtemisClient(url, heartbeat_interval=1.0, heartbeat_transport="websocket") as client:
        await client.register(*make_instances("bench-steady-ws", 100))
        while "heartbeat_ws" not in client.counters:
            await asyncio.sleep(0.05)
        ws0, http0 = (
            _route_count(url, "/ws/registry/heartbeat"),
            _route_count(url, "/api/registry/heartbeat.json"),
        )
        await asyncio.sleep(5.05)
        out["steady_websocket"] = {
            "socket_heartbeats_in_5_intervals": _route_count(url, "/ws/registry/heartbeat") - ws0,
            "http_heartbeats_in_5_intervals": _route_count(url, "/api/registry/heartbeat.json") - http0,
        }
    out["carriers"] = await _carriers(url, 300)
    return out


def _route_count(url: str, route: str) -> float:
    import httpx

    total = 0.0
    for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith("artemis_http_requests_total{") and f'route="{route}"' in line:
            total += float(line.split()[-1])
    return total


async def _carriers(url: str, beats: int) -> dict[str, Any]:
    """One batched heartbeat of 100 registered instances, timed end to end, over each carrier."""
    from collections import Counter

    import httpx

    from artemis_client import calls
    from artemis_client.client import AsyncArtemisClient
    from artemis_client.heartbeat import HeartbeatSocket
    from artemis_client.servers import ServerPool

    local = make_instances("bench-carrier", 100)
    out: dict[str, Any] = {}
    async with AsyncArtemisClient(url) as client:
        await client.register(*local)
        req = calls.heartbeat(local)
        pool = ServerPool([url])
        async with httpx.AsyncClient(timeout=5) as http:
            socket = HeartbeatSocket(pool, Counter(), clock=time.monotonic)
            for name, beat in (
                ("http", lambda: calls.call(http, pool, req)),
                ("websocket", lambda: socket.beat(req)),
            ):
                await beat()  # connection / socket opened outside the timing
                lat = []
                for _ in range(beats):
                    t0 = time.perf_counter_ns()
                    await beat()
                    lat.append(time.perf_counter_ns() - t0)
                out[name] = {**percentiles(lat), "beats": beats}
            await socket.aclose()
    return out


def bench_live(changes: int) -> dict[str, Any]:
    import asyncio

    from benchmarks import procs

    data = procs.tmpdir("sdk-bench")
    node = procs.artemis(data, env={"ARTEMIS_ADMIN_PASSWORD": "bench-only-password"}).start()
    try:
        return asyncio.run(_live(f"http://127.0.0.1:{node.port}", changes))
    finally:
        node.stop()
        procs.rmtree(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--picks", type=int, default=200_000)
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--cached", type=int, default=10_000)
    ap.add_argument("--live", action="store_true", help="also measure push latency and the steady state")
    ap.add_argument("--changes", type=int, default=300, help="pushed changes measured with --live")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = ap.parse_args(argv)
    result = {
        "python": sys.version.split()[0],
        "timer_cost_us": timer_cost(),
        "pick": bench_picks(args.instances, args.picks, with_rule=False),
        "pick_with_70_30_rule": bench_picks(args.instances, args.picks, with_rule=True),
        "memory": bench_memory(args.cached),
    }
    if args.live:
        result["live"] = bench_live(args.changes)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"python {result['python']}, timer cost {result['timer_cost_us']:.3f} us (included below)")
    for title in ("pick", "pick_with_70_30_rule"):
        print(f"\n{title} from the cache, {args.instances} instances, {args.picks} picks each")
        print(f"  {'strategy':<14}{'p50 us':>9}{'p99 us':>9}{'p99.9 us':>10}{'mean us':>9}")
        for strategy, f in result[title].items():
            cols = f"{f['p50_us']:>9.2f}{f['p99_us']:>9.2f}{f['p999_us']:>10.2f}{f['mean_us']:>9.2f}"
            print(f"  {strategy:<14}{cols}")
    m = result["memory"]
    print(
        f"\nmemory: {m['instances']} instances in {m['services']} services: {m['cache_mb']:.2f} MB "
        f"({m['bytes_per_instance']:.0f} B/instance), {m['cache_with_helpers_mb']:.2f} MB with hash rings "
        f"and weights built; their wire JSON is {m['wire_json_mb']:.2f} MB"
    )
    if "live" in result:
        p, st = result["live"]["push"], result["live"]["steady"]
        print(
            f"\npush into the cache under load ({result['live'].get('load_batches', 0)} heartbeat batches "
            f"of 100 meanwhile): p50 {p['p50_us'] / 1000:.2f} ms, p99 {p['p99_us'] / 1000:.2f} ms, "
            f"p99.9 {p['p999_us'] / 1000:.2f} ms ({p['arrived']}/{p['changes']} arrived)"
        )
        print(
            f"steady state, {st['instances']} local instances: {st['heartbeat_requests_in_5_intervals']:g} "
            f"heartbeat requests in 5 intervals, {st['discovery_requests_during_10000_picks']:g} discovery "
            f"requests during 10,000 picks, WebSocket sessions on the node: {st['websocket_sessions']}"
        )
        sw = result["live"]["steady_websocket"]
        print(
            f"steady state, heartbeat_transport=websocket: {sw['socket_heartbeats_in_5_intervals']:g} "
            f"heartbeats on the socket and {sw['http_heartbeats_in_5_intervals']:g} over HTTP in 5 intervals"
        )
        for name, c in result["live"]["carriers"].items():
            print(
                f"one batched heartbeat of 100 instances over {name}: p50 {c['p50_us'] / 1000:.2f} ms, "
                f"p99 {c['p99_us'] / 1000:.2f} ms ({c['beats']} beats)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
