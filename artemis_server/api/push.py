"""WebSocket push (S13, api.md 2.13): ``/ws``, ``/ws/registry/heartbeat``, ``/ws/discovery/instance-change``,
``/ws/discovery/all-instance-change`` (and the same under every ``server.context_aliases`` prefix).

The :class:`PushHub` listens on the node's ChangeBus, so local writes, replicated writes, lease expiry and
management changes (pull-out/pull-in ``delete``/``new``, routing/canary ``reload``) all reach subscribers.
Publishing never waits for a client: each session has a bounded buffer (``websocket.queue_size`` frames)
drained by its own sender task. A session whose buffer overflows is dropped from the hub at once and closed
with code 1008 and a reason text, so one slow or dead subscriber never slows registration or other sessions.

The fan-out (issue 20): each distinct frame of a publish is encoded once, as text and as a ready-made
WebSocket frame (artemis_server/wsframes.py). One writer task per hub takes the publishes in order and, in
slices of ``FANOUT_SLICE`` sessions with the loop serving other work in between, writes the ready frame
straight to every session whose buffer is empty; a session with frames still queued, or whose connection
cannot take the write (paused, closing, compressed), gets the frames in its buffer as before. Frames of one
session therefore stay in publish order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import WebSocket, websocket
from prometheus_client import Counter

from artemis_client.errors import ArtemisError
from artemis_client.wire import codec
from artemis_client.wire.ids import MAX_ID_CHARS
from artemis_client.wire.push import ErrorFrame, Pong, ServiceChange, Subscribed, Unsubscribed, WsChange
from artemis_client.wire.registry import InstanceChange, KeysRequest
from artemis_server import edge
from artemis_server.api import registry
from artemis_server.api.endpoints import Call, Endpoint, dispatch
from artemis_server.wsframes import ReadyWriter, ready_writer, text_frame

if TYPE_CHECKING:
    from artemis_server.node import Node

log = logging.getLogger(__name__)

OVERFLOW_CODE = 1008
CLOSE_TIMEOUT_SECS = 60.0
FANOUT_SLICE = 128  # sessions written to before the fan-out lets the loop serve other work

WS = "/ws"
HEARTBEAT = "/ws/registry/heartbeat"
INSTANCE_CHANGE = "/ws/discovery/instance-change"
ALL_INSTANCE_CHANGE = "/ws/discovery/all-instance-change"


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(obj: Any) -> str:
    return codec.encode(obj).decode()


class Frame:
    """One frame of a fan-out, encoded once: the JSON payload, the ready WebSocket frame, the text."""

    __slots__ = ("_text", "payload", "wire")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.wire = text_frame(payload)
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.payload.decode()
        return self._text


def _frame(obj: Any) -> Frame:
    return Frame(codec.encode(obj))


class Session:
    """One push connection: what it listens to, and its bounded outgoing buffer."""

    def __init__(self, hub: PushHub, kind: str, channel: str, ready: ReadyWriter | None = None) -> None:
        self.hub = hub
        self.kind = kind  # ws | service | all | heartbeat
        self.channel = channel  # the ws_counts bucket: registry | discovery
        self.subs: set[str] = set()
        self.buf: deque[str] = deque()
        self.pending = 0
        self.wake = asyncio.Event()
        self.done = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self.ready = ready  # writes a ready frame straight to the connection (wsframes.PushProtocol)

    def deliver(self, frames: list[Frame]) -> int:
        """Fan-out frames: written at once while nothing is queued before them and the connection takes
        them, the rest queued behind (order kept). Returns how many were written."""
        if self.closing is not None or not frames:
            return 0
        written = 0
        ready = self.ready
        if ready is not None and not self.buf:
            for f in frames:
                if not ready(f.wire):
                    break
                written += 1
        if written < len(frames):
            self.offer([f.text for f in frames[written:]])
        return written

    def offer(self, frames: list[str]) -> None:
        """Queue frames; never blocks. A batch always fits an empty buffer (one publish is one batch)."""
        if self.closing is not None or not frames:
            return
        cap = self.hub.queue_size
        if self.pending and self.pending + len(frames) > cap:
            self.close(
                OVERFLOW_CODE, f"push queue overflow: more than {cap} messages pending (client too slow)"
            )
            self.hub.overflows.inc()
            return
        self.buf.extend(frames)
        self.pending += len(frames)
        self.wake.set()

    def close(self, code: int, reason: str) -> None:
        if self.closing is not None:
            return
        self.closing = (code, reason)
        self.buf.clear()
        self.pending = 0
        self.hub.remove(self)
        self.done.set()

    async def pump(self, socket: WebSocket[Any, Any, Any]) -> None:
        sent = self.hub.node.metrics.ws_messages
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.buf and self.closing is None:
                await socket.send_text(self.buf[0])
                if self.closing is not None:
                    return
                self.buf.popleft()
                self.pending -= 1
                sent.inc()
            if self.closing is not None:
                return


class PushHub:
    """Fan-out of ChangeBus events to the push sessions of one node."""

    def __init__(self, node: Node) -> None:
        ws = node.settings.websocket
        self.node = node
        self.queue_size = ws.queue_size
        self.max_sessions = ws.max_sessions
        self.ttl = ws.session_ttl_secs
        self.max_subs = node.settings.push.max_subscriptions_per_session
        self.sessions: set[Session] = set()
        # publishes waiting for the writer task: (events, the sessions there were when they came)
        self._jobs: deque[tuple[list[InstanceChange], list[Session]]] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._queued = 0  # publishes handed to the writer so far
        self._written = 0  # ... and fanned out
        self._flush_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.overflows = Counter(
            "artemis_ws_overflow_closes",
            "Push sessions closed because their buffer overflowed",
            registry=node.metrics.registry,
        )
        node.bus.subscribe(self.publish)

    def add(self, session: Session) -> bool:
        if len(self.sessions) >= self.max_sessions:
            return False
        self.sessions.add(session)
        counts = self.node.ws_counts
        counts[session.channel] = counts.get(session.channel, 0) + 1
        return True

    def remove(self, session: Session) -> None:
        if session in self.sessions:
            self.sessions.discard(session)
            counts = self.node.ws_counts
            counts[session.channel] = max(0, counts.get(session.channel, 0) - 1)

    def publish(self, events: list[InstanceChange]) -> None:
        """Hand the events to the writer task (never waits): the sessions listening now get them, in the
        order of the publishes."""
        if not self.sessions or not events:
            return
        listeners = [s for s in self.sessions if s.kind != "heartbeat"]
        if not listeners:
            return
        self._jobs.append((events, listeners))
        self._queued += 1
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_jobs(), name="push-fan-out")

    async def flushed(self, timeout: float) -> None:
        """Wait, at most ``timeout`` seconds, until the publishes made so far (not later ones) are written or
        queued in the sessions' buffers: work that can wait, such as a peer's copy of a management change,
        then does not compete with that fan-out for the event loop's thread."""
        target = self._queued
        if self._written >= target:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flush_waiters.append((target, fut))
        try:
            await asyncio.wait({fut}, timeout=timeout)
        finally:
            if not fut.done():
                fut.cancel()
                self._flush_waiters = [w for w in self._flush_waiters if w[1] is not fut]

    async def _write_jobs(self) -> None:
        while self._jobs:
            events, listeners = self._jobs.popleft()
            try:
                await self._fan_out(events, listeners)
            except Exception:  # never let one bad publish stop push for good
                log.exception("push fan-out failed")
            self._written += 1
            if self._flush_waiters:
                waiting = []
                for target, fut in self._flush_waiters:
                    if target <= self._written:
                        if not fut.done():
                            fut.set_result(None)
                    else:
                        waiting.append((target, fut))
                self._flush_waiters = waiting

    async def _fan_out(self, events: list[InstanceChange], listeners: list[Session]) -> None:
        services = [ev.instance.service_id.casefold() for ev in events]
        # the usual publish is about one service: every listener of it gets the same list, built once
        one = services[0] if services.count(services[0]) == len(services) else None
        j_frames: list[Frame] | None = None
        ws_frames: dict[str, Frame] | None = None
        ws_one: list[Frame] | None = None
        written = 0
        t0 = time.perf_counter()
        for k, s in enumerate(listeners):
            if k and k % FANOUT_SLICE == 0:
                await asyncio.sleep(0)  # a slice done: let the loop serve requests and other pushes
            if s.closing is not None:
                continue
            kind = s.kind
            if kind == "ws":
                if not s.subs or (one is not None and one not in s.subs):
                    continue
                if ws_frames is None:
                    ws_frames = self._ws_frames(events, services)
                    ws_one = list(ws_frames.values()) if one is not None else None
                if ws_one is not None:
                    ready = s.ready  # the common case, inlined: one frame, nothing queued, written at once
                    if ready is not None and not s.buf and ready(ws_one[0].wire):
                        written += 1
                    else:
                        written += s.deliver(ws_one)
                else:
                    written += s.deliver([f for svc, f in ws_frames.items() if svc in s.subs])
            elif kind == "all" or (kind == "service" and s.subs):
                if one is not None and kind == "service" and one not in s.subs:
                    continue
                if j_frames is None:
                    j_frames = [_frame(ev) for ev in events]
                if kind == "all" or one is not None:
                    written += s.deliver(j_frames)
                else:
                    written += s.deliver(
                        [f for f, svc in zip(j_frames, services, strict=True) if svc in s.subs]
                    )
        if written:
            self.node.metrics.ws_messages.inc(written)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "push fan-out of %d event(s) to %d session(s): %d frame(s) written at once in %.1f ms",
                len(events), len(listeners), written, 1000 * (time.perf_counter() - t0),
            )  # fmt: skip

    @staticmethod
    def _ws_frames(events: list[InstanceChange], services: list[str]) -> dict[str, Frame]:
        grouped: dict[str, list[InstanceChange]] = {}
        for ev, svc in zip(events, services, strict=True):
            grouped.setdefault(svc, []).append(ev)
        out: dict[str, Frame] = {}
        for svc, evs in grouped.items():
            sid = evs[-1].instance.service_id
            changes = [WsChange(e.instance, e.change_type, rfc3339(e.change_time)) for e in evs]
            out[svc] = _frame(ServiceChange(sid, sid, changes))
        return out


