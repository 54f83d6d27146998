"""`instance register --keep-alive` heartbeats past the lease TTL and unregisters on Ctrl-C / SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.cli.conftest import instance_ids, run_inproc
from tests.helpers import ROOT, LiveServer, wait_for

LEASE = {"ttl_secs": 2.0, "cleanup_interval_secs": 0.1, "safe_check_enabled": False}


def _start(url: str, sid: str, iid: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "artemis_cli",
        "--server",
        url,
        "-o",
        "json",
        "instance",
        "register",
        "--service",
        sid,
        "--instance-id",
        iid,
        "--ip",
        "10.9.0.1",
        "--port",
        "90",
        "--keep-alive",
        "--interval",
        "0.2",
    ]
    return subprocess.Popen(
        cmd, env=env, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_keep_alive_outlives_the_lease_and_unregisters(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str], sig: signal.Signals
) -> None:
    srv = make_server(lease=LEASE)
    sid = unique("ka")
    proc = _start(srv.url, sid, "kept")
    try:
        wait_for(lambda: instance_ids(srv.url, sid) == ["kept"], timeout=20, what="keep-alive registration")
        # a control instance without heartbeats, registered after the kept one, must expire first
        ctl = run_inproc(
            "--server",
            srv.url,
            "instance",
            "register",
            "--service",
            sid,
            "--instance-id",
            "ctl",
            "--ip",
            "10.9.0.2",
            "--port",
            "90",
        )
        assert ctl.code == 0
        wait_for(lambda: "ctl" not in instance_ids(srv.url, sid), timeout=30, what="control lease expiry")
        assert instance_ids(srv.url, sid) == ["kept"]
        assert proc.poll() is None
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err
    doc = json.loads(out)
    assert doc["unregistered"]["instanceId"] == "kept"
    assert doc["heartbeats"] >= 1
    assert instance_ids(srv.url, sid) == []


@pytest.mark.slow
def test_keep_alive_exits_non_zero_when_it_cannot_unregister(
    make_server: Callable[..., LiveServer], unique: Callable[[str], str]
) -> None:
    """When the node is gone at Ctrl-C, the final unregister fails: one error line saying so, exit 4."""
    srv = make_server(lease=LEASE)
    sid = unique("ka")
    proc = _start(srv.url, sid, "orphan")
    try:
        wait_for(lambda: instance_ids(srv.url, sid) == ["orphan"], timeout=20, what="keep-alive registration")
        srv.stop()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 4, err
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "could not unregister" in errors[0]
    assert f"{sid}/orphan" in errors[0]
    assert "Traceback" not in err
