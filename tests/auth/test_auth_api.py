"""Auth endpoints (api.md 2.12, S19): login, refresh, logout, sessions, users, history, A1 on a real node."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import httpx
import pytest

from tests.auth.conftest import ADMIN_PASSWORD, bearer, create_user, login
from tests.helpers import LiveServer, wait_for


def test_roles_and_login_need_no_token(protected: httpx.Client) -> None:
    r = protected.get("/api/auth/roles")
    assert r.status_code == 200
    assert r.json() == {"success": True, "data": ["admin", "operator", "viewer"]}
    r = protected.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    data = r.json()["data"]
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == 3600
    assert data["accessToken"].count(".") == 2


A1_PATHS = [
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/user"),
    ("GET", "/api/auth/permissions"),
    ("POST", "/api/auth/check-permission"),
    ("POST", "/api/auth/password/change"),
    ("POST", "/api/auth/password/reset/x"),
    ("GET", "/api/auth/sessions"),
    ("DELETE", "/api/auth/sessions/x"),
    ("GET", "/api/auth/users"),
    ("POST", "/api/auth/users"),
    ("GET", "/api/auth/users/x"),
    ("PUT", "/api/auth/users/x"),
    ("PATCH", "/api/auth/users/x"),
    ("DELETE", "/api/auth/users/x"),
    ("PUT", "/api/auth/users/x/status"),
    ("PATCH", "/api/auth/users/x/status"),
    ("GET", "/api/auth/users/x/login-history"),
]


def test_a1_every_other_auth_endpoint_needs_a_token(protected: httpx.Client) -> None:
    for method, path in A1_PATHS:
        for headers in ({}, bearer("not.a.token"), {"Authorization": "Basic YWRtaW46YWRtaW4="}):
            r = protected.request(method, path, json={}, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            doc = r.json()
            assert doc["success"] is False
            assert doc["message"]
            assert r.headers["www-authenticate"].startswith("Bearer")


def test_wrong_password_unknown_user_and_inactive_account(protected: httpx.Client, admin_token: str) -> None:
    for body in ({"username": "admin", "password": "nope"}, {"username": "ghost", "password": "nope"}):
        r = protected.post("/api/auth/login", json=body)
        assert r.status_code == 401
        assert r.json() == {
            "success": False,
            "message": "Invalid username or password",
            "error": {"code": "unauthorized", "message": "Invalid username or password"},
        }
    uid = create_user(protected, admin_token, "sleepy", "viewer", "sleepy-password")
    r = protected.patch(
        f"/api/auth/users/{uid}/status", json={"status": "inactive"}, headers=bearer(admin_token)
    )
    assert r.status_code == 200
    assert r.json()["data"]["status"] == "inactive"
    r = protected.post("/api/auth/login", json={"username": "sleepy", "password": "sleepy-password"})
    assert r.status_code == 401
    assert r.json()["message"] == "User account is inactive"
    hist = protected.get(f"/api/auth/users/{uid}/login-history", headers=bearer(admin_token)).json()["data"]
    assert [h["status"] for h in hist] == ["failed"]
    admin_id = protected.get("/api/auth/user", headers=bearer(admin_token)).json()["data"]["userId"]
    hist = protected.get(f"/api/auth/users/{admin_id}/login-history", headers=bearer(admin_token)).json()
    # newest first: the fixture's successful login came before the failed one
    assert [h["status"] for h in hist["data"]] == ["failed", "success"]
    assert hist["data"][0]["ipAddress"] == "127.0.0.1"
    assert set(hist["data"][0]) == {"id", "userId", "loginTime", "ipAddress", "userAgent", "status"}


def test_refresh_gives_a_different_token_and_kills_the_old(protected: httpx.Client, admin_token: str) -> None:
    r = protected.post("/api/auth/refresh", json={"token": admin_token})
    assert r.status_code == 200, r.text
    new = r.json()["data"]["accessToken"]
    assert new != admin_token
    assert protected.get("/api/auth/user", headers=bearer(admin_token)).status_code == 401
    assert protected.get("/api/auth/user", headers=bearer(new)).json()["data"]["username"] == "admin"
    assert protected.post("/api/auth/refresh", json={"token": admin_token}).status_code == 401
    assert protected.post("/api/auth/refresh", json={"token": "garbage"}).status_code == 401
    assert protected.post("/api/auth/refresh", json={}).status_code == 401


def test_logout_kills_the_token(protected: httpx.Client, admin_token: str) -> None:
    other = login(protected, "admin", ADMIN_PASSWORD)
    r = protected.post("/api/auth/logout", headers=bearer(admin_token))
    assert r.json() == {"success": True, "data": "Logged out successfully"}
    assert protected.get("/api/auth/user", headers=bearer(admin_token)).status_code == 401
    assert protected.post("/api/auth/logout", headers=bearer(admin_token)).status_code == 401
    # the other session of the same user lives on
    assert protected.get("/api/auth/user", headers=bearer(other)).status_code == 200


def test_sessions_list_and_revoke(protected: httpx.Client, admin_token: str) -> None:
    second = login(protected, "admin", ADMIN_PASSWORD)
    sessions = protected.get("/api/auth/sessions", headers=bearer(admin_token)).json()["data"]
    assert len(sessions) == 2
    for s in sessions:
        assert set(s) >= {"sessionId", "userId", "createdAt", "expiresAt", "lastActivity"}
        assert "token" not in s
        assert s["expiresAt"] - s["createdAt"] == 3600
    mine = {s["sessionId"] for s in sessions}
    victim = next(iter(mine))
    r = protected.delete(f"/api/auth/sessions/{victim}", headers=bearer(admin_token))
    assert r.status_code == 200, r.text
    assert r.json()["data"] == "Session revoked successfully"
    alive = [
        t for t in (admin_token, second) if protected.get("/api/auth/user", headers=bearer(t)).is_success
    ]
    assert len(alive) == 1
    r = protected.delete("/api/auth/sessions/no-such-session", headers=bearer(alive[0]))
    assert r.status_code == 404
    assert r.json()["success"] is False


def test_user_admin_crud(protected: httpx.Client, admin_token: str) -> None:
    h = bearer(admin_token)
    r = protected.post(
        "/api/auth/users",
        json={"username": "olga", "password": "olga-password", "role": "operator", "email": "o@example.org"},
        headers=h,
    )
    assert r.status_code == 201
    user = r.json()["data"]
    assert user["role"] == "operator"
    assert user["status"] == "active"
    assert user["email"] == "o@example.org"
    assert "password" not in str(user).lower()
    uid = user["userId"]
    # duplicate name, bad role, missing role, short password: 400 naming the field
    for body, field in (
        ({"username": "olga", "password": "another-pass", "role": "viewer"}, "username"),
        ({"username": "pat", "password": "another-pass", "role": "root"}, "role"),
        ({"username": "pat", "password": "another-pass"}, "role"),
        ({"username": "pat", "password": "short", "role": "viewer"}, "password"),
        ({"password": "another-pass", "role": "viewer"}, "username"),
    ):
        r = protected.post("/api/auth/users", json=body, headers=h)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["field"] == field
    names = [u["username"] for u in protected.get("/api/auth/users", headers=h).json()["data"]]
    assert names == ["admin", "olga"]
    assert protected.get(f"/api/auth/users/{uid}", headers=h).json()["data"]["username"] == "olga"
    r = protected.put(f"/api/auth/users/{uid}", json={"description": "on call", "role": "viewer"}, headers=h)
    assert r.json()["data"]["description"] == "on call"
    assert r.json()["data"]["role"] == "viewer"
    r = protected.patch(f"/api/auth/users/{uid}", json={"role": "admin"}, headers=h)
    assert r.json()["data"]["role"] == "admin"
    assert protected.put(f"/api/auth/users/{uid}", json={"role": "boss"}, headers=h).status_code == 400
    assert (
        protected.put(f"/api/auth/users/{uid}/status", json={"status": "gone"}, headers=h).status_code == 400
    )
    r = protected.delete(f"/api/auth/users/{uid}", headers=h)
    assert r.json() == {"success": True, "data": "User deleted successfully"}
    for method in ("GET", "DELETE"):
        assert protected.request(method, f"/api/auth/users/{uid}", headers=h).status_code == 404


def test_deleted_or_deactivated_user_loses_its_tokens(protected: httpx.Client, admin_token: str) -> None:
    h = bearer(admin_token)
    uid = create_user(protected, admin_token, "temp", "operator", "temp-password")
    tok = login(protected, "temp", "temp-password")
    assert protected.get("/api/auth/user", headers=bearer(tok)).status_code == 200
    protected.put(f"/api/auth/users/{uid}/status", json={"status": "inactive"}, headers=h)
    assert protected.get("/api/auth/user", headers=bearer(tok)).status_code == 401
    protected.put(f"/api/auth/users/{uid}/status", json={"status": "active"}, headers=h)
    tok = login(protected, "temp", "temp-password")
    protected.delete(f"/api/auth/users/{uid}", headers=h)
    assert protected.get("/api/auth/user", headers=bearer(tok)).status_code == 401


def test_last_admin_cannot_lock_everybody_out(protected: httpx.Client, admin_token: str) -> None:
    h = bearer(admin_token)
    me = protected.get("/api/auth/user", headers=h).json()["data"]["userId"]
    for method, path, body in (
        ("DELETE", f"/api/auth/users/{me}", None),
        ("PUT", f"/api/auth/users/{me}/status", {"status": "inactive"}),
        ("PUT", f"/api/auth/users/{me}", {"role": "viewer"}),
    ):
        r = protected.request(method, path, json=body, headers=h)
        assert r.status_code == 400, r.text
    assert protected.get("/api/auth/user", headers=h).json()["data"]["role"] == "admin"


def test_password_change_and_reset(protected: httpx.Client, admin_token: str) -> None:
    uid = create_user(protected, admin_token, "carl", "operator", "carl-password")
    t1 = login(protected, "carl", "carl-password")
    t2 = login(protected, "carl", "carl-password")
    r = protected.post(
        "/api/auth/password/change",
        json={"oldPassword": "wrong-password", "newPassword": "carl-password-2"},
        headers=bearer(t1),
    )
    assert r.status_code == 400
    r = protected.post(
        "/api/auth/password/change",
        json={"old_password": "carl-password", "new_password": "carl-password-2"},  # snake_case too (N1)
        headers=bearer(t1),
    )
    assert r.json() == {"success": True, "data": "Password changed successfully"}
    # every session of the user dies, the one that changed it too (SECURITY.md)
    assert protected.get("/api/auth/user", headers=bearer(t1)).status_code == 401
    assert protected.get("/api/auth/user", headers=bearer(t2)).status_code == 401
    assert (
        protected.post("/api/auth/login", json={"username": "carl", "password": "carl-password"}).status_code
        == 401
    )
    t1 = login(protected, "carl", "carl-password-2")
    # an operator cannot reset a password, not even its own (that needs the old one); the admin can
    for target in ("whoever", uid):
        r = protected.post(
            f"/api/auth/password/reset/{target}", json={"newPassword": "x" * 10}, headers=bearer(t1)
        )
        assert r.status_code == 403
    r = protected.post(
        f"/api/auth/password/reset/{uid}",
        json={"newPassword": "carl-password-3"},
        headers=bearer(admin_token),
    )
    assert r.json()["data"] == "Password reset successfully"
    assert protected.get("/api/auth/user", headers=bearer(t1)).status_code == 401
    login(protected, "carl", "carl-password-3")
    r = protected.post(
        "/api/auth/password/reset/nobody", json={"newPassword": "long-enough"}, headers=bearer(admin_token)
    )
    assert r.status_code == 404


def test_permissions_per_role(protected: httpx.Client, admin_token: str) -> None:
    create_user(protected, admin_token, "op", "operator", "operator-pw")
    create_user(protected, admin_token, "vi", "viewer", "viewer-pwd")
    tokens = {
        "admin": admin_token,
        "op": login(protected, "op", "operator-pw"),
        "vi": login(protected, "vi", "viewer-pwd"),
    }
    perms = {
        k: protected.get("/api/auth/permissions", headers=bearer(t)).json()["data"] for k, t in tokens.items()
    }
    assert perms["admin"] == ["*:*"]
    assert perms["vi"] == ["*:read"]
    assert "routing:*" in perms["op"]

    def check(who: str, resource: str, action: str) -> bool:
        r = protected.post(
            "/api/auth/check-permission",
            json={"resource": resource, "action": action},
            headers=bearer(tokens[who]),
        )
        return bool(r.json()["data"]["allowed"])

    assert check("admin", "users", "delete")
    assert check("op", "instances", "write")
    assert not check("op", "auth", "write")
    assert check("op", "cluster", "read")
    assert not check("vi", "instances", "write")
    assert check("vi", "anything", "read")
    # a viewer and an operator cannot create users (privilege escalation)
    for who in ("op", "vi"):
        r = protected.post(
            "/api/auth/users",
            json={"username": f"x{who}", "password": "whatever-pw", "role": "admin"},
            headers=bearer(tokens[who]),
        )
        assert r.status_code == 403
        assert r.json()["success"] is False
    r = protected.post("/api/auth/check-permission", json={"resource": "x"}, headers=bearer(tokens["vi"]))
    assert r.status_code == 400


def test_expired_token_is_refused(
    auth_node: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_EXPIRY_SECONDS", "1")
    srv = auth_node(auth={"protect_management": True})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        r = http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.json()["data"]["expiresIn"] == 1
        tok = r.json()["data"]["accessToken"]
        wait_for(
            lambda: http.get("/api/auth/user", headers=bearer(tok)).status_code == 401,
            timeout=10,
            what="token expiry",
        )
        r = http.post(
            "/api/management/zone/pull-out", json={"zoneId": "z", "regionId": "default"}, headers=bearer(tok)
        )
        assert r.status_code == 401


def test_repeated_failures_lock_the_user_name(auth_node: Callable[..., LiveServer]) -> None:
    srv = auth_node(auth={"login_max_failures": 3})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        for _ in range(3):
            assert (
                http.post("/api/auth/login", json={"username": "admin", "password": "bad"}).status_code == 401
            )
        r = http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 429
        assert r.json()["success"] is False


def test_secrets_are_not_stored_in_clear(
    protected_srv: LiveServer, protected: httpx.Client, admin_token: str
) -> None:
    """Password hashes are salted argon2; sessions hold a digest of the token, never the token."""
    create_user(protected, admin_token, "same1", "viewer", "same-password")
    create_user(protected, admin_token, "same2", "viewer", "same-password")
    con = sqlite3.connect(protected_srv.settings.data_dir() / "artemis.db")
    try:
        hashes = dict(con.execute("SELECT username, password_hash FROM auth_users").fetchall())
        tokens = [r[0] for r in con.execute("SELECT token FROM auth_sessions")]
    finally:
        con.close()
    assert hashes["same1"] != hashes["same2"]  # salted
    assert all(h.startswith("$argon2id$") for h in hashes.values())
    assert tokens
    assert admin_token not in tokens
    assert all(len(t) == 64 for t in tokens)