# -- per-path frame handlers -------------------------------------------------------------------------


def _service_id(doc: dict[str, Any]) -> str | None:
    found: str | None = None
    for k, v in doc.items():
        if isinstance(k, str) and codec.normkey(k) == "serviceid" and isinstance(v, str) and v.strip():
            if k == "serviceId":
                return v.strip()
            found = found or v.strip()
    return found


def subscribe_refusal(session: Session, sid: str) -> str | None:
    """Why ``sid`` may not be added to the session's subscriptions (api.md T11), or None."""
    if len(sid) > MAX_ID_CHARS:
        return f"serviceId is longer than {MAX_ID_CHARS} characters"
    if sid.lower() not in session.subs and len(session.subs) >= session.hub.max_subs:
        return f"too many subscriptions: at most {session.hub.max_subs} per session"
    return None


def on_ws_frame(session: Session, text: str) -> None:
    """``/ws`` control messages: subscribe, unsubscribe, ping (api.md 2.13)."""
    try:
        doc = msgspec.json.decode(text)
    except msgspec.DecodeError:
        session.offer([_text(ErrorFrame("message is not valid JSON"))])
        return
    if not isinstance(doc, dict):
        session.offer([_text(ErrorFrame("message must be a JSON object"))])
        return
    kind = doc.get("type")
    kind = codec.normkey(kind) if isinstance(kind, str) else ""
    if kind == "ping":
        session.offer([_text(Pong())])
        return
    if kind in ("subscribe", "unsubscribe"):
        sid = _service_id(doc)
        if sid is None:
            session.offer([_text(ErrorFrame(f"{kind} needs serviceId"))])
            return
        if kind == "subscribe":
            refused = subscribe_refusal(session, sid)
            if refused is not None:  # the session stays open; the id is never echoed (it may be huge)
                session.offer([_text(ErrorFrame(refused))])
                return
            session.subs.add(sid.casefold())
        elif len(sid) > MAX_ID_CHARS:
            session.offer([_text(ErrorFrame(f"serviceId is longer than {MAX_ID_CHARS} characters"))])
            return
        else:
            session.subs.discard(sid.casefold())
        session.offer([_text(Subscribed(sid, sid) if kind == "subscribe" else Unsubscribed(sid, sid))])
        return
    session.offer([_text(ErrorFrame("unknown message type; expected subscribe, unsubscribe, ping"))])


