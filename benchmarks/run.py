"""Benchmark runner: ``python -m benchmarks.run [--quick | --full | --smoke] [--out FILE]``.

Starts the real server (``artemis server start``) and the raw-ASGI ceiling (benchmarks/ceiling.py) as
separate processes, pinned to CPU 0 when the machine has two or more CPUs (the generator runs in this process
on CPU 1), drives the scenarios of issue 8, prints a table and writes the figures as JSON. Every throughput
figure has the ceiling's figure for the same request shape, measured in the same run, and their ratio.
Nothing here asserts a time: figures are reported, never judged, except against the issue's goals in the
table's last column.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from benchmarks import cluster, procs
from benchmarks.loadgen import Pool, http_request, open_loop, run_all, saturate
from benchmarks.shapes import (
    OK_MARK,
    SERVER_ENV,
    can,
    dataset,
    fetch,
    heartbeat_requests,
    instance,
    ms,
    pct,
    peer_heartbeat_requests,
    register_requests,
    sdk_heartbeat_requests,
)


class Profile(msgspec.Struct):
    name: str
    register_n: int  # scenario 1 / 6
    batch: int  # instances per register request
    seconds: float  # one saturation / latency window
    services: int  # scenario 2/3 data set: services x 100 instances (10,000 by default)
    subscribers: int
    fanout_rounds: int
    repl_writes: int  # writes/s in the replication scenario
    repl_seconds: float
    conns: int = 8
    depth: int = 16
    rounds: int = 1  # alternating server/ceiling windows per request shape; the best of each is kept
    # issue 20
    peer_bodies: int = 2_000  # distinct replicated heartbeat batches (scenario 2, peer100)
    peer_conns: int = 8  # peers sending at once, one batch in flight each
    sync_n: int = 1_000_000  # scenario 7: instances the peer holds
    sync_deadline: float = 120.0  # ... and how long the joining node is watched at most
    mgmt_subs: int = 1_000  # scenario 8: subscribers on node C
    mgmt_rounds: int = 100  # ... pull-outs / pull-ins on node A
    rejoin_instances: int = 30_000  # scenario 9: the fleet (100,000 overloads this 2-core machine)
    rejoin_keys: int = 10  # ... instances per client (keys per heartbeat request)
    rejoin_interval: float = 5.0  # ... heartbeat interval of every client
    rejoin_probe_rate: float = 50.0  # ... probe registrations per second on node A
    rejoin_kill_at: float = 12.0  # ... s after the load starts (after the first peer health checks)
    rejoin_down: float = 6.0  # ... s until it is started again
    rejoin_after: float = 20.0  # ... s of load after the restart
    cost_rate: float = 100_000.0  # scenario 10: keys/s in 100-key heartbeats
    cost_rate_single: float = 5_000.0  # ... requests/s of 1-key heartbeats
    cost_seconds: float = 5.0


PROFILES = {
    "smoke": Profile(
        "smoke", 2_000, 100, 0.6, 3, 20, 3, 200, 1.0, conns=2, depth=4,
        peer_bodies=50, peer_conns=2, sync_n=2_000, sync_deadline=30.0, mgmt_subs=20, mgmt_rounds=4,
        rejoin_instances=300, rejoin_interval=1.0, rejoin_probe_rate=20.0, rejoin_kill_at=1.5,
        rejoin_down=0.5, rejoin_after=2.5, cost_rate=10_000.0, cost_rate_single=500.0, cost_seconds=0.5,
    ),
    "quick": Profile(
        "quick", 100_000, 100, 2.0, 100, 1000, 10, 5000, 3.0,
        mgmt_rounds=30, rejoin_after=12.0, cost_seconds=3.0,
    ),
    "default": Profile("default", 100_000, 100, 3.0, 100, 1000, 30, 5000, 10.0, rounds=3),
    "full": Profile("full", 1_000_000, 100, 3.0, 100, 1000, 30, 5000, 10.0, rounds=3),
}  # fmt: skip

GROUPS = ("hot", "register", "replication", "sync", "mgmtpush", "rejoin", "cost")

GOALS = {
    "heartbeat_single_ratio": 0.5,
    "heartbeat_batch100_keys_ratio": 0.6,
    "discovery_service100_p99_ms": 5.0,
    "rss_1m_bytes": 1.5 * 1024**3,
    "replication_p99_ms": 100.0,
    "fanout_p99_ms": 200.0,
    # issue 20
    "first_sight_batch100_keys_ratio": 0.6,
    "peer_keys_per_cpu_s": 2_000_000,
    "register_ratio": 0.25,
    "discovery_service100_ratio": 0.7,
    "services_all_ratio": 0.85,
    "sync_1m_up_s": 10.0,
    "sync_1m_rss_bytes": 1.5 * 1024**3,
    "mgmt_push_p99_ms": 100.0,
}


class Bench:
    def __init__(self, prof: Profile, pin: bool) -> None:
        self.p = prof
        self.pin = pin
        self.server_cpus = {0} if pin else None
        self.out: dict[str, Any] = {}
        self.rows: list[tuple[Any, ...]] = []
        self.dceil: procs.Proc | None = None  # the ceiling that decodes every body (run() starts it)
        self.goals = GOALS

    def cpu(self, *cpus: int) -> set[int] | None:
        """The CPUs a process is pinned to, or None when the run does not pin."""
        return set(cpus) if self.pin else None

    def row(
        self,
        scenario: str,
        figure: str,
        server: Any,
        ceiling: Any = None,
        goal: str = "",
        cpu_ratio: float | None = None,
    ) -> None:
        ratio = round(server / ceiling, 3) if isinstance(server, int | float) and ceiling else None
        self.rows.append((scenario, figure, server, ceiling, ratio, cpu_ratio, goal))

    def decode_row(self, scenario: str, sat: dict[str, Any]) -> None:
        """The same figure against the ceiling that decodes every body (benchmarks/ceiling.py --decode)."""
        if "ceiling_decode" in sat:
            self.row(
                scenario,
                "... vs the decoding ceiling",
                sat["server"]["keys_per_s"],
                sat["ceiling_decode"]["keys_per_s"],
                cpu_ratio=sat.get("ratio_decode_per_cpu_second"),
            )

    def say(self, msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    async def pair_saturate(
        self,
        name: str,
        art: procs.Proc,
        ceil: procs.Proc,
        reqs: list[bytes],
        expect: bytes | None,
        keys: int = 1,
        background: list[bytes] | None = None,
        bg_rate: float = 0.0,
        decode: bool = False,
        conns: int | None = None,
        depth: int | None = None,
    ) -> dict[str, Any]:
        """Saturation throughput of one request shape on the server and on the ceiling, side by side; with
        ``decode`` also on the ceiling that decodes every body (``ceiling_decode``, ``ratio_decode``)."""
        targets = [("server", art), ("ceiling", ceil)]
        if decode and self.dceil is not None:
            targets.append(("ceiling_decode", self.dceil))
        conns = conns or self.p.conns
        depth = depth or self.p.depth
        out: dict[str, Any] = {f"{label}_rounds": [] for label, _ in targets}
        out.update(connections=conns, depth=depth)
        # Alternate server and ceiling windows so that drift on a shared machine hits both alike.
        for _ in range(self.p.rounds):
            for label, proc in targets:
                pool = await Pool("127.0.0.1", proc.port, conns).open(expect)
                bg_task = None
                if background:
                    bg_pool = await Pool("127.0.0.1", proc.port, 2).open(OK_MARK)
                    bg_task = asyncio.create_task(
                        open_loop(bg_pool, background, rate=bg_rate, duration=self.p.seconds + 1.0)
                    )
                assert proc.usage is not None
                win = procs.CpuWindow(proc.usage)
                res = await saturate(pool, reqs, duration=self.p.seconds, depth=depth)
                share = win.share()
                fig: dict[str, Any] = {}
                if bg_task is not None:
                    bg = await bg_task
                    await bg_pool.close()
                    fig["background"] = bg.summary()
                await pool.close()
                fig.update(
                    res.summary(),
                    keys_per_s=round(res.rps * keys, 1),
                    server_cpu=share,
                    per_cpu_second=round(res.rps / share, 1) if share else None,
                    rss_bytes=proc.usage.rss(),
                )
                out[f"{label}_rounds"].append(fig)
                self.say(
                    f"{name} saturation on {label}: {res.rps:,.0f} req/s ({res.errors} errors, "
                    f"server cpu {share:.2f}, generator cpu {res.gen_cpu:.2f})"
                )
        for label, _ in targets:
            rounds = sorted(out[f"{label}_rounds"], key=lambda f: f["rps"])
            out[label] = rounds[-1]  # the best window: the least disturbed by other processes
            out[f"{label}_median_rps"] = rounds[len(rounds) // 2]["rps"]
        for suffix, label in (("", "ceiling"), ("_decode", "ceiling_decode")):
            if label not in out:
                continue
            cs, cc = out["server"].get("per_cpu_second"), out[label].get("per_cpu_second")
            out[f"ratio{suffix}_per_cpu_second"] = round(cs / cc, 3) if cs and cc else None
            c_rps = out[label]["rps"]
            out[f"ratio{suffix}"] = round(out["server"]["rps"] / c_rps, 3) if c_rps else None
        return out

    async def latency(
        self,
        name: str,
        proc: procs.Proc,
        reqs: list[bytes],
        expect: bytes | None,
        rate: float,
        background: list[bytes] | None = None,
        bg_rate: float = 0.0,
    ) -> dict[str, Any]:
        """Open-loop latency at a fixed rate (half of the measured saturation)."""
        pool = await Pool("127.0.0.1", proc.port, self.p.conns).open(expect)
        bg_task = None
        if background:
            bg_pool = await Pool("127.0.0.1", proc.port, 2).open(OK_MARK)
            bg_task = asyncio.create_task(
                open_loop(bg_pool, background, rate=bg_rate, duration=self.p.seconds + 0.5)
            )
        assert proc.usage is not None
        win = procs.CpuWindow(proc.usage)
        res = await open_loop(pool, reqs, rate=rate, duration=self.p.seconds)
        share = win.share()
        if bg_task is not None:
            await bg_task
            await bg_pool.close()
        await pool.close()
        self.say(
            f"{name} open loop at {rate:,.0f}/s on {proc.name}: p50 {res.pct(50) or 0:.4f}s "
            f"p99 {res.pct(99) or 0:.4f}s ({res.errors} errors, {res.missing} missing)"
        )
        return {"rate": round(rate, 1), **res.summary(), "server_cpu": share}

    # -- scenarios -----------------------------------------------------------------------------------------

    async def hot_paths(self, ceil: procs.Proc) -> None:
        """Scenarios 2, 3 and 4 on one node holding services x 100 instances."""
        p = self.p
        data = procs.tmpdir("artemis-bench-")
        art = procs.artemis(data, cpus=self.server_cpus, env=SERVER_ENV).start()
        try:
            insts = dataset(p.services)
            res = await run_all(
                await Pool("127.0.0.1", art.port, 2).open(OK_MARK), register_requests(insts, 100)
            )
            assert art.usage is not None
            self.say(f"registered {len(insts):,} instances for the hot-path scenarios ({res.errors} errors)")
            self.out["dataset"] = {
                "instances": len(insts),
                "services": p.services,
                "rss_bytes": art.usage.rss(),
            }

            # (2) heartbeats
            hb: dict[str, Any] = {}
            for shape, size in (("single", 1), ("batch100", 100)):
                reqs = heartbeat_requests(insts, size)
                sat = await self.pair_saturate(f"heartbeat {shape}", art, ceil, reqs, OK_MARK, keys=size)
                sat["latency_at_half_saturation"] = await self.latency(
                    f"heartbeat {shape}", art, reqs, OK_MARK, sat["server_median_rps"] / 2
                )
                sat["ceiling_latency_at_half_saturation"] = await self.latency(
                    f"heartbeat {shape}", ceil, reqs, OK_MARK, sat["ceiling_median_rps"] / 2
                )
                hb[shape] = sat
            self.out["heartbeat"] = hb
            s, b = hb["single"], hb["batch100"]
            self.row(
                "2 heartbeat 1 key",
                "requests/s at saturation",
                s["server"]["rps"],
                s["ceiling"]["rps"],
                f">= {GOALS['heartbeat_single_ratio']}x ceiling",
                s["ratio_per_cpu_second"],
            )
            lat = s["latency_at_half_saturation"]
            self.row(
                "2 heartbeat 1 key",
                "p50/p99/p999 ms at 50% sat",
                f"{lat['p50_ms']}/{lat['p99_ms']}/{lat['p999_ms']}",
            )
            self.row(
                "2 heartbeat 100 keys",
                "keys/s at saturation",
                b["server"]["keys_per_s"],
                b["ceiling"]["keys_per_s"],
                f">= {GOALS['heartbeat_batch100_keys_ratio']}x ceiling",
                b["ratio_per_cpu_second"],
            )
            lat = b["latency_at_half_saturation"]
            self.row(
                "2 heartbeat 100 keys",
                "p50/p99/p999 ms at 50% sat",
                f"{lat['p50_ms']}/{lat['p99_ms']}/{lat['p999_ms']}",
            )

            # (2b) the same heartbeats on a node without the renewal cache: what a body costs the first time
            # it is seen (every key decoded and looked up), e.g. right after a client starts.
            hb["uncached"] = await self.heartbeats_uncached(ceil, insts)
            # The goal is on the body a client sends: the R SDK's five-field keys (the SDK that heartbeats
            # with instanceKeys). The shortest body (serviceId and instanceId: what a script sends) and the
            # Java SDK's whole instances are measured alike (decisions.md, "Which body first sight is
            # measured on").
            for shape, label in (
                ("single", "1 key"),
                ("batch100", "100 keys"),
                ("batch100r", "100 keys, R SDK keys"),
                ("batch100j", "100 instances, Java SDK"),
            ):
                u = hb["uncached"][shape]
                goal = (
                    f">= {GOALS['first_sight_batch100_keys_ratio']}x decoding ceiling (issue 20)"
                    if shape == "batch100r"
                    else "first sight of a body (no goal)"
                )
                self.row(
                    f"2 heartbeat {label}, cache off",
                    "keys/s at saturation",
                    u["server"]["keys_per_s"],
                    u["ceiling"]["keys_per_s"],
                    goal,
                    u["ratio_per_cpu_second"],
                )
                self.decode_row(f"2 heartbeat {label}, cache off", u)
            for shape, label, key in (
                ("peer100", "2 replicated heartbeats, batches of 100", "peer_heartbeat"),
                ("peer100lean", "2 replicated heartbeats, lean, batches of 100", "peer_heartbeat_lean"),
                ("peer1000lean", "2 replicated heartbeats, lean, batches of 1000", "peer_heartbeat_lean1000"),
            ):
                peer = hb["uncached"][shape]
                self.row(
                    label,
                    "keys/s at saturation",
                    peer["server"]["keys_per_s"],
                    peer["ceiling"]["keys_per_s"],
                    "",
                    peer["ratio_per_cpu_second"],
                )
                per_cpu = peer["server"]["per_cpu_second"]
                size = peer["keys_per_request"]
                # the goal is stated for the batches a sender really sends at that rate: from 10,000
                # renewals/s on, a 100 ms flush holds replication.heartbeat_batch_size = 1,000 keys
                goal = f">= {GOALS['peer_keys_per_cpu_s']:,.0f} on one core (issue 20)" if size > 100 else ""
                self.row(
                    label,
                    "keys/s per CPU-second of the server",
                    round(per_cpu * size) if per_cpu else None,
                    goal=goal,
                )
                if shape == "peer100":  # the lean body is not JSON: its fair bound is the plain ceiling
                    self.decode_row(label, peer)
                self.out[key] = peer

            # (3) discovery while heartbeats run: 10,000 instances heartbeating every 5 s = 2,000 keys/s
            # as single-key requests, on the server and on the ceiling alike.
            bg = heartbeat_requests(insts, 1)
            bg_rate = len(insts) / 5.0
            disc: dict[str, Any] = {"background_heartbeats_per_s": bg_rate}
            one = http_request(
                "POST", "/api/discovery/service.json", b'{"discoveryConfig":{"serviceId":"bench-svc-0"}}'
            )
            every = http_request("GET", "/api/discovery/services.json")
            for shape, req, path in (
                ("service100", one, "/api/discovery/service.json"),
                ("services_all", every, "/api/discovery/services.json"),
            ):
                body = await fetch(art.port, req)
                await can(ceil.port, path, body)
                sat = await self.pair_saturate(
                    f"discovery {shape}", art, ceil, [req], OK_MARK, background=bg, bg_rate=bg_rate
                )
                sat["response_bytes"] = len(body)
                sat["latency_at_half_saturation"] = await self.latency(
                    f"discovery {shape}",
                    art,
                    [req],
                    OK_MARK,
                    sat["server_median_rps"] / 2,
                    background=bg,
                    bg_rate=bg_rate,
                )
                disc[shape] = sat
            self.out["discovery"] = disc
            for shape, label in (
                ("service100", "1 service, 100 inst"),
                ("services_all", f"services.json, {len(insts):,} inst"),
            ):
                d = disc[shape]
                lat = d["latency_at_half_saturation"]
                goal_key = "discovery_service100_ratio" if shape == "service100" else "services_all_ratio"
                self.row(
                    f"3 discovery {label}",
                    "requests/s at saturation",
                    d["server"]["rps"],
                    d["ceiling"]["rps"],
                    f">= {GOALS[goal_key]}x ceiling (issue 20)",
                    cpu_ratio=d["ratio_per_cpu_second"],
                )
                self.row(
                    f"3 discovery {label}",
                    "p50/p99/p999 ms at 50% sat",
                    f"{lat['p50_ms']}/{lat['p99_ms']}/{lat['p999_ms']}",
                    goal="p99 < 5 ms" if shape == "service100" else "",
                )

            # (4) WebSocket fan-out
            self.out["fanout"] = await self.fanout(art)
            f = self.out["fanout"]
            self.row(
                f"4 ws fan-out, {f['subscribers']} subs",
                "p50/p99/max ms to last subscriber",
                f"{f['p50_ms']}/{f['p99_ms']}/{f['max_ms']}",
                goal=f"p99 < {GOALS['fanout_p99_ms']:.0f} ms",
            )
        finally:
            art.stop()
            procs.rmtree(data)

    async def heartbeats_uncached(self, ceil: procs.Proc, insts: list[dict[str, Any]]) -> dict[str, Any]:
        """Heartbeat saturation on a second node started with ``cache.heartbeat_cache_bytes = 0``: client
        heartbeats of 1 and 100 keys seen for the first time, and replicated heartbeat batches of 100 keys as
        a peer sends them (``peer100``: random mixes of the registered keys on
        /api/replication/registry/heartbeat.json, one batch in flight per connection as a peer's sender
        has, 8 connections = 8 peers sending at once; ``peer100lean`` the same as identity keys;
        ``peer1000lean`` in batches of replication.heartbeat_batch_size, what a sender flushes from 10,000
        renewals/s on)."""
        data = procs.tmpdir("artemis-bench-nocache-")
        env = {**SERVER_ENV, "ARTEMIS_CACHE__HEARTBEAT_CACHE_BYTES": "0"}
        art = procs.artemis(data, cpus=self.server_cpus, env=env, name="artemis-nocache").start()
        try:
            await run_all(await Pool("127.0.0.1", art.port, 2).open(OK_MARK), register_requests(insts, 100))
            out: dict[str, Any] = {}
            # the region and zone the node gave the instances, as an SDK's and a peer's keys carry them
            one = json.loads(
                await fetch(
                    art.port,
                    http_request(
                        "POST",
                        "/api/discovery/service.json",
                        json.dumps({"discoveryConfig": {"serviceId": insts[0]["serviceId"]}}).encode(),
                    ),
                )
            )
            first = one["service"]["instances"][0]
            region, zone = first["regionId"], first["zoneId"]
            # client heartbeats: the shortest body (serviceId and instanceId only), then 100 instances as the
            # R SDK sends them (five-field keys) and as the Java SDK does (whole instances)
            for shape, size, sdk in (
                ("single", 1, ""),
                ("batch100", 100, ""),
                ("batch100r", 100, "r"),
                ("batch100j", 100, "j"),
            ):
                reqs = (
                    sdk_heartbeat_requests(insts, size, region, zone, sdk)
                    if sdk
                    else heartbeat_requests(insts, size)
                )
                out[shape] = await self.pair_saturate(
                    f"heartbeat {shape} (cache off)", art, ceil, reqs, OK_MARK, keys=size, decode=True
                )
                out[shape]["body_bytes"] = len(reqs[0].partition(b"\r\n\r\n")[2])
            reqs = peer_heartbeat_requests(insts, 100, self.p.peer_bodies, region, zone)
            peer = await self.pair_saturate(
                "replicated heartbeat batch100",
                art,
                ceil,
                reqs,
                OK_MARK,
                keys=100,
                decode=True,
                conns=self.p.peer_conns,
                depth=1,
            )
            peer["distinct_bodies"] = len(reqs)
            peer["keys_per_request"] = 100
            out["peer100"] = peer
            # the same batches as a peer of this version sends them (replication.lean_heartbeats): no JSON,
            # so the fair bound is the ceiling that does not decode
            reqs = peer_heartbeat_requests(insts, 100, self.p.peer_bodies, region, zone, lean=True)
            lean = await self.pair_saturate(
                "replicated heartbeat batch100 (lean)",
                art,
                ceil,
                reqs,
                OK_MARK,
                keys=100,
                conns=self.p.peer_conns,
                depth=1,
            )
            lean["distinct_bodies"] = len(reqs)
            lean["keys_per_request"] = 100
            out["peer100lean"] = lean
            # ... and in the batches a sender flushes from 10,000 renewals/s on (a 100 ms flush holds
            # replication.heartbeat_batch_size = 1,000 keys): what a peer absorbing 2 M keys/s receives
            big = min(1000, len(insts))  # the smoke profile holds fewer instances
            reqs = peer_heartbeat_requests(
                insts, big, max(5, self.p.peer_bodies // 10), region, zone, lean=True
            )
            lean = await self.pair_saturate(
                "replicated heartbeat batch1000 (lean)",
                art,
                ceil,
                reqs,
                OK_MARK,
                keys=big,
                conns=self.p.peer_conns,
                depth=1,
            )
            lean["distinct_bodies"] = len(reqs)
            lean["keys_per_request"] = big
            out["peer1000lean"] = lean
            return out
        finally:
            art.stop()
            procs.rmtree(data)

    async def fanout(self, art: procs.Proc) -> dict[str, Any]:
        n = self.p.subscribers
        state = {"count": 0, "last": 0.0, "first": 0.0, "mark": b""}
        done = asyncio.Event()
        acks = {"n": 0}
        all_acked = asyncio.Event()

        def on_text(payload: bytes, t: float) -> None:
            if b'"subscribed"' in payload:
                acks["n"] += 1
                if acks["n"] >= n:
                    all_acked.set()
                return
            if state["mark"] and state["mark"] in payload:
                state["count"] += 1
                if state["count"] == 1:
                    state["first"] = t
                if state["count"] >= n:
                    state["last"] = t
                    done.set()

        subs = []
        for _ in range(n):
            subs.append(await procs.ws_subscribe(art.port, "bench-fanout", on_text))
        await asyncio.wait_for(all_acked.wait(), 30)
        pool = await Pool("127.0.0.1", art.port, 1).open(OK_MARK)
        conn = pool.conns[0]
        assert conn.transport is not None
        assert art.usage is not None
        times: list[float] = []
        firsts: list[float] = []
        lost = 0
        for r in range(self.p.fanout_rounds):
            iid = f"fanout-{r}"
            state.update(count=0, last=0.0, first=0.0, mark=f'"{iid}"'.encode())
            done.clear()
            req = http_request(
                "POST",
                "/api/registry/register.json",
                msgspec.json.encode(
                    {
                        "instances": [
                            {"serviceId": "bench-fanout", "instanceId": iid, "ip": "10.9.9.9", "port": 80}
                        ]
                    }
                ),
            )
            t0 = time.perf_counter()
            conn.pending.append(t0)
            conn.transport.write(req)
            try:
                await asyncio.wait_for(done.wait(), 10)
                times.append(state["last"] - t0)
                firsts.append(state["first"] - t0)
            except TimeoutError:
                lost += 1
            await asyncio.sleep(0.1)
        rss = art.usage.rss()
        await pool.close()
        for s in subs:
            if s.transport is not None:
                s.transport.close()
        self.say(f"fan-out to {n}: p50 {ms(pct(times, 50))} ms, p99 {ms(pct(times, 99))} ms")
        return {
            "subscribers": n,
            "rounds": self.p.fanout_rounds,
            "incomplete_rounds": lost,
            "p50_ms": ms(pct(times, 50)),
            "p99_ms": ms(pct(times, 99)),
            "max_ms": ms(max(times, default=None)),
            "first_subscriber_p50_ms": ms(pct(firsts, 50)),
            "rss_bytes_with_subscribers": rss,
        }

    async def register_and_memory(self, ceil: procs.Proc) -> None:
        """Scenarios 1 and 6: register N instances in batches on a fresh node; RSS at 100,000 and N."""
        p = self.p
        data = procs.tmpdir("artemis-bench-")
        art = procs.artemis(data, cpus=self.server_cpus, env=SERVER_ENV).start()
        try:
            assert art.usage is not None
            time.sleep(0.5)
            rss0 = art.usage.rss()
            checkpoints = sorted({min(100_000, p.register_n), p.register_n})
            chunk = 100_000
            done = 0
            elapsed = 0.0
            cpu = 0.0
            errors = 0
            rss: dict[str, int] = {"empty": rss0}
            gen_cpu: list[float] = []
            first_reqs: list[bytes] = []
            while done < p.register_n:
                n = min(chunk, p.register_n - done)
                insts = [instance(f"reg-svc-{i // 100}", i) for i in range(done, done + n)]
                reqs = register_requests(insts, p.batch)
                if not first_reqs:
                    first_reqs = reqs[:200]
                pool = await Pool("127.0.0.1", art.port, 4).open(OK_MARK)
                win = procs.CpuWindow(art.usage)
                res = await run_all(pool, reqs, depth=4)
                cpu += win.share() * res.elapsed
                await pool.close()
                elapsed += res.elapsed
                errors += res.errors + res.missing
                gen_cpu.append(res.gen_cpu)
                done += n
                if done in checkpoints:
                    time.sleep(0.3)
                    rss[str(done)] = art.usage.rss()
                self.say(f"registered {done:,} / {p.register_n:,} ({done / elapsed:,.0f} instances/s)")
            inst_rate = done / elapsed
            # Steady state: every instance heartbeated once in batches of 100, so the renewal cache holds
            # as many bodies as its budget (cache.heartbeat_cache_bytes) allows.
            beat = 0
            while beat < done:
                n = min(chunk, done - beat)
                insts = [instance(f"reg-svc-{i // 100}", i) for i in range(beat, beat + n)]
                pool = await Pool("127.0.0.1", art.port, 4).open(OK_MARK)
                res = await run_all(pool, heartbeat_requests(insts, 100), depth=4)
                await pool.close()
                errors += res.errors + res.missing
                beat += n
            time.sleep(0.3)
            rss[f"{done} heartbeated"] = art.usage.rss()
            self.say(f"heartbeated {beat:,} instances once")
            # the ceilings (plain, and decoding every body) answer the same register bodies
            ceilings: dict[str, dict[str, Any]] = {}
            for label, cproc in (("ceiling", ceil), ("ceiling_decode", self.dceil)):
                if cproc is None:
                    continue
                cpool = await Pool("127.0.0.1", cproc.port, p.conns).open(OK_MARK)
                assert cproc.usage is not None
                cwin = procs.CpuWindow(cproc.usage)
                cres = await saturate(cpool, first_reqs, duration=p.seconds, depth=4)
                c_share = cwin.share()
                await cpool.close()
                ceilings[label] = {
                    **cres.summary(),
                    "instances_per_s": round(cres.rps * p.batch, 1),
                    "server_cpu": c_share,
                }
            s_share = cpu / elapsed

            def ratios(c: dict[str, Any]) -> tuple[float | None, float | None]:
                c_rate, c_share = c["instances_per_s"], c["server_cpu"]
                plain = round(inst_rate / c_rate, 3) if c_rate else None
                per_cpu = (
                    round((inst_rate / s_share) / (c_rate / c_share), 3)
                    if s_share and c_share and c_rate
                    else None
                )
                return plain, per_cpu

            ratio, cpu_ratio = ratios(ceilings["ceiling"])
            self.out["register"] = {
                "instances": done,
                "batch": p.batch,
                "seconds": round(elapsed, 3),
                "errors": errors,
                "instances_per_s": round(inst_rate, 1),
                "server_cpu": round(cpu / elapsed, 3),
                "generator_cpu": round(max(gen_cpu), 3),
                "ceiling": ceilings["ceiling"],
                "ratio": ratio,
                "ratio_per_cpu_second": cpu_ratio,
            }
            if "ceiling_decode" in ceilings:
                d_ratio, d_cpu_ratio = ratios(ceilings["ceiling_decode"])
                self.out["register"].update(
                    ceiling_decode=ceilings["ceiling_decode"],
                    ratio_decode=d_ratio,
                    ratio_decode_per_cpu_second=d_cpu_ratio,
                )
            self.out["memory"] = {
                "rss_bytes": rss,
                "per_instance_bytes": {
                    k: round((v - rss0) / int(k.split()[0])) for k, v in rss.items() if k != "empty"
                },
            }
            self.row(
                f"1 register {done:,} in batches of {p.batch}",
                "instances/s",
                round(inst_rate, 1),
                ceilings["ceiling"]["instances_per_s"],
                f">= {GOALS['register_ratio']}x ceiling (issue 20)",
                cpu_ratio=cpu_ratio,
            )
            if "ceiling_decode" in ceilings:
                self.row(
                    f"1 register {done:,} in batches of {p.batch}",
                    "... vs the decoding ceiling",
                    round(inst_rate, 1),
                    ceilings["ceiling_decode"]["instances_per_s"],
                    cpu_ratio=self.out["register"]["ratio_decode_per_cpu_second"],
                )
            for k, v in rss.items():
                goal = "< 1.5 GB at 1,000,000" if k.startswith("1000000") else ""
                n, _, beaten = k.partition(" ")
                label = "server RSS MB, empty" if n == "empty" else f"server RSS MB, {n} instances"
                label += ", each heartbeated once" if beaten else ""
                self.row("6 memory", label, round(v / 2**20, 1), goal=goal)
            if "1000000" not in rss:
                self.row(
                    "6 memory", "server RSS MB, 1000000 instances", "not run (use --full)", goal="< 1.5 GB"
                )
        finally:
            art.stop()
            procs.rmtree(data)

    async def replication(self) -> None:
        """Scenario 5: writes at a steady rate on node A; time until B and C push them on /ws."""
        p = self.p
        ports = [procs.free_port() for _ in range(3)]
        dirs = [procs.tmpdir("artemis-bench-") for _ in ports]
        nodes = [
            procs.artemis(
                d, port=port, peers=[q for q in ports if q != port], env=SERVER_ENV, name=f"node-{'ABC'[k]}"
            )
            for k, (d, port) in enumerate(zip(dirs, ports, strict=True))
        ]
        try:
            for nd in nodes:
                nd.start()
            batch = 10
            req_rate = p.repl_writes / batch
            total = int(req_rate * p.repl_seconds)
            recv: list[dict[int, float]] = [{}, {}]

            def collector(k: int) -> Any:
                seen = recv[k]

                def on_text(payload: bytes, t: float) -> None:
                    if b"service_change" not in payload:
                        return
                    for ch in msgspec.json.decode(payload).get("changes", ()):
                        iid = ch["instance"]["instanceId"]
                        if iid.startswith("repl-"):
                            seen.setdefault(int(iid[5:]), t)

                return on_text

            subs = [await procs.ws_subscribe(nodes[k + 1].port, "bench-repl", collector(k)) for k in (0, 1)]
            await asyncio.sleep(0.3)
            reqs = [
                http_request(
                    "POST",
                    "/api/registry/register.json",
                    msgspec.json.encode(
                        {
                            "instances": [
                                {
                                    "serviceId": "bench-repl",
                                    "instanceId": f"repl-{j * batch + k}",
                                    "ip": "10.1.1.1",
                                    "port": 80 + k,
                                }
                                for k in range(batch)
                            ]
                        }
                    ),
                )
                for j in range(total)
            ]
            pool = await Pool("127.0.0.1", nodes[0].port, 2).open(OK_MARK)
            res = await open_loop(pool, reqs, rate=req_rate, duration=p.repl_seconds)
            await pool.close()
            end = time.perf_counter() + 10
            while time.perf_counter() < end and min(len(r) for r in recv) < total * batch:
                await asyncio.sleep(0.05)
            out: dict[str, Any] = {
                "writes_per_s": p.repl_writes,
                "instances_per_request": batch,
                "seconds": p.repl_seconds,
                "write_latency_on_A": res.summary(),
            }
            lags_all: list[float] = []
            for k, name in ((0, "B"), (1, "C")):
                lags = [t - (res.t0 + (i // batch) / req_rate) for i, t in recv[k].items()]
                lags_all += lags
                out[name] = {
                    "seen": len(lags),
                    "expected": total * batch,
                    "p50_ms": ms(pct(lags, 50)),
                    "p99_ms": ms(pct(lags, 99)),
                    "max_ms": ms(max(lags, default=None)),
                }
            out["p99_ms"] = ms(pct(lags_all, 99))
            # where the tail sits in time: p99 of the writes scheduled in each second of the run
            by_sec: dict[int, list[float]] = {}
            for k in (0, 1):
                for i, t in recv[k].items():
                    sched = (i // batch) / req_rate
                    by_sec.setdefault(int(sched), []).append(t - (res.t0 + sched))
            out["p99_ms_by_second"] = [ms(pct(by_sec[sec], 99)) for sec in sorted(by_sec)]
            for s in subs:
                if s.transport is not None:
                    s.transport.close()
            self.out["replication"] = out
            self.say(f"replication lag p99 {out['p99_ms']} ms")
            self.row(
                f"5 replication, {p.repl_writes:,} writes/s",
                "lag p50/p99 ms A->B",
                f"{out['B']['p50_ms']}/{out['B']['p99_ms']}",
                goal="p99 < 100 ms",
            )
            self.row(
                f"5 replication, {p.repl_writes:,} writes/s",
                "lag p50/p99 ms A->C",
                f"{out['C']['p50_ms']}/{out['C']['p99_ms']}",
                goal="p99 < 100 ms",
            )
        finally:
            for nd in nodes:
                nd.stop()
            for d in dirs:
                procs.rmtree(d)

    async def run(self, only: set[str]) -> dict[str, Any]:
        ceil = procs.ceiling(cpus=self.server_cpus).start()
        self.dceil = procs.ceiling(cpus=self.server_cpus, decode=True).start()
        try:
            # Generator ceiling: the generator against the raw app with the smallest request there is.
            gen = await self.pair_generator(ceil)
            self.out["generator_check"] = gen
            if "hot" in only:
                await self.hot_paths(ceil)
            if "register" in only:
                await self.register_and_memory(ceil)
            if "replication" in only:
                await self.replication()
        finally:
            ceil.stop()
            self.dceil.stop()
        # issue 20's cluster scenarios (benchmarks/cluster.py): no ceiling, times and per-key costs
        if "sync" in only:
            self.out["startup_sync"] = await cluster.startup_sync(self)
        if "mgmtpush" in only:
            self.out["mgmt_push"] = await cluster.mgmt_push(self)
        if "rejoin" in only:
            self.out["rejoin"] = await cluster.rejoin(self)
        if "cost" in only:
            self.out["per_key_cost"] = await cluster.per_key_cost(self)
        return self.out

    async def pair_generator(self, ceil: procs.Proc) -> dict[str, Any]:
        pool = await Pool("127.0.0.1", ceil.port, self.p.conns).open(OK_MARK)
        assert ceil.usage is not None
        win = procs.CpuWindow(ceil.usage)
        res = await saturate(
            pool, heartbeat_requests([instance("g", 0)], 1), duration=self.p.seconds, depth=self.p.depth
        )
        share = win.share()
        await pool.close()
        if share >= 0.9:
            bound = "server"
        elif res.gen_cpu >= 0.9:
            bound = "generator"
        else:
            bound = "neither (CPU taken by other processes)"
        self.say(
            f"generator check vs ceiling: {res.rps:,.0f} req/s, ceiling cpu {share:.2f}, "
            f"generator cpu {res.gen_cpu:.2f} -> bound by the {bound}"
        )
        self.row(
            "0 generator vs raw ASGI",
            "requests/s (ceiling cpu / generator cpu)",
            round(res.rps, 1),
            goal=f"{share:.2f} / {res.gen_cpu:.2f}: {bound}-bound",
        )
        return {**res.summary(), "ceiling_cpu": share, "bound_by": bound}


def machine() -> dict[str, Any]:
    def sh(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    lscpu = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in sh(["lscpu"]).splitlines())}
    import uvicorn

    mem = sh(["free", "-m"]).splitlines()
    return {
        "cpus": os.cpu_count(),
        "model": lscpu.get("Model name"),
        "hypervisor": lscpu.get("Hypervisor vendor"),
        "memory_mb": mem[1].split()[1] if len(mem) > 1 else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "uvicorn": uvicorn.__version__,
        "psutil": procs.psutil is not None,
        "loop": "uvloop" if _has("uvloop") else "asyncio",
        "http": "httptools" if _has("httptools") else "h11",
    }


def _has(mod: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(mod) is not None


def table(rows: list[tuple[Any, ...]]) -> str:
    head = ("scenario", "figure", "server", "ceiling", "ratio", "ratio per CPU-s", "goal")

    def fmt(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 10 else f"{v:,.0f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    cells = [head] + [tuple(fmt(v) for v in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="short windows (about a minute)")
    mode.add_argument("--full", action="store_true", help="register 1,000,000 instances (scenarios 1 and 6)")
    mode.add_argument("--smoke", action="store_true", help="tiny numbers, seconds: proves the harness runs")
    ap.add_argument("--n", type=int, help="instances to register in scenario 1 (up to 1,000,000)")
    ap.add_argument("--seconds", type=float, help="length of each measurement window")
    ap.add_argument("--fleet", type=int, help="instances heartbeating in the rejoin scenario (9)")
    ap.add_argument("--sync-n", type=int, help="instances the peer holds in the start-up sync scenario (7)")
    ap.add_argument(
        "--only",
        default=",".join(GROUPS),
        help="comma list of scenario groups: hot (2,3,4), register (1,6), replication (5), sync (7), "
        "mgmtpush (8), rejoin (9), cost (10); 'cluster' stands for sync,mgmtpush,rejoin,cost",
    )
    ap.add_argument(
        "--trace-ratio",
        type=float,
        help="run every node with [tracing] on at this sampler ratio (e.g. 0.01), exporting over OTLP/HTTP "
        "to a local sink (benchmarks/otlp_sink.py); needs the otel extra",
    )
    ap.add_argument("--no-pin", action="store_true", help="do not pin server and generator to CPUs")
    ap.add_argument("--out", default="benchmarks/results.json", help="JSON output file")
    args = ap.parse_args(argv)
    name = "smoke" if args.smoke else "quick" if args.quick else "full" if args.full else "default"
    prof = PROFILES[name]
    if args.n:
        prof.register_n = max(1, min(args.n, 1_000_000))
    if args.seconds:
        prof.seconds = args.seconds
    if args.fleet:
        prof.rejoin_instances = max(3 * prof.rejoin_keys, min(args.fleet, 1_000_000))
    if args.sync_n:
        prof.sync_n = max(100, min(args.sync_n, 2_000_000))
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    if pin:
        procs.pin(0, {1})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * max(prof.subscribers, prof.mgmt_subs) + 1024))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    bench = Bench(prof, pin)
    started = time.time()
    load_before = os.getloadavg()
    only = {s.strip() for s in args.only.split(",")}
    if "cluster" in only:
        only |= {"sync", "mgmtpush", "rejoin", "cost"}
    unknown = only - set(GROUPS) - {"cluster"}
    if unknown:
        ap.error(f"unknown scenario group(s): {', '.join(sorted(unknown))}; known: {', '.join(GROUPS)}")
    sink: procs.Proc | None = None
    if args.trace_ratio is not None:
        sink = procs.otlp_sink(cpus={1} if pin else None).start()
        # SERVER_ENV is the one dict every scenario starts its nodes with
        SERVER_ENV.update(
            ARTEMIS_TRACING__ENABLED="true",
            ARTEMIS_TRACING__SAMPLER_RATIO=str(args.trace_ratio),
            ARTEMIS_TRACING__ENDPOINT=f"http://127.0.0.1:{sink.port}/v1/traces",
        )
    try:
        results = runner(bench.run(only))
    finally:
        if sink is not None:
            sink.stop()
    exported = None
    if sink is not None:  # what the nodes exported: proof that spans went out, and how much
        found = [ln for ln in sink.log().splitlines() if ln.startswith("requests ")]
        exported = found[-1] if found else "nothing exported"
    doc = {
        "profile": msgspec.to_builtins(prof),
        "pinned": pin,
        "trace_ratio": args.trace_ratio,
        "otlp_sink": exported,
        "machine": machine(),
        "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": round(time.time() - started, 1),
        # other processes on this shared machine: 1/5/15-minute load averages before and after the run
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
        "table": [list(r) for r in bench.rows],
        "goals": GOALS,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(table(bench.rows))
    print(f"\nfigures written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
