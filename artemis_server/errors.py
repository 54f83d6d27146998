"""The one error tree of Artemis, shared by the server and the client.

```
ArtemisError                     code=internal-service-error  http 500
├── BadRequestError              code=bad-request             http 400  (names the bad field)
│   ├── ConflictError            code=bad-request             http 400  (duplicate key / name)
│   ├── PayloadTooLargeError     code=bad-request             http 413
│   ├── MethodNotAllowedError    code=bad-request             http 405
│   ├── UpgradeRequiredError     code=bad-request             http 426
│   ├── HeadTooLargeError        code=bad-request             http 431
│   └── RequestTimeoutError      code=bad-request             http 408
├── NotFoundError                code=data-not-found          http 404
│   └── NoSuchPathError          code=no-such-path            http 404  (unknown path, T6)
├── RateLimitedError             code=rate-limited            http 429 (family A answers it inside a 200)
├── NoPermissionError            code=no-permission           http 403
├── AuthError                    code=unauthorized            http 401
│   └── ForbiddenError           code=forbidden               http 403
├── UnavailableError             code=service-unavailable     http 503
│   └── StorageUnavailableError  code=service-unavailable     http 503  (database down / read-only)
└── TransportError               client only: no HTTP answer at all (connection refused, timeout)
```

`code` values are the `errorCode` strings of spec/api.md 0.4 so that clients (Java, Rust, our own CLI)
can rebuild the same class from an envelope with :func:`from_code`. Only the standard library is imported.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ArtemisError(Exception):
    """Base of every error Artemis raises on purpose."""

    code: ClassVar[str] = "internal-service-error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def __str__(self) -> str:
        return self.message


class BadRequestError(ArtemisError):
    """Malformed or invalid input. ``field`` names the offending field when one is to blame."""

    code = "bad-request"
    http_status = 400


class ConflictError(BadRequestError):
    """A unique key already exists (spec answers these with 400)."""


class PayloadTooLargeError(BadRequestError):
    """The request body, a batch or a metadata map exceeds a configured limit."""

    http_status = 413


class MethodNotAllowedError(BadRequestError):
    """A known path asked with a method it does not serve (api.md T6)."""

    http_status = 405


class HeadTooLargeError(BadRequestError):
    """The request line and headers exceed ``server.max_header_bytes`` (api.md T11)."""

    http_status = 431


class RequestTimeoutError(BadRequestError):
    """The request did not arrive whole within ``server.request_timeout_secs`` (api.md T11)."""

    http_status = 408


class UpgradeRequiredError(BadRequestError):
    """A WebSocket path asked over plain HTTP."""

    http_status = 426


class NotFoundError(ArtemisError):
    """The addressed service, instance, group, rule, zone or config does not exist."""

    code = "data-not-found"
    http_status = 404


class NoSuchPathError(NotFoundError):
    """No endpoint at this path (api.md T6); clients tell it from a missing object by the code."""

    code = "no-such-path"


class RateLimitedError(ArtemisError):
    """The token bucket of the operation is empty (S15)."""

    code = "rate-limited"
    http_status = 429


class NoPermissionError(ArtemisError):
    """Same-region / same-zone checks failed (S2.9)."""

    code = "no-permission"
    http_status = 403


class AuthError(ArtemisError):
    """Missing, invalid, expired or logged-out token."""

    code = "unauthorized"
    http_status = 401


class ForbiddenError(AuthError):
    """Valid token whose role does not allow the action."""

    code = "forbidden"
    http_status = 403


class UnavailableError(ArtemisError):
    """This node (or a dependency) cannot serve the call right now."""

    code = "service-unavailable"
    http_status = 503


class StorageUnavailableError(UnavailableError):
    """The management database is unreachable or read-only; nothing was changed."""


class TransportError(ArtemisError):
    """Client side only: no HTTP response at all (refused, reset, timed out) from any server."""

    code = "unreachable"
    http_status = 0


_BY_CODE: dict[str, type[ArtemisError]] = {
    "bad-request": BadRequestError,
    "partial_fail": BadRequestError,
    "data-not-found": NotFoundError,
    "no-such-path": NoSuchPathError,
    "rate-limited": RateLimitedError,
    "no-permission": NoPermissionError,
    "unauthorized": AuthError,
    "forbidden": ForbiddenError,
    "service-unavailable": UnavailableError,
    "internal-service-error": ArtemisError,
    "internal-error": ArtemisError,
    "unknown": UnavailableError,
}


def from_code(code: str | None, message: str, http_status: int | None = None) -> ArtemisError:
    """Rebuild the error class named by an envelope's ``errorCode`` (or, failing that, the HTTP status)."""
    cls = _BY_CODE.get(code or "")
    if cls is None or cls is ArtemisError:
        by_status: dict[int, type[ArtemisError]] = {
            400: BadRequestError,
            401: AuthError,
            403: ForbiddenError,
            404: NotFoundError,
            413: PayloadTooLargeError,
            422: BadRequestError,
            429: RateLimitedError,
            503: UnavailableError,
        }
        cls = by_status.get(http_status or 0, cls or ArtemisError)
    return cls(message)
