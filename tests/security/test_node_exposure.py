"""Private data dir (S17.2) and the exposure warning of a node listening beyond loopback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from artemis_server.exposure import exposures
from tests.helpers import ROOT, ServerProcess, make_settings


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "artemis_cli", "--server", url, "-o", "json", *args],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip


def test_fresh_data_dir_is_private_and_exposure_is_reported(tmp_path: Path) -> None:
    """A new data dir is 0700 with every file 0600 (db, -wal, -shm); listening on every interface logs one
    WARNING naming what is exposed and the setting that closes it, and server status shows it."""
    data = tmp_path / "fresh" / "data"
    node = ServerProcess(data, "--addr", "0.0.0.0:0", env={"ARTEMIS_AUTH__PROTECT_MANAGEMENT": "true"})
    node.args[-1] = f"0.0.0.0:{node.port}"
    node.start()
    try:
        # a management write makes SQLite write its WAL
        r = httpx.post(node.url + "/api/auth/login", json={"username": "admin", "password": "x"}, timeout=10)
        assert r.status_code == 401
        doc = httpx.get(node.url + "/api/status/node.json", timeout=5).json()
        assert [e["fix"] for e in doc["exposure"]] == ["server.tls_cert and server.tls_key"]
        assert doc["responseStatus"]["status"] == "success"
        status = _cli(node.url, "server", "status")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["exposure"][0]["fix"] == "server.tls_cert and server.tls_key"
        assert _mode(data) == 0o700
        files = [p for p in data.rglob("*") if p.is_file()]
        assert any(p.name == "artemis.db" for p in files)
        assert any(p.name.endswith("-wal") for p in files), files
        for p in files:
            assert _mode(p) == 0o600, (p, oct(_mode(p)))
    finally:
        node.terminate()
    _, err = node.output()
    lines = [ln for ln in err.splitlines() if "beyond loopback" in ln]
    assert len(lines) == 1, err
    assert "WARNING" in lines[0] or "warning" in lines[0].lower()
    assert "plain HTTP" in lines[0]
    assert "server.tls_cert" in lines[0]
    assert "tightened" not in err


def test_existing_open_data_dir_is_tightened_with_one_warning(tmp_path: Path) -> None:
    """An existing 0755 data dir with 0644 files is tightened to 0700/0600 on start, with one WARNING line."""
    data = tmp_path / "old"
    (data / "sub").mkdir(parents=True)
    os.chmod(data, 0o755)
    for name in ("notes.txt", "sub/other.bin"):
        (data / name).write_text("x")
        os.chmod(data / name, 0o644)
    node = ServerProcess(data).start()
    try:
        assert _mode(data) == 0o700
        assert _mode(data / "sub") == 0o700
        for p in data.rglob("*"):
            if p.is_file():
                assert _mode(p) == 0o600, p
    finally:
        node.terminate()
    _, err = node.output()
    assert len([ln for ln in err.splitlines() if "tightened" in ln]) == 1, err
    assert "beyond loopback" not in err  # loopback: nothing exposed


def test_exposure_rules() -> None:
    """Loopback exposes nothing; beyond it each open door is named with the setting that closes it."""
    base = Path("/nonexistent")
    assert exposures(make_settings(base)) == []
    s = make_settings(
        base, server={"listen_addr": "0.0.0.0:8080"}, cluster={"enabled": True, "peers": ["10.0.0.2:8080"]}
    )
    assert [e["fix"] for e in exposures(s)] == [
        "auth.protect_management = true", "cluster.peer_token", "server.tls_cert and server.tls_key",
    ]  # fmt: skip
    s = make_settings(base, server={"listen_addr": "[::1]:8080"})
    assert exposures(s) == []
    s = make_settings(base, server={"listen_addr": "10.1.2.3:8080"}, auth={"protect_management": True},
                      cluster={"enabled": True, "peers": ["10.0.0.2:8080"], "peer_token": "t"})  # fmt: skip
    assert [e["fix"] for e in exposures(s)] == ["server.tls_cert and server.tls_key"]
