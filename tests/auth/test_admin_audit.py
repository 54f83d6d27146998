"""User administration leaves audit records (operator = the token's user); password change ends every session;
the peer-token scheme name is case-insensitive."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.auth.conftest import bearer, create_user, login
from tests.helpers import LiveServer


def _audit(http: httpx.Client, token: str, kind: str) -> list[dict[str, object]]:
    r = http.get("/api/management/audit/logs", params={"operationType": kind}, headers=bearer(token))
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["data"]))  # oldest first


def test_user_administration_is_audited(protected: httpx.Client, admin_token: str) -> None:
    """Create, update, role change, deactivate, activate, password reset, session revoke and delete each write
    one record naming the admin as operator, whatever operatorId the body claims."""
    uid = create_user(protected, admin_token, "dora", "viewer", "dora-password")
    h = bearer(admin_token)
    assert (
        protected.put(
            f"/api/auth/users/{uid}", json={"email": "d@x", "operatorId": "mallory"}, headers=h
        ).status_code
        == 200
    )
    assert protected.put(f"/api/auth/users/{uid}", json={"role": "operator"}, headers=h).status_code == 200
    assert (
        protected.patch(f"/api/auth/users/{uid}/status", json={"status": "inactive"}, headers=h).status_code
        == 200
    )
    assert (
        protected.put(f"/api/auth/users/{uid}/status", json={"status": "active"}, headers=h).status_code
        == 200
    )
    r = protected.post(f"/api/auth/password/reset/{uid}", json={"newPassword": "dora-password-2"}, headers=h)
    assert r.status_code == 200
    dora = login(protected, "dora", "dora-password-2")
    sid = protected.get("/api/auth/sessions", headers=bearer(dora)).json()["data"][0]["sessionId"]
    assert protected.delete(f"/api/auth/sessions/{sid}", headers=h).status_code == 200
    assert protected.delete(f"/api/auth/users/{uid}", headers=h).status_code == 200

    users = _audit(protected, admin_token, "user")
    mine = [e for e in users if f"user:{uid}" in str(e["targetId"])]
    assert [e["operation"] for e in mine] == [
        "create", "update", "role-change", "deactivate", "activate", "password-reset", "delete",
    ]  # fmt: skip
    assert {e["operatorId"] for e in mine} == {"admin"}
    assert all("name:dora" in str(e["targetId"]) for e in mine)
    sessions = _audit(protected, admin_token, "session")
    assert [(e["operation"], e["operatorId"]) for e in sessions if sid in str(e["targetId"])] == [
        ("revoke", "admin")
    ]
    # a refused change writes nothing
    r = protected.put("/api/auth/users/nobody", json={"role": "admin"}, headers=h)
    assert r.status_code == 404
    assert len(_audit(protected, admin_token, "user")) == len(users)


def test_password_change_ends_every_session_and_is_audited(protected: httpx.Client, admin_token: str) -> None:
    """After a password change no token of the user works, the changer's own included; the change is audited."""
    create_user(protected, admin_token, "erin", "operator", "erin-password")
    t1, t2 = login(protected, "erin", "erin-password"), login(protected, "erin", "erin-password")
    r = protected.post(
        "/api/auth/password/change",
        json={"oldPassword": "erin-password", "newPassword": "erin-password-2"},
        headers=bearer(t1),
    )
    assert r.status_code == 200
    for t in (t1, t2):
        assert protected.get("/api/auth/user", headers=bearer(t)).status_code == 401
    entries = [e for e in _audit(protected, admin_token, "user") if "name:erin" in str(e["targetId"])]
    assert [(e["operation"], e["operatorId"]) for e in entries][-1] == ("password-change", "erin")


def test_peer_token_scheme_is_case_insensitive(make_server: Callable[..., LiveServer]) -> None:
    """bearer / BEARER / Bearer are the same scheme (RFC 7235); a wrong token or no scheme is still 401."""
    srv = make_server(cluster={"peer_token": "peer-secret"})
    url = srv.url + "/api/replication/registry/register.json"
    body = {"instances": [{"serviceId": "ptok", "instanceId": "i1", "url": "http://h:1"}]}
    for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):
        r = httpx.post(url, json=body, headers={"Authorization": f"{scheme} peer-secret"}, timeout=5)
        assert r.status_code == 200, scheme
    for value in ("Bearer wrong", "peer-secret", "Basic peer-secret", "Bearer"):
        assert httpx.post(url, json=body, headers={"Authorization": value}, timeout=5).status_code == 401
