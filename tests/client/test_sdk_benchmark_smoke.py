"""benchmarks/sdk.py runs end to end with tiny numbers, so it cannot rot (figures only, no thresholds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sdk_benchmark_prints_figures_for_every_strategy() -> None:
    """The SDK benchmark reports pick percentiles per strategy and the cache's memory."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.sdk", "--picks", "2000", "--cached", "500", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert set(doc["pick"]) == {"random", "round-robin", "weighted", "least-loaded", "hash"}
    assert all(f["p99_us"] > 0 for f in doc["pick_with_70_30_rule"].values())
    assert doc["memory"]["instances"] == 500
    assert doc["memory"]["cache_mb"] > 0
