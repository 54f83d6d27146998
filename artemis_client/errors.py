"""The one error tree of Artemis, shared by the server, the CLI, the TUI and the Python SDK.

```
ArtemisError                     code=internal-service-error  http 500
├── BadRequestError              code=bad-request             http 400  (names the bad field)
│   ├── ConflictError            code=bad-request             http 400  (duplicate key / name)
│   ├── PayloadTooLargeError     code=bad-request             http 413
│   ├── MethodNotAllowedError    code=bad-request             http 405
│   ├── UpgradeRequiredError     code=bad-request             http 426
│   ├── HeadTooLargeError        code=bad-request             http 431
│   ├── RequestTimeoutError      code=bad-request             http 408
│   └── InvalidArgumentError     client only: the request cannot be built from what the caller gave
│                                (an empty id, a bad server URL); nothing was sent
├── NotFoundError                code=data-not-found          http 404
│   └── NoSuchPathError          code=no-such-path            http 404  (unknown path, T6)
├── RateLimitedError             code=rate-limited            http 429  (family A answers it inside a 200)
├── NoPermissionError            code=no-permission           http 403
├── AuthError                    code=unauthorized            http 401
│   └── ForbiddenError           code=forbidden               http 403
├── UnavailableError             code=service-unavailable     http 503
│   └── StorageUnavailableError  code=service-unavailable     http 503  (database down / read-only)
├── TransportError               client only, code=unreachable: no HTTP answer at all (refused, reset,
│                                timed out)
└── InvalidResponseError         client only, code=invalid-response: an answer came but cannot be read
                                 (not JSON, not the expected shape)
```

The server raises these classes and renders them in the envelope family of the endpoint (api.md 0.4). A
client rebuilds the same class from an answer with :func:`from_envelope` (or from the parts with
:func:`from_code`): ``code`` is the envelope's ``errorCode`` (A/B) or ``error.code`` (C), and where several
classes share a code the HTTP status picks the subclass (``bad-request`` + 413 is
:class:`PayloadTooLargeError`). ``ConflictError`` and ``StorageUnavailableError`` travel as their parents'
code and status, so a client sees :class:`BadRequestError` / :class:`UnavailableError`.

Only the standard library is imported: every module, however light, may use these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "ArtemisError",
    "AuthError",
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "HeadTooLargeError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "MethodNotAllowedError",
    "NoPermissionError",
    "NoSuchPathError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "RequestTimeoutError",
    "StorageUnavailableError",
    "TransportError",
    "UnavailableError",
    "UpgradeRequiredError",
    "from_code",
    "from_envelope",
]


class ArtemisError(Exception):
    """Base of every error Artemis raises on purpose.

    Attributes:
        code: the stable ``errorCode`` of api.md 0.4 (class attribute).
        http_status: the HTTP status the server answers it with (class attribute; 0: no HTTP answer).
        message: human text.
        field: the request field to blame, when one is (``instances[2].serviceId``).
        details: extra data for the caller (JSON-able), or None.
    """

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


class InvalidArgumentError(BadRequestError):
    """Client side only: the caller's arguments cannot make a request (an empty id, a bad server URL); the
    request was not sent. The CLI exits 2 (usage) for it, where a server's 400 is a refusal (exit 1)."""

    http_status = 0


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
    """Valid token whose role does not allow the action (also: a browser origin not allowed, T5)."""

    code = "forbidden"
    http_status = 403


class UnavailableError(ArtemisError):
    """This node (or a dependency) cannot serve the call right now."""

    code = "service-unavailable"
    http_status = 503


class StorageUnavailableError(UnavailableError):
    """The management database is unreachable or read-only; nothing was changed."""


class TransportError(ArtemisError):
    """Client side only: no HTTP answer at all (connection refused, reset, timed out)."""

    code = "unreachable"
    http_status = 0


class InvalidResponseError(ArtemisError):
    """Client side only: an answer arrived but cannot be understood (not JSON, not the expected shape)."""

    code = "invalid-response"
    http_status = 0


