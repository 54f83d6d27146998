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
@pytest.mark.timeout(240)
def test_benchmark_runner_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--no-pin", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
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
    # (5) replication: every write seen on both peers
    for node in ("B", "C"):
        r = res["replication"][node]
        assert r["seen"] == r["expected"] > 0
    assert "| scenario" in proc.stdout
