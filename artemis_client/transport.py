"""The two runners of the sans-I/O core (:mod:`artemis_client._core`) over httpx, and typed endpoints.

:class:`SyncTransport` and :class:`AsyncTransport` each drive :meth:`Failover.attempts` in a dozen lines:
send the request to the server the policy names, hand back the answer or the transport failure, repeat. An
endpoint is written once, as a function that builds a :class:`~artemis_client._core.Request` (``Request[T]``);
:func:`endpoint` makes it a method of both: ``T`` on a sync client, ``Awaitable[T]`` on an async one::

    def node_status() -> Request[ServiceNodeStatus | None]: ...

    class Api:
        node_status = endpoint(node_status)

    class Client(SyncTransport, Api): ...       # Client(...).node_status() -> ServiceNodeStatus | None
    class AsyncClient(AsyncTransport, Api): ... # await AsyncClient(...).node_status()
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, ParamSpec, Self, TypeVar, overload

import httpx

from artemis_client._core import (
    USER_AGENT,
    Answer,
    Auth,
    Failover,
    Failure,
    Hook,
    Request,
    parse_servers,
)
from artemis_client.errors import InvalidArgumentError
from artemis_client.wire.codec import encode

T = TypeVar("T")
P = ParamSpec("P")
_JSON = {"Content-Type": "application/json"}

# Transport errors before anything was sent: the next server may be tried even for a write. Every other
# httpx.TransportError (read/write timeouts and errors, protocol errors) may come after the request left.
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def failure(exc: httpx.TransportError) -> Failure:
    """What the failover policy needs to know about a transport error."""
    text = "timed out" if isinstance(exc, httpx.TimeoutException) else (str(exc) or type(exc).__name__)
    return Failure(text, sent=not isinstance(exc, _CONNECT_ERRORS))


class _Transport:
    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        servers: str | Sequence[str] | None = None,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        log: Hook | None = None,
        before_send: Hook | None = None,
        auth_hint: Callable[[str | None], str] | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        if timeout <= 0:
            raise InvalidArgumentError("--timeout: must be more than 0 seconds", field="timeout")
        self.failover = Failover(parse_servers(servers), log=log, before_send=before_send)
        self.auth = Auth(token, auth_hint)
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self.user_agent = user_agent

    @property
    def servers(self) -> list[str]:
        return self.failover.servers

    @property
    def token(self) -> str | None:
        return self.auth.token

    @property
    def last_server(self) -> str | None:
        """The server that answered the last successful call."""
        return self.failover.last_server

    @property
    def preferred(self) -> int:
        return self.failover.preferred

    def set_token(self, token: str | None) -> None:
        """Send ``token`` from now on (None: no token), e.g. after a login."""
        self.auth.token = token
        self._http.headers.clear()
        self._http.headers.update(self.auth.headers(self.user_agent))

    def _prepare(self, req: Request[Any]) -> Request[Any]:
        if req.auth_hint is None:
            req.auth_hint = self.auth.advice()
        return req


def send_args(req: Request[Any], server: str) -> dict[str, Any]:
    """The httpx ``request()`` arguments of ``req`` sent to ``server`` (the SDK's runners use it too)."""
    args: dict[str, Any] = {"method": req.method, "url": server + req.path, "params": req.params}
    if req.json is not None and req.method != "GET":
        args["content"] = encode(req.json)
        args["headers"] = _JSON
    return args


class SyncTransport(_Transport):
    """Blocking runner; use as a context manager or call :meth:`close`."""

    _http: httpx.Client

    def __init__(self, servers: str | Sequence[str] | None = None, **kw: Any) -> None:
        super().__init__(servers, **kw)
        self._http = httpx.Client(
            timeout=self.timeout, headers=self.auth.headers(self.user_agent), follow_redirects=False
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, req: Request[T]) -> T:
        attempts = self.failover.attempts(self._prepare(req))
        try:
            server = next(attempts)
            while True:
                try:
                    resp = self._http.request(**send_args(req, server))
                except httpx.TransportError as exc:
                    server = attempts.send(failure(exc))
                else:
                    server = attempts.send(Answer(resp.status_code, resp.content))
        except StopIteration as done:
            return done.value


class AsyncTransport(_Transport):
    """asyncio runner of the same policy."""

    _http: httpx.AsyncClient

    def __init__(self, servers: str | Sequence[str] | None = None, **kw: Any) -> None:
        super().__init__(servers, **kw)
        self._http = httpx.AsyncClient(
            timeout=self.timeout, headers=self.auth.headers(self.user_agent), follow_redirects=False
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, req: Request[T]) -> T:
        attempts = self.failover.attempts(self._prepare(req))
        try:
            server = next(attempts)
            while True:
                try:
                    resp = await self._http.request(**send_args(req, server))
                except httpx.TransportError as exc:
                    server = attempts.send(failure(exc))
                else:
                    server = attempts.send(Answer(resp.status_code, resp.content))
        except StopIteration as done:
            return done.value


class endpoint(Generic[P, T]):  # noqa: N801 - used as a decorator, like property
    """A request builder as a method of both runners: ``T`` on :class:`SyncTransport`, an awaitable of
    ``T`` on :class:`AsyncTransport`."""

    def __init__(self, build: Callable[P, Request[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, obj: None, owner: type) -> endpoint[P, T]: ...
    @overload
    def __get__(self, obj: SyncTransport, owner: type) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: AsyncTransport, owner: type) -> Callable[P, Awaitable[T]]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> Callable[P, Any]: ...
    def __get__(self, obj: object, owner: type) -> Any:
        if obj is None:
            return self
        build = self.build
        call = obj.call  # type: ignore[attr-defined]

        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            return call(build(*args, **kwargs))

        method.__name__ = getattr(build, "__name__", "endpoint")
        method.__doc__ = build.__doc__
        return method
