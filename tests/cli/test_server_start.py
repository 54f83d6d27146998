"""`artemis server start` in a real subprocess: start line, /health, signals, config errors and precedence."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, ServerProcess, free_port, wait_for


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
    proc = ServerProcess(tmp_path / "data", env={"ARTEMIS_LOGGING__FORMAT": "json"}).start()
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
    # logging.format=json: every log line on stderr is one JSON document, uvicorn's and Litestar's included.
    logs = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(doc["logger"].startswith("uvicorn") for doc in logs)
    assert all({"ts", "level", "logger", "msg"} <= doc.keys() for doc in logs)


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


def test_sigterm_lets_in_flight_request_finish(tmp_path: Path) -> None:
    """A request still being uploaded when SIGTERM arrives is completed before the node exits 0."""
    import threading

    proc = ServerProcess(tmp_path / "data").start()
    first_chunk_sent = threading.Event()
    signalled = threading.Event()

    def body() -> Iterator[bytes]:
        yield b'{"instances":[{"serviceId":"late","instanceId":"i","url":"http://x"}'
        first_chunk_sent.set()
        assert signalled.wait(timeout=20)
        yield b"]}"

    result: dict[str, httpx.Response] = {}

    def upload() -> None:
        result["r"] = httpx.post(proc.url + "/api/registry/register.json", content=body(), timeout=30)

    t = threading.Thread(target=upload)
    t.start()
    try:
        assert first_chunk_sent.wait(timeout=20)
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGTERM)
        signalled.set()
        t.join(timeout=30)
        assert result["r"].status_code == 200
        assert result["r"].json()["responseStatus"]["status"] == "success"
        assert proc.proc.wait(timeout=30) == 0
    finally:
        signalled.set()
        proc.kill()


def test_embedded_default_data_dir(tmp_path: Path) -> None:
    """With no config and no --data-dir, data lives in the platform's user data directory (XDG here)."""
    port = free_port()
    cmd = [sys.executable, "-m", "artemis_cli", "server", "start", "--addr", f"127.0.0.1:{port}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT)
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the start line comes before serving
        expected = Path(os.environ["XDG_DATA_HOME"]) / "artemis"
        assert f"data in {expected}" in line
        assert expected.is_dir()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_tls(tmp_path: Path) -> None:
    """With tls_cert/tls_key the node serves HTTPS and advertises an https URL; bad TLS files are one line."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    env = {"ARTEMIS_SERVER__TLS_CERT": str(cert), "ARTEMIS_SERVER__TLS_KEY": str(key)}
    proc = ServerProcess(tmp_path / "data", env=env).start(wait=False)
    https = f"https://127.0.0.1:{proc.port}"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(https + "/health", verify=False, timeout=1).content == b"OK"
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=30, interval=0.1, what="the TLS node")
        node = httpx.get(https + "/api/status/node.json", verify=False, timeout=5).json()["nodeStatus"][
            "node"
        ]
        assert node["url"] == https
        assert proc.terminate() == 0
        out, _ = proc.output()
        assert f"listening on {https}" in out
    finally:
        proc.kill()
    env["ARTEMIS_SERVER__TLS_KEY"] = str(tmp_path / "missing.pem")
    _one_line_error(_run_start(tmp_path, "--addr", f"127.0.0.1:{free_port()}", env=env), "missing.pem")
    _one_line_error(
        _run_start(tmp_path, "--addr", f"127.0.0.1:{free_port()}", env={"ARTEMIS_SERVER__TLS_KEY": str(key)}),
        "tls_cert",
    )
