"""`python -m artemis_server` runs a node without the CLI package."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import ROOT, wait_for


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTEMIS_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["ARTEMIS_SERVER__LISTEN_ADDR"] = "127.0.0.1:0"
    env["ARTEMIS_SERVER__DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def _answer(url: str) -> Any:
    try:
        return httpx.get(url, timeout=5).json()
    except httpx.TransportError:
        return None


def test_module_serves_and_stops_cleanly(tmp_path: Path) -> None:
    """The module starts a node from environment settings, serves it, and exits 0 on SIGTERM."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "artemis_server"],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        assert m, line
        url = f"http://127.0.0.1:{m.group(1)}/api/status/node.json"
        doc = wait_for(lambda: _answer(url), timeout=30, what="the node to serve")
        assert doc["responseStatus"]["status"] == "success"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_module_bad_config_is_one_line(tmp_path: Path) -> None:
    """A missing config file is one error line on stderr and exit code 2, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "artemis_server", "--config", str(tmp_path / "nope.toml")],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: config file not found: {tmp_path / 'nope.toml'}"]
