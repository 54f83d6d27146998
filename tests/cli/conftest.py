"""Helpers for CLI tests: run `artemis` in-process (CliRunner) or as a real subprocess against live nodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from artemis_cli.main import app
from tests.helpers import ROOT, LiveServer


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_inproc(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    runner = CliRunner()
    r = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
    return Result(r.exit_code, r.stdout, r.stderr)


def run_proc(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 60
) -> Result:
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    p = subprocess.run(
        [sys.executable, "-m", "artemis_cli", *args],
        env=full_env,
        input=input or "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )
    return Result(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def cli(server: LiveServer) -> Callable[..., Result]:
    """`cli("service", "list")` -> Result, in-process, talking to the shared live node."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return run_inproc("--server", server.url, *args, env=env, input=input)

    return run


def register(
    url: str, service: str, instance: str, ip: str = "10.0.0.1", port: int = 80, **extra: Any
) -> None:
    inst = {
        "serviceId": service,
        "instanceId": instance,
        "ip": ip,
        "port": port,
        "url": f"http://{ip}:{port}",
        **extra,
    }
    r = httpx.post(url + "/api/registry/register.json", json={"instances": [inst]}, timeout=10)
    assert r.json()["responseStatus"]["status"] == "success", r.text


def instance_ids(url: str, service: str) -> list[str]:
    r = httpx.get(url + "/api/discovery/service.json", params={"serviceId": service}, timeout=10)
    return sorted(i["instanceId"] for i in r.json()["service"]["instances"])


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line, got: {stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def client_config(tmp_path: Path) -> Path:
    return tmp_path / "client.toml"
