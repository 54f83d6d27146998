"""Profile the server under one load shape with py-spy: ``python -m benchmarks.profile SHAPE [--seconds S]``.

SHAPE is one of heartbeat1, heartbeat100, register, service100, services. The server is started as in the
runner, loaded with 10,000 instances, driven at saturation, and sampled by ``py-spy record`` (needs the
``bench`` extra). Prints the top functions by inclusive and by own samples; ``--raw FILE`` keeps the
collapsed stacks (feed them to a flame-graph tool).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import procs
from benchmarks.loadgen import Pool, http_request, run_all, saturate
from benchmarks.shapes import OK_MARK, SERVER_ENV, dataset, heartbeat_requests, instance, register_requests


def shapes(insts: list[dict[str, object]]) -> dict[str, list[bytes]]:
    fresh = [instance("prof-svc", i) for i in range(20_000)]
    return {
        "heartbeat1": heartbeat_requests(insts, 1),
        "heartbeat100": heartbeat_requests(insts, 100),
        "register": register_requests(fresh, 100),
        "service100": [
            http_request(
                "POST", "/api/discovery/service.json", b'{"discoveryConfig":{"serviceId":"bench-svc-0"}}'
            )
        ],
        "services": [http_request("GET", "/api/discovery/services.json")],
    }


async def main_async(shape: str, seconds: float, raw: Path | None) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    data = procs.tmpdir("artemis-prof-")
    art = procs.artemis(data, env=SERVER_ENV).start()
    try:
        insts = dataset(100)
        await run_all(await Pool("127.0.0.1", art.port, 2).open(OK_MARK), register_requests(insts, 100))
        reqs = shapes(insts)[shape]
        out = Path(tempfile.mkstemp(suffix=".txt")[1]) if raw is None else raw
        cmd = [
            spy,
            "record",
            "-p",
            str(art.pid),
            "-d",
            str(int(seconds)),
            "-r",
            "500",
            "--format",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
        ]
        rec = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
        pool = await Pool("127.0.0.1", art.port, 8).open(OK_MARK)
        res = await saturate(pool, reqs, duration=seconds, depth=16, warmup=0.2)
        print(f"{shape}: {res.rps:,.0f} req/s while profiling", file=sys.stderr)
        await pool.close()
        await asyncio.to_thread(rec.wait, 30)
        report(out)
    finally:
        art.stop()
        procs.rmtree(data)


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
    ap = argparse.ArgumentParser()
    ap.add_argument("shape", choices=["heartbeat1", "heartbeat100", "register", "service100", "services"])
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--raw", type=Path)
    args = ap.parse_args()
    asyncio.run(main_async(args.shape, args.seconds, args.raw))


if __name__ == "__main__":
    main()