# Classes an answer can name, most general first within a code: the code picks the first, the HTTP status
# a more specific one with the same code.
_ANSWERED: tuple[type[ArtemisError], ...] = (
    BadRequestError,
    PayloadTooLargeError,
    MethodNotAllowedError,
    HeadTooLargeError,
    RequestTimeoutError,
    UpgradeRequiredError,
    NotFoundError,
    NoSuchPathError,
    RateLimitedError,
    NoPermissionError,
    AuthError,
    ForbiddenError,
    UnavailableError,
)
_BY_CODE: dict[str, type[ArtemisError]] = {}
_BY_CODE_STATUS: dict[tuple[str, int], type[ArtemisError]] = {}
for _cls in _ANSWERED:
    _BY_CODE.setdefault(_cls.code, _cls)
    _BY_CODE_STATUS.setdefault((_cls.code, _cls.http_status), _cls)
# Other spellings seen on the wire (api.md 0.4): J's errorCode of a partial failure, R's internal error, J's
# replication transport failure (Java clients retry it, as they retry an unavailable node).
_ALIASES: dict[str, type[ArtemisError]] = {
    "partial_fail": BadRequestError,
    "internal-service-error": ArtemisError,
    "internal-error": ArtemisError,
    "unknown": UnavailableError,
}
# An answer without a code we know: the HTTP status alone decides.
_BY_STATUS: dict[int, type[ArtemisError]] = {
    400: BadRequestError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    408: RequestTimeoutError,
    413: PayloadTooLargeError,
    422: BadRequestError,
    426: UpgradeRequiredError,
    429: RateLimitedError,
    431: HeadTooLargeError,
    503: UnavailableError,
}


def from_code(
    code: str | None,
    message: str,
    http_status: int | None = None,
    *,
    field: str | None = None,
    details: Any = None,
) -> ArtemisError:
    """Rebuild the error an answer names: by ``errorCode``, refined (or, for an unknown code, decided) by the
    HTTP status. Business errors that family A/B answer inside a 200 (T8) are found by their code alone."""
    status = http_status or 0
    cls = _BY_CODE.get(code or "")
    if cls is not None:
        cls = _BY_CODE_STATUS.get((cls.code, status), cls)
    else:
        cls = _ALIASES.get(code or "")
        if cls is None or cls is ArtemisError:
            cls = _BY_STATUS.get(status, cls or ArtemisError)
    return cls(message, field=field, details=details)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def from_envelope(doc: Any, http_status: int | None = None) -> ArtemisError | None:
    """The error a decoded answer carries, as the class the server raised; None when it reports success.

    Reads the three envelope families of api.md 0.4: ``responseStatus`` (A, and B whose ``status`` repeats
    it), where ``status`` other than ``success`` is a failure (``partial_fail`` included: a caller that
    accepts partial results reads ``failedInstances`` before calling this); ``{success, message, error}``
    (C), whose ``error`` object gives the code, the field and the details; anything else is judged by the
    HTTP status alone (>= 400 is an error).
    """
    status = http_status or 0
    if isinstance(doc, Mapping):
        rs = doc.get("responseStatus")
        if isinstance(rs, Mapping):
            if rs.get("status") == "success":
                return from_code(None, f"HTTP {status}", status) if status >= 400 else None
            code = _text(rs.get("errorCode"))
            message = _text(rs.get("errorMessage")) or _text(rs.get("message")) or code or "request failed"
            return from_code(code, message, status)
        success = doc.get("success")
        if isinstance(success, bool):
            if success and status < 400:
                return None
            err = doc.get("error")
            err = err if isinstance(err, Mapping) else {}
            message = _text(doc.get("message")) or _text(err.get("message")) or f"HTTP {status}"
            field = err.get("field")
            return from_code(
                _text(err.get("code")) or None,
                message,
                status,
                field=field if isinstance(field, str) else None,
                details=err.get("details"),
            )
    if status >= 400:
        return from_code(None, f"HTTP {status}", status)
    return None
