"""Offline user recovery on a node's database (S19.1: "`artemis auth` can reset it on the node's database").

Used by ``artemis server reset-password``: whoever can read the node's configuration and write its database
already owns the node, so no token is asked for. The user is created as an admin when missing, set active,
and every session it had is killed.
"""

from __future__ import annotations

import time
import uuid

from artemis_server.auth import passwords
from artemis_server.settings import Settings


def reset_password(settings: Settings, username: str, password: str) -> bool:
    """Set ``username``'s password (creating it as an admin if needed). True when the user was created."""
    from artemis_server.store.auth_repo import AuthRepo
    from artemis_server.store.repository import SqlStore

    db = settings.database
    store = SqlStore(settings.database_url(), max_connections=1, busy_timeout_ms=db.busy_timeout_ms)
    try:
        store.open()
        repo = AuthRepo(store)
        now = int(time.time())
        hashed = passwords.hash_password(password)
        user = repo.user_by_name(username)
        if user is None:
            created = repo.create_user(
                {
                    "user_id": str(uuid.uuid4()),
                    "username": username,
                    "password_hash": hashed,
                    "role": "admin",
                    "status": "active",
                    "description": "created by artemis server reset-password",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            return created
        repo.set_password(user["user_id"], hashed, now, None)
        repo.update_user(user["user_id"], {"status": "active", "updated_at": now})
        return False
    finally:
        store.close()
