"""Console users, sessions and login history (S19) in the management database, synchronous SQLAlchemy Core.

Called from worker threads by :mod:`artemis_server.auth`. Sessions store the SHA-256 of the bearer token,
never the token itself, so a copy of the database does not hand out live tokens. Every method maps database
trouble to :class:`StorageUnavailableError` through the store's guard.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from artemis_server.store import tables as t
from artemis_server.store.repository import SqlStore, Tx

# One audit record of a user-administration action: (operation_type, target_id, operation, operator, details).
AuditEntry = tuple[str, str, str, str, Any]


def _audit(conn: Any, entries: list[AuditEntry] | None) -> None:
    """Write the audit records in the transaction of the change they describe (no change without a record)."""
    if entries:
        tx = Tx(conn, time.time())
        for entry in entries:
            tx.audit(*entry)


JWT_SECRET_KEY = "jwt_secret"
HISTORY_LIMIT = 50

_USER_COLS = ("user_id", "username", "email", "description", "role", "status", "created_at", "updated_at")


def _user(row: Any) -> dict[str, Any]:
    out = {k: row[k] for k in _USER_COLS}
    out["password_hash"] = row["password_hash"]
    return out


class AuthRepo:
    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.engine = store.engine

    # -- bootstrap -------------------------------------------------------------------------------------
    def jwt_secret(self) -> str:
        """The HS256 secret stored in ``artemis_meta``, created on first use (nodes sharing a DB share it)."""

        def run() -> str:
            meta = t.artemis_meta
            q = select(meta.c.meta_value).where(meta.c.meta_key == JWT_SECRET_KEY)
            with self.engine.begin() as conn:
                row = conn.execute(q).first()
                if row is not None:
                    return str(row[0])
            try:
                with self.engine.begin() as conn:
                    value = secrets.token_hex(32)
                    conn.execute(insert(meta).values(meta_key=JWT_SECRET_KEY, meta_value=value))
                    return value
            except IntegrityError:  # another node created it first
                with self.engine.begin() as conn:
                    return str(conn.execute(q).scalar_one())

        return self.store._guard(run)

    def has_users(self) -> bool:
        def run() -> bool:
            with self.engine.connect() as conn:
                return conn.execute(select(t.auth_users.c.id).limit(1)).first() is not None

        return self.store._guard(run)

    def create_first_admin(self, user_id: str, password_hash: str, now: int) -> bool:
        """Create ``admin`` when the user table is empty. False when any user exists (or another node won)."""

        def run() -> bool:
            with self.engine.begin() as conn:
                if conn.execute(select(func.count()).select_from(t.auth_users)).scalar_one():
                    return False
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(t.auth_users).values(
                            user_id=user_id,
                            username="admin",
                            password_hash=password_hash,
                            role="admin",
                            status="active",
                            description="first administrator",
                            created_at=now,
                            updated_at=now,
                        )
                    )
                return True
            except IntegrityError:
                return False

        return self.store._guard(run)

    # -- users -----------------------------------------------------------------------------------------
    def user_by_name(self, username: str) -> dict[str, Any] | None:
        return self._one(select(t.auth_users).where(t.auth_users.c.username == username))

    def user(self, user_id: str) -> dict[str, Any] | None:
        return self._one(select(t.auth_users).where(t.auth_users.c.user_id == user_id))

    def users(self) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                rows = conn.execute(select(t.auth_users).order_by(t.auth_users.c.id)).mappings()
                return [_user(r) for r in rows]

        return self.store._guard(run)

    def _one(self, q: Any) -> dict[str, Any] | None:
        def run() -> dict[str, Any] | None:
            with self.engine.connect() as conn:
                row = conn.execute(q).mappings().first()
                return _user(row) if row is not None else None

        return self.store._guard(run)

    def create_user(self, values: dict[str, Any], audit: list[AuditEntry] | None = None) -> bool:
        """Insert a user; False when the user name is taken."""

        def run() -> bool:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(t.auth_users).values(**values))
                    _audit(conn, audit)
                return True
            except IntegrityError:
                return False

        return self.store._guard(run)

    def update_user(
        self,
        user_id: str,
        values: dict[str, Any],
        *,
        kill_sessions: bool = False,
        audit: list[AuditEntry] | None = None,
    ) -> bool:
        def run() -> bool:
            with self.engine.begin() as conn:
                n = conn.execute(
                    update(t.auth_users).where(t.auth_users.c.user_id == user_id).values(**values)
                ).rowcount
                if n and kill_sessions:
                    conn.execute(delete(t.auth_sessions).where(t.auth_sessions.c.user_id == user_id))
                if n:
                    _audit(conn, audit)
                return bool(n)

        return self.store._guard(run)

    def set_password(
        self,
        user_id: str,
        password_hash: str,
        now: int,
        keep_session: str | None,
        audit: list[AuditEntry] | None = None,
    ) -> bool:
        """New hash; every session of the user except ``keep_session`` dies (a stolen token stops working)."""

        def run() -> bool:
            with self.engine.begin() as conn:
                n = conn.execute(
                    update(t.auth_users)
                    .where(t.auth_users.c.user_id == user_id)
                    .values(password_hash=password_hash, updated_at=now)
                ).rowcount
                q = delete(t.auth_sessions).where(t.auth_sessions.c.user_id == user_id)
                if keep_session:
                    q = q.where(t.auth_sessions.c.session_id != keep_session)
                conn.execute(q)
                if n:
                    _audit(conn, audit)
                return bool(n)

        return self.store._guard(run)

    def delete_user(self, user_id: str, audit: list[AuditEntry] | None = None) -> bool:
        def run() -> bool:
            with self.engine.begin() as conn:
                n = conn.execute(delete(t.auth_users).where(t.auth_users.c.user_id == user_id)).rowcount
                conn.execute(delete(t.auth_sessions).where(t.auth_sessions.c.user_id == user_id))
                if n:
                    _audit(conn, audit)
                return bool(n)

        return self.store._guard(run)

    def active_admins(self) -> list[str]:
        def run() -> list[str]:
            u = t.auth_users
            with self.engine.connect() as conn:
                q = select(u.c.user_id).where(u.c.role == "admin", u.c.status == "active")
                return [str(r[0]) for r in conn.execute(q)]

        return self.store._guard(run)

    # -- sessions ----------------------------------------------------------------------------------------
    def create_session(self, values: dict[str, Any]) -> None:
        def run() -> None:
            with self.engine.begin() as conn:
                conn.execute(insert(t.auth_sessions).values(**values))

        self.store._guard(run)

    def session_by_token(self, token_hash: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(session, user) for a token hash, or None when no session maps it."""

        def run() -> tuple[dict[str, Any], dict[str, Any]] | None:
            s, u = t.auth_sessions, t.auth_users
            with self.engine.connect() as conn:
                srow = conn.execute(select(s).where(s.c.token == token_hash)).mappings().first()
                if srow is None:
                    return None
                urow = conn.execute(select(u).where(u.c.user_id == srow["user_id"])).mappings().first()
                if urow is None:
                    return None
                return dict(srow), _user(urow)

        return self.store._guard(run)

    def touch_session(self, session_id: str, now: int) -> None:
        def run() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    update(t.auth_sessions)
                    .where(t.auth_sessions.c.session_id == session_id)
                    .values(last_activity=now)
                )

        self.store._guard(run)

    def rotate_session(self, old_hash: str, new_hash: str, now: int, expires_at: int) -> bool:
        """Move the session of ``old_hash`` to ``new_hash``; False when the old token is no longer mapped."""

        def run() -> bool:
            with self.engine.begin() as conn:
                n = conn.execute(
                    update(t.auth_sessions)
                    .where(t.auth_sessions.c.token == old_hash)
                    .values(token=new_hash, expires_at=expires_at, last_activity=now)
                ).rowcount
                return bool(n)

        return self.store._guard(run)

    def delete_session(
        self, session_id: str, user_id: str | None = None, audit: list[AuditEntry] | None = None
    ) -> bool:
        def run() -> bool:
            q = delete(t.auth_sessions).where(t.auth_sessions.c.session_id == session_id)
            if user_id is not None:
                q = q.where(t.auth_sessions.c.user_id == user_id)
            with self.engine.begin() as conn:
                n = conn.execute(q).rowcount
                if n:
                    _audit(conn, audit)
                return bool(n)

        return self.store._guard(run)

    def session(self, session_id: str) -> dict[str, Any] | None:
        def run() -> dict[str, Any] | None:
            s = t.auth_sessions
            with self.engine.connect() as conn:
                row = conn.execute(select(s).where(s.c.session_id == session_id)).mappings().first()
                return dict(row) if row is not None else None

        return self.store._guard(run)

    def sessions(self, user_id: str, now: int) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            s = t.auth_sessions
            q = select(s).where(s.c.user_id == user_id, s.c.expires_at > now).order_by(s.c.id)
            with self.engine.connect() as conn:
                return [dict(r) for r in conn.execute(q).mappings()]

        return self.store._guard(run)

    def purge_expired(self, now: int) -> int:
        def run() -> int:
            with self.engine.begin() as conn:
                return int(
                    conn.execute(delete(t.auth_sessions).where(t.auth_sessions.c.expires_at <= now)).rowcount
                )

        return self.store._guard(run)

    # -- login history -----------------------------------------------------------------------------------
    def add_history(self, user_id: str, now: int, ip: str | None, agent: str | None, status: str) -> None:
        def run() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(t.auth_login_history).values(
                        user_id=user_id,
                        login_time=now,
                        ip_address=(ip or "")[:64] or None,
                        user_agent=(agent or "")[:512] or None,
                        status=status,
                    )
                )

        self.store._guard(run)

    def history(self, user_id: str, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            h = t.auth_login_history
            q = select(h).where(h.c.user_id == user_id).order_by(h.c.id.desc()).limit(limit)
            with self.engine.connect() as conn:
                return [dict(r) for r in conn.execute(q).mappings()]

        return self.store._guard(run)
