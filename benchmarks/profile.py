"""Profile the server under one load shape with py-spy: ``python -m benchmarks.profile SHAPE [--seconds S]``.

Shapes (the server is started as in the runner and loaded with 10,000 instances unless said otherwise):

* ``heartbeat1``, ``heartbeat100``: client heartbeats, bodies seen before (the renewal cache answers);
* ``heartbeat1cold``, ``heartbeat100cold``: the same on a node with ``cache.heartbeat_cache_bytes = 0``
  (every body seen for the first time);
* ``peer100``: replicated heartbeat batches of 100 random keys, as a peer sends them;
* ``register``: registration in batches of 100 (20,000 instances, registered again and again);
* ``service100``, ``services``: discovery of one 100-instance service, services.json of everything;
* ``origin100``: a node with two peers taking 100-key client heartbeats at ``--rate`` keys/s (open loop):
  what sending every renewal on to the peers costs the node that took it;
* ``sync``: a node joining a peer that holds ``--n`` instances (1,000,000 by default), sampled from just
  after it listens until ``--seconds`` later (make it longer than the join).

All but ``origin100`` and ``sync`` drive the server at saturation. Prints the top functions by inclusive
and by own samples; ``--raw FILE`` keeps the collapsed stacks (feed them to a flame-graph tool).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import procs
from benchmarks.cluster import Nodes, register_all
from benchmarks.loadgen import Pool, http_request, open_loop, run_all, saturate
from benchmarks.shapes import (
    OK_MARK,
    SERVER_ENV,
    dataset,
    fetch,
    heartbeat_requests,
    instance,
    peer_heartbeat_requests,
    register_requests,
)

SATURATED = (
    "heartbeat1",
    "heartbeat100",
    "heartbeat1cold",
    "heartbeat100cold",
    "peer100",
    "register",
    "service100",
    "services",
)
SHAPES = (*SATURATED, "origin100", "sync")


async def requests_for(shape: str, port: int, insts: list[dict[str, Any]]) -> list[bytes]:
    if shape.startswith("heartbeat"):
        return heartbeat_requests(insts, 100 if "100" in shape else 1)
    if shape == "peer100":
        one = json.loads(
            await fetch(
                port,
                http_request(
                    "POST", "/api/discovery/service.json", b'{"discoveryConfig":{"serviceId":"bench-svc-0"}}'
                ),
            )
        )
        first = one["service"]["instances"][0]
        return peer_heartbeat_requests(insts, 100, 2_000, first["regionId"], first["zoneId"])
    if shape == "register":
        return register_requests([instance("prof-svc", i) for i in range(20_000)], 100)
    if shape == "service100":
        return [
            http_request(
                "POST", "/api/discovery/service.json", b'{"discoveryConfig":{"serviceId":"bench-svc-0"}}'
            )
        ]
    return [http_request("GET", "/api/discovery/services.json")]


def spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    cmd = [exe, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "500", "--format", "raw"]
    cmd += ["-o", str(out), "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def saturated(shape: str, seconds: float, out: Path) -> None:
    data = procs.tmpdir("artemis-prof-")
    env = dict(SERVER_ENV)
    if shape.endswith("cold") or shape == "peer100":
        env["ARTEMIS_CACHE__HEARTBEAT_CACHE_BYTES"] = "0"
    art = procs.artemis(data, env=env).start()
    try:
        insts = dataset(100)
        await run_all(await Pool("127.0.0.1", art.port, 2).open(OK_MARK), register_requests(insts, 100))
        reqs = await requests_for(shape, art.port, insts)
        rec = spy(art.pid, seconds, out)
        conns, depth = (8, 1) if shape == "peer100" else (8, 16)
        pool = await Pool("127.0.0.1", art.port, conns).open(OK_MARK)
        res = await saturate(pool, reqs, duration=seconds, depth=depth, warmup=0.2)
        print(f"{shape}: {res.rps:,.0f} req/s while profiling", file=sys.stderr)
        await pool.close()
        await asyncio.to_thread(rec.wait, 30)
    finally:
        art.stop()
        procs.rmtree(data)


async def origin(seconds: float, rate: float, out: Path) -> None:
    nodes = Nodes(3, SERVER_ENV, None, "prof")
    try:
        await nodes.start()
        insts = dataset(100)
        await register_all(nodes.ports[0], insts)
        await asyncio.sleep(1.0)
        rec = spy(nodes.procs[0].pid, seconds, out)
        pool = await Pool("127.0.0.1", nodes.ports[0], 4).open(OK_MARK)
        res = await open_loop(pool, heartbeat_requests(insts, 100), rate=rate / 100, duration=seconds)
        print(f"origin100: {res.rps * 100:,.0f} keys/s while profiling", file=sys.stderr)
        await pool.close()
        await asyncio.to_thread(rec.wait, 30)
    finally:
        nodes.stop()


async def sync(seconds: float, n: int, out: Path) -> None:
    dirs = [procs.tmpdir("artemis-prof-sync-") for _ in range(2)]
    peer = procs.artemis(dirs[0], env=SERVER_ENV, name="peer").start()
    joining: procs.Proc | None = None
    try:
        await register_all(peer.port, [instance(f"sync-svc-{i // 100}", i) for i in range(n)])
        print(f"sync: the peer holds {n:,} instances", file=sys.stderr)
        joining = procs.artemis(dirs[1], env=SERVER_ENV, peers=[peer.port], name="joining")
        await asyncio.to_thread(joining.start, 60.0)
        rec = spy(joining.pid, seconds, out)
        await asyncio.to_thread(rec.wait, seconds + 30)
    finally:
        if joining is not None:
            joining.stop()
        peer.stop()
        for d in dirs:
            procs.rmtree(d)


def report(path: Path, top: int = 30) -> None:
    incl: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        k = int(n)
        total += k
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] if " (" in f else f
            for f in stack.split(";")
        ]
        for f in set(frames):
            incl[f] += k
        if frames:
            own[frames[-1]] += k
    print(f"{total} samples\n-- inclusive --")
    for f, k in incl.most_common(top):
        print(f"{100 * k / total:6.1f}%  {f}")
    print("-- own --")
    for f, k in own.most_common(top):
        print(f"{100 * k / total:6.1f}%  {f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("shape", choices=SHAPES)
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--rate", type=float, default=100_000, help="keys/s for origin100")
    ap.add_argument("--n", type=int, default=1_000_000, help="instances the peer holds, for sync")
    ap.add_argument("--raw", type=Path)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    out = Path(tempfile.mkstemp(suffix=".txt")[1]) if args.raw is None else args.raw
    if args.shape == "origin100":
        asyncio.run(origin(args.seconds, args.rate, out))
    elif args.shape == "sync":
        asyncio.run(sync(args.seconds, args.n, out))
    else:
        asyncio.run(saturated(args.shape, args.seconds, out))
    report(out, args.top)


if __name__ == "__main__":
    main()
