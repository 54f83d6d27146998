"""How long `artemis --help` and a group's help take, and what they import (the lazy-loading budget).

    python -m benchmarks.cli_help [--runs 30] [--root DIR]

Prints the wall time (min, median) of fresh interpreter runs and the summed self import time from
`-X importtime`. Compare two checkouts by running it with `--root` pointing at each. Figures, no thresholds:
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (("--help",), ("instance", "--help"), ("route", "rule", "--help"))
_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s+(\S+)")


def _run(root: Path, args: tuple[str, ...], importtime: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "artemis_cli", *args],
        cwd=str(root),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def measure(root: Path, args: tuple[str, ...], runs: int) -> dict[str, float]:
    wall = []
    for _ in range(runs):
        start = time.perf_counter()
        _run(root, args)
        wall.append(time.perf_counter() - start)
    imports = []
    modules = 0
    for _ in range(max(3, runs // 5)):
        lines = _IMPORT.findall(_run(root, args, importtime=True).stderr)
        imports.append(sum(int(us) for us, _ in lines) / 1000)
        modules = len(lines)
    return {
        "wall_min_ms": min(wall) * 1000,
        "wall_median_ms": statistics.median(wall) * 1000,
        "import_self_min_ms": min(imports),
        "modules": modules,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30, help="fresh interpreter runs per command")
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help="checkout")
    a = ap.parse_args(argv)
    print(f"artemis help timings of {a.root} ({a.runs} runs each)")
    for args in COMMANDS:
        m = measure(a.root, args, a.runs)
        print(
            f"  artemis {' '.join(args):<22} wall min {m['wall_min_ms']:6.1f} ms  median "
            f"{m['wall_median_ms']:6.1f} ms  imports {m['import_self_min_ms']:5.1f} ms "
            f"({m['modules']:.0f} modules)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
