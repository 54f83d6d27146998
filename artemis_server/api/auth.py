"""Auth endpoints (api.md 2.12, family C; A1: Bearer token on everything but login, roles and refresh).

Role checks beyond authentication: changing users (create, update, status, delete, password reset) needs
``auth:write`` (admin only); reading users, sessions and login history needs ``auth:read`` (every
role has it, S19.5). See docs/decisions.md "Security".
"""

from __future__ import annotations

from typing import Any

from artemis_client.errors import BadRequestError
from artemis_client.wire.auth import (
    LoginRequest,
    PasswordChange,
    PasswordReset,
    PermissionCheck,
    PermissionRequest,
    RefreshRequest,
    StatusUpdate,
    UserCreate,
    UserUpdate,
)
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.auth import Principal, allowed, bearer_token
from artemis_server.auth.service import PERMISSIONS, ROLES, AuthService
from artemis_server.views import user_view

routes = Routes()


def _svc(call: Call) -> AuthService:
    return call.node.auth


async def _me(call: Call) -> Principal:
    if isinstance(call.user, Principal):
        return call.user
    principal = await _svc(call).authenticate(bearer_token(call.headers))
    call.user = principal
    return principal


async def _admin(call: Call, action: str = "write") -> Principal:
    me = await _me(call)
    AuthService.require(me, "auth", action)
    return me


def _struct_dict(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__struct_fields__}


@routes.post("/api/auth/login", family="C", body=LoginRequest)
async def login(call: Call) -> Any:
    req: LoginRequest = call.data
    if not req.username or not req.username.strip():
        raise BadRequestError("missing required field `username`", field="username")
    if not req.password:
        raise BadRequestError("missing required field `password`", field="password")
    result = await _svc(call).login(
        req.username.strip(), req.password, call.client_ip, call.headers.get("user-agent")
    )
    return edge.ok_c(result)


@routes.get("/api/auth/roles", family="C")
async def roles(call: Call) -> Any:
    return edge.ok_c(list(ROLES))


@routes.post("/api/auth/refresh", family="C", body=RefreshRequest)
async def refresh(call: Call) -> Any:
    req: RefreshRequest = call.data
    token = (req.token or "").strip() or bearer_token(call.headers)
    return edge.ok_c(await _svc(call).refresh(token))


@routes.post("/api/auth/logout", family="C", auth_required=True)
async def logout(call: Call) -> Any:
    await _svc(call).logout(await _me(call))
    return edge.ok_c("Logged out successfully")


@routes.get("/api/auth/user", family="C", auth_required=True)
async def current_user(call: Call) -> Any:
    return edge.ok_c(await _svc(call).user_of(await _me(call)))


@routes.get("/api/auth/permissions", family="C", auth_required=True)
async def permissions(call: Call) -> Any:
    me = await _me(call)
    return edge.ok_c(list(PERMISSIONS.get(me.role, [])))


@routes.post("/api/auth/check-permission", family="C", body=PermissionRequest, auth_required=True)
async def check_permission(call: Call) -> Any:
    me = await _me(call)
    req: PermissionRequest = call.data
    if not req.resource or not req.resource.strip():
        raise BadRequestError("missing required field `resource`", field="resource")
    if not req.action or not req.action.strip():
        raise BadRequestError("missing required field `action`", field="action")
    return edge.ok_c(PermissionCheck(allowed(me.role, req.resource.strip(), req.action.strip())))


@routes.post("/api/auth/password/change", family="C", body=PasswordChange, auth_required=True)
async def change_password(call: Call) -> Any:
    me = await _me(call)
    req: PasswordChange = call.data
    await _svc(call).change_password(me, req.old_password, req.new_password)
    return edge.ok_c("Password changed successfully")


@routes.post("/api/auth/password/reset/{user_id:str}", family="C", body=PasswordReset, auth_required=True)
async def reset_password(call: Call) -> Any:
    # Admin only, even for one's own account: a stolen token must not be enough to take over the password
    # (users change their own with /password/change, which asks for the old one).
    me = await _admin(call)
    user_id = call.path_params["user_id"]
    req: PasswordReset = call.data
    await _svc(call).reset_password(user_id, req.new_password, me)
    return edge.ok_c("Password reset successfully")


@routes.get("/api/auth/sessions", family="C", auth_required=True)
async def sessions(call: Call) -> Any:
    return edge.ok_c(await _svc(call).sessions(await _me(call)))


@routes.add("DELETE", "/api/auth/sessions/{session_id:str}", family="C", auth_required=True)
async def revoke_session(call: Call) -> Any:
    me = await _me(call)
    await _svc(call).revoke_session(me, call.path_params["session_id"])
    return edge.ok_c("Session revoked successfully")


@routes.get("/api/auth/users", family="C", auth_required=True)
async def list_users(call: Call) -> Any:
    await _admin(call, "read")
    return edge.ok_c(await _svc(call).users())


@routes.post("/api/auth/users", family="C", body=UserCreate, status=201, auth_required=True)
async def create_user(call: Call) -> Any:
    me = await _admin(call)
    return edge.ok_c(await _svc(call).create_user(_struct_dict(call.data), me))


@routes.get("/api/auth/users/{user_id:str}", family="C", auth_required=True)
async def get_user(call: Call) -> Any:
    await _admin(call, "read")
    return edge.ok_c(user_view(await _svc(call).get_user(call.path_params["user_id"])))


@routes.add(
    ("PUT", "PATCH"), "/api/auth/users/{user_id:str}", family="C", body=UserUpdate, auth_required=True
)
async def update_user(call: Call) -> Any:
    me = await _admin(call)
    return edge.ok_c(await _svc(call).update_user(call.path_params["user_id"], _struct_dict(call.data), me))


@routes.add("DELETE", "/api/auth/users/{user_id:str}", family="C", auth_required=True)
async def delete_user(call: Call) -> Any:
    me = await _admin(call)
    await _svc(call).delete_user(call.path_params["user_id"], me)
    return edge.ok_c("User deleted successfully")


@routes.add(
    ("PUT", "PATCH"),
    "/api/auth/users/{user_id:str}/status",
    family="C",
    body=StatusUpdate,
    auth_required=True,
)
async def set_status(call: Call) -> Any:
    me = await _admin(call)
    req: StatusUpdate = call.data
    return edge.ok_c(await _svc(call).set_status(call.path_params["user_id"], req.status, me))


@routes.get("/api/auth/users/{user_id:str}/login-history", family="C", auth_required=True)
async def login_history(call: Call) -> Any:
    me = await _me(call)
    user_id = call.path_params["user_id"]
    if user_id != me.user_id:
        AuthService.require(me, "auth", "read")
    return edge.ok_c(await _svc(call).login_history(user_id))
