"""Endpoints of the audit log (api.md 2.11) and of authentication (2.12), family C."""

from __future__ import annotations

from typing import Any

from artemis_client._core import Request, drop_none, need
from artemis_client.wire.audit import AuditLog
from artemis_client.wire.auth import LoginResult, User


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
