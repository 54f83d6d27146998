"""WebSocket frames (api.md 2.13): the ``/ws`` protocol and the Java push channels.

``/ws`` frames carry ``type`` first (msgspec tagged unions, so a client decodes any server frame with
``msgspec.json.decode(text, type=ServerFrame)``); the subscription answers and the push frame repeat the
service id as ``service_id`` for the R SDK. The Java channels push a bare
:class:`~artemis_client.wire.registry.InstanceChange` (``changeTime`` in ms) and answer heartbeat frames with
a :class:`~artemis_client.wire.registry.HeartbeatResponse`.
"""

from __future__ import annotations

import msgspec

from artemis_client.wire.registry import Instance


class WsChange(msgspec.Struct, rename="camel"):
    """InstanceChange on ``/ws``: ``changeTime`` is an RFC 3339 UTC string (api.md 0.3)."""

    instance: Instance
    change_type: str
    change_time: str


class _Frame(msgspec.Struct, rename="camel", tag_field="type"):
    pass


# -- client -> server -----------------------------------------------------------------------------------


class Subscribe(_Frame, tag="subscribe"):
    """Follow the changes of one service (the server also accepts ``service_id``, N1)."""

    service_id: str


class Unsubscribe(_Frame, tag="unsubscribe"):
    """Stop following a service."""

    service_id: str


class Ping(_Frame, tag="ping"):
    """Is the session alive? Answered with :class:`Pong`."""


# -- server -> client -----------------------------------------------------------------------------------


class Pong(_Frame, tag="pong"):
    """The answer to :class:`Ping`."""


class Subscribed(_Frame, tag="subscribed"):
    """A subscription is in place."""

    service_id: str
    service_id_snake: str = msgspec.field(name="service_id")


class Unsubscribed(_Frame, tag="unsubscribed"):
    """A subscription was dropped."""

    service_id: str
    service_id_snake: str = msgspec.field(name="service_id")


class ErrorFrame(_Frame, tag="error"):
    """A frame the server could not take (not JSON, unknown type, a refused subscription); the session
    stays open."""

    message: str


class ServiceChange(_Frame, tag="service_change"):
    """Pushed changes of one subscribed service, oldest first."""

    service_id: str
    service_id_snake: str = msgspec.field(name="service_id")
    changes: list[WsChange]


ClientFrame = Subscribe | Unsubscribe | Ping
ServerFrame = Pong | Subscribed | Unsubscribed | ErrorFrame | ServiceChange
