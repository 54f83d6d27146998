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

from benchmarks import procs
from benchmarks.loadgen import Pool, http_request, open_loop, run_all, saturate

OK_MARK = b'"errorCode":"success"'
SERVER_ENV = {
    # The limiter would cap every figure at its 10,000 requests/s default: benchmarks measure the server.
    "ARTEMIS_RATELIMIT__ENABLED": "false",
    # Long leases so that instances not heartbeated by a scenario stay registered for the whole run.
    "ARTEMIS_LEASE__TTL_SECS": "3600",
    "ARTEMIS_LEASE__LEGACY_TTL_SECS": "3600",
    "ARTEMIS_LOGGING__LEVEL": "warn",
    "ARTEMIS_LIMITS__MAX_BATCH_INSTANCES": "10000",
}


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


PROFILES = {
    "smoke": Profile("smoke", 2_000, 100, 0.6, 3, 20, 3, 200, 1.0, conns=2, depth=4),
    "quick": Profile("quick", 100_000, 100, 2.0, 100, 1000, 10, 5000, 3.0),
    "default": Profile("default", 100_000, 100, 3.0, 100, 1000, 30, 5000, 10.0, rounds=3),
    "full": Profile("full", 1_000_000, 100, 3.0, 100, 1000, 30, 5000, 10.0, rounds=3),
}

GOALS = {
    "heartbeat_single_ratio": 0.5,
    "heartbeat_batch100_keys_ratio": 0.6,
    "discovery_service100_p99_ms": 5.0,
    "rss_1m_bytes": 1.5 * 1024**3,
    "replication_p99_ms": 100.0,
    "fanout_p99_ms": 200.0,
}


# -- request shapes ---------------------------------------------------------------------------------------


def instance(svc: str, i: int) -> dict[str, Any]:
    ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    return {
        "serviceId": svc,
        "instanceId": f"{svc}-{i}",
        "ip": ip,
        "port": 8080,
        "url": f"http://{ip}:8080/",
        "status": "up",
        "machineName": f"host-{i}",
    }


def register_requests(instances: list[dict[str, Any]], batch: int) -> list[bytes]:
    return [
        http_request(
            "POST",
            "/api/registry/register.json",
            msgspec.json.encode({"instances": instances[k : k + batch]}),
        )
        for k in range(0, len(instances), batch)
    ]


def heartbeat_requests(instances: list[dict[str, Any]], batch: int) -> list[bytes]:
    keys = [{"serviceId": x["serviceId"], "instanceId": x["instanceId"]} for x in instances]
    return [
        http_request(
            "POST", "/api/registry/heartbeat.json", msgspec.json.encode({"instanceKeys": keys[k : k + batch]})
        )
        for k in range(0, len(keys), batch)
    ]


def dataset(services: int) -> list[dict[str, Any]]:
    """``services`` services of 100 instances each; service 0 is the one discovery reads."""
    return [instance(f"bench-svc-{s}", s * 100 + k) for s in range(services) for k in range(100)]


# -- helpers ----------------------------------------------------------------------------------------------


async def fetch(port: int, req: bytes) -> bytes:
    pool = await Pool("127.0.0.1", port, 1).open()
    got: list[bytes] = []
    conn = pool.conns[0]
    conn.expect = b""
    conn.keep = got
    await run_all(pool, [req], depth=1, timeout=60)
    await pool.close()
    if not got:
        raise RuntimeError("no answer")
    return got[0]


async def can(ceiling_port: int, path: str, body: bytes) -> None:
    await fetch(ceiling_port, http_request("PUT", "/__canned" + path, body))


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))]


def ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 2)


