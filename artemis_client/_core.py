"""The sans-I/O core of every Artemis HTTP client: request descriptions, answer decoding, the failover policy.

Nothing here does I/O or imports an HTTP library: :mod:`artemis_client.transport` drives it with httpx, sync
and async alike, and the Python SDK (issue 18) reuses it unchanged.

* :class:`Request` describes one call: method, path, envelope family, body, whether it is safe to repeat on
  another node, and the wire shape (:mod:`artemis_client.wire`) its payload decodes into.
* :func:`decode` turns one answer (status and body bytes) into that typed result or an
  :mod:`artemis_client.errors` class.
* :class:`Failover` is the failover policy as a generator: it yields the next server to send the request to;
  the runner sends back the :class:`Answer` or a :class:`Failure` (no answer), and the generator returns the
  decoded result or raises the error.

Failover: servers are tried in order, starting with the last one that answered. A connection that could not
be *established* moves on to the next server for every call, because the request never left this process;
so does a "service unavailable" answer (HTTP 503 or ``errorCode`` ``service-unavailable``: the node says it
applied nothing). A failure after the request was sent (read timeout, reset, a 502/504 gateway answer) moves
on only for calls marked ``safe`` (reads, and the idempotent registry calls); for other writes it raises
:class:`~artemis_client.errors.TransportError` saying the outcome is unknown. When every server was tried:
``TransportError`` if none answered at all, ``UnavailableError`` if some answered "unavailable".
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import msgspec

from artemis_client.errors import (
    ArtemisError,
    InvalidArgumentError,
    InvalidResponseError,
    NoSuchPathError,
    NotFoundError,
    TransportError,
    UnavailableError,
    from_code,
)
from artemis_client.servers import DEFAULT_SERVER, parse_servers
from artemis_client.wire.envelope import answer_as

__all__ = ["DEFAULT_SERVER", "Answer", "Failover", "Failure", "Request", "decode", "parse_servers"]

T = TypeVar("T")

USER_AGENT = "artemis-client/0.1"


# -- request description ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Request(Generic[T]):
    """One call. ``T`` is what :func:`decode` returns for it.

    ``family``: the envelope (``A``, ``B``, ``C``, ``lookup`` for the C-like single-instance lookup, ``raw``
    for text such as ``/health``). ``pick`` takes one key of an A/B answer (None: the whole document).
    ``shape`` decodes the payload into a wire Struct (``many``: a list of them; a missing list is ``[]``);
    without it the payload is returned as parsed JSON. ``what`` names the addressed thing in messages.
    """

    method: str
    path: str
    family: str = "A"
    json: Any = None
    params: dict[str, Any] | None = None
    safe: bool = False
    pick: str | None = None
    shape: type[Any] | None = None
    many: bool = False
    partial_ok: bool = False
    what: str = ""
    auth_hint: str | None = None


def q(value: str) -> str:
    """Percent-encode one path segment."""
    return quote(str(value), safe="")


def need(value: str | None, name: str) -> str:
    """A required id, stripped; :class:`InvalidArgumentError` when empty (nothing is sent)."""
    if value is None or not str(value).strip():
        raise InvalidArgumentError(f"{name} must not be empty", field=name)
    return str(value).strip()


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# -- answers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What a server sent back: HTTP status and body."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Failure:
    """No answer. ``sent``: the request may have left this process (read timeout, reset), so a write may
    have been applied; False when the connection was never established."""

    message: str
    sent: bool


class Retry(Exception):  # noqa: N818 - internal signal, not an error
    """This server cannot serve the call now. ``applied_unknown`` is False for "service unavailable"
    answers (the node did nothing, so even a write may go to the next node); gateway answers (502/504) leave
    the outcome unknown, so only safe calls move on."""

    def __init__(self, message: str, *, applied_unknown: bool) -> None:
        super().__init__(message)
        self.message = message
        self.applied_unknown = applied_unknown


def _json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


def _text(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _message_of(doc: Any) -> str:
    if not isinstance(doc, dict):
        return ""
    rs = doc.get("responseStatus")
    if isinstance(rs, dict):
        return _text(rs.get("errorMessage")) or _text(rs.get("message"))
    return _text(doc.get("message"))


def _shape(req: Request[Any], value: Any) -> Any:
    if req.shape is None:
        return value
    if req.many:
        if value is None:
            return []
        if not isinstance(value, list):
            raise InvalidResponseError(f"unexpected answer to {req.method} {req.path}: not a list")
        return [answer_as(v, req.shape) for v in value]
    if value is None:
        return None
    return answer_as(value, req.shape)


def decode(req: Request[T], answer: Answer, server: str) -> T:
    """Turn one answer into the call's typed result, or raise the error it carries (or :class:`Retry`)."""
    status = answer.status
    where = f"{req.method} {req.path}"
    if req.family == "raw":
        if status in (502, 503, 504):
            raise Retry(f"{server} answered HTTP {status} to {where}", applied_unknown=status != 503)
        if status >= 400:
            raise _http_error(req, status, _json(answer.body), server, where)
        return answer.body.decode("utf-8", "replace")  # type: ignore[return-value]
    doc = _json(answer.body)
    if status in (502, 503, 504):
        text = _message_of(doc)
        raise Retry(
            f"{server} answered HTTP {status} to {where}" + (f": {text}" if text else ""),
            applied_unknown=status != 503,
        )
    if not isinstance(doc, dict):
        if status == 404:
            raise NoSuchPathError(f"{server} does not serve {where} (HTTP 404)")
        if status >= 400:
            raise from_code(None, f"{server} answered HTTP {status} to {where}", status)
        raise InvalidResponseError(f"{server} sent a non-JSON answer to {where}")
    if req.family in ("A", "B"):
        rs = doc.get("responseStatus") or doc.get("status")
        if isinstance(rs, dict):
            st = str(rs.get("status", "")).lower()
            code = _text(rs.get("errorCode"))
            msg = _text(rs.get("errorMessage")) or _text(rs.get("message")) or code or "request failed"
            if st == "success" or (st == "partial_fail" and req.partial_ok):
                if status >= 400:
                    raise _http_error(req, status, doc, server, where)
                return _finish(req, doc)
            if code == "service-unavailable":
                raise Retry(f"{server}: {msg}", applied_unknown=False)
            raise from_code(code, msg, status)
        if status >= 400:
            raise _http_error(req, status, doc, server, where)
        return _finish(req, doc)
    # family C (and the C-like single lookup)
    if doc.get("success") is True and status < 400:
        return _shape(req, doc.get("instance") if req.family == "lookup" else doc.get("data"))
    raise _http_error(req, status, doc, server, where)