def on_discovery_frame(session: Session, text: str) -> None:
    """``/ws/discovery/instance-change``: each DiscoveryConfig frame subscribes to its service."""
    try:
        doc = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return
    if isinstance(doc, dict):
        sid = _service_id(doc)
        # Same limits as /ws (T11). The Java client reads only InstanceChange frames here, so a refused
        # subscription is dropped without an answer (and logged) rather than answered with a frame it
        # cannot parse.
        if sid is not None:
            refused = subscribe_refusal(session, sid)
            if refused is None:
                session.subs.add(sid.casefold())
            else:
                log.debug("ignored a subscription on %s: %s", INSTANCE_CHANGE, refused)


async def _ws_heartbeat(call: Call) -> Any:
    try:
        call.data = codec.decode(call.body, KeysRequest)
    except ArtemisError:
        return edge.OK_BYTES  # J: an unparsable frame gets a plain success
    return await registry.heartbeat(call)


# A heartbeat frame is a call of the registry's heartbeat handler (the one heartbeat path: request hooks,
# the registry service, errors rendered in family A), counted under its own route.
HEARTBEAT_ENDPOINT = Endpoint(
    methods=("WS",),
    paths=(HEARTBEAT,),
    family="A",
    handler=_ws_heartbeat,
    name="ws_heartbeat",
    metric=HEARTBEAT,
)


