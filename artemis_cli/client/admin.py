"""Endpoints of the audit log (api.md 2.11) and of authentication and user administration (2.12), family C."""

from __future__ import annotations

from typing import Any

from artemis_client._core import Request, drop_none, need, q
from artemis_client.wire.audit import AuditLog
from artemis_client.wire.auth import LoginHistory, LoginResult, Session, User


def _logs(path: str, params: dict[str, Any]) -> Request[list[AuditLog]]:
    return Request("GET", path, family="C", params=drop_none(params), safe=True, shape=AuditLog, many=True)


def audit_logs(
    *,
    operation_type: str | None = None,
    operator: str | None = None,
    operation: str | None = None,
    since: int | None = None,
    limit: int | None = None,
) -> Request[list[AuditLog]]:
    params = {
        "operationType": operation_type,
        "operatorId": operator,
        "operation": operation,
        "since": since,
        "limit": limit,
    }
    return _logs("/api/management/audit/logs", params)


def audit_instance_logs(
    *,
    service_id: str | None = None,
    instance_id: str | None = None,
    region: str | None = None,
    operator: str | None = None,
    since: int | None = None,
    limit: int | None = None,
) -> Request[list[AuditLog]]:
    params = {
        "serviceId": service_id,
        "instanceId": instance_id,
        "regionId": region,
        "operatorId": operator,
        "since": since,
        "limit": limit,
    }
    return _logs("/api/management/audit/instance-logs", params)


def audit_server_logs(
    *,
    server_id: str | None = None,
    operator: str | None = None,
    since: int | None = None,
    limit: int | None = None,
) -> Request[list[AuditLog]]:
    params = {"serverId": server_id, "operatorId": operator, "since": since, "limit": limit}
    return _logs("/api/management/audit/server-logs", params)


def login(username: str, password: str) -> Request[LoginResult]:
    body = {"username": need(username, "user name"), "password": password}
    # a refused login needs no "log in" hint: the user is doing exactly that
    return Request("POST", "/api/auth/login", family="C", json=body, auth_hint="", shape=LoginResult)


def logout() -> Request[Any]:
    return Request("POST", "/api/auth/logout", family="C", json={})


def whoami() -> Request[User]:
    return Request("GET", "/api/auth/user", family="C", safe=True, shape=User)


# -- user administration (api.md 2.12; auth:read to read, auth:write to change) -----------------------------


def roles() -> Request[list[str]]:
    """The roles a user can have (``admin``, ``operator``, ``viewer``)."""
    return Request("GET", "/api/auth/roles", family="C", safe=True)


def users() -> Request[list[User]]:
    return Request("GET", "/api/auth/users", family="C", safe=True, shape=User, many=True)


def user_create(
    username: str, password: str, role: str, *, email: str | None = None, description: str | None = None
) -> Request[User]:
    body = drop_none(
        {
            "username": need(username, "user name"),
            "password": password,
            "role": need(role, "role"),
            "email": email or None,
            "description": description or None,
        }
    )
    return Request("POST", "/api/auth/users", family="C", json=body, shape=User, what=f"user {username}")


def user_update(
    user_id: str, *, role: str | None = None, email: str | None = None, description: str | None = None
) -> Request[User]:
    """Change a user's role, e-mail or description (what is None stays as it is)."""
    uid = need(user_id, "user id")
    body = drop_none({"role": role, "email": email, "description": description})
    return Request("PUT", f"/api/auth/users/{q(uid)}", family="C", json=body, shape=User, what=f"user {uid}")


def user_set_status(user_id: str, status: str) -> Request[User]:
    """``active`` or ``inactive`` (an inactive user cannot log in; its sessions end)."""
    uid = need(user_id, "user id")
    return Request(
        "PUT",
        f"/api/auth/users/{q(uid)}/status",
        family="C",
        json={"status": need(status, "status")},
        shape=User,
        what=f"user {uid}",
    )


def password_reset(user_id: str, new_password: str) -> Request[Any]:
    uid = need(user_id, "user id")
    return Request(
        "POST",
        f"/api/auth/password/reset/{q(uid)}",
        family="C",
        json={"newPassword": new_password},
        what=f"user {uid}",
    )


def sessions() -> Request[list[Session]]:
    """The caller's sessions (tokens are never written)."""
    return Request("GET", "/api/auth/sessions", family="C", safe=True, shape=Session, many=True)


def login_history(user_id: str) -> Request[list[LoginHistory]]:
    """A user's login attempts, newest first (the server keeps 50)."""
    uid = need(user_id, "user id")
    return Request(
        "GET",
        f"/api/auth/users/{q(uid)}/login-history",
        family="C",
        safe=True,
        shape=LoginHistory,
        many=True,
        what=f"user {uid}",
    )
