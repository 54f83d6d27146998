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
