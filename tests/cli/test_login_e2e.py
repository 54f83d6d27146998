"""`artemis login` / `logout` end to end against a real `artemis server start` process with
auth.protect_management on: the token lands in the context file (mode 0600), is never printed, makes
management commands work as that user, and dies on logout."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from tests.cli.conftest import run_proc
from tests.helpers import ServerProcess

PASSWORD = "e2e-admin-password"


def test_login_token_file_and_protected_management(tmp_path: Path) -> None:
    srv = ServerProcess(
        tmp_path / "data",
        env={"ARTEMIS_ADMIN_PASSWORD": PASSWORD, "ARTEMIS_AUTH__PROTECT_MANAGEMENT": "true"},
    ).start()
    cfg = tmp_path / "client.toml"
    env = {"ARTEMIS_CLIENT_CONFIG": str(cfg)}
    try:
        sid = "clisvc"
        inst = {"serviceId": sid, "instanceId": "c1", "ip": "10.0.0.9", "port": 80, "url": "http://10.0.0.9"}
        httpx.post(srv.url + "/api/registry/register.json", json={"instances": [inst]}, timeout=5)

        refused = run_proc("--server", srv.url, "instance", "pull-out", sid, "c1", "--yes", env=env)
        assert refused.code == 1
        assert "error: authentication required" in refused.stderr

        r = run_proc(
            "--server",
            srv.url,
            "login",
            "--user",
            "admin",
            "--password-stdin",
            input=PASSWORD + "\n",
            env=env,
        )
        assert r.code == 0, r.stderr
        assert cfg.exists()
        assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
        text = cfg.read_text()
        token = text.split('token = "', 1)[1].split('"', 1)[0]
        assert token.count(".") == 2
        assert token not in r.stdout
        assert token not in r.stderr
        assert PASSWORD not in r.stdout + r.stderr

        done = run_proc("instance", "pull-out", sid, "c1", "--yes", env=env)
        assert done.code == 0, done.stderr
        assert token not in done.stdout + done.stderr
        logs = run_proc("audit", "list", "--service", sid, "-o", "json", env=env)
        assert logs.code == 0, logs.stderr
        assert logs.json()[0]["operatorId"] == "admin"

        out = run_proc("logout", env=env)
        assert out.code == 0, out.stderr
        assert token not in cfg.read_text()
        # the server killed the token too
        r = httpx.get(srv.url + "/api/auth/user", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert r.status_code == 401
        again = run_proc("instance", "pull-in", sid, "c1", env=env)
        assert again.code == 1
    finally:
        srv.terminate()
