"""The one HTTP client a node uses to talk to its peers (replication, health, start-up sync, management).

Every outgoing replication request carries ``X-Artemis-Replication: true`` (S14.3) and, when
``cluster.peer_token`` is set, ``Authorization: Bearer <token>`` (api.md 2.4). Answers are classified once
here so the callers only decide what to do with an :class:`Outcome`.
"""

from __future__ import annotations

import enum
import logging
import ssl
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

log = logging.getLogger(__name__)

REPLICATION_HEADER = "X-Artemis-Replication"
NODE_URL_HEADER = "X-Artemis-Node-Url"  # who is calling, so the peer can mark us up at once

_decoder = msgspec.json.Decoder()


class Outcome(enum.Enum):
    OK = "ok"
    NOT_FOUND = "not-found"  # HTTP 404: a Java peer without the batch paths (S14.4)
    RETRY = "retry"  # timeout, connection error, HTTP 429, HTTP 503 (S14.5)
    FAIL = "fail"  # anything else: logged and dropped


@dataclass(slots=True)
class Result:
    outcome: Outcome
    status: int | None = None
    body: Any = None
    error: str = ""


def classify(status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome.OK
    if status == 404:
        return Outcome.NOT_FOUND
    if status in (429, 503):
        return Outcome.RETRY
    return Outcome.FAIL


def tls_context(ca_file: str = "", verify: bool = True) -> ssl.SSLContext | bool:
    """How https:// peers are verified: the system store, a private CA bundle (``cluster.ca_file``), or not
    at all (``cluster.tls_verify = false``, test benches only). Raises OSError / SSLError for a bad file."""
    if not verify:
        return False
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return True


class PeerClient:
    def __init__(
        self,
        *,
        timeout: float,
        token: str | None,
        node_url: str = "",
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        headers = {REPLICATION_HEADER: "true", "Content-Type": "application/json"}
        if node_url:
            headers[NODE_URL_HEADER] = node_url
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            timeout=timeout,
            headers=headers,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            trust_env=False,
            verify=verify,
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def post(
        self,
        base_url: str,
        path: str,
        payload: bytes,
        *,
        timeout: float | None = None,
        decode: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Result:
        """POST a JSON body; never raises for transport problems, they become a :class:`Result`. With
        ``decode=False`` a successful answer's body is the bytes as received (the caller decodes them into
        its own shape, e.g. the start-up sync's 200 MB answer straight into Structs). ``headers`` are sent
        besides the client's own (a trace's ``traceparent``)."""
        try:
            resp = await self._http.post(
                base_url + path,
                content=payload,
                headers=headers,
                timeout=timeout if timeout is not None else self.timeout,
            )
        except httpx.TimeoutException as exc:
            return Result(Outcome.RETRY, error=f"timeout: {exc!r}")
        except httpx.TransportError as exc:
            return Result(Outcome.RETRY, error=f"connection error: {exc!r}")
        outcome = classify(resp.status_code)
        body: Any = None
        if outcome is Outcome.OK and not decode:
            body = resp.content
        elif outcome is Outcome.OK:
            try:
                body = _decoder.decode(resp.content) if resp.content else {}
            except msgspec.DecodeError:
                return Result(Outcome.FAIL, resp.status_code, error="peer answered a body that is not JSON")
            if not isinstance(body, dict):
                return Result(
                    Outcome.FAIL, resp.status_code, error="peer answered JSON that is not an object"
                )
        return Result(
            outcome, resp.status_code, body, "" if outcome is Outcome.OK else f"HTTP {resp.status_code}"
        )

    async def healthy(self, base_url: str, timeout: float) -> bool:
        """GET /health: any 2xx in time means up (S14.6)."""
        try:
            resp = await self._http.get(base_url + "/health", timeout=timeout)
        except httpx.HTTPError:
            return False
        return 200 <= resp.status_code < 300

    async def get_json(self, base_url: str, path: str, timeout: float) -> Any:
        try:
            resp = await self._http.get(base_url + path, timeout=timeout)
            if resp.status_code != 200:
                return None
            return _decoder.decode(resp.content)
        except (httpx.HTTPError, msgspec.DecodeError):
            return None
