"""WebSocket change stream for `artemis instance watch` (api.md 2.13).

With service ids: ``/ws``, one ``{"type":"subscribe","serviceId":..}`` per id, pushes arrive as
``service_change`` messages. Without ids: ``/ws/discovery/all-instance-change`` (every change of every
service, bare InstanceChange frames). Connection failover across the configured servers; a dropped stream
reconnects (announced on stderr) until Ctrl-C.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from artemis_cli.errors import Unreachable


def ws_url(server: str, path: str) -> str:
    if server.startswith("https://"):
        return "wss://" + server[len("https://") :] + path
    if server.startswith("http://"):
        return "ws://" + server[len("http://") :] + path
    return server + path


def _parse(raw: Any) -> dict[str, Any] | None:
    try:
        msg = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return msg if isinstance(msg, dict) else None


class Watcher:
    def __init__(
        self,
        servers: list[str],
        service_ids: list[str],
        *,
        timeout: float,
        message: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> None:
        self.servers = servers
        self.service_ids = service_ids
        self.timeout = timeout
        self.message = message
        self.warn = warn
        self.ws: Any = None
        self.pending: list[dict[str, Any]] = []

    @property
    def path(self) -> str:
        return "/ws" if self.service_ids else "/ws/discovery/all-instance-change"

    def _connect(self) -> Any:
        from websockets.sync.client import connect

        errors = []
        for server in self.servers:
            url = ws_url(server, self.path)
            try:
                ws = connect(url, open_timeout=self.timeout, close_timeout=1)
            except Exception as exc:
                errors.append(f"{url}: {exc or type(exc).__name__}")
                continue
            try:
                self._subscribe(ws)
            except Exception as exc:
                errors.append(f"{url}: {exc or type(exc).__name__}")
                self.close_ws(ws)
                continue
            self.message(f"watching {', '.join(self.service_ids) or 'every service'} on {server}")
            return ws
        raise Unreachable(f"cannot open a change stream on any server: {'; '.join(errors)}")

    def _subscribe(self, ws: Any) -> None:
        """Send one subscribe per service and wait for every ``subscribed`` ack, so that no change made after
        "watching ..." is printed can be missed. Pushes that arrive meanwhile are kept for :meth:`changes`."""
        want = {sid.lower() for sid in self.service_ids}
        for sid in self.service_ids:
            ws.send(json.dumps({"type": "subscribe", "serviceId": sid}))
        deadline = time.monotonic() + self.timeout
        while want:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no subscription acknowledgement")
            raw = ws.recv(timeout=left)
            msg = _parse(raw)
            if msg is None:
                continue
            if msg.get("type") == "subscribed":
                want.discard(str(msg.get("serviceId") or msg.get("service_id") or "").lower())
            else:
                self.pending.append(msg)

    @staticmethod
    def close_ws(ws: Any) -> None:
        try:
            ws.close()
        except Exception:
            pass

    def _decode(self, msg: dict[str, Any]) -> Iterator[dict[str, Any]]:
        from artemis_cli.commands.instance import normalize_change

        kind = msg.get("type")
        if kind is None and "changeType" in msg:
            yield normalize_change(msg)
        elif kind == "service_change":
            sid = msg.get("serviceId") or msg.get("service_id")
            for ch in msg.get("changes") or []:
                if isinstance(ch, dict):
                    yield normalize_change(ch, sid)
        elif kind == "error":
            self.warn(f"server: {msg.get('message')}")

    def changes(self) -> Iterator[dict[str, Any]]:
        from websockets.exceptions import ConnectionClosed

        self.ws = self._connect()
        while True:
            while self.pending:
                yield from self._decode(self.pending.pop(0))
            try:
                raw = self.ws.recv()
            except ConnectionClosed:
                self.warn("change stream closed by the server; reconnecting")
                self.ws = self._reconnect()
                continue
            msg = _parse(raw)
            if msg is not None:
                yield from self._decode(msg)

    def _reconnect(self) -> Any:
        delay = 0.5
        while True:
            try:
                return self._connect()
            except Unreachable as exc:
                self.warn(f"{exc}; retrying in {delay:g}s")
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