def _finish(req: Request[T], doc: dict[str, Any]) -> T:
    return _shape(req, doc.get(req.pick) if req.pick else doc)


def _http_error(req: Request[Any], status: int, doc: Any, server: str, where: str) -> ArtemisError:
    """The error of a failed answer, as its class, with a message that says what to do about it."""
    msg = ""
    code: str | None = None
    field_name: str | None = None
    details: Any = None
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict):
            code = _text(err.get("code")) or None
            field_name = err.get("field") if isinstance(err.get("field"), str) else None
            details = err.get("details")
        msg = _text(doc.get("message")) or (_text(err.get("message")) if isinstance(err, dict) else "")
        rs = doc.get("responseStatus")
        if not msg and isinstance(rs, dict):
            msg = _text(rs.get("errorMessage")) or _text(rs.get("message"))
            code = _text(rs.get("errorCode")) or None
    if status == 404:
        unknown_path = code == "no-such-path"  # this server's JSON 404 for a path it does not serve (T6)
        if unknown_path or (isinstance(doc, dict) and "success" not in doc and "responseStatus" not in doc):
            return NoSuchPathError(
                f"{server} does not serve {where} (HTTP 404; a server without this feature?)"
            )
        return NotFoundError(msg or f"{req.what or where}: not found", field=field_name, details=details)
    if status in (401, 403):
        hint = f" ({req.auth_hint})" if status == 401 and req.auth_hint else ""
        text = f"not authorized: {msg or f'HTTP {status}'}{hint}"
    elif status == 405:
        text = f"{server} does not allow {where} (HTTP 405)"
    elif status == 429:
        text = f"rate limited by {server}: {msg or 'too many requests'}"
    elif status >= 500:
        text = f"server error from {server}: {msg or f'HTTP {status}'}"
    else:
        text = msg or f"{server} refused {where} (HTTP {status})"
    return from_code(code, text, status, field=field_name, details=details)


# -- the failover policy ---------------------------------------------------------------------------------

Hook = Callable[[str], None]


class Failover:
    """Which server to ask next, remembered across calls. ``attempts(req)`` is the policy of one call."""

    def __init__(self, servers: Sequence[str], *, log: Hook | None = None, before_send: Hook | None = None):
        self.servers = list(servers)
        self.preferred = 0
        self.last_server: str | None = None
        self._log = log
        self._before_send = before_send

    def order(self) -> list[int]:
        n = len(self.servers)
        return [(self.preferred + i) % n for i in range(n)]

    def attempts(self, req: Request[T]) -> Generator[str, Answer | Failure, T]:
        """Yields the next server to send ``req`` to; the runner sends back the :class:`Answer` or the
        :class:`Failure`. Returns the decoded result, or raises: a server that was not reached is skipped;
        one that may have received a write is not, unless the request is safe to repeat; a node that
        answered with a retryable failure is skipped the same way."""
        errors: list[str] = []
        answered = False
        for idx in self.order():
            server = self.servers[idx]
            if self._log:
                self._log(f"{req.method} {server}{req.path}")
            if self._before_send:
                self._before_send(server)
            got = yield server
            if isinstance(got, Failure):
                errors.append(f"{server}: {got.message}")
                if not got.sent or req.safe:
                    continue
                raise TransportError(
                    f"no answer to {req.method} {req.path}; it may or may not have been applied "
                    f"({'; '.join(errors)})"
                )
            try:
                result = decode(req, got, server)
            except Retry as r:
                errors.append(r.message)
                answered = True
                if req.safe or not r.applied_unknown:
                    continue
                raise UnavailableError(r.message) from None
            self.preferred = idx
            self.last_server = server
            return result
        detail = "; ".join(errors)
        if answered:  # some node answered (e.g. 503 database down): reachable, but none could serve it
            raise UnavailableError(f"no server could serve {req.method} {req.path}: {detail}")
        raise TransportError(f"cannot reach any server ({len(self.servers)} tried): {detail}")


@dataclass(slots=True)
class Auth:
    """The bearer token a client sends, and what to tell the user when a call is refused with HTTP 401:
    ``hint(token)`` gives the advice for the token in use (None: no token); without it, none is added."""

    token: str | None = None
    hint: Callable[[str | None], str] | None = None

    def advice(self) -> str:
        return self.hint(self.token) if self.hint is not None else ""

    def headers(self, user_agent: str = USER_AGENT) -> dict[str, str]:
        h = {"User-Agent": user_agent, "Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h
