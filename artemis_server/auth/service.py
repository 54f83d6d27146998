"""AuthService: console users, login, sessions and token checks (S19). No web-framework imports.

Every database access runs in a worker thread (``anyio.to_thread``) through :class:`AuthRepo`, like the
management plane; the registry hot path never calls into this module. A token is valid when its signature and
``exp`` check out **and** its SHA-256 maps to a live session of an active user (S19.4); the role used for
permission checks is read from the user row, so a role change or deactivation takes effect at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from artemis_client.errors import (
    AuthError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    StorageUnavailableError,
)
from artemis_client.wire.auth import LoginHistory, LoginResult, Session, User
from artemis_server.auth import passwords, tokens
from artemis_server.views import history_view, session_view, user_view

if TYPE_CHECKING:
    from artemis_server.node import Node
    from artemis_server.store.auth_repo import AuthRepo

log = logging.getLogger(__name__)

ROLES = ("admin", "operator", "viewer")
STATUSES = ("active", "inactive")
DEFAULT_EXPIRY = 3600
MAX_PASSWORD_BYTES = 1024

PERMISSIONS: dict[str, list[str]] = {
    "admin": ["*:*"],
    "operator": ["services:*", "instances:*", "routing:*", "cluster:read", "audit:read", "auth:read"],
    "viewer": ["*:read"],
}

INVALID_LOGIN = "Invalid username or password"
INACTIVE = "User account is inactive"


def allowed(role: str, resource: str, action: str) -> bool:
    """S19.5: ``resource:action`` patterns with ``*`` wildcards."""
    for perm in PERMISSIONS.get(role, []):
        res, _, act = perm.partition(":")
        if res in ("*", resource) and act in ("*", action):
            return True
    return False


@dataclass(slots=True)
class Principal:
    """The authenticated caller; ``Call.user`` holds one (``operator_of`` reads ``username``)."""

    user_id: str
    username: str
    role: str
    session_id: str
    token_hash: str

    def can(self, resource: str, action: str) -> bool:
        return allowed(self.role, resource, action)


def _log_reaches_stderr(logger: logging.Logger) -> bool:
    if not logger.isEnabledFor(logging.WARNING):
        return False
    current: logging.Logger | None = logger
    while current is not None:
        for h in current.handlers:
            stream = getattr(h, "stream", None)
            if isinstance(h, logging.StreamHandler) and stream in (sys.stderr, sys.__stderr__):
                return True
        current = current.parent if current.propagate else None
    return False


def _expiry_from_env() -> int:
    raw = os.environ.get("JWT_EXPIRY_SECONDS", "").strip()
    if not raw:
        return DEFAULT_EXPIRY
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        log.warning("JWT_EXPIRY_SECONDS=%r is not a positive integer; using %d", raw, DEFAULT_EXPIRY)
        return DEFAULT_EXPIRY
    return value


def user_target(u: dict[str, Any]) -> str:
    """``targetId`` of a user's audit records (decisions.md: operationType ``user``)."""
    return f"user:{u['user_id']},name:{u['username']}"


def _entry(kind: str, target: str, operation: str, actor: Principal, details: Any = None) -> tuple[Any, ...]:
    """One audit record (store.auth_repo.AuditEntry); the operator is the token's user, never the body."""
    return (kind, target, operation, actor.username, details)


