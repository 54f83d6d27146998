"""Auth shapes (api.md 1.6, 2.12): login, tokens, users, sessions, login history."""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct


class LoginRequest(CamelStruct):
    username: str | None = None
    password: str | None = None


class RefreshRequest(CamelStruct):
    token: str | None = None


class PermissionRequest(CamelStruct):
    resource: str | None = None
    action: str | None = None


class PasswordChange(CamelStruct):
    old_password: str | None = None
    new_password: str | None = None


class PasswordReset(CamelStruct):
    new_password: str | None = None


class UserCreate(CamelStruct):
    username: str | None = None
    password: str | None = None
    role: str | None = None
    email: str | None = None
    description: str | None = None


class UserUpdate(CamelStruct):
    email: str | None = None
    description: str | None = None
    role: str | None = None
    status: str | None = None


class StatusUpdate(CamelStruct):
    status: str | None = None


class LoginResult(CamelStruct):
    """A token and how long it lives (1.6): ``tokenType`` is ``Bearer``, ``expiresIn`` seconds."""

    access_token: str
    token_type: str
    expires_in: int


class User(CamelStruct, kw_only=True):
    """A user (1.6); the password hash is never written."""

    user_id: str
    username: str
    email: str | None = None
    description: str | None = None
    role: str
    status: str
    created_at: int
    updated_at: int


class Session(CamelStruct, kw_only=True):
    """A login session (1.6); its token is never written."""

    session_id: str
    user_id: str
    ip_address: str | None = None
    user_agent: str | None = None
    created_at: int
    expires_at: int
    last_activity: int


class LoginHistory(CamelStruct):
    """One login attempt (1.6): ``status`` is ``success`` or ``failed``."""

    id: int
    user_id: str
    login_time: int
    ip_address: str
    user_agent: str
    status: str


class PermissionCheck(CamelStruct):
    """check-permission: whether the caller's role allows the action."""

    allowed: bool
