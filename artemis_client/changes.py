"""The change stream (api.md 2.13) without I/O: URLs, frames, subscriptions, events, reconnect timing.

:class:`ChangeStream` is what a change-stream client knows, whatever carries its bytes: which path to open
(``/ws`` with one ``subscribe`` frame per service, or ``/ws/discovery/all-instance-change`` for every
service), which server to try next, what to send after (re)connecting, and what a received frame means. It
turns every frame into typed events: :class:`~artemis_client.wire.registry.InstanceChange` (``changeTime``
in epoch milliseconds whichever channel carried it, ``instance.serviceId`` always set), and
:class:`ServerNotice` for an error frame (the session stays open). The runners of
:mod:`artemis_client.stream` add :class:`Connected` / :class:`Disconnected` around them.

Subscriptions are remembered: after a reconnection :meth:`ChangeStream.opening_frames` subscribes again to
every service followed, and the stream counts as *ready* once each is acknowledged, so that no change made
after the caller was told "connected" can be missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from artemis_client.wire.push import (
    ErrorFrame,
    ServerFrame,
    ServiceChange,
    Subscribe,
    Subscribed,
    Unsubscribe,
)
from artemis_client.wire.registry import InstanceChange

WS_PATH = "/ws"
ALL_CHANGES_PATH = "/ws/discovery/all-instance-change"

_server_frame = msgspec.json.Decoder(ServerFrame)
_bare_change = msgspec.json.Decoder(InstanceChange)
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Connected:
    """The stream is open on ``server`` and every subscription is acknowledged."""

    server: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The stream is down: ``reason`` (every server's error), next attempt in ``retry_in`` seconds."""

    reason: str
    retry_in: float


@dataclass(frozen=True, slots=True)
class ServerNotice:
    """The server could not take a frame (an error frame); the session stays open."""

    message: str


Event = InstanceChange | Connected | Disconnected | ServerNotice
"""What a change-stream runner yields."""


def ws_url(server: str, path: str) -> str:
    """``http(s)://host:port`` -> ``ws(s)://host:port`` + ``path``."""
    if server.startswith("https://"):
        return "wss://" + server[len("https://") :] + path
    if server.startswith("http://"):
        return "ws://" + server[len("http://") :] + path
    return server + path


def epoch_ms(rfc3339: str) -> int:
    """``2026-12-04T15:39:29.123Z`` -> epoch milliseconds (the /ws channel writes times as RFC 3339)."""
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass(slots=True)
class Backoff:
    """Exponential back-off between reconnection attempts: ``first``, doubled up to ``cap`` seconds."""

    first: float = 0.5
    cap: float = 10.0
    delay: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.delay = self.first

    def next(self) -> float:
        d = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return d

    def reset(self) -> None:
        self.delay = self.first


class ChangeStream:
    """One change stream's state, fed with received frames by a runner.

    ``service_ids`` empty: every change of every service (the Java channel, no subscriptions). Otherwise the
    ``/ws`` protocol with one subscription per service; :meth:`subscribe` / :meth:`unsubscribe` change the
    set while connected (they return the frame to send).
    """

    def __init__(self, servers: Sequence[str], service_ids: Sequence[str] = ()) -> None:
        if not servers:
            raise ValueError("no server to stream changes from")
        self.servers = list(servers)
        self.every_service = not service_ids
        self.subscriptions: dict[str, str] = {s.lower(): s for s in service_ids}
        self.unacknowledged: set[str] = set()
        self.preferred = 0
        self.backoff = Backoff()

    @property
    def path(self) -> str:
        return ALL_CHANGES_PATH if self.every_service else WS_PATH

    def order(self) -> list[str]:
        """The servers to try, starting with the one that served last."""
        n = len(self.servers)
        return [self.servers[(self.preferred + i) % n] for i in range(n)]

    def url(self, server: str) -> str:
        return ws_url(server, self.path)

    # -- lifecycle -------------------------------------------------------------------------------------
    def opening_frames(self) -> list[bytes]:
        """What to send right after a connection opened: a subscribe per followed service (again after a
        reconnection). The stream is :attr:`ready` once every one is acknowledged."""
        self.unacknowledged = set(self.subscriptions)
        return [_encoder.encode(Subscribe(sid)) for sid in self.subscriptions.values()]

    @property
    def ready(self) -> bool:
        return not self.unacknowledged

    def connected(self, server: str) -> Connected:
        """The runner opened ``server`` and it is ready: it is tried first next time."""
        self.preferred = self.servers.index(server)
        self.backoff.reset()
        return Connected(server)

    def disconnected(self, errors: Sequence[str]) -> Disconnected:
        """Every server failed (or the one in use dropped): when to try again."""
        return Disconnected("; ".join(errors) or "stream closed", self.backoff.next())

    def subscribe(self, service_id: str) -> bytes:
        self.subscriptions[service_id.lower()] = service_id
        self.unacknowledged.add(service_id.lower())
        return _encoder.encode(Subscribe(service_id))

    def unsubscribe(self, service_id: str) -> bytes:
        self.subscriptions.pop(service_id.lower(), None)
        self.unacknowledged.discard(service_id.lower())
        return _encoder.encode(Unsubscribe(service_id))

    # -- frames ----------------------------------------------------------------------------------------
    def receive(self, data: str | bytes) -> list[InstanceChange | ServerNotice]:
        """The events of one received frame; frames that are not JSON or not a known shape are dropped
        (a newer server may send more kinds)."""
        if self.every_service:
            return self._bare(data)
        try:
            frame = _server_frame.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return self._bare(data)
        if isinstance(frame, ServiceChange):
            out: list[InstanceChange | ServerNotice] = []
            for ch in frame.changes:
                try:
                    when = epoch_ms(ch.change_time)
                except ValueError:
                    continue
                out.append(
                    self._complete(InstanceChange(ch.instance, ch.change_type, when), frame.service_id)
                )
            return out
        if isinstance(frame, Subscribed):
            self.unacknowledged.discard(frame.service_id.lower())
        elif isinstance(frame, ErrorFrame):
            return [ServerNotice(frame.message)]
        return []

    def _bare(self, data: str | bytes) -> list[InstanceChange | ServerNotice]:
        """A bare change: the Java channel's frame (also taken on ``/ws``, where older servers sent it)."""
        try:
            return [self._complete(_bare_change.decode(data), None)]
        except (msgspec.DecodeError, UnicodeDecodeError):
            return []

    @staticmethod
    def _complete(change: InstanceChange, service_id: str | None) -> InstanceChange:
        if change.instance.service_id or not service_id:
            return change
        inst = msgspec.structs.replace(change.instance, service_id=service_id)
        return InstanceChange(inst, change.change_type, change.change_time)
