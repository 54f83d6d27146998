"""S19.1 on real processes: no well-known password. The first admin gets a random password printed once (stderr
and log); a restart prints nothing; `artemis server reset-password` recovers access offline and ends the
user's sessions; ARTEMIS_ADMIN_PASSWORD sets the first password; admin/admin123 never works."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.cli.conftest import run_proc
from tests.helpers import ServerProcess

_PRINTED = re.compile(r"random password (\S+)")


def _login(url: str, user: str, password: str) -> httpx.Response:
    return httpx.post(url + "/api/auth/login", json={"username": user, "password": password}, timeout=10)


def test_random_first_password_printed_once_and_offline_reset(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ServerProcess(data).start()
    try:
        assert _login(first.url, "admin", "admin123").status_code == 401
        assert _login(first.url, "admin", "admin").status_code == 401
    finally:
        first.terminate()
    _, err = first.output()
    found = set(_PRINTED.findall(err))  # the log line, which goes to stderr
    assert len(found) == 1, err
    password = found.pop()
    assert len(password) >= 16

    second = ServerProcess(data).start()
    try:
        r = _login(second.url, "admin", password)
        assert r.status_code == 200, r.text
        token = r.json()["data"]["accessToken"]
        # offline recovery while the node runs on the same database: the old session dies
        r2 = run_proc(
            "server", "reset-password", "--data-dir", str(data), "--password-stdin", input="recovered-pw-1\n"
        )
        assert r2.code == 0, r2.stderr
        assert "recovered-pw-1" not in r2.stdout + r2.stderr
        h = {"Authorization": f"Bearer {token}"}
        assert httpx.get(second.url + "/api/auth/user", headers=h, timeout=5).status_code == 401
        assert _login(second.url, "admin", password).status_code == 401
        assert _login(second.url, "admin", "recovered-pw-1").status_code == 200
        short = run_proc("server", "reset-password", "--data-dir", str(data), "--password-stdin", input="\n")
        assert short.code == 2
        assert short.stderr.startswith("error: ")
    finally:
        second.terminate()
    _, err = second.output()
    assert "random password" not in err  # printed once, on the first start only


def test_admin_password_from_the_environment(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", env={"ARTEMIS_ADMIN_PASSWORD": "from-the-env-pw"}).start()
    try:
        assert _login(srv.url, "admin", "from-the-env-pw").status_code == 200
    finally:
        srv.terminate()
    _, err = srv.output()
    assert "from-the-env-pw" not in err
    assert "random password" not in err
