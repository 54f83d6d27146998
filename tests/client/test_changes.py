"""The change stream's sans-I/O core without sockets: URLs, subscriptions and their acknowledgements,
frames to typed events, reconnect timing."""

from __future__ import annotations

import msgspec

from artemis_client.changes import (
    ALL_CHANGES_PATH,
    Backoff,
    ChangeStream,
    Connected,
    Disconnected,
    ServerNotice,
    epoch_ms,
    ws_url,
)
from artemis_client.wire.registry import Instance, InstanceChange


def frame(**doc: object) -> bytes:
    return msgspec.json.encode(doc)


def test_urls_follow_the_server_scheme_and_the_stream_kind() -> None:
    """http -> ws, https -> wss; services given: /ws, none: the Java all-instance channel."""
    assert ws_url("https://n:8443", "/ws") == "wss://n:8443/ws"
    assert ChangeStream(["http://a:1"], ["s"]).url("http://a:1") == "ws://a:1/ws"
    assert ChangeStream(["http://a:1"]).url("http://a:1") == "ws://a:1" + ALL_CHANGES_PATH


def test_subscriptions_are_sent_again_and_ready_once_acknowledged() -> None:
    """Each (re)connection subscribes to every followed service; the stream is ready when the server
    acknowledged each (service ids compared case-insensitively)."""
    cs = ChangeStream(["http://a:1"], ["Orders", "pay"])
    frames = [msgspec.json.decode(f) for f in cs.opening_frames()]
    assert frames == [{"type": "subscribe", "serviceId": "Orders"}, {"type": "subscribe", "serviceId": "pay"}]
    assert not cs.ready
    assert cs.receive(frame(type="subscribed", serviceId="orders", service_id="orders")) == []
    assert not cs.ready
    cs.receive(frame(type="subscribed", serviceId="pay", service_id="pay"))
    assert cs.ready
    assert len(cs.opening_frames()) == 2  # after a reconnection: again, and not ready until acknowledged
    assert not cs.ready
    cs.unsubscribe("orders")
    assert [msgspec.json.decode(f)["serviceId"] for f in cs.opening_frames()] == ["pay"]


def test_service_change_frames_become_typed_changes_in_ms() -> None:
    """A /ws push gives one InstanceChange per change, oldest first, changeTime in epoch ms, the service id
    filled in when the instance lacks it."""
    cs = ChangeStream(["http://a:1"], ["s"])
    events = cs.receive(
        frame(
            type="service_change",
            serviceId="s",
            service_id="s",
            changes=[
                {
                    "instance": {"instanceId": "i1"},
                    "changeType": "new",
                    "changeTime": "2026-12-04T15:00:00.123Z",
                },
                {
                    "instance": {"serviceId": "s", "instanceId": "i2"},
                    "changeType": "delete",
                    "changeTime": "bad",
                },
                {
                    "instance": {"serviceId": "s", "instanceId": "i3"},
                    "changeType": "change",
                    "changeTime": "2026-12-04T15:00:01Z",
                },
            ],
        )
    )
    assert events == [
        InstanceChange(Instance("s", "i1"), "new", epoch_ms("2026-12-04T15:00:00.123Z")),
        InstanceChange(Instance("s", "i3"), "change", epoch_ms("2026-12-04T15:00:01Z")),
    ]
    assert epoch_ms("1970-01-01T00:00:01.500Z") == 1500


def test_error_frames_are_notices_and_unknown_frames_are_dropped() -> None:
    """An error frame is a ServerNotice (the session stays open); frames of unknown kinds, non-JSON and
    pongs give no event."""
    cs = ChangeStream(["http://a:1"], ["s"])
    assert cs.receive(frame(type="error", message="unknown frame type")) == [
        ServerNotice("unknown frame type")
    ]
    assert cs.receive(b"not json") == []
    assert cs.receive(frame(type="pong")) == []
    assert cs.receive(frame(type="something_new", x=1)) == []


def test_the_java_channel_gives_bare_changes() -> None:
    """Without services, every frame is a bare InstanceChange with changeTime already in ms."""
    cs = ChangeStream(["http://a:1"])
    assert cs.ready
    assert cs.opening_frames() == []
    got = cs.receive(frame(instance={"serviceId": "s", "instanceId": "i"}, changeType="new", changeTime=5))
    assert got == [InstanceChange(Instance("s", "i"), "new", 5)]
    assert cs.receive(frame(type="service_change")) == []


def test_reconnect_timing_and_server_order() -> None:
    """Back-off doubles up to its cap and restarts after a connection; the server that served last is
    tried first."""
    b = Backoff(0.5, 4.0)
    assert [b.next() for _ in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    cs = ChangeStream(["http://a", "http://b", "http://c"], ["s"])
    down = cs.disconnected(["http://a: refused", "http://b: refused"])
    assert down == Disconnected("http://a: refused; http://b: refused", 0.5)
    assert cs.disconnected([]).retry_in == 1.0
    assert cs.connected("http://b") == Connected("http://b")
    assert cs.order() == ["http://b", "http://c", "http://a"]
    assert cs.disconnected([]).retry_in == 0.5
