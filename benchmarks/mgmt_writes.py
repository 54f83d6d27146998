"""Management write latency and how fast a change reaches a peer (issue 14, S14.2: within 2 s).

Two `artemis server start` processes on loopback, each with its own SQLite file, peered. For each kind of
write (canary set, instance pull-out/in, group tag) the script sends N writes one after the other to node A,
prints the latency of the answers (p50 / p99 / max), and for each write polls node B until it serves the
new value, printing the propagation time (answer on A -> visible on B).

    python -m benchmarks.mgmt_writes [--writes 200] [--shared-postgres URL]

Figures are wall clock on a shared machine: read them as orders of magnitude, not as a contract.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import ServerProcess  # noqa: E402

QUIET = {"ARTEMIS_LOGGING__LEVEL": "warning"}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


def fmt(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:<48} n={len(ms):<4} p50 {statistics.median(ms):7.2f} ms   p99 {pct(ms, 0.99):7.2f} ms"
        f"   max {max(ms):7.2f} ms"
    )


def measure(
    http: httpx.Client,
    write: Callable[[int], httpx.Response],
    seen: Callable[[int], bool],
    n: int,
) -> tuple[list[float], list[float]]:
    answers: list[float] = []
    spread: list[float] = []
    for i in range(n):
        t0 = time.perf_counter()
        r = write(i)
        t1 = time.perf_counter()
        assert r.status_code == 200, r.text
        answers.append(t1 - t0)
        deadline = t1 + 5.0
        while not seen(i):
            if time.perf_counter() > deadline:
                raise SystemExit(f"write {i} not visible on the peer after 5 s")
            time.sleep(0.001)
        spread.append(time.perf_counter() - t1)
    return answers, spread


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--shared-postgres", default="", help="a PostgreSQL URL both nodes share")
    args = ap.parse_args()
    env = dict(QUIET)
    if args.shared_postgres:
        env["ARTEMIS_DATABASE__URL"] = args.shared_postgres
    base = Path(tempfile.mkdtemp(prefix="artemis-mgmt-bench-"))
    a, b = (ServerProcess(base / n, env=env) for n in ("a", "b"))
    for node in (a, b):
        node.args = ["--peer", a.url, "--peer", b.url]
    try:
        a.start(wait=False)
        b.start()
        a.wait_healthy()
        for node in (a, b):  # /health answers before the management database is open
            deadline = time.monotonic() + 30
            while httpx.get(node.url + "/api/management/audit/logs", timeout=5).status_code != 200:
                if time.monotonic() > deadline:
                    raise SystemExit(f"management on {node.url} not ready after 30 s")
                time.sleep(0.1)
        n = args.writes
        with httpx.Client(timeout=10) as http, httpx.Client(base_url=b.url, timeout=10) as peer:
            group = {
                "serviceId": "bench",
                "regionId": "default",
                "zoneId": "z1",
                "name": "g",
                "groupType": "physical",
            }
            r = http.post(a.url + "/api/routing/groups", json=group)
            if r.status_code >= 300:
                raise SystemExit(f"cannot create the benchmark group: {r.status_code} {r.text}")
            rows = [
                (
                    "canary set",
                    lambda i: http.post(
                        a.url + "/api/management/canary/config",
                        json={"serviceId": f"bench-{i % 20}", "ipWhitelist": [f"10.0.{i // 250}.{i % 250}"]},
                    ),
                    lambda i: peer.get(f"/api/management/canary/config/bench-{i % 20}").json()
                    .get("data", {}).get("ipWhitelist") == [f"10.0.{i // 250}.{i % 250}"],
                ),
                (
                    "instance pull-out / pull-in",
                    lambda i: http.post(
                        a.url + "/api/management/instance/operate-instance.json",
                        json={
                            "instanceKey": {"serviceId": "bench", "instanceId": f"i{i // 2}"},
                            "operation": "pullout" if i % 2 == 0 else "pullin",
                            "operationComplete": True,
                        },
                    ),
                    lambda i: peer.post(
                        "/api/management/instance/is-instance-down.json",
                        json={"instanceKey": {"serviceId": "bench", "instanceId": f"i{i // 2}"}},
                    ).json()["isDown"] == (i % 2 == 0),
                ),
                (
                    "group tag add (routing)",
                    lambda i: http.post(
                        a.url + "/api/routing/groups/bench:default:z1:g/tags",
                        json={"tags": [{"key": f"t{i % 10}", "value": str(i)}]},
                    ),
                    lambda i: {"key": f"t{i % 10}", "value": str(i)}
                    in (peer.get("/api/routing/groups/bench:default:z1:g/tags").json().get("data") or []),
                ),
            ]  # fmt: skip
            topology = "shared PostgreSQL" if args.shared_postgres else "own SQLite files"
            print(f"two peered nodes, {topology}; {n} sequential writes per kind to node A")
            for name, write, seen in rows:
                answers, spread = measure(http, write, seen, n)
                print(fmt(f"{name}: answer", answers))
                print(fmt(f"{name}: visible on B after", spread))
    finally:
        a.kill()
        b.kill()


if __name__ == "__main__":
    main()
