"""How long the console blocks its event loop (a frame it cannot draw) while a burst of changes arrives.

    python -m benchmarks.tui_frames [--instances 10000] [--services 1000] [--burst 2000] [--rounds 3]

Starts a node (`artemis server start`, leases of 10 minutes), registers one service with ``--instances``
instances and ``--services`` more services of two instances each, then runs the console headless (Textual's
test driver: every frame is composed and rendered, the output is dropped) at 200x50 on three screens:

- opening the big service (for reference, not a burst): until its rows are added and measured;
- Instances of the big service: ``--burst`` of its instances re-registered ``down`` in one request (that
  many ``change`` events pushed), until every one of those rows says ``down``;
- Services: one new instance in each of ``--burst`` / 4 services (``new`` events), until the summary
  counts it;
- Overview: the same kind of burst, until the Instances card counts it.

A probe task sleeps 5 ms in a loop on the console's event loop; each wake-up later than asked is time the
loop spent without yielding (applying a batch, a reload, composing and rendering a frame). Printed per
screen: the burst's size, the time until the screen showed all of it, and the probe's gaps (median, p99,
max): the longest gap is the longest frame. Figures, no thresholds: the machine is shared
(docs/benchmarks.md keeps a run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import ServerProcess  # noqa: E402

ENV = {"ARTEMIS_LOGGING__LEVEL": "warning", "ARTEMIS_LEASE__TTL_SECS": "600"}
BIG = "big"


def register(url: str, instances: list[dict[str, Any]]) -> None:
    with httpx.Client(timeout=60) as http:
        for start in range(0, len(instances), 2000):
            r = http.post(
                url + "/api/registry/register.json", json={"instances": instances[start : start + 2000]}
            )
            r.raise_for_status()


def inst(service: str, k: int, **extra: Any) -> dict[str, Any]:
    ip = f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}"
    return {
        "serviceId": service,
        "instanceId": f"i{k:05d}",
        "ip": ip,
        "port": 80,
        "url": f"http://{ip}",
        **extra,
    }


class Probe:
    """Wakes every ``period`` seconds on the app's loop; records how late each wake-up was."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.gaps: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(self.period)
            self.gaps.append(max(0.0, time.perf_counter() - t - self.period))

    def start(self) -> None:
        self.gaps = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> list[float]:
        if self._task is not None:
            self._task.cancel()
        return self.gaps


async def until(pilot: Any, predicate: Callable[[], Any], timeout: float = 120, what: Any = "") -> float:
    t0 = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(f"the screen did not show the burst: {what() if callable(what) else what}")
        await pilot.pause(0.02)
    return time.perf_counter() - t0


def report(name: str, size: int, shown: float, gaps: list[float]) -> str:
    ms = sorted(g * 1000 for g in gaps)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else 0.0
    med = statistics.median(ms) if ms else 0.0
    return (
        f"{name:<34} burst {size:>6,}  shown after {shown * 1000:7.0f} ms  "
        f"loop gaps: median {med:5.1f} ms, p99 {p99:6.1f} ms, max {ms[-1] if ms else 0:6.1f} ms"
    )


async def run(url: str, args: argparse.Namespace) -> list[str]:
    from artemis_cli.tui.dashboard import make_dashboard

    out: list[str] = []
    app = make_dashboard([url], operator="bench", refresh=2.0)
    async with app.run_test(size=(200, 50)) as pilot:
        await until(pilot, lambda: app.feed_server is not None)
        fresh = args.instances + 2 * args.services  # instance ids not used yet
        for rnd in range(args.rounds):
            out += await one_round(pilot, url, args, rnd, fresh + rnd * args.burst)
    return out


async def one_round(pilot: Any, url: str, args: argparse.Namespace, rnd: int, fresh: int) -> list[str]:
    from artemis_cli.tui.widgets import KeyedTable

    app = pilot.app
    probe = Probe()
    out = []
    # Opening the big service: its 10,000 rows read, added and measured (not a burst; for reference)
    probe.start()
    t0 = time.perf_counter()
    app.open_service(BIG)
    await pilot.pause()
    table = app.screen.query_one(KeyedTable)
    # rows are measured at the table's next idle: the burst starts once that is done
    await until(pilot, lambda: table.virtual_size.height >= args.instances)
    out.append(
        report(
            f"open the {args.instances:,} instances", args.instances, time.perf_counter() - t0, probe.stop()
        )
    )

    # Instances of the big service: a burst of `change` events applied in place
    status = "down" if rnd % 2 == 0 else "up"
    keys = [f"default|i{k:05d}" for k in range(args.burst)]
    probe.start()
    t0 = time.perf_counter()
    await asyncio.to_thread(register, url, [inst(BIG, k, status=status) for k in range(args.burst)])
    await until(pilot, lambda: all(table.cells.get(k, ("",) * 6)[5] == status for k in keys))
    shown = time.perf_counter() - t0
    out.append(report(f"instances of a {args.instances:,} service", args.burst, shown, probe.stop()))
    await pilot.press("escape")

    # Services: new instances across many services, counted by the (debounced) reload
    n_new = args.burst // 4
    total = args.instances + 2 * args.services + rnd * 2 * n_new
    summary = app.screen.query_one("#services-summary")
    want = f"{total + n_new} instances"
    probe.start()
    t0 = time.perf_counter()
    burst = [inst(f"svc{k % args.services:04d}", fresh + k) for k in range(n_new)]
    await asyncio.to_thread(register, url, burst)
    await until(pilot, lambda: want in str(summary.render()), what=lambda: (want, str(summary.render())))
    out.append(report(f"services ({args.services:,})", n_new, time.perf_counter() - t0, probe.stop()))

    # Overview: the same kind of burst, counted by its inventory reload
    await pilot.press("1")
    card = app.screen.query_one("#card-services")
    want_card = f"{total + 2 * n_new:,} instances"
    probe.start()
    t0 = time.perf_counter()
    burst = [inst(f"svc{k % args.services:04d}", fresh + n_new + k) for k in range(n_new)]
    await asyncio.to_thread(register, url, burst)
    await until(pilot, lambda: want_card in str(card.render()), what=lambda: (want_card, str(card.render())))
    out.append(report("overview", n_new, time.perf_counter() - t0, probe.stop()))
    await pilot.press("3")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=10_000)
    ap.add_argument("--services", type=int, default=1_000)
    ap.add_argument("--burst", type=int, default=2_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = ServerProcess(Path(tmp) / "node", env=ENV).start()
        try:
            register(node.url, [inst(BIG, k) for k in range(args.instances)])
            register(
                node.url,
                [
                    inst(f"svc{s:04d}", args.instances + 2 * s + j)
                    for s in range(args.services)
                    for j in range(2)
                ],
            )
            print(f"node {node.url}: {args.instances:,} instances of {BIG!r}, {args.services:,} services x 2")
            for line in asyncio.run(run(node.url, args)):
                print(line, flush=True)
        finally:
            node.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