class AuthService:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.settings = node.settings.auth
        self.expiry = _expiry_from_env()
        self._env_secret = os.environ.get("JWT_SECRET") or None
        self._secret: str | None = None
        self._repo: AuthRepo | None = None
        self._init_lock: asyncio.Lock | None = None
        self._failures: dict[str, deque[float]] = {}
        # Logins being verified right now, per lower-cased user name: they count against the lock-out
        # before their (awaited, slow) password check, so parallel guesses cannot all slip through.
        self._inflight: dict[str, int] = {}

    # -- start-up ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Create the secret and the first admin now if the database is up (else on first use)."""
        try:
            await self._ready()
        except StorageUnavailableError as exc:
            log.warning("auth not initialised yet (%s); retried on the first auth call", exc)

    async def _ready(self) -> tuple[AuthRepo, str]:
        if self._repo is not None and self._secret is not None:
            return self._repo, self._secret
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if self._repo is None or self._secret is None:
                mgmt = self.node.management
                store = mgmt.store if mgmt is not None else None
                if store is None or not mgmt.ready:
                    raise StorageUnavailableError(
                        (mgmt.error if mgmt is not None else None) or "management database not ready"
                    )
                from artemis_server.store.auth_repo import AuthRepo
                from artemis_server.store.repository import SqlStore

                if not isinstance(store, SqlStore):  # console users live in the SQL store's tables
                    raise StorageUnavailableError("console users need the SQL management database")
                repo = AuthRepo(store)
                secret = self._env_secret or await anyio.to_thread.run_sync(repo.jwt_secret)
                await self._bootstrap_admin(repo)
                self._repo, self._secret = repo, secret
        assert self._repo is not None
        assert self._secret is not None
        return self._repo, self._secret

    async def _bootstrap_admin(self, repo: AuthRepo) -> None:
        """S19.1: no well-known default password."""
        if await anyio.to_thread.run_sync(repo.has_users):
            return  # the usual restart: no password hashing on the start path
        given = os.environ.get("ARTEMIS_ADMIN_PASSWORD") or ""
        password = given or passwords.random_password()
        hashed = await anyio.to_thread.run_sync(passwords.hash_password, password)
        now = int(time.time())
        created = await anyio.to_thread.run_sync(repo.create_first_admin, str(uuid.uuid4()), hashed, now)
        if not created:
            return
        if given:
            log.warning(
                "created the first administrator 'admin' with the password from ARTEMIS_ADMIN_PASSWORD"
            )
            return
        msg = (
            f"created the first administrator 'admin' with the random password {password} "
            "(shown once; log in and change it, or set ARTEMIS_ADMIN_PASSWORD before the first start)"
        )
        log.warning(msg)
        if not _log_reaches_stderr(
            log
        ):  # otherwise the log line already is the stderr line (JSON logs stay JSON)
            print(f"artemis: {msg}", file=sys.stderr, flush=True)

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args)

    # -- login / tokens ------------------------------------------------------------------------------------
    def _reserve(self, username: str) -> str:
        """Take one attempt for ``username`` (429 when failures plus attempts in flight reach the limit).

        Called before the password check and released by :meth:`_release` after it: the check is awaited
        (a worker thread), so a count read before it and written after it lets any number of parallel
        guesses through.
        """
        name = username.lower()
        window = self.settings.login_failure_window_secs
        q = self._failures.get(name)
        if q is not None:
            now = time.monotonic()
            while q and q[0] < now - window:
                q.popleft()
            if not q:
                self._failures.pop(name, None)
                q = None
        used = (len(q) if q is not None else 0) + self._inflight.get(name, 0)
        if used >= self.settings.login_max_failures:
            raise RateLimitedError("too many failed logins for this user; try again later")
        self._inflight[name] = self._inflight.get(name, 0) + 1
        return name

    def _release(self, name: str) -> None:
        left = self._inflight.get(name, 0) - 1
        if left > 0:
            self._inflight[name] = left
        else:
            self._inflight.pop(name, None)

    def _failed(self, username: str) -> None:
        q = self._failures.setdefault(username.lower(), deque())
        q.append(time.monotonic())
        if len(self._failures) > 10_000:  # bounded memory under a spray of random user names
            self._failures.pop(next(iter(self._failures)))

    async def login(self, username: str, password: str, ip: str | None, agent: str | None) -> LoginResult:
        repo, secret = await self._ready()
        reserved = self._reserve(username)
        try:
            user = await self._run(repo.user_by_name, username)
            ok = await self._run(passwords.verify_password, user["password_hash"] if user else None, password)
            if user is None or not ok:
                self._failed(username)  # recorded before the reservation ends: no gap for a parallel try
        finally:
            self._release(reserved)
        now = int(time.time())
        if user is None:
            log.warning("failed login for unknown user %r from %s", username[:64], ip)
            raise AuthError(INVALID_LOGIN)
        if not ok:
            await self._run(repo.add_history, user["user_id"], now, ip, agent, "failed")
            log.warning("failed login for user %r from %s", username, ip)
            raise AuthError(INVALID_LOGIN)
        if user["status"] != "active":
            await self._run(repo.add_history, user["user_id"], now, ip, agent, "failed")
            raise AuthError(INACTIVE)
        self._failures.pop(username.lower(), None)
        if passwords.needs_rehash(user["password_hash"]):
            hashed = await self._run(passwords.hash_password, password)
            await self._run(repo.update_user, user["user_id"], {"password_hash": hashed})
        token = tokens.issue(secret, user["user_id"], user["username"], user["role"], self.expiry, now)
        await self._run(repo.purge_expired, now)
        await self._run(
            repo.create_session,
            {
                "session_id": str(uuid.uuid4()),
                "user_id": user["user_id"],
                "token": tokens.fingerprint(token),
                "ip_address": (ip or "")[:64] or None,
                "user_agent": (agent or "")[:512] or None,
                "created_at": now,
                "expires_at": now + self.expiry,
                "last_activity": now,
            },
        )
        await self._run(repo.add_history, user["user_id"], now, ip, agent, "success")
        log.info("user %r logged in from %s", user["username"], ip)
        return self._login_result(token)

    def _login_result(self, token: str) -> LoginResult:
        return LoginResult(token, "Bearer", self.expiry)

    async def authenticate(self, token: str | None) -> Principal:
        """S19.4. Raises AuthError (401) for a missing, forged, expired or logged-out token."""
        if not token:
            raise AuthError("authentication required: Authorization: Bearer <token>")
        repo, secret = await self._ready()
        claims = tokens.decode(secret, token)
        if claims is None:
            raise AuthError("invalid or expired token")
        fp = tokens.fingerprint(token)
        found = await self._run(repo.session_by_token, fp)
        now = int(time.time())
        if found is None:
            raise AuthError("token is no longer valid (logged out or revoked)")
        session, user = found
        if session["expires_at"] <= now:
            raise AuthError("session expired")
        if user["status"] != "active":
            raise AuthError(INACTIVE)
        if now - int(session["last_activity"]) >= 30:
            await self._run(repo.touch_session, session["session_id"], now)
        return Principal(user["user_id"], user["username"], user["role"], session["session_id"], fp)

    async def refresh(self, token: str | None) -> LoginResult:
        principal = await self.authenticate(token)
        repo, secret = await self._ready()
        now = int(time.time())
        new = tokens.issue(secret, principal.user_id, principal.username, principal.role, self.expiry, now)
        moved = await self._run(
            repo.rotate_session, principal.token_hash, tokens.fingerprint(new), now, now + self.expiry
        )
        if not moved:  # logged out concurrently
            raise AuthError("token is no longer valid (logged out or revoked)")
        return self._login_result(new)

    async def logout(self, p: Principal) -> None:
        repo, _ = await self._ready()
        await self._run(repo.delete_session, p.session_id)

    # -- self service --------------------------------------------------------------------------------------
    def _check_new_password(self, password: Any, field: str) -> str:
        if not isinstance(password, str) or not password:
            raise BadRequestError(f"missing required field `{field}`", field=field)
        n = self.settings.min_password_length
        if len(password) < n:
            raise BadRequestError(f"invalid field `{field}`: at least {n} characters", field=field)
        if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
            raise BadRequestError(f"invalid field `{field}`: at most {MAX_PASSWORD_BYTES} bytes", field=field)
        return password

    async def user_of(self, p: Principal) -> User:
        repo, _ = await self._ready()
        u = await self._run(repo.user, p.user_id)
        if u is None:
            raise NotFoundError("User not found")
        return user_view(u)

    async def change_password(self, p: Principal, old: Any, new: Any) -> None:
        repo, _ = await self._ready()
        if not isinstance(old, str) or not old:
            raise BadRequestError("missing required field `oldPassword`", field="oldPassword")
        new = self._check_new_password(new, "newPassword")
        u = await self._run(repo.user, p.user_id)
        if u is None or not await self._run(passwords.verify_password, u["password_hash"], old):
            raise BadRequestError(
                "invalid field `oldPassword`: the current password is wrong", field="oldPassword"
            )
        hashed = await self._run(passwords.hash_password, new)
        # Every session ends, the caller's too (SECURITY.md): whoever changed it logs in again with the new
        # password, and a token stolen before the change is dead whichever session it belonged to.
        audit = [_entry("user", user_target(u), "password-change", p)]
        await self._run(repo.set_password, p.user_id, hashed, int(time.time()), None, audit)

    async def sessions(self, p: Principal) -> list[Session]:
        repo, _ = await self._ready()
        return [session_view(s) for s in await self._run(repo.sessions, p.user_id, int(time.time()))]

    async def revoke_session(self, p: Principal, session_id: str) -> None:
        repo, _ = await self._ready()
        s = await self._run(repo.session, session_id)
        # Someone else's session is "not found" for a non-admin: no probing of other users' session ids.
        if s is None or (s["user_id"] != p.user_id and not p.can("auth", "write")):
            raise NotFoundError("Session not found")
        audit = [_entry("session", f"session:{session_id},user:{s['user_id']}", "revoke", p)]
        await self._run(repo.delete_session, session_id, None, audit)

    # -- user administration -------------------------------------------------------------------------------
    @staticmethod
    def require(p: Principal, resource: str, action: str) -> None:
        if not p.can(resource, action):
            raise ForbiddenError(f"role {p.role} may not {action} {resource}")

    async def users(self) -> list[User]:
        repo, _ = await self._ready()
        return [user_view(u) for u in await self._run(repo.users)]

    async def get_user(self, user_id: str) -> dict[str, Any]:
        repo, _ = await self._ready()
        u = await self._run(repo.user, user_id)
        if u is None:
            raise NotFoundError(f"User not found: {user_id}")
        return u

    @staticmethod
    def _role(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise BadRequestError("missing required field `role`", field="role")
        role = value.strip().lower()
        if role not in ROLES:
            raise BadRequestError(f"invalid field `role`: expected one of {', '.join(ROLES)}", field="role")
        return role

    @staticmethod
    def _status(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise BadRequestError("missing required field `status`", field="status")
        status = value.strip().lower()
        if status not in STATUSES:
            raise BadRequestError("invalid field `status`: expected active or inactive", field="status")
        return status

    @staticmethod
    def _text(value: Any, field: str, limit: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise BadRequestError(f"invalid field `{field}`: expected a string", field=field)
        if len(value) > limit:
            raise BadRequestError(f"invalid field `{field}`: at most {limit} characters", field=field)
        return value

    async def create_user(self, data: dict[str, Any], actor: Principal) -> User:
        repo, _ = await self._ready()
        username = data.get("username")
        if not isinstance(username, str) or not username.strip():
            raise BadRequestError("missing required field `username`", field="username")
        username = username.strip()
        if len(username) > 128 or any(c.isspace() or not c.isprintable() for c in username):
            raise BadRequestError(
                "invalid field `username`: up to 128 printable characters, no spaces", field="username"
            )
        password = self._check_new_password(data.get("password"), "password")
        role = self._role(data.get("role"))
        email = self._text(data.get("email"), "email", 256)
        description = self._text(data.get("description"), "description", 1024)
        now = int(time.time())
        values = {
            "user_id": str(uuid.uuid4()),
            "username": username,
            "email": email,
            "description": description,
            "password_hash": await self._run(passwords.hash_password, password),
            "role": role,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        audit = [_entry("user", user_target(values), "create", actor, {"role": role})]
        if not await self._run(repo.create_user, values, audit):
            raise ConflictError(f"Username already exists: {username}", field="username")
        log.info("user %r created with role %s", username, role)
        return user_view(values)

    async def _guard_last_admin(
        self, user: dict[str, Any], *, new_role: str | None, new_status: str | None
    ) -> None:
        """Never lock everybody out: the last active admin cannot be demoted, deactivated or deleted."""
        if user["role"] != "admin" or user["status"] != "active":
            return
        if new_role == "admin" and new_status in (None, "active"):
            return
        repo, _ = await self._ready()
        admins = await self._run(repo.active_admins)
        if admins == [user["user_id"]]:
            raise BadRequestError("the last active admin cannot be removed, demoted or deactivated")

    async def update_user(self, user_id: str, data: dict[str, Any], actor: Principal) -> User:
        repo, _ = await self._ready()
        user = await self.get_user(user_id)
        values: dict[str, Any] = {}
        if data.get("email") is not None:
            values["email"] = self._text(data["email"], "email", 256)
        if data.get("description") is not None:
            values["description"] = self._text(data["description"], "description", 1024)
        if data.get("role") is not None:
            values["role"] = self._role(data["role"])
            if values["role"] != user["role"]:
                await self._guard_last_admin(user, new_role=values["role"], new_status=None)
        if data.get("status") is not None:
            values["status"] = self._status(data["status"])
            await self._guard_last_admin(user, new_role=user["role"], new_status=values["status"])
        target = user_target(user)
        audit = []
        changed = [f for f in ("email", "description") if f in values and values[f] != user.get(f)]
        if changed:
            audit.append(_entry("user", target, "update", actor, {"fields": changed}))
        if values.get("role", user["role"]) != user["role"]:
            audit.append(
                _entry("user", target, "role-change", actor, {"from": user["role"], "to": values["role"]})
            )
        if values.get("status", user["status"]) != user["status"]:
            audit.append(
                _entry("user", target, "activate" if values["status"] == "active" else "deactivate", actor)
            )
        values["updated_at"] = int(time.time())
        kill = values.get("status") == "inactive"
        await self._run(lambda: repo.update_user(user_id, values, kill_sessions=kill, audit=audit))
        return user_view(await self.get_user(user_id))

    async def set_status(self, user_id: str, status: Any, actor: Principal) -> User:
        return await self.update_user(user_id, {"status": self._status(status)}, actor)

    async def delete_user(self, user_id: str, actor: Principal) -> None:
        repo, _ = await self._ready()
        user = await self.get_user(user_id)
        await self._guard_last_admin(user, new_role=None, new_status=None)
        audit = [_entry("user", user_target(user), "delete", actor)]
        if not await self._run(repo.delete_user, user_id, audit):
            raise NotFoundError(f"User not found: {user_id}")
        log.info("user %r deleted", user["username"])

    async def reset_password(self, user_id: str, new: Any, actor: Principal) -> None:
        repo, _ = await self._ready()
        new = self._check_new_password(new, "newPassword")
        user = await self.get_user(user_id)
        hashed = await self._run(passwords.hash_password, new)
        audit = [_entry("user", user_target(user), "password-reset", actor)]
        await self._run(repo.set_password, user_id, hashed, int(time.time()), None, audit)

    async def login_history(self, user_id: str) -> list[LoginHistory]:
        repo, _ = await self._ready()
        await self.get_user(user_id)
        return [history_view(h) for h in await self._run(repo.history, user_id)]
