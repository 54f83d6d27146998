"""JWT access tokens (S19.3): HS256 via PyJWT, claims sub, username, role, iat, exp and a random jti."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt

ALGORITHM = "HS256"
_REQUIRED = ["sub", "exp", "iat", "jti"]


def issue(secret: str, user_id: str, username: str, role: str, ttl: int, now: float | None = None) -> str:
    iat = int(now if now is not None else time.time())
    claims = {
        "sub": user_id,
        "username": username,
        "role": role,
        "iat": iat,
        "exp": iat + ttl,
        "jti": secrets.token_hex(16),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str) -> dict[str, Any] | None:
    """The claims of a token whose signature and expiry check out, else None (the reason is not told)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": _REQUIRED}
        )
    except jwt.PyJWTError:
        return None
    return claims


def fingerprint(token: str) -> str:
    """What the session table stores instead of the token itself."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