class Bench:
    def __init__(self, prof: Profile, pin: bool) -> None:
        self.p = prof
        self.pin = pin
        self.server_cpus = {0} if pin else None
        self.out: dict[str, Any] = {}
        self.rows: list[tuple[Any, ...]] = []

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
    ) -> dict[str, Any]:
        """Saturation throughput of one request shape on the server and on the ceiling, side by side."""
        out: dict[str, Any] = {"server_rounds": [], "ceiling_rounds": []}
        # Alternate server and ceiling windows so that drift on a shared machine hits both alike.
        for _ in range(self.p.rounds):
            for label, proc in (("server", art), ("ceiling", ceil)):
                pool = await Pool("127.0.0.1", proc.port, self.p.conns).open(expect)
                bg_task = None
                if background:
                    bg_pool = await Pool("127.0.0.1", proc.port, 2).open(OK_MARK)
                    bg_task = asyncio.create_task(
                        open_loop(bg_pool, background, rate=bg_rate, duration=self.p.seconds + 1.0)
                    )
                assert proc.usage is not None
                win = procs.CpuWindow(proc.usage)
                res = await saturate(pool, reqs, duration=self.p.seconds, depth=self.p.depth)
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
        for label in ("server", "ceiling"):
            rounds = sorted(out[f"{label}_rounds"], key=lambda f: f["rps"])
            out[label] = rounds[-1]  # the best window: the least disturbed by other processes
            out[f"{label}_median_rps"] = rounds[len(rounds) // 2]["rps"]
        cs, cc = out["server"].get("per_cpu_second"), out["ceiling"].get("per_cpu_second")
        out["ratio_per_cpu_second"] = round(cs / cc, 3) if cs and cc else None
        c_rps = out["ceiling"]["rps"]
        out["ratio"] = round(out["server"]["rps"] / c_rps, 3) if c_rps else None
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
            for shape, label in (("single", "1 key"), ("batch100", "100 keys")):
                u = hb["uncached"][shape]
                self.row(
                    f"2 heartbeat {label}, cache off",
                    "keys/s at saturation",
                    u["server"]["keys_per_s"],
                    u["ceiling"]["keys_per_s"],
                    "first sight of a body (no goal)",
                    u["ratio_per_cpu_second"],
                )

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
                self.row(
                    f"3 discovery {label}",
                    "requests/s at saturation",
                    d["server"]["rps"],
                    d["ceiling"]["rps"],
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
        """Heartbeat saturation on a second node started with ``cache.heartbeat_cache_bytes = 0``."""
        data = procs.tmpdir("artemis-bench-nocache-")
        env = {**SERVER_ENV, "ARTEMIS_CACHE__HEARTBEAT_CACHE_BYTES": "0"}
        art = procs.artemis(data, cpus=self.server_cpus, env=env, name="artemis-nocache").start()
        try:
            await run_all(await Pool("127.0.0.1", art.port, 2).open(OK_MARK), register_requests(insts, 100))
            out: dict[str, Any] = {}
            for shape, size in (("single", 1), ("batch100", 100)):
                reqs = heartbeat_requests(insts, size)
                out[shape] = await self.pair_saturate(
                    f"heartbeat {shape} (cache off)", art, ceil, reqs, OK_MARK, keys=size
                )
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
            # the ceiling answers the same register bodies
            cpool = await Pool("127.0.0.1", ceil.port, p.conns).open(OK_MARK)
            assert ceil.usage is not None
            cwin = procs.CpuWindow(ceil.usage)
            cres = await saturate(cpool, first_reqs, duration=p.seconds, depth=4)
            c_share = cwin.share()
            await cpool.close()
            c_rate = cres.rps * p.batch
            s_share = cpu / elapsed
            cpu_ratio = (
                round((inst_rate / s_share) / (c_rate / c_share), 3)
                if s_share and c_share and c_rate
                else None
            )
            self.out["register"] = {
                "instances": done,
                "batch": p.batch,
                "seconds": round(elapsed, 3),
                "errors": errors,
                "instances_per_s": round(inst_rate, 1),
                "server_cpu": round(cpu / elapsed, 3),
                "generator_cpu": round(max(gen_cpu), 3),
                "ceiling": {**cres.summary(), "instances_per_s": round(c_rate, 1), "server_cpu": c_share},
                "ratio": round(inst_rate / c_rate, 3) if c_rate else None,
                "ratio_per_cpu_second": cpu_ratio,
            }
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
                round(c_rate, 1),
                cpu_ratio=cpu_ratio,
            )
            for k, v in rss.items():
                goal = "< 1.5 GB at 1,000,000" if k.startswith("1000000") else ""
                n, _, beaten = k.partition(" ")
                label = f"server RSS MB, {n} instances" + (", each heartbeated once" if beaten else "")
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
    ap.add_argument(
        "--only",
        default="hot,register,replication",
        help="comma list of scenario groups: hot (2,3,4), register (1,6), replication (5)",
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
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    if pin:
        procs.pin(0, {1})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * prof.subscribers + 1024))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    bench = Bench(prof, pin)
    started = time.time()
    results = runner(bench.run({s.strip() for s in args.only.split(",")}))
    doc = {
        "profile": msgspec.to_builtins(prof),
        "pinned": pin,
        "machine": machine(),
        "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": round(time.time() - started, 1),
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
