"""The benchmark harness runs end to end with tiny numbers (seconds), so it cannot rot.

Benchmarks are not tests: this asserts only that every scenario produced figures, never a time or a rate.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_benchmark_runner_smoke(tmp_path: Path) -> None:
    """Every scenario of the runner, the cluster ones included, runs with tiny sizes and reports figures."""
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--no-pin", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    res = doc["results"]
    # (0) the generator against the raw ASGI ceiling
    assert res["generator_check"]["done"] > 0
    # (2) heartbeats, both shapes, server and ceiling side by side, latency at half saturation
    for shape in ("single", "batch100"):
        hb = res["heartbeat"][shape]
        assert hb["server"]["done"] > 0
        assert hb["ceiling"]["done"] > 0
        assert hb["server"]["errors"] == 0
        assert hb["ratio"] is not None
        assert hb["latency_at_half_saturation"]["p99_ms"] is not None
    # (2, issue 20) first sight and replicated batches, against both ceilings
    for shape in ("single", "batch100", "batch100r", "batch100j", "peer100"):
        u = res["heartbeat"]["uncached"][shape]
        assert u["server"]["done"] > 0
        assert u["server"]["errors"] == 0
        assert u["ceiling_decode"]["done"] > 0
        assert u["ratio_decode"] is not None
    assert res["peer_heartbeat"]["distinct_bodies"] > 1
    for shape in ("peer100lean", "peer1000lean"):
        lean = res["heartbeat"]["uncached"][shape]
        assert lean["server"]["done"] > 0
        assert lean["server"]["errors"] == 0
    assert res["peer_heartbeat_lean1000"]["keys_per_request"] > 100
    # (3) discovery while heartbeats run
    for shape in ("service100", "services_all"):
        d = res["discovery"][shape]
        assert d["server"]["done"] > 0
        assert d["server"]["errors"] == 0
        assert d["server"]["background"]["done"] > 0
        assert d["latency_at_half_saturation"]["p99_ms"] is not None
    # (4) fan-out reached every subscriber in every round
    assert res["fanout"]["incomplete_rounds"] == 0
    assert res["fanout"]["p99_ms"] is not None
    # (1, 6) registration and memory
    assert res["register"]["instances"] == doc["profile"]["register_n"]
    assert res["register"]["errors"] == 0
    assert res["memory"]["rss_bytes"][str(doc["profile"]["register_n"])] > 0
    assert res["register"]["ceiling_decode"]["done"] > 0
    # (5) replication: every write seen on both peers
    for node in ("B", "C"):
        r = res["replication"][node]
        assert r["seen"] == r["expected"] > 0
    # (7) a node joining a peer ends up and serving every instance the peer holds
    sync = res["startup_sync"]
    assert sync["register_errors"] == 0
    assert sync["joining"]["up_s"] is not None
    assert sync["joining"]["all_s"] is not None
    assert sync["joining"]["discovery_sample"]["complete"]
    assert sync["peer_answer"]["bytes"] > 0
    # (8) every management change reached every subscriber on the other node
    assert res["mgmt_push"]["incomplete_rounds"] == 0
    assert res["mgmt_push"]["p99_ms"] is not None
    assert res["mgmt_push"]["subscriber_on_A_p50_ms"] is not None
    # (9) the killed node came back, caught up, and no heartbeat was lost meanwhile (clients fail over)
    rj = res["rejoin"]["summary"]
    assert {"kill", "restart", "up", "caught_up"} <= set(rj["events_s"])
    assert rj["delivered"] == rj["heartbeats"] > 0
    assert rj["lost"] == 0
    assert rj["errors"] == 0
    assert res["rejoin"]["per_second"]
    # (10) per-key costs
    assert all(v is not None for v in res["per_key_cost"]["per_key_us"].values())
    assert "| scenario" in proc.stdout
