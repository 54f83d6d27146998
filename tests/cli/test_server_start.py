"""`artemis server start` in a real subprocess: start line, /health, signals, config errors and precedence."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, ServerProcess, free_port


def _run_start(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `artemis server start` expecting it to exit on its own (bad configuration)."""
    cmd = [
        sys.executable,
        "-m",
        "artemis_cli",
        "server",
        "start",
        "--data-dir",
        str(tmp_path / "data"),
        *args,
    ]
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        cmd, env=full_env, capture_output=True, text=True, timeout=60, cwd=str(ROOT), check=False
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_start_serves_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    """The node prints one start line, serves /health and a register, and exits 0 on SIGTERM / SIGINT."""
    proc = ServerProcess(tmp_path / "data").start()
    try:
        assert httpx.get(proc.url + "/health", timeout=5).content == b"OK"
        body = {"instances": [{"serviceId": "s", "instanceId": "i", "url": "http://x"}]}
        r = httpx.post(proc.url + "/api/registry/register.json", json=body, timeout=5)
        assert r.json()["responseStatus"]["status"] == "success"
        assert proc.proc is not None
        proc.proc.send_signal(sig)
        assert proc.proc.wait(timeout=30) == 0
        out, err = proc.output()
    finally:
        proc.kill()
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert f"listening on http://127.0.0.1:{proc.port}" in lines[0]
    assert str(tmp_path / "data") in lines[0]
    assert "Traceback" not in err
    assert (tmp_path / "data").is_dir()


def test_precedence_file_env_flags_and_unknown_key_warning(tmp_path: Path) -> None:
    """File < ARTEMIS_<SECTION>__<KEY> < flags; an unknown key is a warning naming it and the node starts."""
    cfg = tmp_path / "node.toml"
    cfg.write_text(
        '[server]\nregion = "file-region"\nzone = "file-zone"\nnode_id = "file-node"\n'
        'listen_addr = "127.0.0.1:1"\n[lease]\nttl_secs = 5\nttl_sec = 3\n'
    )
    env = {
        "ARTEMIS_SERVER__REGION": "env-region",
        "ARTEMIS_SERVER__ZONE": "env-zone",
        "ARTEMIS_LEASE__TTL_SECS": "7",
        "ARTEMIS_LOGGING__LEVEL": "warn",
    }
    proc = ServerProcess(tmp_path / "data", "--zone", "flag-zone", env=env, config=cfg).start()
    try:
        node = httpx.get(proc.url + "/api/status/node.json", timeout=5).json()["nodeStatus"]["node"]
        assert (node["nodeId"], node["regionId"], node["zoneId"]) == ("file-node", "env-region", "flag-zone")
        assert node["url"] == proc.url  # --addr beat the file's listen_addr
        body = {"instances": [{"serviceId": "p", "instanceId": "i", "url": "http://x"}]}
        httpx.post(proc.url + "/api/registry/register.json", json=body, timeout=5)
        leases = httpx.get(proc.url + "/api/status/leases.json", timeout=5).json()
        assert leases["leasesStatus"]["p"][0]["ttl"] == 7
        assert proc.terminate() == 0
        _, err = proc.output()
    finally:
        proc.kill()
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "'lease.ttl_sec'" in warnings[0]
    assert str(cfg) in warnings[0]


@pytest.mark.parametrize(
    ("toml", "env", "key"),
    [
        ('[lease]\nttl_secs = "soon"\n', {}, "lease.ttl_secs"),
        ("[server]\npeer_port = 70000\n", {}, "server.peer_port"),
        ("[ratelimit]\nburst_size = 0\n", {}, "ratelimit.burst_size"),
        ("", {"ARTEMIS_LEASE__CLEANUP_INTERVAL_SECS": "-1"}, "lease.cleanup_interval_secs"),
        ("", {"ARTEMIS_CLUSTER__ENABLED": "perhaps"}, "cluster.enabled"),
    ],
)
def test_bad_config_is_one_line_error(tmp_path: Path, toml: str, env: dict[str, str], key: str) -> None:
    """A wrong type or out-of-range value exits non-zero with one line naming the key, no traceback."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    proc = _run_start(tmp_path, "--addr", f"127.0.0.1:{free_port()}", "--config", str(cfg), env=env)
    _one_line_error(proc, f"'{key}'")
    assert proc.stdout == ""


def test_bad_flags_and_files_are_one_line_errors(tmp_path: Path) -> None:
    """A bad --addr, a missing or unparsable config file: one line on stderr, non-zero exit."""
    _one_line_error(_run_start(tmp_path, "--addr", "127.0.0.1:99999"), "--addr")
    _one_line_error(_run_start(tmp_path, "--addr", "nohost"), "--addr")
    _one_line_error(_run_start(tmp_path, "--config", str(tmp_path / "missing.toml")), "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n")
    _one_line_error(_run_start(tmp_path, "--config", str(broken)), "not valid TOML")


def test_port_in_use_and_unusable_data_dir(tmp_path: Path) -> None:
    """A taken port or a data dir that is a file: one-line error, non-zero exit, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_line_error(_run_start(tmp_path, "--addr", f"127.0.0.1:{port}"), f"127.0.0.1:{port}")
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    proc = _run_start(tmp_path, "--addr", f"127.0.0.1:{free_port()}", "--data-dir", str(a_file))
    _one_line_error(proc, str(a_file))
