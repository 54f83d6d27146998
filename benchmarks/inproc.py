"""Per-request work of the hot paths, in-process: ``python -m benchmarks.inproc [SHAPE ...] [-n N]``.

Builds the node's ASGI app (fast lane in front of Litestar) in this process, runs its lifespan, registers
the data set and drives N requests of each shape straight through the app (no socket, no uvicorn, no
client), a few times plain and once under :mod:`cProfile`. Prints, per shape:

* Python function calls per request: deterministic (the same tree gives the same count on a busy machine),
  the driver's own calls (about 7: request, receive, send) included, the same on every tree;
* CPU time of this process per request, best of ``--repeat`` passes: much less noisy than wall time on a
  shared machine, not noise-free.

``--top K`` prints the K functions with most own time; ``--dump PREFIX`` writes calls per request by
function to ``PREFIX.<shape>`` (diff two trees' files to see what one does more).

Shapes: ``hb1``, ``hb100`` (client heartbeats, bodies seen before: the renewal cache answers),
``hb1cold``, ``hb100cold`` (the same with ``cache.heartbeat_cache_bytes = 0``: every body seen for the first
time), ``peer100`` (replicated heartbeat batches of 100 random keys as JSON keys), ``peer100lean`` (the
same as identity keys: replication.lean_heartbeats), ``peer1000``, ``peer1000lean`` (the same with 1,000
keys per batch: replication.heartbeat_batch_size, what a sender flushes from 10,000 renewals/s on),
``register100`` (batches of 100 instances registered again: the replace path), ``register100new`` (every
batch new instances: what a fleet's start-up and a node's sync do), ``service100`` (discovery of one
100-instance service), ``services`` (services.json of everything).

It imports whichever ``artemis_server`` is first on ``sys.path`` and prints its file, so one copy of this
script measures any tree: ``cd /tmp && PYTHONPATH=/path/to/tree python /path/to/inproc.py``. Only what every
tree since the fast lane has (``build_asgi``, ``load_settings``) is used.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from typing import Any

import msgspec

SHAPES = (
    "hb1",
    "hb100",
    "hb1cold",
    "hb100cold",
    "peer100",
    "peer100lean",
    "peer1000",
    "peer1000lean",
    "register100",
    "register100new",
    "service100",
    "services",
)
ENV = {
    "ARTEMIS_RATELIMIT__ENABLED": "false",
    "ARTEMIS_LEASE__TTL_SECS": "3600",
    "ARTEMIS_LEASE__LEGACY_TTL_SECS": "3600",
    "ARTEMIS_LOGGING__LEVEL": "warn",
    "ARTEMIS_LIMITS__MAX_BATCH_INSTANCES": "10000",
    "ARTEMIS_ADMIN_PASSWORD": "inproc-benchmark-only",  # no first-start password printed per shape
}
N_INSTANCES = 10_000
PER_SERVICE = 100


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


class App:
    """One in-process node: its ASGI app, started, and a way to send it one request."""

    def __init__(self, cold: bool, data_dir: str) -> None:
        import artemis_server
        from artemis_server.api.fastpath import build_asgi
        from artemis_server.settings import load_settings

        env = dict(ENV)
        env["ARTEMIS_SERVER__DATA_DIR"] = data_dir
        if cold:
            env["ARTEMIS_CACHE__HEARTBEAT_CACHE_BYTES"] = "0"
        settings, _ = load_settings(env=env)
        self.app = build_asgi(settings, bound_port=8080)
        self.tree = artemis_server.__file__
        self._lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._lifespan_out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        self._task = asyncio.ensure_future(self.app(scope, self._lifespan.get, self._lifespan_out.put))
        await self._lifespan.put({"type": "lifespan.startup"})
        msg = await asyncio.wait_for(self._lifespan_out.get(), 30)
        if msg["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"startup failed: {msg}")

    async def stop(self) -> None:
        await self._lifespan.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(self._lifespan_out.get(), 30)
        if self._task is not None:
            await asyncio.wait_for(self._task, 30)

    async def request(
        self, method: str, path: str, body: bytes = b"", query: bytes = b""
    ) -> tuple[int, bytes]:
        headers = [(b"host", b"127.0.0.1:8080"), (b"content-type", b"application/json")]
        if method == "POST":
            headers.append((b"content-length", b"%d" % len(body)))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query,
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
            "state": {},
        }
        sent = False
        out: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(msg: dict[str, Any]) -> None:
            out.append(msg)

        await self.app(scope, receive, send)
        return out[0]["status"], b"".join(m.get("body", b"") for m in out[1:])


def heartbeat_bodies(insts: list[dict[str, Any]], batch: int) -> list[bytes]:
    keys = [{"serviceId": x["serviceId"], "instanceId": x["instanceId"]} for x in insts]
    return [msgspec.json.encode({"instanceKeys": keys[k : k + batch]}) for k in range(0, len(keys), batch)]


async def build(shape: str, app: App, insts: list[dict[str, Any]], n: int) -> list[tuple[str, str, bytes]]:
    """The requests of one shape (method, path, body); at least ``n`` of them, cycled."""
    if shape.startswith("hb"):
        bodies = heartbeat_bodies(insts, 100 if "100" in shape else 1)
        return [("POST", "/api/registry/heartbeat.json", b) for b in bodies]
    if shape.startswith("peer"):
        size = 1000 if shape.startswith("peer1000") else 100
        _status, one = await app.request(
            "POST", "/api/discovery/service.json", b'{"discoveryConfig":{"serviceId":"bench-svc-0"}}'
        )
        first = json.loads(one)["service"]["instances"][0]
        rng = random.Random(20)
        keys = [
            {
                "regionId": first["regionId"],
                "zoneId": first["zoneId"],
                "serviceId": x["serviceId"],
                "groupId": "",
                "instanceId": x["instanceId"],
            }
            for x in insts
        ]
        batches = [rng.sample(keys, size) for _ in range(min(n, 200_000 // size))]
        if shape.endswith("lean"):  # replicator.lean_payload: identity keys, one per line
            return [
                (
                    "POST",
                    "/api/replication/registry/lean-heartbeat",
                    "\n".join(
                        f"{k['regionId']}\x1f{k['serviceId']}\x1f{k['instanceId']}".casefold() for k in b
                    ).encode(),
                )
                for b in batches
            ]
        return [
            ("POST", "/api/replication/registry/heartbeat.json", msgspec.json.encode({"instanceKeys": b}))
            for b in batches
        ]
    if shape == "register100new":  # new instances in every pass: n batches per pass, 5 passes
        more = [instance(f"new-svc-{i // 100}", i) for i in range(n * 100 * 5)]
        return [
            ("POST", "/api/registry/register.json", msgspec.json.encode({"instances": more[k : k + 100]}))
            for k in range(0, len(more), 100)
        ]
    if shape == "register100":
        more = [instance("prof-svc", i) for i in range(20_000)]
        return [
            ("POST", "/api/registry/register.json", msgspec.json.encode({"instances": more[k : k + 100]}))
            for k in range(0, len(more), 100)
        ]
    if shape == "service100":
        return [("POST", "/api/discovery/service.json", b'{"discoveryConfig":{"serviceId":"bench-svc-0"}}')]
    if shape == "services":
        return [("GET", "/api/discovery/services.json", b"")]
    raise SystemExit(f"unknown shape {shape}")


async def drive(app: App, reqs: list[tuple[str, str, bytes]], n: int) -> None:
    m = len(reqs)
    for i in range(n):
        method, path, body = reqs[i % m]
        status, _ = await app.request(method, path, body)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")


async def measure(shape: str, n: int, top: int, dump: str = "", repeat: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="artemis-inproc-") as tmp:
        app = App(shape.endswith("cold"), tmp)
        await app.start()
        try:
            insts = [instance(f"bench-svc-{i // PER_SERVICE}", i) for i in range(N_INSTANCES)]
            for k in range(0, len(insts), 1000):
                body = msgspec.json.encode({"instances": insts[k : k + 1000]})
                status, out = await app.request("POST", "/api/registry/register.json", body)
                assert status == 200, out
            built = await build(shape, app, insts, n)
            passes = iter([built[k * n : (k + 1) * n] for k in range(5)] if shape.endswith("new") else [])
            reqs = next(passes, built)
            await drive(app, reqs, min(n, len(reqs)))  # warm: every body seen once (renewal cache filled)
            cpu = []
            # CPU time of this process, best pass: other processes add little (a "new" shape has 3 passes)
            for _ in range(min(repeat, 3) if shape.endswith("new") else repeat):
                reqs = next(passes, reqs)
                t0 = time.process_time()
                await drive(app, reqs, n)
                cpu.append((time.process_time() - t0) / n)
            reqs = next(passes, reqs)
            prof = cProfile.Profile()
            prof.enable()
            await drive(app, reqs, n)
            prof.disable()
            st = pstats.Stats(prof)
            calls = st.total_calls  # type: ignore[attr-defined]
            # the driver's own calls (request(), receive, send, drive's loop) are the same on every tree
            result = {"shape": shape, "calls_per_req": calls / n, "us_per_req": min(cpu) * 1e6}
            if top:
                st.sort_stats("tottime").print_stats(top)
            if dump:
                # function -> calls per request, to diff two trees (paths made tree-relative)
                raw = st.stats  # type: ignore[attr-defined]
                per: dict[str, float] = {}
                for (file, _line, name), (_cc, nc, *_rest) in raw.items():
                    tail = file.split("/artemis_server/")[-1] if "/artemis_server/" in file else file
                    per[f"{tail}:{name}"] = per.get(f"{tail}:{name}", 0) + nc / n
                with open(dump, "w") as fh:
                    for k, v in sorted(per.items()):
                        fh.write(f"{v:8.2f} {k}\n")
            return result
        finally:
            await app.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("shapes", nargs="*", default=["hb1", "hb100", "hb1cold", "hb100cold"])
    ap.add_argument("-n", type=int, default=5000, help="requests per shape (default 5000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes per shape, best one kept (default 3)")
    ap.add_argument("--top", type=int, default=0, help="print the K functions with most own time")
    ap.add_argument("--dump", default="", help="write calls per request by function to DUMP.<shape>")
    ap.add_argument("--json", action="store_true", help="print one JSON line per shape")
    args = ap.parse_args(argv)
    import artemis_server

    print(f"# tree: {artemis_server.__file__}", file=sys.stderr)
    for shape in args.shapes:
        if shape not in SHAPES:
            ap.error(f"unknown shape {shape} (one of {', '.join(SHAPES)})")
        dump = f"{args.dump}.{shape}" if args.dump else ""
        r = asyncio.run(measure(shape, args.n, args.top, dump, args.repeat))
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{shape:12s} {r['calls_per_req']:9.1f} calls/req {r['us_per_req']:9.1f} us CPU/req")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