async def heartbeat_answer(node: Node, text: str, client_ip: str | None) -> str:
    """A heartbeat frame answered exactly like POST /api/registry/heartbeat.json (S4.4)."""
    call = Call(node, "WS", HEARTBEAT, text.encode(), {}, {}, {}, client_ip)
    reply = await dispatch(HEARTBEAT_ENDPOINT, call)
    body = reply.body
    return body.decode() if isinstance(body, bytes) else str(body)


# -- the connection loop -----------------------------------------------------------------------------


async def _receive(socket: WebSocket[Any, Any, Any], on_text: Callable[[str], Awaitable[None]]) -> None:
    while True:
        msg: dict[str, Any] = dict(await socket.receive())
        if msg["type"] == "websocket.disconnect":
            return
        text = msg.get("text")
        if not isinstance(text, str):
            raw = msg.get("bytes")
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else ""
        await on_text(text)


async def run_session(hub: PushHub, socket: WebSocket[Any, Any, Any], kind: str, channel: str) -> None:
    try:
        await socket.accept()
    except Exception:
        return  # the client left during the handshake
    session = Session(hub, kind, channel, ready_writer(socket.scope))
    if not hub.add(session):
        await socket.close(code=1013, reason="too many push sessions; try again later")
        return
    node = hub.node
    client_ip = socket.client.host if socket.client else None

    async def on_text(text: str) -> None:
        if kind == "ws":
            on_ws_frame(session, text)
        elif kind == "service":
            on_discovery_frame(session, text)
        elif kind == "heartbeat":
            session.offer([await heartbeat_answer(node, text, client_ip)])

    tasks = [
        asyncio.create_task(session.pump(socket)),
        asyncio.create_task(_receive(socket, on_text)),
        asyncio.create_task(session.done.wait()),
    ]
    if hub.ttl > 0:
        tasks.append(asyncio.create_task(_expire(session, hub.ttl)))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.remove(session)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    client_gone = tasks[1] in done and not tasks[1].cancelled() and tasks[1].exception() is None
    if client_gone:
        return
    code, reason = session.closing or (1011, "push session failed")
    if session.closing is not None and code == OVERFLOW_CODE:
        log.warning("closing slow push session on %s: %s", socket.url.path, reason)
    with contextlib.suppress(Exception):
        # Waits until the close frame can be written: a stuck client holds only this task, and the
        # server's keep-alive pings end the connection if it never reads again.
        await asyncio.wait_for(socket.close(code=code, reason=reason), timeout=CLOSE_TIMEOUT_SECS)


async def _expire(session: Session, ttl: float) -> None:
    await asyncio.sleep(ttl)
    session.close(1000, "push session TTL reached; reconnect")


def websocket_handlers(node: Node, aliases: list[str]) -> list[Any]:
    """Litestar handlers of the four push paths (plus alias prefixes), sharing one hub per node."""
    hub = PushHub(node)
    node.push = hub
    out: list[Any] = []
    for path, kind, channel in (
        (WS, "ws", "discovery"),
        (HEARTBEAT, "heartbeat", "registry"),
        (INSTANCE_CHANGE, "service", "discovery"),
        (ALL_INSTANCE_CHANGE, "all", "discovery"),
    ):
        paths = [path] + [a + path for a in aliases]

        def make(kind: str = kind, channel: str = channel) -> Any:
            async def handler(socket: WebSocket[Any, Any, Any]) -> None:
                await run_session(hub, socket, kind, channel)

            handler.__name__ = f"push_{kind}"
            return handler

        out.append(
            websocket(
                path=paths, name=f"push:{path}", signature_namespace={"WebSocket": WebSocket, "Any": Any}
            )(make())
        )
    return out
